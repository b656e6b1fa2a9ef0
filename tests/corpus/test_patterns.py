"""Regular-expression building blocks: written for speed, they match what their plain forms match."""

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from corpus.patterns import at_word_start

_ALPHABET = "aNíÓc-'’1_ é\u00a0."


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(alphabet=_ALPHABET, min_size=1, max_size=4), min_size=1, max_size=4),
       st.text(alphabet=_ALPHABET, max_size=40))
def test_at_word_start_matches_where_the_look_behind_form_matches(words, text):
    """An alternation of at_word_start patterns finds what "(?<![^\\W\\d_])(?:w1|w2|...)" finds, for any words
    (letters, digits, punctuation, a word that is a prefix of another) and any text."""
    fast = re.compile("|".join(map(at_word_start, words)))
    plain = re.compile(r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, words)) + ")")
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


_EVERY_CHARACTER = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code < 0xE000)


def test_case_forms_are_what_re_matches_in_any_case():
    """case_forms(c) is every character that re matches to c under IGNORECASE, checked against all of Unicode
    for every first character of the name cues and roles and the characters with unusual case rules."""
    from corpus.patterns import case_forms
    from pii.names import CUES, ROLES

    firsts = {w[0] for words in CUES.values() for w in words} | {w[0] for words in ROLES.values() for w in words.split()}
    for char in sorted(firsts | set("iIİısSſkKσςΣµμßẞ-.:1")):
        matched = {m.group() for m in re.finditer(re.escape(char), _EVERY_CHARACTER, re.IGNORECASE)}
        assert set(case_forms(char)) == matched, char
        assert case_forms(char)[0] == char


_CASED = "iIİısSſσςΣhHa-.'"


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=_CASED, min_size=1, max_size=3), st.sampled_from(["", r"\.?", ":"])),
                min_size=1, max_size=5),
       st.text(alphabet=_CASED + " 1_é", max_size=40))
@example([("ςx", ""), ("σab", ""), ("ςa", "")], "σab")  # grouped by first character, "σa" would win
def test_any_case_at_word_start_matches_where_the_case_insensitive_form_matches(words, text):
    """Grouped by first character, one branch per case form: the same matches as
    "(?<![^\\W\\d_])(?i:w1t1|w2t2|...)", whichever words share first characters or case forms ("σ", "ς")."""
    from corpus.patterns import any_case_at_word_start

    fast = re.compile(any_case_at_word_start(words))
    plain = re.compile(r"(?<![^\W\d_])(?i:" + "|".join(re.escape(w) + t for w, t in words) + ")")
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]
