"""Fake but valid personal data for the canary (pii/canary.py), made here rather than borrowed from the
sample-crawl generator, so production code depends on no test data.

Every value is valid where a recognizer validates: payment cards carry a Luhn check digit and IBANs
their check digits (both computed by python-stdnum), phone numbers vary libphonenumber's own example
numbers and are kept only when libphonenumber accepts them. Person names come from the Faker locale of
each language (MIT licensed), chosen with the caller's seeded ``random.Random`` so the canary is the same
on every run; Maltese has no Faker locale and gets a short fixed list of common Maltese names.
"""

from __future__ import annotations

import random
import re
import string
from functools import lru_cache

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn

from pii.identifiers import COUNTRIES_OF_LANGUAGE

#: Faker locale whose first and last names are planted in each language
NAME_LOCALES = {
    "bg": "bg_BG", "hr": "hr_HR", "cs": "cs_CZ", "da": "da_DK", "nl": "nl_NL", "en": "en_IE", "et": "et_EE",
    "fi": "fi_FI", "fr": "fr_FR", "de": "de_DE", "el": "el_GR", "hu": "hu_HU", "ga": "ga_IE", "it": "it_IT",
    "lv": "lv_LV", "lt": "lt_LT", "pl": "pl_PL", "pt": "pt_PT", "ro": "ro_RO", "sk": "sk_SK", "sl": "sl_SI",
    "es": "es_ES", "sv": "sv_SE",
}
#: Faker has no Maltese locale: a short fixed list of common Maltese first names and surnames instead
_MALTESE_SURNAMES = ("Borg", "Camilleri", "Vella", "Farrugia", "Zammit", "Galea", "Micallef", "Grech", "Attard",
                     "Spiteri", "Azzopardi", "Mifsud", "Agius", "Cassar", "Caruana", "Sammut", "Buttigieg", "Debono")
MALTESE_NAMES = {
    "male": (("Joseph", "Carmel", "Mario", "Anthony", "Pawlu", "Ġorġ", "Ċensu", "Mikiel", "Kurt", "Luke"),
             _MALTESE_SURNAMES),
    "female": (("Maria", "Rita", "Doris", "Josephine", "Marija", "Rożi", "Marthese", "Graziella", "Nicole"),
               _MALTESE_SURNAMES),
}
#: languages that write the family name first
FAMILY_NAME_FIRST = frozenset({"hu"})

#: the names planted are capitalised words of two or more letters (an inner hyphen allowed): "Mac Ailpín",
#: "Anna-Lena", "Francisco Javier". Lower-case particles, one-letter words and apostrophes ("van der Berg",
#: "Ó Briain", "O'Neill") are left out: the canary checks that the configured chain works in every language;
#: how well real names of every shape are found is measured on annotated text by benchmarks/names.py
_NAME_WORD = re.compile(r"[^\W\d_]{2,}(?:-[^\W\d_]{2,})?")


def _plain(name: str) -> bool:
    return all(_NAME_WORD.fullmatch(word) and word[0].isupper() for word in name.split())


@lru_cache(maxsize=None)
def _faker(lang: str):
    from faker import Faker

    return Faker(NAME_LOCALES[lang], providers=["faker.providers.person"])  # names only: ~10x faster


def fake_name(rng: random.Random, lang: str, gender: str) -> str:
    """A plain first and last name ("male" or "female") of the language's Faker locale (the surname in that
    gender where the locale inflects it), drawn with a seed from ``rng``; family name first where the
    language writes it so."""
    if lang == "mt":
        firsts, lasts = MALTESE_NAMES[gender]
        first, last = rng.choice(firsts), rng.choice(lasts)
    else:
        fake = _faker(lang)
        for _ in range(100):
            fake.seed_instance(rng.randrange(2**32))
            first, last = getattr(fake, f"first_name_{gender}")(), getattr(fake, f"last_name_{gender}")()
            if _plain(first) and _plain(last):
                break
        else:
            raise RuntimeError(f"no plain {lang} name in 100 draws")
    return f"{last} {first}" if lang in FAMILY_NAME_FIRST else f"{first} {last}"


def country_of(lang: str) -> str:
    return COUNTRIES_OF_LANGUAGE[lang][0]


def fake_email(rng: random.Random, lang: str) -> str:
    """A mailbox of random letters (no name words: those must occur only where the name is planted)."""
    local = "".join(rng.choice(string.ascii_lowercase) for _ in range(7))
    return f"{local}{rng.randint(10, 99)}@mail-{lang}.example.{country_of(lang).lower()}"


def fake_phone(rng: random.Random, lang: str) -> str:
    """A mobile number of the language's country, valid for libphonenumber, national or international."""
    example = phonenumbers.example_number_for_type(country_of(lang), phonenumbers.PhoneNumberType.MOBILE)
    digits = str(example.national_number)
    number = example
    for _ in range(50):  # vary the subscriber digits, keep the number valid
        candidate = phonenumbers.parse(f"+{example.country_code}{digits[:-4]}{rng.randint(0, 9999):04d}")
        if phonenumbers.is_valid_number(candidate):
            number = candidate
            break
    fmt = rng.choice((phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.NATIONAL))
    return phonenumbers.format_number(number, fmt)


#: member states whose IBAN body (BBAN) is all digits, and its length
NUMERIC_BBAN_LENGTHS = {"AT": 16, "BE": 12, "CZ": 20, "DE": 18, "DK": 14, "EE": 16, "ES": 20, "FI": 14,
                        "HR": 17, "HU": 24, "LT": 16, "PL": 24, "PT": 21, "SE": 20, "SI": 15, "SK": 20}


def fake_iban(rng: random.Random) -> str:
    """An IBAN whose check digits stdnum computes, printed in groups of four."""
    for _ in range(100):
        country = rng.choice(sorted(NUMERIC_BBAN_LENGTHS))
        bban = "".join(rng.choice(string.digits) for _ in range(NUMERIC_BBAN_LENGTHS[country]))
        candidate = f"{country}{stdnum_iban.calc_check_digits(country + '00' + bban)}{bban}"
        if stdnum_iban.is_valid(candidate):  # national checks too (ES, FI, ...): draw again when they fail
            return " ".join(candidate[i:i + 4] for i in range(0, len(candidate), 4))
    raise RuntimeError("could not make a valid IBAN")


def fake_card(rng: random.Random) -> str:
    """A 16-digit Visa-range card number with its Luhn check digit, in groups of four."""
    body = "4" + "".join(rng.choice(string.digits) for _ in range(14))
    number = body + luhn.calc_check_digit(body)
    return " ".join(number[i:i + 4] for i in range(0, 16, 4))


def fake_ip(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return "2a02:" + ":".join(f"{rng.randint(1, 0xFFFF):x}" for _ in range(7))
    return f"{rng.randint(81, 95)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
