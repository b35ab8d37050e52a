"""The fast `did you mean` matcher gives exactly difflib's answer (issue 16, error floods)."""

from __future__ import annotations

import difflib

from hypothesis import given
from hypothesis import strategies as st

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
