"""Gopher's n-gram repetition statistics over hashed n-grams, every n from one pass of word ids.

datatrove's helpers build every n-gram as a joined string, once per rule (top 2-, 3-, 4-grams, duplicated 5-
to 10-grams): about 9,000 strings for a 1,000-word page, ~5 ms. Here each word gets an integer id once, and
the n-grams of every length are rolling 64-bit polynomial hashes of those ids computed with numpy, so each
statistic is a handful of array operations; the one sequential rule (duplicated n-grams, counted without
overlap) runs its Python loop only from the first repeated n-gram on, and not at all on a page with none.

The values equal datatrove's ``find_top_duplicate(get_n_grams(words, n))`` and ``find_all_duplicate(words,
n)`` (tests/filters/test_repetition.py checks them on real pages and generated word lists), with one
deliberate difference: datatrove compares duplicated n-grams as words joined *without* a separator, so
("ab", "c") and ("a", "bc") count as the same n-gram; here an n-gram is its sequence of words. (A 64-bit
hash collision between two different n-grams of one page is possible in principle; at ~10^4 n-grams a page
its probability is ~10^-11.)
"""

from __future__ import annotations

import numpy as np

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd, well mixed (the 64-bit golden ratio)


class NGrams:
    """The words of one document as ids, their lengths, and hashed n-grams of any length."""

    def __init__(self, words: list[str]):
        vocabulary: dict[str, int] = {}
        ids = [vocabulary.setdefault(w, len(vocabulary)) for w in words]
        # ids + 1 so that no word hashes to 0; mixing with a large odd multiplier spreads small ids
        self._ids = (np.asarray(ids, dtype=np.uint64) + np.uint64(1)) * _MULTIPLIER
        self._char_ends = np.concatenate(([0], np.cumsum([len(w) for w in words], dtype=np.int64)))
        self.n_words = len(words)
        self._hashes: dict[int, np.ndarray] = {1: self._ids}

    def hashes(self, n: int) -> np.ndarray:
        """The hash of the n-gram starting at each position (length n_words - n + 1)."""
        if n not in self._hashes:
            shorter = self.hashes(n - 1)
            with np.errstate(over="ignore"):
                self._hashes[n] = shorter[:-1] * _MULTIPLIER + self._ids[n - 1:]
        return self._hashes[n]

    def chars(self, n: int) -> np.ndarray:
        """Characters of the words of the n-gram at each position (separators not counted)."""
        return self._char_ends[n:] - self._char_ends[:-n]

    def top_duplicate_chars(self, n: int) -> int:
        """datatrove's ``find_top_duplicate(get_n_grams(words, n))``: the most frequent n-gram (the first
        to appear among equally frequent ones) times its count, its length counting the n - 1 spaces."""
        hashes = self.hashes(n)
        _, first, counts = np.unique(hashes, return_index=True, return_counts=True)
        most = counts.max()
        position = int(first[counts == most].min())
        return (int(self.chars(n)[position]) + n - 1) * int(most)

    def duplicated_chars(self, n: int) -> int:
        """datatrove's ``find_all_duplicate(words, n)``: scanning left to right, an n-gram seen before adds
        its characters and the scan jumps past it; a new one is remembered and the scan moves one word."""
        hashes = self.hashes(n)
        if hashes.size == 0:
            return 0
        _, first = np.unique(hashes, return_index=True)
        if first.size == hashes.size:
            return 0  # no n-gram occurs twice: the common case on real prose
        seen_before = np.ones(hashes.size, dtype=bool)
        seen_before[first] = False
        start = int(np.argmax(seen_before))  # every n-gram before it is new and remembered
        values = hashes.tolist()
        lengths = self.chars(n).tolist()
        unique = set(values[:start])
        repeated, position, end = 0, start, len(values)
        while position < end:
            value = values[position]
            if value in unique:
                repeated += lengths[position]
                position += n
            else:
                unique.add(value)
                position += 1
        return repeated


def find_duplicates(elements: list[str]) -> tuple[int, int]:
    """datatrove's ``find_duplicates`` (Gopher's duplicate lines and paragraphs): how many elements repeat an
    earlier one, and their characters. Kept here because importing it from datatrove's filters package loads
    datatrove's I/O layer and huggingface_hub, ~0.6 s in every Python worker (a test compares the two)."""
    seen: set[str] = set()
    repeated = repeated_chars = 0
    for element in elements:
        if element in seen:
            repeated += 1
            repeated_chars += len(element)
        else:
            seen.add(element)
    return repeated, repeated_chars
