"""The canary: before a run, synthetic documents with known personal data in every language go through the
run's own scrubber; every planted value must come out replaced, or the run stops.

The values are fake but valid (Luhn cards, checksummed IBANs, phone numbers libphonenumber accepts,
identifiers whose check characters are computed with python-stdnum as the oracle, person names from the
Faker locale of each language; see pii/fakes.py), so the canary proves the configured recognizers still
work in each language — a broken model file, a changed library or a mis-edited configuration shows up as
a failed canary, not as a leak in published shards. Recall per type and language goes into stats.json and
the report; values themselves are never recorded.

What counts is the scrubbed text, not only the findings: a value is replaced when a finding of its type
covers all of it AND the output no longer contains it (for a name: none of its words, as whole words). A
type the configuration keeps (``pii.actions``, "keep") must still be found whole (its finding flags the
document and feeds the erasure index), but its values stay in the text by design: the result lists such
types under ``kept_by_policy`` so that reports say so. A value found whole but left in the text while the
configuration masks its type fails the canary whatever the minimum recall.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections import defaultdict
from functools import lru_cache
from importlib import resources

from corpus.config import EU_LANGUAGES
from pii.fakes import fake_card, fake_email, fake_iban, fake_ip, fake_name, fake_phone
from pii.identifiers import validator
from pii.scrub import TYPE_NAMES

#: per language, a personal identifier of its member state: stdnum module, printed form with "?" for the
#: check character, and the sentence it is written in (its context word included)
IDENTIFIER_TEMPLATES: dict[str, tuple[str, str, str]] = {
    "bg": ("stdnum.bg.egn", "803205603?", "Моят ЕГН е {id}."),
    "hr": ("stdnum.hr.oib", "3339200596?", "Moj OIB je {id}."),
    "cs": ("stdnum.cz.rc", "710319/274?", "Rodné číslo: {id}."),
    "da": ("stdnum.dk.cpr", "211062-562?", "Mit CPR-nummer er {id}."),
    "nl": ("stdnum.nl.bsn", "1112.22.33?", "Mijn BSN is {id}."),
    "en": ("stdnum.ie.pps", "6433435?", "My PPS number is {id}."),
    "et": ("stdnum.ee.ik", "3680528010?", "Minu isikukood on {id}."),
    "fi": ("stdnum.fi.hetu", "131052-308?", "Henkilötunnus {id} on salainen."),
    "fr": ("stdnum.fr.nir", "2 95 10 99 126 111 ??", "Numéro de sécurité sociale : {id}."),
    "de": ("stdnum.de.idnr", "36 574 261 80?", "Ihre Steuer-ID lautet {id}."),
    "el": ("stdnum.gr.amka", "0101309999?", "Ο ΑΜΚΑ μου είναι {id}."),
    "hu": ("stdnum.eu.vat", "HU1217017?", "Adószám (ÁFA): {id}."),
    "ga": ("stdnum.ie.pps", "1234567?", "Uimhir PPS: {id}."),
    "it": ("stdnum.it.codicefiscale", "RCCMNL83S18D969?", "Il mio codice fiscale è {id}."),
    "lv": ("stdnum.lv.pvn", "161175-1999?", "Personas kods: {id}."),
    "lt": ("stdnum.lt.asmens", "3330924006?", "Mano asmens kodas {id}."),
    "mt": ("stdnum.eu.vat", "MT1167911?", "Numru tal-VAT: {id}."),
    "pl": ("stdnum.pl.pesel", "4405140135?", "Mój numer PESEL to {id}."),
    "pt": ("stdnum.pt.nif", "PT 123 456 78?", "O meu NIF é {id}."),
    "ro": ("stdnum.ro.cnp", "163061512345?", "CNP-ul meu este {id}."),
    "sk": ("stdnum.sk.rc", "710319/274?", "Rodné číslo: {id}."),
    "sl": ("stdnum.si.emso", "010100650000?", "Moja EMŠO je {id}."),
    "es": ("stdnum.es.dni", "54362315-?", "Mi DNI es {id}."),
    "sv": ("stdnum.se.personnummer", "880320-001?", "Mitt personnummer är {id}."),
}
_ALPHABET = string.digits + string.ascii_uppercase


@lru_cache(maxsize=None)
def valid_identifier(module: str, template: str) -> str:
    """The template completed with check characters stdnum accepts (the first in 0-9A-Z order)."""
    is_valid = validator(module)
    holes = template.count("?")
    options = [a + b for a in _ALPHABET for b in _ALPHABET] if holes == 2 else list(_ALPHABET)
    for chars in options:
        candidate = template
        for ch in chars:
            candidate = candidate.replace("?", ch, 1)
        if is_valid(candidate):
            return candidate
    raise ValueError(f"no check characters make {template} valid for {module}")


#: per language, the sentence a person's name is planted in (one per gender where a title agrees with it): a
#: name-field label or a title of the language, both cues of the rules in pii/names.py, so that the canary checks
#: the whole chain (tagger, rules, whole-name growth, replacement) on a wording every configuration must handle
NAME_TEMPLATES: dict[str, str | dict[str, str]] = {
    "bg": "Лице за контакт – име: {name}.",
    "hr": "Osoba za kontakt – ime: {name}.",
    "cs": {"male": "Kontaktní osoba: pan {name} (vedoucí oddělení).",
           "female": "Kontaktní osoba: paní {name} (vedoucí oddělení)."},
    "da": "Kontaktperson – navn: {name}.",
    "nl": "Contactpersoon – naam: {name}.",
    "en": {"male": "Contact: Mr. {name}, project coordinator.", "female": "Contact: Ms. {name}, project coordinator."},
    "et": "Kontaktisik – nimi: {name}.",
    "fi": "Yhteyshenkilö – nimi: {name}.",
    "fr": {"male": "M. {name}, chef de projet, a confirmé la date.",
           "female": "Mme {name}, cheffe de projet, a confirmé la date."},
    "de": "Ansprechperson – Name: {name}.",
    "el": "Υπεύθυνος επικοινωνίας – όνομα: {name}.",
    "hu": "Kapcsolattartó – név: {name}.",
    "ga": "Duine teagmhála – ainm: {name}.",
    "it": "Referente – nome: {name}.",
    "lv": "Kontaktpersona – vārds: {name}.",
    "lt": "Kontaktinis asmuo – vardas: {name}.",
    "mt": "Persuna ta' kuntatt – isem: {name}.",
    "pl": "Osoba do kontaktu – imię i nazwisko: {name}.",
    "pt": "Pessoa de contacto – nome: {name}.",
    "ro": "Persoană de contact – nume: {name}.",
    "sk": "Kontaktná osoba – meno: {name}.",
    "sl": "Kontaktna oseba – ime: {name}.",
    "es": "Persona de contacto – nombre: {name}.",
    "sv": "Kontaktperson – namn: {name}.",
}

PER_LANGUAGE = 2  # documents per language


def _name_template(lang: str, gender: str) -> str:
    template = NAME_TEMPLATES[lang]
    return template if isinstance(template, str) else template[gender]


@lru_cache(maxsize=None)
def _sentences(lang: str) -> tuple[str, ...]:
    """Prose of the language to surround the values: the sentences of the bundled sample texts (read as
    data; the sample-crawl generator is not imported)."""
    path = resources.files("corpus.sample") / "texts" / f"{lang}.json"
    return tuple(json.loads(path.read_text(encoding="utf-8"))["sentences"])


def _word_pattern(word: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def _survives(value_type: str, value: str, output: str) -> bool:
    """Whether a planted value is still in the scrubbed text: a name if any of its words is, as a word."""
    if value_type == "PERSON":
        return any(_word_pattern(word).search(output) for word in value.split())
    return value in output


def canary_documents(seed: int = 0, per_language: int = PER_LANGUAGE,
                     languages: tuple[str, ...] = EU_LANGUAGES) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(language, text, [(type, value)]) with every type planted in every language, each value once."""
    rng = random.Random(seed)
    placeholders = " ".join(TYPE_NAMES.values())
    docs = []
    for lang in (lang for lang in EU_LANGUAGES if lang in languages):
        module, template, sentence = IDENTIFIER_TEMPLATES[lang]
        identifier = valid_identifier(module, template)
        id_type = "VAT_ID" if module == "stdnum.eu.vat" else "IDENTIFIER"
        for _ in range(per_language):
            planted = [("EMAIL", fake_email(rng, lang)), ("PHONE", fake_phone(rng, lang)),
                       ("IBAN", fake_iban(rng)), ("CREDIT_CARD", fake_card(rng)), ("IP_ADDRESS", fake_ip(rng))]
            body = rng.sample(_sentences(lang), 4)
            gender = rng.choice(("male", "female"))
            parts = [body[0], f"{planted[0][1]} · {planted[1][1]}.", body[1], _name_template(lang, gender),
                     f"IBAN {planted[2][1]}.", body[2], f"{planted[3][1]} — {planted[4][1]}.",
                     sentence.format(id=identifier), body[3]]
            # a name none of whose words occurs anywhere else in the document (nor in a placeholder), so that
            # a word of it left in the output can only be the planted one
            rest = "\n".join(parts + [placeholders]).replace("{name}", " ")
            for _ in range(1000):
                name = fake_name(rng, lang, gender)
                if not any(_word_pattern(word).search(rest) for word in name.split()):
                    break
            else:
                raise RuntimeError(f"no canary name for {lang} avoids the document's words")
            text = "\n".join(parts).replace("{name}", name)
            planted += [(id_type, identifier), ("PERSON", name)]
            if any(text.count(value) != 1 for _, value in planted):
                raise RuntimeError(f"a canary value occurs more than once in a {lang} document")
            docs.append((lang, text, planted))
    return docs


_IDENTIFIER_TYPES = {"NATIONAL_ID", "TAX_ID", "SOCIAL_SECURITY"}


def _of_type(span_type: str, value_type: str) -> bool:
    return span_type == value_type or (value_type == "IDENTIFIER" and span_type in _IDENTIFIER_TYPES)


def run_canary(scrubber, min_recall: float = 1.0, seed: int = 0) -> dict:
    """Scrub the canary documents in the scrubber's languages (a run scrubs no other); recall per type and
    language, and whether every value was replaced (or, for a type the configuration keeps, found). Returns
    only counts and type names, never the values."""
    actions = scrubber.config.actions
    found: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    leaks: set[str] = set()
    docs = canary_documents(seed, languages=scrubber.languages)
    for lang, text, planted in docs:
        result = scrubber.scrub(text, lang)
        for value_type, value in planted:
            start = text.index(value)
            end = start + len(value)
            covering = [s for s in result.spans if _of_type(s.type, value_type) and s.start <= start and s.end >= end]
            kept = any(actions.get(s.type) == "keep" for s in covering)
            survives = _survives(value_type, value, result.text)
            if covering and survives and not kept:  # found, yet left in the text the configuration masks
                leaks.add(f"{value_type}/{lang}")
            counts = found[value_type][lang]
            counts[0] += bool(covering) and (kept or not survives)
            counts[1] += 1
    recall = {t: {lang: round(h / n, 3) for lang, (h, n) in sorted(per.items())} for t, per in sorted(found.items())}
    failures = sorted({f"{t}/{lang}" for t, per in recall.items() for lang, r in per.items() if r < min_recall} | leaks)
    return {"documents": len(docs), "min_recall": min_recall, "recall": recall, "passed": not failures,
            "failures": failures, "kept_by_policy": sorted(t for t, a in actions.items() if a == "keep"),
            "types_planted": sorted(found)}
