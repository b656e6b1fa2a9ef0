"""Regular-expression building blocks shared by the per-document stages."""

from __future__ import annotations

import re
from functools import lru_cache

#: a letter (what "[^\W\d_]" matches): a word start is a position not preceded by one
LETTER = r"[^\W\d_]"


def at_word_start(word: str) -> str:
    """A pattern matching ``word`` where it starts a word: the same matches as ``(?<![^\\W\\d_])word``, written
    with the word's first character first and the word start checked after it ("i(?<![^\\W\\d_]i)l-" for
    "il-"). Python's engine scans quickly for a pattern's possible first characters (also across an
    alternation of such patterns) but tries every position of the text for one that starts with a look-behind:
    ~10x slower on real pages."""
    first = re.escape(word[0])
    return f"{first}(?<!{LETTER}{first}){re.escape(word[1:])}"


def any_case_at_word_start(words: list[tuple[str, str]]) -> str:
    """An alternation of ``(word, tail)`` pairs: the same matches as ``(?<![^\\W\\d_])(?i:word1tail1|...)``
    (tails are patterns), written first-character-first as ``at_word_start``: one branch per character that re
    takes for a first character in any case ("h", "H"), as a case-insensitive first character would make the
    engine try every position again. Words sharing a first character share its branches, their order kept;
    when two first characters have a case form in common, each word keeps its own branches in the given order
    (which alternative wins at a position depends on it)."""
    forms = {word[0]: case_forms(word[0]) for word, _ in words}
    if len({c for f in forms.values() for c in f}) == sum(map(len, forms.values())):
        by_first: dict[str, list[str]] = {}
        for word, tail in words:
            by_first.setdefault(word[0], []).append(re.escape(word[1:]) + tail)
        groups = list(by_first.items())
    else:  # first characters with a case form in common ("σ", "ς"): each word its own branches, in order
        groups = [(word[0], [re.escape(word[1:]) + tail]) for word, tail in words]
    return "|".join(f"{re.escape(c)}(?<!{LETTER}{re.escape(c)})(?i:{'|'.join(rests)})"
                    for first, rests in groups for c in forms[first])


@lru_cache(maxsize=None)
def case_forms(char: str) -> tuple[str, ...]:
    """Every character that Python's re matches to ``char`` under IGNORECASE, ``char`` first: the characters
    linked to it by their first lower- or upper-case character ("İ" -> "i" -> "I" -> "ı"), kept where re agrees
    (tested against all of Unicode)."""
    if ord(char) > 0xFFFF:  # _case_index covers the Basic Multilingual Plane only
        raise ValueError(f"no case forms computed for U+{ord(char):X}, beyond the Basic Multilingual Plane")
    index = _case_index()
    linked, todo = {char}, [char]
    while todo:
        c = todo.pop()
        for other in index.get(c.lower()[:1], set()) | index.get(c.upper()[:1], set()):
            if other not in linked:
                linked.add(other)
                todo.append(other)
    probe = re.compile(re.escape(char), re.IGNORECASE)
    return (char, *sorted(c for c in linked - {char} if probe.fullmatch(c)))


@lru_cache(maxsize=1)
def _case_index() -> dict[str, set[str]]:
    """First lower- or upper-case character -> the characters of the Basic Multilingual Plane that have it (no
    character beyond it matches one within in any case; tests/corpus/test_patterns.py checks all of Unicode)."""
    index: dict[str, set[str]] = {}
    for code in range(0x10000):
        c = chr(code)
        for key in {c.lower()[:1], c.upper()[:1]}:
            index.setdefault(key, set()).add(c)
    return index
