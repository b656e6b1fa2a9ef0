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
``pii/data/name_tagger/``; ``scripts/train_name_tagger.py`` rebuilds it from pinned data with CRFsuite. At run time
``CrfScorer`` computes the same marginals from the model's weights, without feature strings per occurrence.
"""

from __future__ import annotations

import json
import re
import struct
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
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


def word_spans(text: str, words: list[str], which: list[int]) -> list[tuple[int, int]]:
    """(start, end) in ``text`` of ``words[i]`` for each ``i`` in ``which`` (ascending), where ``words`` is
    ``TOKEN.findall(text)`` and the words picked are capitalised (``_capitalised``): the tokens tile the text up
    to whitespace and no other token holds an upper-case letter, so the first occurrence of each picked word after
    the previous one is the word itself (property-tested against ``tokenize``). Locating only the capitalised
    words costs a fraction of keeping every token's offsets."""
    spans, end = [], 0
    for i in which:
        start = text.find(words[i], end)
        end = start + len(words[i])
        spans.append((start, end))
    return spans


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
        own, seen, shape, title = self.describe(word)
        # the strings a neighbour at each offset adds, made once per word rather than once per occurrence
        cached = (own, {k: [f"{k}:{f}" for f in seen] for k in NEIGHBOURS}, shape, title)
        self._cache[word] = cached
        return cached

    def describe(self, word: str) -> tuple[list[str], list[str], str, bool]:
        """(features of the word itself, the part of them its neighbours see, its shape, whether it is a title):
        uncached."""
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
        return own, [lexical, f"sh={shape}", *flags], shape, title

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
            for k in NEIGHBOURS:
                j = i + k
                feats += parts[j][1][k] if 0 <= j < n else _EDGE[k]
            if i + 1 < n:
                feats.append(f"sh&+1:{shape}|{parts[i + 1][2]}")
            if i > 0:
                feats.append(f"sh&-1:{parts[i - 1][2]}|{shape}")
            out.append(feats)
            initial = _starts_sentence(word, i, words, parts[i - 1][3] if i > 0 else False)
        return out


#: the neighbours whose features a word's features include (offsets)
NEIGHBOURS = (-2, -1, 1, 2)
_EDGE = {k: [f"{k}:edge"] for k in NEIGHBOURS}


def _starts_sentence(word: str, i: int, words: list[str], previous_is_title: bool) -> bool:
    """Whether the word after ``words[i]`` (== ``word``) starts a sentence. "J. Smith", "Dr. Smith": a dot after an
    initial or a title does not end the sentence."""
    return word in SENTENCE_END and not (word == "." and i > 0 and (len(words[i - 1]) == 1 or previous_is_title))


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


@dataclass(frozen=True, slots=True)
class CrfWeights:
    """A CRFsuite model's labels and weights: (attribute, label) -> weight, (label, label) -> weight."""

    labels: tuple[str, ...]
    state: dict[tuple[str, str], float]
    transitions: dict[tuple[str, str], float]


def read_crfsuite_model(path: Path) -> CrfWeights:
    """The weights of a CRFsuite first-order model file, read from its documented binary layout (crf1d_model.c:
    a header of offsets, a feature chunk of (type, source, destination, double weight), labels and attributes
    in constant quark databases). pycrfsuite's ``Tagger.info()`` gives them only through a text dump, rounded to
    six decimals and ten times slower."""
    data = Path(path).read_bytes()
    magic, _, kind, _, _, n_labels, n_attributes, features_at, labels_at, attributes_at = \
        struct.unpack_from("<4sI4sIIIIIII", data, 0)
    if magic != b"lCRF" or kind != b"FOMC":
        raise ValueError(f"{path}: not a CRFsuite first-order model")

    def strings(at: int, n: int) -> list[str]:  # a quark database: id -> (id, size, NUL-terminated key)
        chunk, _, _, _, size, backward_at = struct.unpack_from("<4sIIIII", data, at)
        if chunk != b"CQDB":
            raise ValueError(f"{path}: no quark database at {at}")
        out = []
        for record in struct.unpack_from(f"<{size}I", data, at + backward_at)[:n]:
            _, key_size = struct.unpack_from("<II", data, at + record)
            out.append(data[at + record + 8:at + record + 7 + key_size].decode("utf-8"))
        return out

    labels, attributes = strings(labels_at, n_labels), strings(attributes_at, n_attributes)
    chunk, _, n_features = struct.unpack_from("<4sII", data, features_at)
    if chunk != b"FEAT":
        raise ValueError(f"{path}: no feature chunk at {features_at}")
    state, transitions = {}, {}
    for kind, source, destination, weight in struct.iter_unpack("<IIId", data[features_at + 12:features_at + 12 + 20 * n_features]):
        if kind == 0:
            state[attributes[source], labels[destination]] = weight
        else:
            transitions[labels[source], labels[destination]] = weight
    return CrfWeights(tuple(labels), state, transitions)


class CrfScorer:
    """The CRF's marginals computed from its weights, without building feature strings per occurrence.

    A linear-chain CRF scores a label at a position by adding the weights of the position's features. Here every
    feature is a property of one word (its own features, or what a neighbour at offset k sees of it), of a word's
    shape (sentence start, language), or of two neighbouring shapes. So each distinct word is described once, as
    score vectors over the labels (its own, and what it adds as the neighbour at each offset), and a text's scores
    are sums of rows gathered with numpy; forward-backward runs over all windows of a text at once. The marginals
    equal CRFsuite's on ``Featurizer.sequence`` (within 1e-9 in tests/pii/test_tagger.py; 7e-15 measured on real
    pages), at less than half the cost (15.4 -> 6.7 ms per real page reaching the PII stage)."""

    CAPACITY = 200_000  # distinct words described (15 floats each, ~24 MB); all forgotten when full

    def __init__(self, model: CrfWeights, featurizer: Featurizer):
        import numpy as np

        n = len(model.labels)
        index = {label: i for i, label in enumerate(model.labels)}
        self.outside = index["O"]
        self._features = featurizer
        by_kind: dict[str, dict] = {"word": {}, "init": {}, "lang": {}, "+1": {}, "-1": {},
                                    **{f"{k}:": {} for k in NEIGHBOURS}}
        for (attribute, label), weight in model.state.items():
            for kind, key in _attribute_keys(attribute):
                by_kind[kind].setdefault(key, np.zeros(n))[index[label]] += weight
        # the features of words: one matrix of weights, and per feature string the (slot, row) pairs it adds,
        # slot 0 for the word itself, 1-4 for it seen from offsets -2, -1, 1, 2 (only what neighbours see)
        stacked = [np.zeros(n)]
        self._word_features: dict[str, list[tuple[int, int]]] = {}
        for slot, table in enumerate(("word", *(f"{k}:" for k in NEIGHBOURS))):
            for feature, vector in by_kind[table].items():
                if slot and feature.startswith(_OWN_ONLY):
                    continue  # never a neighbour's feature
                self._word_features.setdefault(feature, []).append((slot, len(stacked)))
                stacked.append(vector)
        self._word_weights = np.array(stacked)
        self._edge = np.array([by_kind[f"{k}:"].get("edge", np.zeros(n)) for k in NEIGHBOURS])
        # the features of shapes: by shape id (0: a shape no such feature mentions, which adds nothing)
        shapes = ({shape for shape in by_kind["init"] if shape is not None} | {shape for _, shape in by_kind["lang"]}
                  | {shape for kind in ("+1", "-1") for pair in by_kind[kind] for shape in pair})
        self._shape_ids = {shape: i for i, shape in enumerate(sorted(shapes), start=1)}
        k = len(shapes) + 1
        self._sentence_start = np.zeros((k, n))
        for shape, vector in by_kind["init"].items():
            if shape is None:  # "init" itself
                self._sentence_start += vector
            else:
                self._sentence_start[self._shape_ids[shape]] += vector
        self._language: dict[str | None, np.ndarray] = {None: np.zeros((k, n))}
        for (lang, shape), vector in by_kind["lang"].items():
            self._language.setdefault(lang, np.zeros((k, n)))[self._shape_ids[shape]] = vector
        self._pairs = {}
        for kind in ("+1", "-1"):  # (this word's shape, the next one's) and (the previous one's, this word's)
            pairs = self._pairs[kind] = np.zeros((k, k, n))
            for (left, right), vector in by_kind[kind].items():
                pairs[self._shape_ids[left], self._shape_ids[right]] += vector
        transitions = np.zeros((n, n))
        for (a, b), weight in model.transitions.items():
            transitions[index[a], index[b]] = weight
        self._transitions = np.exp(transitions)
        self._forget()

    def _forget(self, at_least: int = 0) -> None:
        import numpy as np

        capacity = max(self.CAPACITY, at_least)  # (one text may hold more distinct words than the capacity)
        self._rows: dict[str, int] = {}
        # per word: its own scores, then what it adds at offsets -2, -1, 1, 2 from a word
        self._vectors = np.zeros((capacity, 1 + len(NEIGHBOURS), self._transitions.shape[0]))
        self._shape_of = np.zeros(capacity, dtype=np.int64)
        # what the sentence-start rule needs: ends a sentence, is a dot, is one character or a title
        self._ends = np.zeros(capacity, dtype=bool)
        self._dot = np.zeros(capacity, dtype=bool)
        self._initial_or_title = np.zeros(capacity, dtype=bool)

    def _describe(self, words: set[str]) -> None:
        """Score vectors of words not described yet, added up for all of them at once."""
        import numpy as np

        word_rows, slots, feature_rows = [], [], []
        features = self._word_features
        for word in words:
            own, _, shape, title = self._features.describe(word)  # (what neighbours see is part of its own)
            row = self._rows[word] = len(self._rows)
            for feature in own:
                for slot, r in features.get(feature, ()):
                    word_rows.append(row), slots.append(slot), feature_rows.append(r)
            self._shape_of[row] = self._shape_ids.get(shape, 0)
            self._ends[row], self._dot[row] = word in SENTENCE_END, word == "."
            self._initial_or_title[row] = len(word) == 1 or title
        np.add.at(self._vectors, (np.array(word_rows, dtype=np.int64), np.array(slots, dtype=np.int64)),
                  self._word_weights[np.array(feature_rows, dtype=np.int64)])

    def name_probabilities(self, windows: list[tuple[list[str], bool]], lang: str | None):
        """For windows of words (each with whether its first word starts a sentence), every word's probability of
        being part of a person name (1 - the marginal of "O"), as one array over the windows' words in order:
        CRFsuite's marginals on ``Featurizer.sequence(words, lang, initial)`` of each window."""
        import numpy as np

        words = [w for window, _ in windows for w in window]
        get = self._rows.get
        if new := {w for w in words if get(w) is None}:
            if len(self._rows) + len(new) > len(self._shape_of):  # a long-lived worker sees an open vocabulary
                new = set(words)
                self._forget(len(new))
            self._describe(new)
            get = self._rows.get
        ids = np.array([get(w) for w in words], dtype=np.int64)
        lengths = np.array([len(window) for window, _ in windows], dtype=np.int64)
        n = len(ids)
        local = _positions_within(lengths)  # each word's position in its window
        length = np.repeat(lengths, lengths)
        shape = self._shape_of[ids]
        scores = self._vectors[ids, 0] + self._language.get(lang, self._language[None])[shape]
        for j, k in enumerate(NEIGHBOURS, start=1):
            neighbour = ids[np.clip(np.arange(n) + k, 0, n - 1)]
            inside = (local + k >= 0) & (local + k < length)
            scores += np.where(inside[:, None], self._vectors[neighbour, j], self._edge[j - 1])
        previous = np.roll(shape, 1)
        following = np.roll(shape, -1)
        scores += np.where((local + 1 < length)[:, None], self._pairs["+1"][shape, following], 0.0)
        scores += np.where((local > 0)[:, None], self._pairs["-1"][previous, shape], 0.0)
        # sentence starts: as given for a window's first word, then after a sentence end that is not the dot of an
        # initial or a title ("J. Smith", "Dr. Smith")
        before, two_before = np.roll(ids, 1), np.roll(ids, 2)
        initial = self._ends[before] & ~(self._dot[before] & (local > 1) & self._initial_or_title[two_before])
        initial[local == 0] = [start for _, start in windows]
        scores += np.where(initial[:, None], self._sentence_start[shape], 0.0)
        potentials = np.exp(scores - scores.max(axis=1, keepdims=True))
        return 1.0 - _marginals(potentials, self._transitions, lengths)[:, self.outside]


#: features of a word that its neighbours do not see (``Featurizer.describe``)
_OWN_ONLY = ("s2=", "s3=", "s4=", "p2=", "p3=", "len=", "script=")
_NEIGHBOUR_PREFIXES = frozenset(str(k) for k in NEIGHBOURS)


def _attribute_keys(attribute: str) -> list[tuple[str, object]]:
    """Where a model attribute's weights go: ("word", attribute) for a word's own features, ("k:", feature) for
    what a neighbour at offset k sees, ("init", shape or None), ("lang", (lang, shape)), ("+1" or "-1",
    (shape, shape)). A shape may hold "|" itself, so a shape pair is read every way it can be split: an
    attribute that reads as two pairs fires for both in CRFsuite too."""
    head, sep, rest = attribute.partition(":")
    if sep and head in _NEIGHBOUR_PREFIXES:
        return [(f"{head}:", rest)]
    if attribute == "init":
        return [("init", None)]
    if attribute.startswith("init&"):
        return [("init", attribute[5:])]
    if attribute.startswith("L=") and "&" in attribute:
        lang, _, shape = attribute[2:].partition("&")
        return [("lang", (lang, shape))]
    if attribute.startswith(("sh&+1:", "sh&-1:")):
        pair = attribute[6:]
        return [(attribute[3:5], (pair[:i], pair[i + 1:])) for i, ch in enumerate(pair)
                if ch == "|" and 0 < i < len(pair) - 1]
    return [("word", attribute)]


def _positions_within(lengths):
    """For sequences laid one after the other, each element's position in its own sequence."""
    import numpy as np

    return np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)


def _marginals(potentials, transitions, lengths):
    """Forward-backward over many sequences at once: ``potentials`` holds the exponentiated label scores of every
    position of every sequence, one after the other (``lengths``); each step works on every sequence still that
    long (sorted by length, they are a prefix). Messages are normalised at each step, which marginals ignore."""
    import numpy as np

    order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    longest, n_labels = int(sorted_lengths[0]), potentials.shape[1]
    padded = np.ones((len(lengths), longest, n_labels))
    rows = np.repeat(np.arange(len(lengths)), sorted_lengths)  # sequence (in length order), position: padded's cell
    columns = _positions_within(sorted_lengths)
    positions = np.repeat((np.cumsum(lengths) - lengths)[order], sorted_lengths) + columns  # ... its row of potentials
    padded[rows, columns] = potentials[positions]
    active = [int((sorted_lengths > t).sum()) for t in range(longest)]  # sequences at least t + 1 long
    alpha = np.empty_like(padded)
    beta = np.ones_like(padded)
    alpha[:, 0] = padded[:, 0]
    alpha[:, 0] /= alpha[:, 0].sum(axis=1, keepdims=True)
    for t in range(1, longest):
        m = active[t]
        step = (alpha[:m, t - 1] @ transitions) * padded[:m, t]
        alpha[:m, t] = step / step.sum(axis=1, keepdims=True)
    for t in range(longest - 2, -1, -1):
        m = active[t + 1]  # sequences with a position after t; the others end at t (beta stays 1)
        step = (padded[:m, t + 1] * beta[:m, t + 1]) @ transitions.T
        beta[:m, t] = step / step.sum(axis=1, keepdims=True)
    joint = alpha[rows, columns] * beta[rows, columns]
    out = np.empty_like(potentials)
    out[positions] = joint / joint.sum(axis=1, keepdims=True)
    return out


class NameTagger:
    """Tags person names with the shipped CRF. One per worker (loading takes a fraction of a second)."""

    def __init__(self, model_dir: Path = MODEL_DIR):
        self.info = model_info(model_dir)
        self._model_file = model_dir / "model.crfsuite"
        self.features = Featurizer()
        self._scorer = CrfScorer(read_crfsuite_model(self._model_file), self.features)
        self._crfsuite = None  # CRFsuite itself, opened on first use as the reference

    def person_probabilities(self, words: list[str], lang: str | None = None) -> list[float]:
        """Each word's marginal probability of being part of a person name."""
        if not words:
            return []
        return self._scorer.name_probabilities([(words, True)], lang).tolist()

    def crfsuite_probabilities(self, words: list[str], lang: str | None = None, initial: bool = True) -> list[float]:
        """The same, computed by CRFsuite itself from the feature strings: what the scorer must equal."""
        if self._crfsuite is None:
            import pycrfsuite

            self._crfsuite = pycrfsuite.Tagger()
            self._crfsuite.open(str(self._model_file))
        tagger = self._crfsuite
        tagger.set(self.features.sequence(words, lang, initial))
        return [1.0 - tagger.marginal("O", i) for i in range(len(words))]

    def spans(self, text: str, lang: str | None = None, threshold: float | None = None) -> list[tuple[int, int]]:
        """Character spans of the person names in ``text`` (``scored_spans`` without the probabilities)."""
        return [(start, end) for start, end, _ in self.scored_spans(text, lang, threshold)]

    def scored_spans(self, text: str, lang: str | None = None,
                     threshold: float | None = None) -> list[tuple[int, int, float]]:
        """(start, end, the highest probability of its words) of the person names in ``text``: runs of capitalised
        words whose probability of being a name reaches the model's threshold for the language (chosen on held-out
        data when the model was trained; a name half-found is grown whole by pii.names). Tagged line by line (a line
        break ends a name), and only around capitalised words: windows of WINDOW words each side, which give the
        same decisions as whole lines (tests/pii/test_names.py) at a fraction of the cost."""
        threshold = self.info.thresholds.get(lang, self.info.threshold) if threshold is None else threshold
        windows: list[tuple[list[str], bool]] = []
        candidates: list[tuple[int, int, int, int]] = []  # (position among the windows' words, start, end, window)
        seen = 0
        offset = 0
        for line in text.split("\n"):
            if _may_hold_name(line):
                words = TOKEN.findall(line)
                capitals = [i for i, w in enumerate(words) if _capitalised(w)]
                located = zip(capitals, word_spans(line, words, capitals))
                for a, b in _windows(capitals, len(words)):
                    windows.append((words[a:b], a == 0 or words[a - 1] in SENTENCE_END))
                    # the capitals in order: each lies in exactly one window
                    for i, (start, end) in islice(located, bisect_left(capitals, b) - bisect_left(capitals, a)):
                        candidates.append((seen + i - a, offset + start, offset + end, len(windows)))
                    seen += b - a
            offset += len(line) + 1
        if not windows:
            return []
        probabilities = self._scorer.name_probabilities(windows, lang)
        found: list[tuple[int, int, float]] = []
        previous = (-1, -2)
        for position, start, end, window in candidates:
            if (probability := float(probabilities[position])) >= threshold:
                if previous == (window, position - 1):  # the next word of the same name
                    found[-1] = (found[-1][0], end, max(found[-1][2], probability))
                else:
                    found.append((start, end, probability))
                previous = (window, position)
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


def _capitalised(word: str) -> bool:
    """A word with an upper-case letter ("Berg", "McDonald", "iPhone"); the usual cases are settled without
    looking at every character."""
    if word.islower():
        return False
    return word[:1].isupper() or (len(word) > 1 and any(c.isupper() for c in word))


def _may_hold_name(line: str) -> bool:
    """Names are capitalised: a line with no upper-case letter after its first character has none."""
    return any(ch.isupper() for ch in line[1:]) or (line[:1].isupper() and len(line) > 1)
