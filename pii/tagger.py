"""A multilingual person-name tagger: a linear-chain CRF (CRFsuite) over orthographic, affix, context and
name-list features, trained on openly licensed NER corpora of many EU languages pooled together.

Pure per-text logic: ``tokenize`` splits text into word tokens with offsets, ``NameTagger.spans`` returns
the character spans tagged as person names. The features are meant to carry across languages:
* every word is also read romanised (anyascii), so Greek and Bulgarian share affixes and name-list hits with
  the Latin-script languages, and "Dvořák" and "Dvorak" look alike;
* name lists (Faker's per-locale first and last names, MIT) and titles, honorifics and surname particles of
  the 24 languages are features, not rules: the model learns how much to trust them;
* the sentence position and the word shape of the neighbours tell a capitalised noun at the start of a
  sentence (or any German noun) from a name.

The model file, its data sources and licence (CC BY-SA 4.0, from the training corpora) live in
``pii/data/name_tagger/``; ``scripts/train_name_tagger.py`` rebuilds it from pinned data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from anyascii import anyascii

MODEL_DIR = Path(__file__).parent / "data" / "name_tagger"

#: a word (letters and digits, with inner apostrophes and hyphens: O'Brien, Jean-Luc) or one other visible character
TOKEN = re.compile(r"\w+(?:['’`-]\w+)*|[^\w\s]")
#: what ends a sentence: the next word is sentence-initial, its capital says nothing
SENTENCE_END = frozenset(".!?:;…\"“”«»|•·")

#: titles and honorifics that stand before a name (lower case, without a final dot), 24 languages
TITLES = frozenset("""
mr mrs ms miss dr prof sir lady lord dame rev fr st mx
herr herrn frau fräulein hr fr dipl ing mag
m mme mlle monsieur madame messieurs maître me pr
sig sigra signor signora signore dott dottssa dottoressa avv ing geom
sr sra srta señor señora don doña dña dra
senhor senhora dom dona
dhr mevr meneer mevrouw mr drs ir
pan pani panem panu paní pana
pán pani mudr judr phdr mgr bc
fru frøken hr
herra rouva neiti
úr asszony kisasszony
gospodin gospođa gospodine g gđa gđica ga gospa gospod
domnul doamna dl dna dlui
ponas ponia ponios poną ponui
kungs kundze kunga kundzei
härra proua
κ κος κα κύριος κυρία κυρίου δρ καθ
г гн гжа господин госпожа д-р проф
an tuasal bean uasal
is-sur is-sinjura sur sinjura
""".split())

#: words that join the parts of a surname (lower case); capitalised forms are looked up lower-cased
PARTICLES = frozenset("""
van von der den de del della delle dei degli di da das dos do du des la le lo los las ter ten te het
zu zum zur af av y e i bin ben al el mac mc o ó ní nic ui uí mhic bean
""".split())


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) for every word and punctuation character of ``text``."""
    return [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]


def _shape(word: str) -> str:
    """Word shape with runs collapsed: "McDonald" -> "XxXx", "O'Brien" -> "X'Xx", "2024" -> "d"."""
    out = []
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)[:8]


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """First and last names of every EU locale Faker has (MIT), romanised and lower-cased."""
    from pii.names import faker_names

    first = faker_names(("first_names", "first_names_male", "first_names_female"))
    last = faker_names(("last_names",))
    norm = lambda names: frozenset(anyascii(n).lower() for n in names if len(n) > 1)  # noqa: E731
    return norm(first), norm(last)


class Featurizer:
    """Token features for the CRF. Per-word features are cached (web text repeats its words)."""

    MAX_CACHED = 50_000  # words (~2 kB of feature strings each): ~100 MB at most; cleared when full

    def __init__(self) -> None:
        self.first, self.last = name_lists()
        self._cache: dict[str, tuple[list[str], list[str]]] = {}

    def word(self, word: str) -> tuple[list[str], dict[int, list[str]], str, bool]:
        """(features of the word itself, what each neighbour position sees of it, its shape, whether it is a
        title) for one word."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if len(self._cache) > self.MAX_CACHED:  # a long-lived worker sees an open vocabulary
            self._cache.clear()
        roman = anyascii(word)
        low = roman.lower().rstrip(".")
        shape = _shape(word)
        flags = []
        if low in self.first:
            flags.append("fn")
        if low in self.last:
            flags.append("ln")
        title = low in TITLES or word.lower().rstrip(".") in TITLES
        if title:
            flags.append("title")
        if low in PARTICLES:
            flags.append("part")
        if word.lower() in _roles():
            flags.append("role")
        if word[:1].isupper() and word[1:].islower() and len(word) > 1:
            # inflected or possessive forms of a listed name: "Novákové", "Hitchcocks", "Παπαδόπουλου"
            for cut in (1, 2, 3):
                stem = low[:-cut]
                if len(stem) > 2 and (stem in self.first or stem in self.last):
                    flags.append("stem")
                    break
        lexical = f"w={low}" if len(low) <= 24 else "w=LONG"
        own = [lexical, f"sh={shape}", f"s2={low[-2:]}", f"s3={low[-3:]}", f"s4={low[-4:]}", f"p2={low[:2]}",
               f"p3={low[:3]}", f"len={min(len(word), 12)}", *flags]
        if not roman.isascii() or roman != word:
            own.append("script=" + ("latin" if word.isascii() or _latin(word) else "other"))
        seen = [lexical, f"sh={shape}", *flags]
        # the strings a neighbour at each offset adds, made once per word rather than once per occurrence
        cached = (own, {k: [f"{k}:{f}" for f in seen] for k in (-2, -1, 1, 2)}, shape, title)
        self._cache[word] = cached
        return cached

    def sequence(self, words: list[str], lang: str | None = None, initial: bool = True) -> list[list[str]]:
        """Features of each word of one sentence (or line, or text; ``initial``: whether it starts a sentence)."""
        parts = [self.word(w) for w in words]
        n = len(words)
        out = []
        for i, word in enumerate(words):
            own, _, shape, _ = parts[i]
            feats = own + ["init", "init&" + shape] if initial else list(own)
            if lang:
                feats.append(f"L={lang}&{shape}")
            for k in (-2, -1, 1, 2):
                j = i + k
                feats += parts[j][1][k] if 0 <= j < n else _EDGE[k]
            if i + 1 < n:
                feats.append(f"sh&+1:{shape}|{parts[i + 1][2]}")
            if i > 0:
                feats.append(f"sh&-1:{parts[i - 1][2]}|{shape}")
            out.append(feats)
            # "J. Smith", "Dr. Smith": a dot after an initial or a title does not end the sentence
            initial = word in SENTENCE_END and not (word == "." and i > 0 and (len(words[i - 1]) == 1 or parts[i - 1][3]))
        return out


_EDGE = {k: [f"{k}:edge"] for k in (-2, -1, 1, 2)}


@lru_cache(maxsize=1)
def _roles() -> frozenset[str]:
    """Roles that stand before names in the 24 languages ("presidentti", "δήμαρχος"): pii.names.ROLES."""
    from pii.names import ROLES

    return frozenset(w for words in ROLES.values() for w in words.split())


def _latin(word: str) -> bool:
    return all(ord(ch) < 0x250 or not ch.isalpha() for ch in word)


@dataclass(frozen=True, slots=True)
class TaggerInfo:
    """What the shipped model is: printed in the provenance of stats and reports."""

    name: str
    version: str
    licence: str
    sources: tuple[str, ...]
    threshold: float  # a word is part of a name from this marginal probability on ...
    thresholds: dict[str, float]  # ... or this one, in the languages the model was tuned on


def model_info(model_dir: Path = MODEL_DIR) -> TaggerInfo:
    meta = json.loads((model_dir / "model.json").read_text("utf-8"))
    return TaggerInfo(meta["name"], meta["version"], meta["licence"], tuple(meta["sources"]),
                      float(meta.get("threshold", 0.5)), dict(meta.get("thresholds", {})))


class NameTagger:
    """Tags person names with the shipped CRF. One per worker (loading takes a few milliseconds)."""

    def __init__(self, model_dir: Path = MODEL_DIR):
        import pycrfsuite

        self.info = model_info(model_dir)
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(model_dir / "model.crfsuite"))
        self.features = Featurizer()

    def person_probabilities(self, words: list[str], lang: str | None = None) -> list[float]:
        """Each word's marginal probability of being part of a person name."""
        if not words:
            return []
        tagger = self._tagger
        tagger.set(self.features.sequence(words, lang))
        return [1.0 - tagger.marginal("O", i) for i in range(len(words))]

    def spans(self, text: str, lang: str | None = None, threshold: float | None = None) -> list[tuple[int, int]]:
        """Character spans of the person names in ``text``: runs of capitalised words whose probability of being a
        name reaches the model's threshold for the language (chosen on held-out data when the model was trained;
        a name half-found is grown whole by pii.names). Tagged line by line (a line break ends a name), and only
        around capitalised words: windows of WINDOW words each side, which give the same decisions as whole lines
        (tests/pii/test_names.py) at a fraction of the cost."""
        threshold = self.info.thresholds.get(lang, self.info.threshold) if threshold is None else threshold
        tagger = self._tagger
        found: list[tuple[int, int]] = []
        offset = 0
        for line in text.split("\n"):
            if _may_hold_name(line):
                tokens = tokenize(line)
                words = [t for t, _, _ in tokens]
                capitals = [i for i, w in enumerate(words) if not w.islower() and any(c.isupper() for c in w)]
                previous_end = -2
                for a, b in _windows(capitals, len(words)):
                    initial = a == 0 or words[a - 1] in SENTENCE_END
                    tagger.set(self.features.sequence(words[a:b], lang, initial))
                    for i in capitals:
                        if a <= i < b and 1.0 - tagger.marginal("O", i - a) >= threshold:
                            start, end = offset + tokens[i][1], offset + tokens[i][2]
                            if previous_end == i - 1:  # the next word of the same name
                                found[-1] = (found[-1][0], end)
                            else:
                                found.append((start, end))
                            previous_end = i
            offset += len(line) + 1
        return found


#: words of context tagged on each side of a capitalised word: the features look two words away, the chain a
#: little further; whole lines decide the same (tests/pii/test_names.py)
WINDOW = 3


def _windows(positions: list[int], n: int) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for i in positions:
        a, b = max(0, i - WINDOW), min(n, i + WINDOW + 1)
        if merged and a <= merged[-1][1]:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _may_hold_name(line: str) -> bool:
    """Names are capitalised: a line with no upper-case letter after its first character has none."""
    return any(ch.isupper() for ch in line[1:]) or (line[:1].isupper() and len(line) > 1)
