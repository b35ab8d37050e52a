"""The safe YAML loader (`cstosim.load`): every pitfall is refused or resolved as documented,
and every refusal names a stable code and the line and column (1-based) where it happened."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cstosim.errors import CstosimError, Diagnostic
from cstosim.load import DEFAULT_LIMITS, Document, Limits, load_file, load_text, read_text


def fail(text: str, limits: Limits = DEFAULT_LIMITS) -> Diagnostic:
    """The one diagnostic loading ``text`` must produce."""
    with pytest.raises(CstosimError) as info:
        load_text(text, "f.yaml", limits)
    assert len(info.value.diagnostics) == 1, info.value.diagnostics
    d = info.value.diagnostics[0]
    assert d.location.file == "f.yaml"
    assert d.hint, f"diagnostic {d.code} has no hint"
    return d


def fail_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> Diagnostic:
    with pytest.raises(CstosimError) as info:
        load_file(path, limits)
    assert len(info.value.diagnostics) == 1, info.value.diagnostics
    d = info.value.diagnostics[0]
    assert d.location.file == str(path)
    assert d.hint
    return d


def at(d: Diagnostic) -> tuple[int, int]:
    return d.location.line, d.location.column


# ---- duplicate keys ---------------------------------------------------------------------


def test_duplicate_key_at_top_level_names_second_key_and_first_line() -> None:
    d = fail("a: 1\nb: 2\na: 3\n")
    assert d.code == "duplicate_key"
    assert at(d) == (3, 1)
    assert "`a`" in d.message
    assert "first written at line 1" in d.message


def test_duplicate_key_nested_names_second_key_and_first_line() -> None:
    d = fail("name: x\ntop:\n  x: 1\n  y: 2\n  x: 3\n")
    assert d.code == "duplicate_key"
    assert at(d) == (5, 3)
    assert "`x`" in d.message
    assert "first written at line 3" in d.message


def test_duplicate_key_inside_a_list_item() -> None:
    d = fail("items:\n  - b: 1\n    c: 2\n    b: 3\n")
    assert d.code == "duplicate_key"
    assert at(d) == (4, 5)
    assert "first written at line 2" in d.message


def test_duplicate_key_in_a_flow_mapping() -> None:
    d = fail("a: {b: 1, b: 2}\n")
    assert d.code == "duplicate_key"
    assert at(d) == (1, 11)


def test_same_key_in_different_mappings_is_fine() -> None:
    doc = load_text("a: {x: 1}\nb: {x: 2}\n")
    assert doc.data == {"a": {"x": 1}, "b": {"x": 2}}


# ---- scalars: booleans, numbers, dates, strings -------------------------------------------


@pytest.mark.parametrize("word", ["NO", "No", "no", "yes", "Yes", "YES", "on", "On", "off", "OFF",
                                  "Y", "y", "n", "N", "True", "TRUE", "False", "FALSE"])
def test_yaml_1_1_booleans_stay_strings(word: str) -> None:
    doc = load_text(f"code: {word}\n")
    assert doc.data == {"code": word}
    assert type(doc.data["code"]) is str


def test_only_lowercase_true_and_false_are_booleans() -> None:
    doc = load_text("a: true\nb: false\n")
    assert doc.data == {"a": True, "b": False}
    assert doc.data["a"] is True and doc.data["b"] is False


def test_norway_stays_norway_in_a_list() -> None:
    assert load_text("states: [NO, SE, FI]\n").data == {"states": ["NO", "SE", "FI"]}


@pytest.mark.parametrize("text", ["0755", "00", "007", "-0755"])
def test_numbers_with_leading_zeros_stay_strings(text: str) -> None:
    value = load_text(f"mode: {text}\n").data["mode"]
    assert value == text
    assert type(value) is str


@pytest.mark.parametrize(("text", "value"), [
    ("0", 0), ("12", 12), ("-3", -3), ("+7", 7), ("1000000", 1_000_000),
])
def test_integers_are_resolved(text: str, value: int) -> None:
    got = load_text(f"n: {text}\n").data["n"]
    assert got == value
    assert type(got) is int


@pytest.mark.parametrize(("text", "value"), [
    ("1.5", 1.5), ("-2.25", -2.25), (".5", 0.5), ("3.", 3.0), ("0.0", 0.0), ("1.0e3", 1000.0),
])
def test_floats_are_resolved(text: str, value: float) -> None:
    got = load_text(f"x: {text}\n").data["x"]
    assert got == value
    assert type(got) is float


def test_dates_are_resolved() -> None:
    doc = load_text("from: 2021-05-12\nleap: 2020-02-29\n")
    assert doc.data == {"from": dt.date(2021, 5, 12), "leap": dt.date(2020, 2, 29)}
    assert type(doc.data["from"]) is dt.date


def test_nulls_are_resolved() -> None:
    assert load_text("a: ~\nb: null\nc:\n").data == {"a": None, "b": None, "c": None}


@pytest.mark.parametrize(("text", "where"), [
    ("x: 1\ny: 2021-02-30\n", (2, 4)),
    ("x: 1\nnested:\n  until: 2021-13-01\n", (3, 10)),
    ("d: 2021-04-31\n", (1, 4)),
    ("d: 2019-02-29\n", (1, 4)),
])
def test_impossible_date_is_an_error_with_location(text: str, where: tuple[int, int]) -> None:
    d = fail(text)
    assert d.code == "invalid_date"
    assert at(d) == where
    assert "not a real date" in d.message


@pytest.mark.parametrize(("text", "value"), [
    ("'12'", "12"), ('"12"', "12"), ("'true'", "true"), ('"false"', "false"),
    ("'2021-01-01'", "2021-01-01"), ("'2021-02-30'", "2021-02-30"), ("'NO'", "NO"),
    ("'~'", "~"), ("'null'", "null"), ("''", ""), ("'0755'", "0755"), ("'1.5'", "1.5"),
])
def test_quoted_scalars_are_always_strings(text: str, value: str) -> None:
    got = load_text(f"v: {text}\n").data["v"]
    assert got == value
    assert type(got) is str


def test_block_scalars_are_strings() -> None:
    doc = load_text("a: |\n  12\nb: >\n  true\n")
    assert doc.data == {"a": "12\n", "b": "true\n"}


# ---- tags -------------------------------------------------------------------------------


def test_python_object_tag_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f'a: !!python/object/apply:os.system ["touch {marker}"]\n'
    d = fail(text)
    assert d.code == "tag_not_allowed"
    assert at(d) == (1, 4)
    assert "python/object/apply:os.system" in d.message
    assert not marker.exists()


def test_python_object_tag_in_a_file_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned_from_file"
    path = tmp_path / "evil.yaml"
    path.write_text(f"name: x\nrun: !!python/object/apply:os.system\n  - touch {marker}\n",
                    encoding="utf-8")
    d = fail_file(path)
    assert d.code == "tag_not_allowed"
    assert at(d) == (2, 6)
    assert not marker.exists()


@pytest.mark.parametrize("text", [
    "a: !!python/object/new:builtins.list [[1]]\n",
    "a: !!python/name:os.system\n",
    "a: !!map {b: 1}\n",
    "a: !!seq [1]\n",
    "a: !!binary aGVsbG8=\n",
    "a: !custom 5\n",
])
def test_every_explicit_tag_is_refused(text: str) -> None:
    d = fail(text)
    assert d.code == "tag_not_allowed"
    assert at(d) == (1, 4)


def test_str_tag_is_refused_too() -> None:
    # Documented: all explicit tags are refused, even the harmless `!!str`; quote instead.
    d = fail("code: !!str NO\n")
    assert d.code == "tag_not_allowed"
    assert at(d) == (1, 7)
    assert "quote" in d.hint


def test_non_specific_tag_does_not_silently_turn_a_value_into_a_number() -> None:
    # `! 5` carries the explicit non-specific tag, which in YAML means "a string". The loader
    # documents that explicit tags are refused; either refusing it or reading the string "5"
    # is acceptable, but not silently producing the integer 5.
    try:
        data = load_text("a: ! 5\n", "f.yaml").data
    except CstosimError as exc:
        assert exc.diagnostics[0].code == "tag_not_allowed"
        assert at(exc.diagnostics[0]) == (1, 4)
    else:
        assert data == {"a": "5"}, f"`! 5` was read as {data['a']!r}"


# ---- documents, structure ----------------------------------------------------------------


def test_multiple_documents_are_refused() -> None:
    d = fail("a: 1\n---\nb: 2\n")
    assert d.code == "multiple_documents"
    assert at(d) == (2, 1)


def test_a_single_document_with_explicit_start_is_fine() -> None:
    assert load_text("---\na: 1\n").data == {"a": 1}


def test_list_at_top_level_is_refused() -> None:
    d = fail("- a\n- b\n")
    assert d.code == "expected_mapping"
    assert at(d) == (1, 1)
    assert "a list" in d.message


def test_scalar_at_top_level_is_refused() -> None:
    d = fail("42\n")
    assert d.code == "expected_mapping"
    assert at(d) == (1, 1)


@pytest.mark.parametrize("text", ["", "\n\n", "   \n", "# only a comment\n",
                                  "# one\n\n   # two\n"])
def test_empty_or_comment_only_text_is_empty_file(text: str) -> None:
    d = fail(text)
    assert d.code == "empty_file"


def test_mapping_keys_must_be_plain_strings() -> None:
    d = fail("? [a, b]\n: 1\n")
    assert d.code == "bad_key"
    assert at(d) == (1, 3)


def test_alias_as_key_is_refused() -> None:
    d = fail("a: &x k\n*x : 2\n")
    assert d.code == "bad_key"
    assert at(d) == (2, 1)


# ---- syntax -------------------------------------------------------------------------------


def test_tab_indentation_is_a_syntax_error_with_the_tab_hint() -> None:
    d = fail("a:\n\tb: 1\n")
    assert d.code == "yaml_syntax"
    assert at(d) == (2, 1)
    assert "tab" in d.message
    assert d.hint == "indent with spaces; YAML does not allow tabs"


def test_tab_after_spaces_is_a_syntax_error_with_the_tab_hint() -> None:
    d = fail("a:\n  b: 1\n\tc: 2\n")
    assert d.code == "yaml_syntax"
    assert d.location.line == 3
    assert "tabs" in d.hint


def test_unclosed_bracket_is_a_syntax_error() -> None:
    d = fail("name: x\na: [1, 2\n")
    assert d.code == "yaml_syntax"
    assert d.location.line in (2, 3)  # the bracket, or where the parser gave up
    assert d.location.column >= 1
    assert "bracket" in d.hint


def test_alias_to_an_unknown_anchor_is_an_error() -> None:
    d = fail("a: 1\nb: *nope\n")
    assert d.code == "yaml_syntax"
    assert at(d) == (2, 4)
    assert "`*nope`" in d.message


def test_control_character_error_names_line_and_column() -> None:
    # A NUL byte is valid UTF-8 but not valid YAML; the error must still say where it is.
    d = fail("name: x\nb: \x00\n")
    assert d.code == "yaml_syntax"
    assert at(d) == (2, 4)
    assert "\n" not in d.message


# ---- hostile files: aliases, depth, size ---------------------------------------------------


def alias_bomb(levels: int, width: int = 9) -> str:
    lines = ["a: &a [" + ", ".join(['"lol"'] * width) + "]"]
    prev = "a"
    for i in range(1, levels):
        name = f"l{i}"
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * width) + "]")
        prev = name
    return "\n".join(lines) + "\n"


def test_a_few_aliases_are_fine() -> None:
    doc = load_text("base: &b {x: 1, y: [1, 2]}\nother: *b\nthird: *b\n")
    assert doc.data["other"] == {"x": 1, "y": [1, 2]}
    assert doc.data["third"] == doc.data["base"]


def test_alias_bomb_fails_on_alias_count() -> None:
    d = fail(alias_bomb(4), Limits(max_aliases=10))
    assert d.code == "too_many_aliases"
    assert d.location.line == 3  # the 11th alias is on the third line
    assert "10" in d.message


def test_alias_bomb_fails_on_node_count() -> None:
    d = fail(alias_bomb(4), Limits(max_nodes=100))
    assert d.code == "too_many_nodes"
    assert d.location.line == 2
    assert "100" in d.message


def test_billion_laughs_fails_fast_with_default_limits() -> None:
    # Nine levels of nine: 9**9 (387 million) strings if expanded.
    text = alias_bomb(9)
    d = fail(text)
    assert d.code in ("too_many_aliases", "too_many_nodes")
    assert 1 <= d.location.line <= 9
    assert d.location.column >= 1


def test_nesting_at_the_depth_limit_is_fine_and_one_more_is_too_deep() -> None:
    limits = Limits(max_depth=5)
    assert load_text("a: [[[[1]]]]\n", limits=limits).data == {"a": [[[[1]]]]}
    d = fail("a: [[[[[1]]]]]\n", limits)
    assert d.code == "too_deep"
    assert at(d) == (1, 8)
    assert "5" in d.message


def test_deep_block_nesting_is_too_deep() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(8)) + "  " * 8 + "leaf: 1\n"
    d = fail(text, Limits(max_depth=4))
    assert d.code == "too_deep"
    assert d.location.line == 5


def test_deep_nesting_with_default_limits_is_too_deep() -> None:
    d = fail("a: " + "[" * 200 + "]" * 200 + "\n")
    assert d.code == "too_deep"
    assert d.location.line == 1


def test_text_over_max_bytes_is_too_large() -> None:
    d = fail("a: " + "x" * 100 + "\n", Limits(max_bytes=50))
    assert d.code == "file_too_large"


def test_file_over_max_bytes_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 100 + "\n", encoding="utf-8")  # 104 bytes
    d = fail_file(path, Limits(max_bytes=50))
    assert d.code == "file_too_large"
    assert "104" in d.message and "50" in d.message


def test_file_exactly_at_max_bytes_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    path.write_bytes(b"a: xxxx\n")  # 8 bytes
    assert load_file(path, Limits(max_bytes=8)).data == {"a": "xxxx"}
    with pytest.raises(CstosimError) as info:
        load_file(path, Limits(max_bytes=7))
    assert info.value.diagnostics[0].code == "file_too_large"


# ---- files: encoding, existence -------------------------------------------------------------


def test_invalid_utf8_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: x\nb: ab\xffcd\n")
    d = fail_file(path)
    assert d.code == "invalid_utf8"
    assert at(d) == (2, 6)
    assert "0xff" in d.message


def test_invalid_utf8_on_the_first_byte(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"\xe9t\xe9: 1\n")
    d = fail_file(path)
    assert d.code == "invalid_utf8"
    assert at(d) == (1, 1)


def test_invalid_utf8_column_counts_characters_not_bytes(tmp_path: Path) -> None:
    # Columns elsewhere count characters (as editors do); `é` is one character, two bytes.
    path = tmp_path / "mixed.yaml"
    path.write_bytes("name: x\nb: é".encode() + b"\xff\n")
    d = fail_file(path)
    assert d.code == "invalid_utf8"
    assert at(d) == (2, 5)


def test_leading_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: x\nb: 2\n")
    doc = load_file(path)
    assert doc.data == {"name": "x", "b": 2}
    assert doc.locate(("name",), key=True).line == 1
    assert doc.locate(("name",), key=True).column == 1
    assert read_text(path) == "name: x\nb: 2\n"


def test_read_text_returns_the_decoded_text(tmp_path: Path) -> None:
    path = tmp_path / "u.yaml"
    path.write_text("name: Ереван\n", encoding="utf-8")
    assert read_text(path) == "name: Ереван\n"
    assert load_file(path).data == {"name": "Ереван"}


def test_empty_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    assert fail_file(path).code == "empty_file"


def test_comment_only_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "comments.yaml"
    path.write_text("# nothing here\n# still nothing\n", encoding="utf-8")
    assert fail_file(path).code == "empty_file"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    d = fail_file(tmp_path)
    assert d.code == "not_a_file"
    assert "directory" in d.message


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    d = fail_file(tmp_path / "nope.yaml")
    assert d.code == "file_not_found"
    assert "nope.yaml" in d.message


def test_read_text_refuses_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CstosimError) as info:
        read_text(tmp_path)
    assert info.value.diagnostics[0].code == "not_a_file"
    with pytest.raises(CstosimError) as info:
        read_text(tmp_path / "missing.yaml")
    assert info.value.diagnostics[0].code == "file_not_found"


# ---- locations ------------------------------------------------------------------------------

SAMPLE = """\
name: x
list:
  - a
  - {k: v}
nested:
  deep:
    leaf: 7
"""


@pytest.fixture
def sample() -> Document:
    return load_text(SAMPLE, "sample.yaml")


def test_locations_of_values(sample: Document) -> None:
    def v(*path: str | int) -> tuple[int, int]:
        loc = sample.locate(path)
        assert loc.file == "sample.yaml"
        return loc.line, loc.column

    assert v("name") == (1, 7)
    assert v("list", 0) == (3, 5)
    assert v("list", 1) == (4, 5)
    assert v("list", 1, "k") == (4, 9)
    assert v("nested", "deep") == (7, 5)
    assert v("nested", "deep", "leaf") == (7, 11)


def test_locations_of_keys(sample: Document) -> None:
    def k(*path: str | int) -> tuple[int, int]:
        loc = sample.locate(path, key=True)
        return loc.line, loc.column

    assert k("name") == (1, 1)
    assert k("list") == (2, 1)
    assert k("list", 1, "k") == (4, 6)
    assert k("nested") == (5, 1)
    assert k("nested", "deep") == (6, 3)
    assert k("nested", "deep", "leaf") == (7, 5)


def test_locate_falls_back_to_the_nearest_known_parent(sample: Document) -> None:
    assert (sample.locate(("nested", "deep", "missing")).line,
            sample.locate(("nested", "deep", "missing")).column) == (7, 5)
    assert (sample.locate(("nested", "deep", "missing", "more")).line,
            sample.locate(("nested", "deep", "missing", "more")).column) == (7, 5)
    assert (sample.locate(("list", 7)).line, sample.locate(("list", 7)).column) == (3, 3)
    # key=True falls back to the parent's key
    loc = sample.locate(("nested", "nope"), key=True)
    assert (loc.line, loc.column) == (5, 1)


def test_locate_skips_elements_that_are_not_in_the_data(sample: Document) -> None:
    # pydantic adds union tags such as `dict[str,int]` to its error locations.
    loc = sample.locate(("list", 1, "dict[str,str]", "k"))
    assert (loc.line, loc.column) == (4, 9)


def test_locate_of_unknown_root_path_is_the_start_of_the_file(sample: Document) -> None:
    for path in [(), ("zzz",), ("zzz", "yyy")]:
        loc = sample.locate(path)
        assert (loc.file, loc.line, loc.column) == ("sample.yaml", 1, 1)


def test_locations_in_a_file_use_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "loc.yaml"
    path.write_text("a:\n  b: [1, 2]\n", encoding="utf-8")
    doc = load_file(path)
    loc = doc.locate(("a", "b", 1))
    assert (loc.file, loc.line, loc.column) == (str(path), 2, 10)
    assert str(loc) == f"{path}:2:10"


def test_default_limits_are_documented_values() -> None:
    assert Limits() == DEFAULT_LIMITS
    assert DEFAULT_LIMITS.max_depth == 64
    assert DEFAULT_LIMITS.max_aliases == 1000
    assert DEFAULT_LIMITS.max_nodes == 2_000_000
    assert DEFAULT_LIMITS.max_bytes == 16 * 1024 * 1024


# ---- items per list or mapping (issue 16: a list of 900,000 items took 14 s to refuse) ----------

def test_a_list_at_the_item_limit_is_fine_and_one_more_is_refused_at_the_list() -> None:
    limits = Limits(max_items=5)
    doc = load_text("x: 1\nevents:\n" + "  - 1\n" * 5, "f.yaml", limits)
    assert doc.data["events"] == [1] * 5
    d = fail("x: 1\nevents:\n" + "  - {a: 1}\n" * 6, limits)
    assert d.code == "too_many_items"
    assert (d.location.line, d.location.column) == (3, 3)  # where the list starts
    assert d.message == "`events` has more than 5 items, the limit"


def test_a_mapping_with_too_many_keys_is_refused_at_the_mapping() -> None:
    d = fail("x: 1\nparams:\n" + "".join(f"  p{i}: {i}\n" for i in range(4)), Limits(max_items=3))
    assert d.code == "too_many_items"
    assert (d.location.line, d.location.column) == (3, 3)
    assert d.message == "`params` has more than 3 keys, the limit"


def test_the_item_limit_stops_reading_at_the_first_item_over_it() -> None:
    """Nothing past the surplus item is read: a syntax error further down is never reached,
    so a list of 900,000 items costs what its first 10,001 do."""
    n = DEFAULT_LIMITS.max_items
    d = fail("x: 1\nevents:\n" + "  - 1\n" * (n + 1) + "  - [unclosed\n" + "  - 1\n" * 100)
    assert d.code == "too_many_items"
    assert d.message == f"`events` has more than {n:,} items, the limit"


def test_a_nested_list_is_named_by_its_path() -> None:
    d = fail("events:\n  - incident:\n      responses: [1, 2, 3]\n", Limits(max_items=2))
    assert d.code == "too_many_items"
    assert d.message == "`events.0.incident.responses` has more than 2 items, the limit"
