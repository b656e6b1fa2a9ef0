"""Person names in all 24 languages: the project's multilingual CRF tagger, rules, and spaCy NER where configured.

Every language gets the same detector, trained on pooled NER corpora (pii/tagger.py; model, data sources and
licence in pii/data/name_tagger/). Around it:
* rules that the model may miss on web text: a title or name-field label of the language followed by
  capitalised words ("Herr Müller", "Nome: Maria Rossi"), and a first name of the Faker locale lists of the EU
  languages (MIT) followed by a capitalised word ("Jakub Wójcik");
* a spaCy NER pipeline per language where configuration names one (``pii.ner_models``; none by default:
  the pipelines that install from PyPI either add nothing measurable or are not licensed for commercial use),
  run only on windows around capitalised runs;
* whole names: once any part of a name is found, the span grows over the capitalised words, initials and
  surname particles next to it ("van den Berg", "Ó Súilleabháin"), so no part of a name is left beside its
  placeholder.
Recall and false alarms per language: benchmarks/names.py, the table in the README.
"""

from __future__ import annotations

import importlib
import re
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate
from pathlib import Path
from dataclasses import dataclass
from functools import lru_cache

from corpus.patterns import any_case_at_word_start, at_word_start

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

#: roles that stand before a person's full name in news and on the web ("Presidentti Sauli Niinistö", "δήμαρχος
#: Κώστας Μπακογιάννης"); lower case. Unlike a title, a role often stands before other things ("minister of
#: Finance"), so the rule wants two capitalised words after it. Not Hungarian: it puts the role after the name.
ROLES = {
    "bg": "президент президентът премиер премиерът министър министърът кмет кметът професор директор треньор говорител председател певец певица актьор писател съдия",
    "hr": "predsjednik predsjednica premijer ministar ministrica gradonačelnik gradonačelnica profesor profesorica direktor trener glasnogovornik pjevač glumac pisac sudac",
    "cs": "prezident prezidentka premiér ministr ministryně starosta starostka profesor profesorka ředitel ředitelka trenér mluvčí předseda zpěvák herec herečka spisovatel soudce",
    "da": "statsminister minister borgmester professor direktør træner talsmand formand sanger skuespiller forfatter dommer",
    "nl": "president premier minister burgemeester hoogleraar professor directeur trainer woordvoerder voorzitter zanger zangeres acteur actrice schrijver rechter",
    "en": "president minister mayor professor director chairman chairwoman spokesman spokeswoman coach senator actor actress singer author writer judge governor",
    "et": "president peaminister minister linnapea professor direktor juht treener esimees laulja näitleja kirjanik kohtunik",
    "fi": "presidentti pääministeri ministeri pormestari professori johtaja valmentaja puheenjohtaja laulaja näyttelijä kirjailija tuomari",
    "fr": "président présidente ministre maire professeur directeur directrice entraîneur porte-parole chanteur chanteuse acteur actrice auteur juge",
    "de": "präsident präsidentin minister ministerin bürgermeister bürgermeisterin professor professorin direktor direktorin trainer sprecher sprecherin kanzler kanzlerin schauspieler schauspielerin sänger sängerin autor autorin richter richterin",
    "el": "πρόεδρος πρωθυπουργός υπουργός δήμαρχος καθηγητής καθηγήτρια διευθυντής διευθύντρια προπονητής εκπρόσωπος τραγουδιστής τραγουδίστρια ηθοποιός συγγραφέας δικαστής",
    "hu": "",
    "ga": "uachtarán taoiseach aire méara ollamh stiúrthóir bainisteoir cathaoirleach urlabhraí amhránaí aisteoir scríbhneoir breitheamh",
    "it": "presidente ministro ministra sindaco professore professoressa direttore direttrice allenatore portavoce cantante attore attrice autore autrice giudice",
    "lv": "prezidents prezidente premjerministrs ministrs ministre mērs profesors profesore direktors treneris priekšsēdētājs dziedātājs aktieris rakstnieks tiesnesis",
    "lt": "prezidentas prezidentė premjeras premjerė ministras ministrė meras merė profesorius profesorė direktorius treneris pirmininkas dainininkas aktorius rašytojas teisėjas",
    "mt": "president ministru sindku professur direttur kowċ kelliem kantant attur kittieb imħallef",
    "pl": "prezydent premier minister burmistrz profesor profesorka dyrektor trener rzecznik przewodniczący piosenkarz piosenkarka aktor aktorka pisarz sędzia",
    "pt": "presidente ministro ministra prefeito professor professora diretor diretora treinador porta-voz cantor cantora ator atriz autor juiz",
    "ro": "președintele președinte premierul ministrul ministru primarul primar profesorul directorul antrenorul cântărețul actorul actrița scriitorul judecătorul",
    "sk": "prezident prezidentka premiér minister ministerka starosta primátor profesor profesorka riaditeľ tréner hovorca predseda spevák herec herečka spisovateľ sudca",
    "sl": "predsednik predsednica premier minister ministrica župan županja profesor profesorica direktor trener govornik pevec pevka igralec igralka pisatelj sodnik",
    "es": "presidente presidenta ministro ministra alcalde alcaldesa profesor profesora director directora entrenador portavoz cantante actor actriz autor autora juez",
    "sv": "statsminister minister borgmästare professor direktör tränare talesperson ordförande sångare sångerska skådespelare författare domare",
}

_CAPITALISED = r"[^\W\d_a-zà-ÿα-ωа-я][^\W\d_]+(?:-[^\W\d_]+)?"
#: surname particles a name may start with after a title ("meneer van den Berg", "Máire Ní Bhriain")
_LEADING_PARTICLES = r"(?:(?:van|von|der|den|de|di|da|du|la|le|ter|ten|mac|mc|ó|ní|nic|ua|ui|uí)\s+)*"


#: Irish surnames are a patronymic particle then a capitalised word ("Ní Bhriain", "Ó Súilleabháin", "Mac Giolla");
#: outside Irish text "Mac" is left out ("Mac Pro")
_GAELIC_PARTICLES = ("Ó", "Ní", "Nic", "Uí")
_GAELIC_SURNAME = re.compile(
    rf"(?:{'|'.join(map(at_word_start, _GAELIC_PARTICLES + ('Ua', 'Mac', 'Mhic', 'Mag')))})\s+{_CAPITALISED}")
_GAELIC_SURNAME_ELSEWHERE = re.compile(rf"(?:{'|'.join(map(at_word_start, _GAELIC_PARTICLES))})\s+{_CAPITALISED}")


_NAME_RUN = re.compile(rf"{_CAPITALISED}(?:\s+{_LEADING_PARTICLES}{_CAPITALISED})+")


@dataclass(frozen=True, slots=True)
class NameSpan:
    start: int
    end: int
    score: float
    method: str  # "crf:<model>@<version>", "ner:<pipeline>", "rule:title" or "rule:first-name"
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
def faker_names(attributes: tuple[str, ...]) -> frozenset[str]:
    """Names of every EU locale Faker has: pages name people from everywhere, not only their language's."""
    return frozenset().union(*(_faker_names(lang, attributes) for lang in FAKER_LOCALES))


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
    # the cue in any case at a word start, the name capitalised (a flag for the whole pattern would make case
    # classes moot); same matches as "(?<![^\W\d_])(?i:herrn\.?|...)", found ~4x faster (corpus.patterns)
    alternatives = any_case_at_word_start([(c.rstrip("."), r"\.?") if not c.endswith(":") else (c, "") for c in cues])
    return re.compile(rf"(?:{alternatives})\s+({_LEADING_PARTICLES}{_CAPITALISED}(?:\s+{_CAPITALISED})*)")


@lru_cache(maxsize=None)
def _role_pattern(lang: str) -> re.Pattern | None:
    roles = sorted(ROLES.get(lang, "").split(), key=len, reverse=True)
    if not roles:
        return None
    alternatives = any_case_at_word_start([(r, "") for r in roles])  # "(?<![^\W\d_])(?i:...)", faster
    return re.compile(rf"(?:{alternatives})\s+({_CAPITALISED}(?:\s+{_LEADING_PARTICLES}{_CAPITALISED})+)")


def fallback_names(text: str, lang: str) -> list[NameSpan]:
    """The rules: a title or name-field label then capitalised words; a role then two or more capitalised words;
    a listed first name then a capitalised word."""
    found = []
    for match in _cue_pattern(lang).finditer(text):
        found.append(NameSpan(match.start(1), match.end(1), 0.6, "rule:title"))
    if roles := _role_pattern(lang):
        found += [NameSpan(m.start(1), m.end(1), 0.6, "rule:role") for m in roles.finditer(text)]
    gaelic = _GAELIC_SURNAME if lang == "ga" else _GAELIC_SURNAME_ELSEWHERE
    found += [NameSpan(m.start(), m.end(), 0.6, "rule:surname-particle") for m in gaelic.finditer(text)]
    names = all_first_names()
    for match in _NAME_RUN.finditer(text):
        words = match.group(0).split()
        if words[0] in names:
            found.append(NameSpan(match.start(), match.end(), 0.5, "rule:first-name"))
    return found


def spacy_pipeline_installed(model: str) -> bool:
    """A pipeline package that imports, or a folder a spaCy pipeline was saved to."""
    import importlib.util

    if Path(model).is_dir():
        return (Path(model) / "meta.json").exists()
    try:
        return importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):
        return False


def name_methods(ner_models: dict[str, str], tagger_dir: str | None = None) -> dict[str, str]:
    """Per language, what finds person names under this configuration (as NameFinder.method says), without
    loading any model: recorded in each set's manifest, so that trainers can tell how a shard was scrubbed."""
    from corpus.config import EU_LANGUAGES
    from pii.tagger import MODEL_DIR, model_info

    info = model_info(Path(tagger_dir) if tagger_dir else MODEL_DIR)
    methods = {}
    for lang in EU_LANGUAGES:
        model = ner_models.get(lang)
        methods[lang] = _method(f"crf:{info.name}@{info.version}",
                                model if model and spacy_pipeline_installed(model) else None)
    return methods


def _method(tagger: str, ner_model: str | None) -> str:
    return f"{tagger}+ner:{ner_model}+rules" if ner_model else f"{tagger}+rules"


class NameFinder:
    """One per worker: the tagger loads once, NER pipelines on first use of their language."""

    def __init__(self, ner_models: dict[str, str] | None = None, prefilter: bool = True,
                 tagger_dir: str | None = None, threshold: float | None = None):
        from pii.tagger import MODEL_DIR, NameTagger

        self.ner_models = dict(ner_models or {})
        self.prefilter = prefilter  # only runs with a known name, or inside a sentence, (or a cue) reach NER
        self.tagger = NameTagger(Path(tagger_dir) if tagger_dir else MODEL_DIR)
        self.threshold = threshold  # None: the model's own, per language
        self.tagger_method = f"crf:{self.tagger.info.name}@{self.tagger.info.version}"
        self._nlp: dict[str, object] = {}

    def method(self, lang: str) -> str:
        """What finds names in ``lang``: "crf:<model>@<version>+rules", with "+ner:<pipeline>" where one runs."""
        return _method(self.tagger_method, self.ner_models[lang] if self._pipeline(lang) is not None else None)

    def _pipeline(self, lang: str):
        if lang not in self._nlp:
            model = self.ner_models.get(lang)
            nlp = None
            if model:
                import spacy

                try:
                    nlp = spacy.load(model, exclude=["parser", "lemmatizer", "trainable_lemmatizer", "tagger",
                                                     "morphologizer", "attribute_ruler", "senter"])
                except OSError:  # configured but not installed here: the others run, and the method says so
                    nlp = None
            self._nlp[lang] = nlp
        return self._nlp[lang]

    def find(self, text: str, lang: str) -> list[NameSpan]:
        tagged = self.tagger.scored_spans(text, lang, self.threshold)
        found = [NameSpan(a, b, 0.8, self.tagger_method) for a, b, _ in tagged]
        found += self._ner(text, lang)
        found += fallback_names(text, lang)
        found = whole_names(text, found)
        # a word the tagger is sure is a name on its own ("Chirac a déclaré") is a person's surname or first name
        # wherever else the text uses it, where the tagger alone may doubt it
        sure = {text[a:b] for a, b, p in tagged if p >= SURE_SINGLE_NAME and len(text[a:b].split()) == 1}
        if repeated := repeated_mentions(text, found, sure):
            found = whole_names(text, found + repeated)
        return found

    def _ner(self, text: str, lang: str) -> list[NameSpan]:
        nlp = self._pipeline(lang)
        if nlp is None:
            return []
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


#: a word that may be part of a name: capitalised (McDonald, O'Brien, Jean-Luc, SMITH) or an initial ("J.")
_NAME_PART = r"(?:[^\W\d_a-zß-ÿα-ωа-я](?:[^\W\d_]|['’](?=[^\W\d_]))*(?:-[^\W\d_]+)*|[^\W\d_a-zß-ÿα-ωа-я]\.)"
#: surname particles between or before the capitalised parts of one name (not "y"/"e"/"i": "and" elsewhere)
_PARTICLE = (r"(?:van|von|der|den|de|del|della|di|da|das|dos|do|du|des|la|le|ter|ten|te|zu|af|av|bin|ben|al|el|"
             r"mac|mc|o|ó|ní|nic|ui|uí|mhic|ua|d['’]|o['’]|l['’])")
_RIGHT = re.compile(rf"(?:[ \u00a0](?:{_PARTICLE}[ \u00a0]|{_PARTICLE}(?=[^\W\d_]))*|-){_NAME_PART}")
_LEFT = re.compile(rf"(?<![^\W\d_'’])(?:{_NAME_PART}(?:[ \u00a0](?i:{_PARTICLE}))*|(?i:{_PARTICLE})(?:[ \u00a0](?i:{_PARTICLE}))*)"
                   r"[ \u00a0]$")
#: the tagger's probability from which a single word it tags is sure enough to be masked wherever the text repeats it
#: (chosen on the held-out tune split of the training corpora, scored as running text: benchmarks/names.py)
SURE_SINGLE_NAME = 0.8
#: the most words one name grows to: a run of capitalised words past that is a heading, not a name
MAX_NAME_WORDS = 6


def whole_names(text: str, spans: list[NameSpan]) -> list[NameSpan]:
    """Overlapping findings merged, each grown over the name parts next to it ("meneer van den Berg" when only
    "Berg" was found), so that no word of a name survives beside its placeholder."""
    merged: list[list] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], span.end)
        else:
            merged.append([span.start, span.end, span])
    out = []
    for start, end, first in merged:
        words = len(text[start:end].split())
        while words < MAX_NAME_WORDS and (m := _RIGHT.match(text, end)):
            end, words = m.end(), words + 1
        while words < MAX_NAME_WORDS and (left := _LEFT.search(text, max(0, start - 60), start)):
            if left.group()[:1].islower() and words > 1:
                break  # "boek van Jan de Vries": particles before a name found whole are the sentence's words
            if left.group()[:1].isupper() and _sentence_start(text, left.start()) and \
                    left.group().split()[0] not in all_first_names():
                break  # "Yesterday Tom Griffin": a capital at a sentence start says nothing, unless a first name
            start, words = left.start(), words + 1
        out.append(NameSpan(start, end, first.score, first.method))
    return _merge_touching(out)


def _sentence_start(text: str, position: int) -> bool:
    before = text[max(0, position - 3):position].rstrip(" \u00a0")
    return not before or before[-1] in ".!?:;\n\"“”«»|•·-–—"


def full_name_words(text: str, spans: list[NameSpan], sure: Iterable[str] = ()) -> set[str]:
    """The capitalised words of the names found in full (two words or more) and of the single words in ``sure``,
    titles and particles left out: what a later mention of the same person is made of."""
    from pii.tagger import PARTICLES, TITLES

    words = set(sure)
    for span in spans:
        parts = text[span.start:span.end].split()
        if len(parts) > 1:
            words.update(p.strip(".,;:()'’") for p in parts)
    return {w for w in words if len(w) > 2 and w[0].isupper() and w.lower() not in PARTICLES
            and w.lower() not in TITLES}


def repeated_mentions(text: str, spans: list[NameSpan], sure: Iterable[str] = ()) -> list[NameSpan]:
    """Later (or earlier) mentions of a person named in full elsewhere in the text: "Tom Griffin ... Griffin said"
    and the inflected forms of the longer words ("Kallas ... Kallase", "Niinistö ... Niinistön"), so a page that
    names someone once in full and then by surname keeps neither; likewise of the single words in ``sure`` (names
    the tagger is sure of on their own: "Chirac a déclaré ... selon Chirac")."""
    words = full_name_words(text, spans, sure)
    if not words:
        return []
    # a mention lies inside one of the spans when the span starting last at or before it reaches past its end
    covered = sorted((s.start, s.end) for s in spans)
    starts, reach = [a for a, _ in covered], list(accumulate((b for _, b in covered), max))

    def inside(start: int, end: int) -> bool:
        i = bisect_right(starts, start) - 1
        return i >= 0 and reach[i] >= end

    # every mention starts with one of the words as written and ends at most 4 characters after it: when each
    # occurrence of every word lies inside a span with that room (most pages), there is nothing to find
    if all(inside(p, p + len(w) + _MENTION_ENDING) for w in words for p in _occurrences(text, w)):
        return []
    # the leftmost mention first, the longest word where several start at one place, then on after its end: what
    # a regular expression of the words (longest first) finds, without compiling one per page
    at: dict[int, int] = {}
    for word in sorted(words, key=len, reverse=True):
        for position in _occurrences(text, word):
            if position not in at and (end := _mention_end(text, position, word)) is not None:
                at[position] = end
    found, reached = [], 0
    for start in sorted(at):
        if start >= reached:
            reached = at[start]
            if not inside(start, reached):
                found.append(NameSpan(start, reached, 0.6, "rule:repeated"))
    return found


def _is_letter(ch: str) -> bool:
    """What ``[^\W\d_]`` matches in a ``re`` pattern: a word character that is neither a decimal digit nor "_"."""
    return ch.isalnum() and not ch.isdecimal()


def _mention_end(text: str, start: int, word: str) -> int | None:
    """Where a mention of ``word`` found at ``start`` ends, or None when it is part of a longer word: a word of
    five letters or more takes an inflection of up to four letters ("Kallase", "Niinistön"), a shorter one an
    "'s"."""
    if start and _is_letter(text[start - 1]):
        return None
    end = start + len(word)
    if len(word) >= 5:
        ending = end
        while ending < len(text) and ending - end <= _MENTION_ENDING and _is_letter(text[ending]):
            ending += 1
        return ending if ending - end <= _MENTION_ENDING else None
    if text[end:end + 2] in ("'s", "’s") and not (end + 2 < len(text) and _is_letter(text[end + 2])):
        return end + 2
    return None if end < len(text) and _is_letter(text[end]) else end


#: the longest ending a repeated mention adds to its word: four letters of an inflection, or "'s"
_MENTION_ENDING = 4


def _occurrences(text: str, word: str):
    position = text.find(word)
    while position != -1:
        yield position
        position = text.find(word, position + 1)


def _merge_touching(spans: list[NameSpan]) -> list[NameSpan]:
    out: list[NameSpan] = []
    for span in sorted(spans, key=lambda s: s.start):
        if out and span.start <= out[-1].end:
            last = out[-1]
            out[-1] = NameSpan(last.start, max(last.end, span.end), max(last.score, span.score), last.method)
        else:
            out.append(span)
    return out


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
