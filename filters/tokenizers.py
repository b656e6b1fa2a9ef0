"""Word tokenizers for languages datatrove cannot tokenize with what we ship.

Maltese: datatrove assigns Stanza (a large extra dependency with downloaded models). spaCy has no Maltese
class, and its language-neutral tokenizer splits the article clitic (``il-``, ``l-``, ``ta'``) into a
word and a bare punctuation token, which makes every Maltese page look symbol-heavy to Gopher's
alpha-ratio rule. Maltese orthography writes the article joined to its noun, so we keep
``il-qarabagħli`` and ``ta'`` whole, as the Maltese UD treebank's word forms do.
"""

from __future__ import annotations

import regex
from datatrove.utils.word_tokenizers import SpaCyTokenizer, WordTokenizer

_MALTESE_WORD = regex.compile(r"\w+(?:[-'’]\w+)*[-'’]?|[^\w\s]")


class MalteseTokenizer(WordTokenizer):
    def __init__(self):
        super().__init__("mt")
        self._sentences = SpaCyTokenizer("xx")  # sentence splitting is script-generic

    def word_tokenize(self, text: str) -> list[str]:
        return _MALTESE_WORD.findall(text)

    def sent_tokenize(self, text: str) -> list[str]:
        return self._sentences.sent_tokenize(text)

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return self._sentences.span_tokenize(text)


class WordsOnly(WordTokenizer):
    """Words as the Gopher paper counts them: tokens with a letter or digit. spaCy also returns every
    punctuation mark as a token, which datatrove then counts as a non-alphabetic "word": ordinary prose
    with lists or links fell under Gopher's 80%-alphabetic rule (seen on real English pages).

    It also remembers the words of the last text: Gopher repetition, Gopher quality and our word count
    each tokenize the same document, and tokenization is most of the quality stage's cost."""

    REBUILD_AFTER = 20_000

    def __init__(self, inner: WordTokenizer):
        super().__init__(inner.language)
        self.inner = inner
        self._last_text: str | None = None
        self._last_words: list[str] = []
        self._documents = 0

    def word_tokenize(self, text: str) -> list[str]:
        if text is not self._last_text:
            self._last_words = [w for w in self._tokens(text) if any(ch.isalnum() for ch in w)]
            self._last_text = text
        return self._last_words

    def _tokens(self, text: str) -> list[str]:
        if not isinstance(self.inner, SpaCyTokenizer):
            return self.inner.word_tokenize(text)
        # The same spaCy tokenizer datatrove builds, called directly: datatrove runs the whole pipeline
        # (sentencizer included) inside a memory zone per call, which re-creates a lexeme for every token
        # of every document, 20-50x slower for the same tokens. Here the vocabulary is kept (each word
        # costs once) and bounded by rebuilding the pipeline every ``REBUILD_AFTER`` documents.
        self._documents += 1
        if self._documents > self.REBUILD_AFTER:
            self._documents = 1
            self.inner._tokenizer = None  # datatrove rebuilds spacy.blank(lang) on next access
        nlp = self.inner.tokenizer
        nlp.max_length = len(text) + 10
        return [token.text for token in nlp.tokenizer(text) if not token.is_space]

    def sent_tokenize(self, text: str) -> list[str]:
        return self.inner.sent_tokenize(text)

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return self.inner.span_tokenize(text)
