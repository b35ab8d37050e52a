"""The fast `did you mean` matcher gives exactly difflib's answer (issue 16, error floods)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cstosim.errors import CUTOFF, close_matches, did_you_mean
from cstosim.model import _sorted_alpha3

ALPHABET = st.sampled_from("abAB-_c1é")
WORDS = st.text(ALPHABET, max_size=9)


@given(value=WORDS, options=st.lists(WORDS, max_size=40, unique=True),
       n=st.integers(min_value=1, max_value=4))
def test_close_matches_is_difflib(value: str, options: list[str], n: int) -> None:
    ordered = tuple(sorted(options))
    assert close_matches(value, ordered, n) == tuple(
        difflib.get_close_matches(value, list(ordered), n, CUTOFF))


def test_every_three_letter_code_gets_difflib_hint_for_states() -> None:
    import itertools
    import string

    codes = tuple(_sorted_alpha3())
    for letters in itertools.islice(itertools.product(string.ascii_uppercase, repeat=3), 0, None, 7):
        value = "".join(letters)
        assert close_matches(value, codes) == tuple(difflib.get_close_matches(value, codes, 3))


def test_did_you_mean_names_the_close_codes() -> None:
    assert did_you_mean("ARN", ["ARM", "AZE", "PAK"]) == "did you mean `ARM`?"
    assert did_you_mean("QQQ", ["ARM", "AZE"]).startswith("expected one of")


def _flood(path: Path, n: int) -> Path:
    """``n`` applications, each naming its own unknown state code (`Q` and four letters)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    codes = ["Q" + "".join(letters[(i // 26 ** k) % 26] for k in range(4)) for i in range(n)]
    events = "".join(f"  - application: {{id: a{i}, state: {c}, body: CSTO, tier: member, "
                     "date: 2021-07-07}\n" for i, c in enumerate(codes))
    path.write_text(f"cstosim: 1\nname: flood\nas_of: 2021-07-07\nevents:\n{events}",
                    encoding="utf-8")
    return path


def test_a_flood_of_unknown_states_works_out_hints_only_for_those_shown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """10,000 unknown codes once cost a did-you-mean each (twice: the model's and the raw
    reference check's), most of the run; only the 50 shown need one."""
    from cstosim import api, errors, model

    asked: list[str] = []

    def counting(value: str, options: tuple[str, ...], n: int = 3) -> tuple[str, ...]:
        asked.append(value)
        return errors._matcher(options).best(value, n)

    monkeypatch.setattr(model, "close_matches", counting)
    monkeypatch.setattr(errors, "close_matches", counting)
    path = _flood(tmp_path / "flood.yaml", 400)
    with pytest.raises(errors.CstosimError) as caught:
        api.load_scenario(path, api.load_rules())
    exc = caught.value
    assert len(exc.diagnostics) == errors.MAX_DIAGNOSTICS
    assert all(d.hint for d in exc.diagnostics)  # every one shown has its hint
    assert 0 < len(asked) <= errors.MAX_DIAGNOSTICS
    assert exc.omitted == 400 - errors.MAX_DIAGNOSTICS  # one problem per item, not two


def test_a_flood_says_how_many_were_not_shown_and_where(tmp_path: Path) -> None:
    """Nothing lost: the count is the number of problems (it once counted the model's and
    the reference check's copies of each: 19,950 errors for 10,000 applications), and the
    line says which kinds and lines the hidden ones are."""
    from cstosim.cli import app

    _flood(tmp_path / "flood.yaml", 200)
    for command in ("validate", "run"):
        result = CliRunner().invoke(app, [command, str(tmp_path / "flood.yaml")])
        assert result.exit_code == 2, result.output
        err = result.stderr
        assert "Traceback" not in err
        assert err.count("error[unknown_state]") == 50
        assert err.count("hint: ") == 50
        # items 0-49 are on lines 5-54 and shown; 50-199 on lines 55-204
        assert ("150 more not shown (150 unknown_state in "
                f"{tmp_path / 'flood.yaml'} lines 55-204)") in err
        assert err.rstrip().endswith("200 errors; nothing was run.")


def test_an_error_keeps_what_it_did_not_show_through_pickle() -> None:
    import pickle

    from cstosim.errors import CstosimError, Diagnostic, Location

    found = [Diagnostic("unknown_state", Location("s.yaml", line, 3), f"unknown `Q{line}`", "h")
             for line in range(1, 61)]
    found.append(Diagnostic("unknown_body", Location("s.yaml", 70, 1), "unknown `B`", "h"))
    exc = CstosimError(found)
    assert exc.omitted == 11
    assert exc.where() == ("1 unknown_body in s.yaml line 70; "
                           "10 unknown_state in s.yaml lines 51-60")
    back = pickle.loads(pickle.dumps(exc))
    assert (back.omitted, back.rest, str(back)) == (exc.omitted, exc.rest, str(exc))
