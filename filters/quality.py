"""Quality: datatrove's Gopher repetition, Gopher quality and FineWeb line filters, per language.

Each language gets its own word tokenizer (datatrove's assignment, spaCy-based) and stop-word list
(spaCy's for 23 languages; Maltese, which spaCy lacks, from ``filters/data/stopwords_mt.txt``).
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from importlib import resources

from corpus.config import QualityConfig
from corpus.document import Document, Drop
from corpus.stages import Stage



@lru_cache(maxsize=None)
def stop_words(lang: str) -> frozenset[str]:
    """The stop-word list of a language, lower-cased."""
    data = resources.files("filters") / "data" / f"stopwords_{lang}.txt"
    if data.is_file():
        lines = data.read_text(encoding="utf-8").splitlines()
        words = [w for line in lines if not line.startswith("#") for w in line.split()]
    else:
        words = importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS
    return frozenset(w.lower() for w in words)


@lru_cache(maxsize=None)
def word_tokenizer(lang: str):
    """datatrove's word tokenizer for a language (cached: one spaCy blank pipeline per language)."""
    from datatrove.utils.word_tokenizers import load_word_tokenizer

    from filters.tokenizers import MalteseTokenizer, WordsOnly

    # Maltese: datatrove assigns Stanza, which we do not ship
    return WordsOnly(MalteseTokenizer() if lang == "mt" else load_word_tokenizer(lang))


def count_words(text: str, lang: str) -> int:
    """Words as the quality filters see them: tokens with at least one letter or digit."""
    return len(word_tokenizer(lang).word_tokenize(text))


class _LowercaseStopWords(frozenset):
    """Gopher compares raw tokens with the list; matching case-insensitively keeps sentence-initial stop words."""

    def intersection(self, words):  # type: ignore[override]
        return frozenset.intersection(self, {w.lower() for w in words})


class QualityFilter(Stage):
    name = "quality"

    def __init__(self, config: QualityConfig):
        self.config = config
        self._filters: dict[str, list] = {}

    def setup(self) -> None:
        from datatrove.data import Document as DatatroveDocument

        self._dt_document = DatatroveDocument

    def filters_for(self, lang: str) -> list:
        if lang not in self._filters:
            from datatrove.pipeline.filters import (
                FineWebQualityFilter,
                GopherQualityFilter,
                GopherRepetitionFilter,
            )

            c, tokenizer = self.config, word_tokenizer(lang)
            chain = []
            if c.gopher_repetition:
                chain.append(("gopher_rep", GopherRepetitionFilter(language=tokenizer)))
            if c.gopher_quality:
                gopher = GopherQualityFilter(
                    min_doc_words=c.min_doc_words,
                    max_doc_words=c.max_doc_words,
                    min_stop_words=c.min_stop_words,
                    stop_words=list(stop_words(lang)),
                    language=tokenizer,
                )
                gopher.stop_words = _LowercaseStopWords(gopher.stop_words)
                chain.append(("gopher", gopher))
            if c.fineweb_quality:
                chain.append(("fineweb", FineWebQualityFilter(
                    line_punct_thr=c.line_punct_thr,
                    short_line_thr=c.short_line_thr,
                    char_duplicates_ratio=c.char_duplicates_ratio,
                    new_line_ratio=c.new_line_ratio,
                    language=tokenizer,
                )))
            self._filters[lang] = chain
        return self._filters[lang]

    def process(self, doc: Document) -> Document | Drop:
        lang = doc.lang or "en"
        dt_doc = self._dt_document(text=doc.text, id=doc.doc_id)
        for prefix, quality_filter in self.filters_for(lang):
            verdict = quality_filter.filter(dt_doc)
            if verdict is not True and verdict is not None:
                reason = verdict[1] if isinstance(verdict, tuple) else "rejected"
                # datatrove's reasons: "gopher_short_doc", "top_4_gram", "line_punct_ratio", ...: one namespace
                return Drop(reason if reason.startswith(prefix) else f"{prefix}_{reason}")
        doc.n_words = count_words(doc.text, lang)
        return doc
