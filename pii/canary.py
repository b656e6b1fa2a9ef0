"""The canary: before a run, synthetic documents with known personal data in every language go through the
run's own scrubber; every planted value must come out replaced, or the run stops.

The values are fake but valid (Luhn cards, checksummed IBANs, phone numbers libphonenumber accepts,
identifiers whose check characters are computed with python-stdnum as the oracle), so the canary proves
the configured recognizers still work in each language — a broken model file, a changed library or a
mis-edited configuration shows up as a failed canary, not as a leak in published shards. Recall per type
and language goes into stats.json and the report; values themselves are never recorded.
"""

from __future__ import annotations

import random
import string
from collections import defaultdict
from functools import lru_cache

from corpus.config import EU_LANGUAGES
from corpus.sample.generate import fake_card, fake_email, fake_iban, fake_ip, fake_phone, load_texts
from pii.identifiers import validator

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


def canary_documents(seed: int = 0, per_language: int = 2) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(language, text, [(type, value)]) with every type planted in every language."""
    rng = random.Random(seed)
    docs = []
    for lang in EU_LANGUAGES:
        sentences = load_texts(lang)["sentences"]
        module, template, sentence = IDENTIFIER_TEMPLATES[lang]
        identifier = valid_identifier(module, template)
        id_type = "VAT_ID" if module == "stdnum.eu.vat" else "IDENTIFIER"
        for _ in range(per_language):
            planted = [("EMAIL", fake_email(rng, lang)), ("PHONE", fake_phone(rng, lang)),
                       ("IBAN", fake_iban(rng)), ("CREDIT_CARD", fake_card(rng)), ("IP_ADDRESS", fake_ip(rng))]
            body = rng.sample(sentences, 4)
            parts = [body[0], f"{planted[0][1]} · {planted[1][1]}.", body[1], f"IBAN {planted[2][1]}.",
                     body[2], f"{planted[3][1]} — {planted[4][1]}.", sentence.format(id=identifier), body[3]]
            docs.append((lang, "\n".join(parts), planted + [(id_type, identifier)]))
    return docs


_IDENTIFIER_TYPES = {"NATIONAL_ID", "TAX_ID", "SOCIAL_SECURITY"}


def run_canary(scrubber, min_recall: float = 1.0, seed: int = 0) -> dict:
    """Scrub the canary documents; recall per type and language, and whether every value was replaced.
    Returns only counts and names, never the planted values."""
    found: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for lang, text, planted in canary_documents(seed):
        result = scrubber.scrub(text, lang)
        spans = [(s.type, text[s.start:s.end]) for s in result.spans]
        for value_type, value in planted:
            hit = any(value in span_text or span_text in value and len(span_text) >= len(value) // 2
                      for span_type, span_text in spans
                      if span_type == value_type or (value_type == "IDENTIFIER" and span_type in _IDENTIFIER_TYPES))
            counts = found[value_type][lang]
            counts[0] += hit
            counts[1] += 1
    recall = {t: {lang: round(h / n, 3) for lang, (h, n) in sorted(per.items())} for t, per in sorted(found.items())}
    failures = sorted(f"{t}/{lang}" for t, per in recall.items() for lang, r in per.items() if r < min_recall)
    return {"documents": len(EU_LANGUAGES) * 2, "min_recall": min_recall, "recall": recall,
            "passed": not failures, "failures": failures}
