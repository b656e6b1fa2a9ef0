"""Words as the quality filters count them: one regular expression per language, no spaCy.

The Gopher and FineWeb rules only need words (how many, how long, which repeat), not a linguistic
tokenisation. datatrove tokenises with spaCy's rule-based tokenizers, which cost ~20 ms on a real 6,000-
character page, more than all the rules together; a Unicode word pattern costs ~0.3 ms. Measured against
spaCy's word tokens (punctuation removed) on 300 held-out sentences per language (``../shared/eval/langid``),
the pattern's word counts are within 1% in every language and mean word lengths within 0.07 characters, so
the per-language thresholds calibrated on spaCy's counts still hold; on real pages the verdicts change for
about 1 page in 100 (README, "Quality filters").

A word is a run of letters, marks and digits, joined across an inner hyphen, apostrophe, full stop or comma
("Zuid-Afrika", "10,000", "3.5", "aujourd'hui"); a short elided article or preposition before an apostrophe
is a word of its own, as spaCy's French and Italian tokenizers split them ("l'", "dell'"). Punctuation is
never a word: Gopher's 80%-alphabetic rule is about words, and counting every comma as a non-alphabetic word
dropped ordinary prose with lists or links.

Maltese keeps its own pattern: its orthography writes the article joined to the noun ("il-qarabagħli",
"ta'"), as the Maltese UD treebank's word forms do.
"""

from __future__ import annotations

import regex
from datatrove.utils.word_tokenizers import WordTokenizer

WORD = regex.compile(r"(?:(?<!\w)\w{1,5}['’](?=\w))|\w+(?:[-.,'’]\w+)*")
MALTESE_WORD = regex.compile(r"\w+(?:[-'’]\w+)*[-'’]?")
_SENTENCE = regex.compile(r"[^.!?。！？]+(?:[.!?。！？]+|$)")


class RegexWords(WordTokenizer):
    """A datatrove ``WordTokenizer`` (so datatrove's own filters can use it in tests) made of one pattern."""

    def __init__(self, language: str):
        super().__init__(language)
        self.pattern = MALTESE_WORD if language == "mt" else WORD

    def word_tokenize(self, text: str) -> list[str]:
        return self.pattern.findall(text)

    def sent_tokenize(self, text: str) -> list[str]:
        return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _SENTENCE.finditer(text) if m.group().strip()]
