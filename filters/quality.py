"""Quality: Gopher repetition, Gopher quality, C4 line rules and FineWeb line rules, per language.

The rules and their definitions are datatrove's (a test checks the verdicts against datatrove's own
filters), the thresholds are per language in the FineWeb-2 manner: ``filters/data/quality/<lang>.json``
(versioned; ``default.json`` holds the published Gopher/C4/FineWeb values, a language file overrides what
differs for it, see ``scripts/calibrate_quality.py``). Words come from one regular expression per language
(filters/tokenizers.py: spaCy's counts within 1%, ~50x faster), stop words from spaCy's lists for 23
languages and ``filters/data/stopwords_mt.txt`` for Maltese.

Written here rather than by chaining datatrove's three filter classes because (1) a dropped document must
record the measured value next to the rule, and datatrove's filters return only the rule's name, and (2)
each of those classes tokenizes the document again and builds every n-gram as a string; here words are
found once and n-grams are hashed once for every rule (filters/repetition.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import chain
from pathlib import Path

import regex
from datatrove.utils.text import TERMINAL_PUNCTUATION

from corpus.config import QualityConfig
from corpus.document import Document, Drop
from corpus.stages import Stage
from filters.repetition import NGrams, find_duplicates
from filters.stopwords import stop_words  # noqa: F401  (re-exported: the quality rules' lists)
from filters.tokenizers import RegexWords

_TERMINAL = tuple(TERMINAL_PUNCTUATION)
_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile("\n+")
_SENTENCE_END = re.compile(r"[.!?。！？;;]+(?=\s|$)")
_WORD_WITHOUT_LETTER = regex.compile(r"^[^\p{L}\n]+$", regex.M)  # \p{L}: str.isalpha's categories


@lru_cache(maxsize=None)
def word_tokenizer(lang: str) -> RegexWords:
    """The word tokenizer of a language (filters/tokenizers.py)."""
    return RegexWords(lang)


def count_words(text: str, lang: str) -> int:
    """Words as the quality filters see them: tokens with at least one letter or digit."""
    return len(word_tokenizer(lang).word_tokenize(text))


@lru_cache(maxsize=None)
def thresholds(lang: str, directory: str | None = None) -> dict:
    """``default.json`` with ``<lang>.json`` laid over it (section by section)."""
    def read(name: str) -> dict:
        if directory:
            path = Path(directory) / name
            return json.loads(path.read_text("utf-8")) if path.is_file() else {}
        data = resources.files("filters") / "data" / "quality" / name
        return json.loads(data.read_text("utf-8")) if data.is_file() else {}

    merged = {section: dict(values) for section, values in read("default.json")["thresholds"].items()}
    for section, values in read(f"{lang}.json").get("thresholds", {}).items():
        merged.setdefault(section, {}).update(values)
    return merged


@dataclass(frozen=True, slots=True)
class Verdict:
    """A failed rule: its name, the measured value and the limit it crossed."""

    rule: str
    value: float
    limit: float
    above: bool  # True: value > limit failed; False: value < limit failed

    def drop(self) -> Drop:
        return Drop(self.rule, f"{self.value:.4g} {'>' if self.above else '<'} {self.limit:g}")


def _over(rule: str, value: float, limit: float | None) -> Verdict | None:
    return Verdict(rule, value, limit, True) if limit is not None and value > limit else None


def _under(rule: str, value: float, limit: float | None) -> Verdict | None:
    return Verdict(rule, value, limit, False) if limit is not None and value < limit else None


def gopher_repetition(text: str, words: list[str], t: dict) -> Verdict | None:
    """Gopher (Rae et al. 2021, table A1): duplicated paragraphs, lines and n-grams, as shares of the text."""
    paragraphs = _PARAGRAPHS.split(text.strip())
    dup, dup_chars = find_duplicates(paragraphs)
    verdict = (_over("gopher_rep_dup_para_frac", dup / len(paragraphs), t.get("dup_para_frac"))
               or _over("gopher_rep_dup_para_char_frac", dup_chars / len(text), t.get("dup_para_char_frac")))
    if verdict:
        return verdict
    lines = _LINES.split(text)
    dup, dup_chars = find_duplicates(lines)
    verdict = (_over("gopher_rep_dup_line_frac", dup / len(lines), t.get("dup_line_frac"))
               or _over("gopher_rep_dup_line_char_frac", dup_chars / len(text), t.get("dup_line_char_frac")))
    if verdict:
        return verdict
    n_grams = NGrams(words)
    for n, limit in sorted((int(n), v) for n, v in t.get("top_n_grams", {}).items()):
        if n_grams.n_words >= n and (verdict := _over(f"gopher_rep_top_{n}_gram",
                                                      n_grams.top_duplicate_chars(n) / len(text), limit)):
            return verdict
    for n, limit in sorted((int(n), v) for n, v in t.get("dup_n_grams", {}).items()):
        if verdict := _over(f"gopher_rep_duplicated_{n}_n_grams", n_grams.duplicated_chars(n) / len(text), limit):
            return verdict
    return None


def gopher_quality(text: str, words: list[str], t: dict, stops: frozenset[str]) -> Verdict | None:
    """Gopher's quality rules: length, mean word length, symbols, bullets, ellipses, alphabetic words, stop words."""
    n = len(words)
    verdict = (_under("gopher_short_doc", n, t.get("min_doc_words"))
               or _over("gopher_long_doc", n, t.get("max_doc_words")))
    if verdict or not n:
        return verdict or Verdict("gopher_short_doc", 0, t.get("min_doc_words") or 1, False)
    mean_length = sum(map(len, words)) / n
    lines = text.splitlines() or [""]
    return (_under("gopher_below_avg_threshold", mean_length, t.get("min_avg_word_length"))
            or _over("gopher_above_avg_threshold", mean_length, t.get("max_avg_word_length"))
            or _over("gopher_too_many_hashes", text.count("#") / n, t.get("max_symbol_word_ratio"))
            or _over("gopher_too_many_ellipsis", (text.count("...") + text.count("…")) / n,
                     t.get("max_symbol_word_ratio"))
            or _over("gopher_too_many_bullets",
                     sum(s.lstrip().startswith(("•", "-")) for s in lines) / len(lines), t.get("max_bullet_lines_ratio"))
            or _over("gopher_too_many_end_ellipsis",
                     sum(s.rstrip().endswith(("...", "…")) for s in lines) / len(lines), t.get("max_ellipsis_lines_ratio"))
            or _under("gopher_below_alpha_threshold", (n - len(_WORD_WITHOUT_LETTER.findall("\n".join(words)))) / n,
                      t.get("min_alpha_words_ratio"))
            or _under("gopher_enough_stop_words", len(stops.intersection(w.lower() for w in words)),
                      t.get("min_stop_words")))


def c4_lines(lines: list[str], t: dict) -> tuple[str, list[int], Verdict | None]:
    """C4's rules (Raffel et al. 2020) as FineWeb applies them (no terminal-punctuation rule) on a text's
    ``splitlines()``: drops lines with a word over ``max_word_length``, under ``min_words_per_line`` words,
    naming javascript or a cookie/privacy/terms phrase of the language; drops the page for "lorem ipsum", a curly
    bracket, or fewer than ``min_num_sentences`` sentences left. Returns (the cleaned text, the indexes of the
    lines kept, the verdict)."""
    phrases = tuple(p.lower() for p in t.get("policy_phrases", ()))
    max_word, min_words = t.get("max_word_length"), t.get("min_words_per_line") or 0
    kept, indexes, sentences = [], [], 0
    for index, line in enumerate(lines):
        line = line.strip()
        tokens = line.split()
        if max_word and any(len(token) > max_word for token in tokens):
            continue
        if len(tokens) < min_words:
            continue
        lowered = line.lower()
        if t.get("lorem_ipsum") and "lorem ipsum" in lowered:
            return "", [], Verdict("c4_lorem_ipsum", 1, 0, True)
        if t.get("javascript") and "javascript" in lowered:
            continue
        if t.get("curly_bracket") and "{" in line:
            return "", [], Verdict("c4_curly_bracket", 1, 0, True)
        if phrases and any(p in lowered for p in phrases):
            continue
        sentences += max(1, len(_SENTENCE_END.findall(line)))
        kept.append(line)
        indexes.append(index)
    return "\n".join(kept), indexes, _under("c4_too_few_sentences", sentences, t.get("min_num_sentences"))


def fineweb_lines(text: str, words: list[str], t: dict) -> Verdict | None:
    """FineWeb's line rules (Penedo et al. 2024): terminal punctuation, short lines, duplicated line
    characters, newlines per word."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return Verdict("fineweb_empty", 0, 1, False)
    short = t.get("short_line_length", 30)
    return (_under("fineweb_line_punct_ratio", sum(line.endswith(_TERMINAL) for line in lines) / len(lines),
                   t.get("line_punct_thr"))
            or _over("fineweb_short_line_ratio", sum(len(line) <= short for line in lines) / len(lines),
                     t.get("short_line_thr"))
            or _over("fineweb_char_dup_ratio", find_duplicates(lines)[1] / max(1, len(text.replace("\n", ""))),
                     t.get("char_duplicates_ratio"))
            or _over("fineweb_list_ratio", text.count("\n") / max(1, len(words)), t.get("new_line_ratio")))


def prose_share(text: str) -> float:
    """Share of non-empty lines ending in terminal punctuation: running prose scores high, menus and lists
    low. Stored as the document's quality_score (the dedup survivor rule "highest_quality")."""
    lines = [line for line in text.split("\n") if line.strip()]
    return sum(line.rstrip().endswith(_TERMINAL) for line in lines) / len(lines) if lines else 0.0


class QualityFilter(Stage):
    name = "quality"

    def __init__(self, config: QualityConfig):
        self.config = config

    def process(self, doc: Document) -> Document | Drop:
        # FineWeb's order: Gopher's rules see the page as extracted; C4 then removes lines; FineWeb's line
        # rules see what C4 left, which is also the text kept
        lang, c = doc.lang or "en", self.config
        t = thresholds(lang, c.thresholds_dir)
        tokenizer = word_tokenizer(lang)
        text = doc.text
        if not text.strip():
            return Drop("gopher_short_doc", "0 words")
        # words never span a line break, so each line's words are kept, and those of the lines C4 keeps are the
        # cleaned text's words without tokenizing it again (tests/filters/test_quality.py)
        lines = text.splitlines()
        line_words = [tokenizer.word_tokenize(line) for line in lines]
        words = list(chain.from_iterable(line_words))
        verdict = ((c.gopher_repetition and gopher_repetition(text, words, t["gopher_repetition"]))
                   or (c.gopher_quality and gopher_quality(text, words, t["gopher_quality"], stop_words(lang))))
        if verdict:
            return verdict.drop()
        if c.c4_lines:
            cleaned, kept, verdict = c4_lines(lines, t["c4"])
            if verdict:
                return verdict.drop()
            if cleaned != text:
                text, words = cleaned, list(chain.from_iterable(line_words[i] for i in kept))
        if c.fineweb_quality and (verdict := fineweb_lines(text, words, t["fineweb"])):
            return verdict.drop()
        doc.text, doc.n_words = text, len(words)
        doc.quality_score = prose_share(text)
        return doc
