"""A pattern-only Presidio analyzer for the 24 EU languages, built offline.

Presidio's default engine downloads a spaCy model; here no spaCy pipeline runs at all (tokens for context
words come from a regular expression, stop words from spaCy's lists) and every language gets the same
pattern/validator recognizers: e-mail, phone numbers of
the member states (python-phonenumbers, regions chosen by language), IBAN with checksum, payment cards
with Luhn, IPv4/IPv6, and e-mail addresses written to fool harvesters (pii/obfuscated.py).

Numbers that only look like phone numbers or cards (dates, prices, coordinates, versions, ISBNs, EAN barcodes,
order and tracking numbers) need a phone or card word near them: see ``other_number``.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from corpus.config import EU_LANGUAGES
from corpus.urls import offline_tld_extractor
from pii.identifiers import (
    COUNTRIES_OF_LANGUAGE,
    IDENTIFIERS,
    VAT_CONTEXT,
    WEAK,
    number_word_before,
    recognizers_for,
)
from pii.obfuscated import obfuscated_email_recognizer

#: Phone regions searched for national-format numbers in a document of each language. International
#: numbers (+CC ...) are found for every country whatever the region.
PHONE_REGIONS: dict[str, tuple[str, ...]] = {
    "bg": ("BG",), "hr": ("HR",), "cs": ("CZ", "SK"), "da": ("DK",), "nl": ("NL", "BE"),
    # English pages come from everywhere; most numbers on them are British or North American
    "en": ("IE", "MT", "CY", "GB", "US"),
    "et": ("EE",), "fi": ("FI",), "fr": ("FR", "BE", "LU"), "de": ("DE", "AT", "LU", "BE"), "el": ("GR", "CY"),
    "hu": ("HU",), "ga": ("IE",), "it": ("IT",), "lv": ("LV",), "lt": ("LT",), "mt": ("MT",), "pl": ("PL",),
    "pt": ("PT",), "ro": ("RO",), "sk": ("SK", "CZ"), "sl": ("SI",), "es": ("ES",), "sv": ("SE", "FI"),
}

#: words that announce a phone number, in the 24 languages (matched in the lower-cased words before a number:
#: ``context_word_matches``): they lift a bare digit string to a phone number; without one it is more likely an
#: order or customer number
PHONE_CONTEXT = [
    "phone", "telephone", "tel", "mobile", "cell", "call", "fax", "gsm", "whatsapp",
    "телефон", "тел", "мобилен", "telefon", "mobitel", "mobil", "telefoon", "bel", "puhelin", "puh", "matkapuhelin",
    "téléphone", "portable", "appel", "handy", "ruf", "τηλ", "τηλέφωνο", "κινητό", "guthán", "fón", "telefono",
    "cellulare", "tālr", "tālrunis", "mob", "numurs", "telefonas", "tel.", "numru", "mowbajl", "komórka", "telemóvel",
    "telefone", "telemovel", "móvil", "movil", "teléfono", "llamar", "ring", "mobiltelefon", "puhelinnumero",
    # abbreviations, words with accents the ones above miss, and verbs ("call")
    "tél", "telefón", "mobiel", "mobiil", "tlf", "tfn", "tfno", "telf", "tlm", "κιν", "festnetz", "fon", "hívjon",
    "zavolejte", "zadzwoń", "soita", "helista", "zvan", "skambinkite", "hotline",
]
#: words that announce a payment card, in the 24 languages (Presidio's own list is English)
CARD_CONTEXT = [
    "credit", "card", "visa", "mastercard", "amex", "maestro", "diners", "jcb", "karte", "kreditkarte", "carte", "tarjeta",
    "carta", "cartão", "cartao", "kaart", "creditcard", "karta", "kreditní", "kreditná", "kort", "kreditkort", "kortti",
    "luottokortti", "krediitkaart", "kaart", "kártya", "hitelkártya", "κάρτα", "πιστωτική", "карта", "kartica", "kartice",
    "kartico", "kartë", "cárta", "gcárta", "mokėjimo", "kortelė", "kredītkarte", "karti", "card-ul", "cardul",
    # stems of declined forms ("kartou", "kaardiga", "kártyával", "tarjetas")
    "kart", "kaar", "kárty", "kortel",
]

#: Presidio ignores stop words when it looks for context words, and some are both: "tel" is French for
#: "such" and a Polish stop word too
CONTEXT_WORDS = (frozenset(PHONE_CONTEXT) | {w for kind in IDENTIFIERS for w in kind.context} | set(VAT_CONTEXT)
                 | set(CARD_CONTEXT))

#: a word with its inner hyphens, dots and apostrophes ("Tel.", "Steuer-ID", "tal-identità"), or one other character
CONTEXT_TOKEN = re.compile(r"\w+(?:[-.'’]\w+)*\.?|[^\w\s]")

#: spaCy has no Maltese language class: its tokens come from the language-neutral one.
_SPACY_LANG = {"mt": "xx"}


def domain_recognizers(language: str, country: str | None) -> list:
    """Extra recognizers for a page whose domain belongs to a member state its language does not cover
    (an English page on a .pt site: Portuguese phone numbers and identifiers)."""
    if not country or country in COUNTRIES_OF_LANGUAGE.get(language, ()):
        return []
    return _domain_recognizers(language, country)


@lru_cache(maxsize=None)
def _domain_recognizers(language: str, country: str) -> list:
    return [phone_recognizer(language, (country,)), *recognizers_for((country,), language, eu_wide=False)]


# -- numbers that look like phone numbers or cards ---------------------------------------------------------
_DATE = re.compile(r"\(?(?:(?P<d>\d{1,2})\s?(?P<s>[./-])\s?(?P<m>\d{1,2})\s?(?P=s)\s?(?P<y>\d{4}|\d{2})"
                   r"|(?P<y2>\d{4})(?P<s2>[./-])(?P<m2>\d{1,2})(?P=s2)(?P<d2>\d{1,2}))\.?\)?")
# 48.8566, 2,3522: no trunk "0", one separator, at most six decimals (an Italian mobile is "333.1234567")
_DECIMAL = re.compile(r"\(?-?[1-9]\d{0,2}[.,]\d{1,6}\)?")
_THOUSANDS = re.compile(r"\(?[1-9]\d{0,2}(?P<s>[.,' \u00a0\u202f])\d{3}(?:(?P=s)\d{3})*\)?")  # 3.528.626, 1,299
_YEAR_FIRST = re.compile(r"\(?(?:19|20)\d{2}\s?[/-]")  # 2024/430467, 2022-855358: references, not area codes
_AFTER_AMOUNT = re.compile(r"\s?(?:[.,]\d|,[-–]|[€$£]|(?:eur|euro|chf|czk|kč|zł|pln|ft|huf|kr|sek|dkk|lei|ron|лв|bgn)\b)",
                           re.IGNORECASE)
_BEFORE_AMOUNT = re.compile(r"(?:[€$£]|\b(?:eur|chf|czk|pln|huf|sek|dkk|ron|bgn))\s?$", re.IGNORECASE)
_GLUED_BEFORE = re.compile(r"(?:[^\W\d_]|\d[.,/-]|[^\W\d_][.,/-])$")  # UP1A.350268, 10.0.19045: part of a longer token
_GLUED_AFTER = re.compile(r"[.,/-]?\d|[^\W\d_]|\s?°|[′'](?=\d)")  # 2023.05.7, 52.5200° N, 52°31'12"
_ISBN_RUN = re.compile(r"[\dXx](?:[ -]?[\dXx]){9,16}")


def _valid_date(day: str, month: str, year: str) -> bool:
    try:
        date(int(year) if len(year) == 4 else 2000 + int(year), int(month), int(day))
        return True
    except ValueError:
        return False


def other_number(text: str, start: int, end: int, words: int = 3, regions: tuple[str, ...] = ()) -> str | None:
    """Why the digits at ``text[start:end]``, found as a phone number or a card, are likely something else:
    "drop" (an ISBN or EAN barcode, whatever words are near), "demote" (a date, a decimal or grouped amount, a
    price, a piece of a version or coordinate, a number under 7 digits, or one a word like "Bestellnummer",
    "invoice", "tracking" announces among the ``words`` words before it: reported only with a phone or card
    word near), or None. A number written exactly as libphonenumber formats it for one of ``regions`` is never
    taken for a count ("21 234 567" is how Latvian numbers are written)."""
    value = text[start:end]
    word = number_word_before(text, start, words)
    if word in ("isbn", "issn", "ean", "gtin", "upc"):
        return "drop"
    run = _ISBN_RUN.search(text, max(0, start - 8), min(len(text), end + 8))
    if run and run.start() <= start and run.end() >= end and _is_isbn(run.group()):
        return "drop"
    if word or sum(ch.isdigit() for ch in value) < 7 or _YEAR_FIRST.match(value):
        return "demote"
    m = _DATE.fullmatch(value)
    if m and (_valid_date(m["d"], m["m"], m["y"]) or _valid_date(m["m"], m["d"], m["y"]) if m["d"]
              else _valid_date(m["d2"], m["m2"], m["y2"])):
        return "demote"
    if _DECIMAL.fullmatch(value):
        return "demote"
    if _THOUSANDS.fullmatch(value):
        amount = _AFTER_AMOUNT.match(text, end) or _BEFORE_AMOUNT.search(text, max(0, start - 6), start)
        # dots or apostrophes group an amount ("3.528.626"), but three groups of three can be a mobile number
        # written with dots ("612.345.678" in Spain): those only with a currency or decimals
        digits = sum(ch.isdigit() for ch in value)
        if amount or (("." in value or "'" in value) and digits != 9):
            return "demote"
        # "4 946 845", "28 998 051": a short head then groups of three is a count; numbers are grouped from the
        # left ("601 234 567", "20 12 34 56"), so 3-3-3 stays a phone number
        if not ("." in value or "," in value or "'" in value) and len(value.strip("()").split()[0]) <= 2 \
                and digits >= 7 and len(re.split(r"[ \u00a0\u202f]", value.strip("()"))) >= 3 \
                and not _national_format(value, regions):
            return "demote"
    if _GLUED_BEFORE.search(text, max(0, start - 2), start) or _GLUED_AFTER.match(text, end):
        return "demote"
    return None


def _national_format(value: str, regions: tuple[str, ...]) -> bool:
    import phonenumbers

    spaced = " ".join(value.split())
    for region in regions:
        try:
            number = phonenumbers.parse(spaced, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) == spaced:
            return True
    return False


def _is_isbn(run: str) -> bool:
    from stdnum import isbn

    compact = run.replace(" ", "").replace("-", "")
    if not isbn.is_valid(compact):
        return False
    # ISBN-13s start with the 978/979 "Bookland" prefix; a bare valid ISBN-10 passes one digit run in eleven:
    # only in its hyphenated four-group form
    return len(compact) == 13 or run.count("-") == 3


def _filter_other_numbers(text: str, results: list, regions: tuple[str, ...]) -> list:
    kept = []
    for r in results:
        verdict = other_number(text, r.start, r.end, regions=regions)
        if verdict == "drop":
            continue
        if verdict == "demote":
            r.score = min(r.score, WEAK)
        kept.append(r)
    return kept


@lru_cache(maxsize=1)
def _numbering_plans() -> list:
    from phonenumbers import COUNTRY_CODES_FOR_NON_GEO_REGIONS, SUPPORTED_REGIONS, PhoneMetadata

    plans = [PhoneMetadata.metadata_for_region(region) for region in SUPPORTED_REGIONS]
    return plans + [PhoneMetadata.metadata_for_nongeo_region(code) for code in COUNTRY_CODES_FOR_NON_GEO_REGIONS]


def _shortest_number(plan) -> int:
    """The fewest digits of a national number in ``plan``; 1 when its metadata does not say."""
    lengths = [n for n in (plan.general_desc.possible_length or ()) if n > 0] if plan.general_desc else []
    return min(lengths, default=1)


@lru_cache(maxsize=None)
def fewest_phone_digits(region: str) -> int:
    """Fewer digits than this cannot be a valid phone number for libphonenumber's matcher in ``region``: it
    takes a number written without a country code as a national number of a region with ``region``'s code
    (Italy's includes the Vatican's), and one written with a code is at least that code and the shortest
    national number it leads to. Germany: 4 ("030 12" cannot be valid, a 4-digit national number can);
    France: 6 (any number with a country code has 6 digits or more, a French national number 9)."""
    from phonenumbers import country_code_for_region

    code = country_code_for_region(region)
    plans = [p for p in _numbering_plans() if p is not None]
    with_code = min((len(str(p.country_code)) + _shortest_number(p) for p in plans if p.country_code), default=1)
    national = min((_shortest_number(p) for p in plans if p.country_code == code), default=1)
    return min(with_code, national)


def hide_short_numbers(text: str, fewest: int) -> str:
    """``text`` with the digits of every run that libphonenumber's matcher would take as a candidate but that
    holds fewer than ``fewest`` digits replaced by "_" (neither a digit, a letter nor phone punctuation, so no
    neighbouring candidate changes). A run right after ":" stays: the matcher reads it as the minutes of a time
    stamp that rules out the number before it. The matcher finds the same numbers in the result."""
    from phonenumbers.phonenumbermatcher import _PATTERN as CANDIDATE

    def hide(match: re.Match) -> str:
        run = match.group(0)
        if sum(c.isdigit() for c in run) >= fewest or text[match.start() - 1:match.start()] == ":":
            return run
        return _ANY_DIGIT.sub("_", run)

    return CANDIDATE.sub(hide, text)


_ANY_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=None)
def _number_recognizer_classes():
    from presidio_analyzer import EntityRecognizer
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, PhoneRecognizer

    class NumberAwarePhoneRecognizer(PhoneRecognizer):
        """Presidio's phone recognizer; dates, prices, coordinates, versions, ISBNs and announced order numbers
        need a phone word (``other_number``)."""

        def analyze(self, text, entities, nlp_artifacts=None):
            """Presidio's loop over the regions, except that libphonenumber, which parses every number-like
            run once per region, sees the text with the runs too short for the region hidden (same length:
            offsets and context words stay; tests/pii/test_phone_matching.py checks the matches are the same)."""
            import phonenumbers

            results, hidden = [], {}
            for region in self.supported_regions:
                fewest = fewest_phone_digits(region)
                if fewest not in hidden:
                    hidden[fewest] = hide_short_numbers(text, fewest)
                for match in phonenumbers.PhoneNumberMatcher(hidden[fewest], region, leniency=self.leniency):
                    try:
                        found_in = phonenumbers.region_code_for_number(phonenumbers.parse(text[match.start:match.end]))
                    except phonenumbers.NumberParseException:
                        found_in = region
                    results.append(self._get_recognizer_result(match, text, found_in, nlp_artifacts))
            return _filter_other_numbers(text, EntityRecognizer.remove_duplicates(results),
                                         tuple(self.supported_regions))

    class NumberAwareCardRecognizer(CreditCardRecognizer):
        """Presidio's card recognizer (Luhn); a 13-digit EAN barcode that happens to pass Luhn, or a number an
        "Artikel"/"order" word announces, needs a card word."""

        def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
            results = super().analyze(text, entities, nlp_artifacts, regex_flags)
            kept = []
            for r in results:
                digits = re.sub(r"\D", "", text[r.start:r.end])
                # a card's IIN and Luhn digit say more than a phone's shape: only a number word right before it
                # ("Bestellnummer 4111 ...", not "paid the order by card 4111 ...") demotes it
                verdict = other_number(text, r.start, r.end, words=1)
                if verdict == "drop":
                    continue
                if verdict == "demote" or (len(digits) == 13 and _valid_ean(digits)):
                    r.score = min(r.score, WEAK)
                kept.append(r)
            return kept

    return NumberAwarePhoneRecognizer, NumberAwareCardRecognizer


def _valid_ean(digits: str) -> bool:
    from stdnum import ean

    return ean.is_valid(digits)


_WORD_PARTS = re.compile(r"[-./'’]+")


#: context words shorter than this must start a token (or a part of it after a hyphen or a dot); longer ones may
#: sit anywhere in it, as Presidio matches them ("telefon" in "Kontakttelefon", "versicherungsnummer" in
#: "Sozialversicherungsnummer")
SHORT_CONTEXT_WORD = 5


def context_word_matches(word: str, token: str) -> bool:
    """A context word supports a finding when a nearby token contains it; a short one ("tel", "ruf", "mob") only
    when the token or a part of it after a hyphen or a dot starts with it: "tel" in "Tel.", "Telefonnummer" and
    "tat-tel", not in "Bestellnummer" or "Hotel"; "ruf" in "Rufnummer", not in "Beruf" (Presidio's substring test
    let "Bestellnummer 4711-2024" lift an order number to a phone number)."""
    if len(word) >= SHORT_CONTEXT_WORD:
        return word in token
    return token.startswith(word) or any(part.startswith(word) for part in _WORD_PARTS.split(token)[1:] if part)


@lru_cache(maxsize=256)
def _split_words(words: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(short words, long words), lower-cased."""
    lowered = [w.lower() for w in words]
    return (tuple(w for w in lowered if len(w) < SHORT_CONTEXT_WORD), tuple(w for w in lowered if len(w) >= SHORT_CONTEXT_WORD))


def _context_enhancer():
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    class WordStartContextEnhancer(LemmaContextAwareEnhancer):
        """Presidio's enhancer with ``context_word_matches`` instead of a plain substring test."""

        @staticmethod
        def _find_supportive_word_in_context(context_list, recognizer_context_list, matching_mode="substring") -> str:
            if not context_list or not recognizer_context_list:
                return ""
            short, long = _split_words(tuple(recognizer_context_list))
            for token in context_list:
                token = (token or "").lower()
                for word in long:
                    if word in token:
                        return word
                if short:
                    heads = _WORD_PARTS.split(token) if any(c in token for c in "-./'’") else ()
                    for head in (token, *heads[1:]):
                        if head and head.startswith(short):
                            return next(w for w in short if head.startswith(w))
            return ""

    return WordStartContextEnhancer()


def phone_recognizer(language: str, regions: tuple[str, ...]):
    # Presidio's names kept: reports count findings per recognizer
    return _number_recognizer_classes()[0](supported_language=language, supported_regions=regions,
                                           context=PHONE_CONTEXT, name="PhoneRecognizer")


def card_recognizer(language: str):
    return _number_recognizer_classes()[1](supported_language=language, context=CARD_CONTEXT,
                                           name="CreditCardRecognizer")


def build_analyzer(languages: tuple[str, ...] = EU_LANGUAGES):
    """One AnalyzerEngine serving every language; built once per worker (takes ~1 s)."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import EmailRecognizer, IbanRecognizer, IpRecognizer

    from filters.stopwords import spacy_stop_words

    class StopWordsOnly(dict):
        """language -> spaCy's stop words, read on first use. Presidio needs no pipeline here (tokens come from
        ``process_text``), and building ``spacy.blank`` for 24 languages took every worker ~10 s."""

        def __missing__(self, lang: str):
            self[lang] = spacy_stop_words(_SPACY_LANG.get(lang, lang))
            return self[lang]

        def keys(self):
            return list(languages)

        def __bool__(self) -> bool:  # Presidio checks "loaded" by truthiness
            return True

    class BlankSpacyNlpEngine(SpacyNlpEngine):
        """No model at all: tokens for context words from a regular expression, stop words from spaCy's blank
        language classes (offline)."""

        def load(self) -> None:
            self.nlp = StopWordsOnly()

        def process_text(self, text: str, language: str):
            """Tokens from a regular expression, not spaCy: Presidio uses them only to find context words near a
            finding, and building a spaCy Doc was most of the analyzer's time (and its vocabulary grew all night)."""
            from presidio_analyzer.nlp_engine import NlpArtifacts

            tokens, starts = [], []
            for match in CONTEXT_TOKEN.finditer(text):
                tokens.append(match.group())
                starts.append(match.start())
            # blank pipelines have no lemmatizer: the lower-cased tokens stand in, or context words never match
            return NlpArtifacts(entities=[], tokens=tokens, tokens_indices=starts, lemmas=[t.lower() for t in tokens],
                                nlp_engine=self, language=language, scores=[])

        # Presidio asks these for every token (to find context keywords); answer from plain sets instead
        # of a vocabulary lookup per token, which was most of the PII stage's time.
        def is_stopword(self, word: str, language: str) -> bool:
            word = word.lower()
            return word in self.nlp[language] and word not in CONTEXT_WORDS

        def is_punct(self, word: str, language: str) -> bool:
            return not any(ch.isalnum() for ch in word)

    offline_tld_extractor()  # the e-mail recognizer validates TLDs: use the bundled suffix list
    nlp_engine = BlankSpacyNlpEngine(models=[{"lang_code": lang, "model_name": "blank"} for lang in languages])
    nlp_engine.load()
    class RequestCachedRegistry(RecognizerRegistry):
        """Presidio filters the recognizers of all 24 languages on every call; the answer depends only on the
        request (language, entities, ad-hoc recognizers, which pii.engine keeps alive), so it is kept."""

        def get_recognizers(self, language, entities=None, all_fields=False, ad_hoc_recognizers=None):
            key = (language, tuple(entities or ()), all_fields, tuple(ad_hoc_recognizers or ()))
            cache = self.__dict__.setdefault("_answers", {})
            if key not in cache:
                cache[key] = super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
            return list(cache[key])

        def add_recognizer(self, recognizer) -> None:
            self.__dict__.pop("_answers", None)
            super().add_recognizer(recognizer)

        def remove_recognizer(self, *args, **kwargs) -> None:
            self.__dict__.pop("_answers", None)
            super().remove_recognizer(*args, **kwargs)

    registry = RequestCachedRegistry(supported_languages=list(languages))
    for lang in languages:
        registry.add_recognizer(EmailRecognizer(supported_language=lang))
        registry.add_recognizer(obfuscated_email_recognizer(lang))
        registry.add_recognizer(IbanRecognizer(supported_language=lang))
        registry.add_recognizer(card_recognizer(lang))
        registry.add_recognizer(IpRecognizer(supported_language=lang))
        registry.add_recognizer(phone_recognizer(lang, PHONE_REGIONS[lang]))
        for recognizer in recognizers_for(COUNTRIES_OF_LANGUAGE[lang], lang):
            registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=list(languages),
                          context_aware_enhancer=_context_enhancer())
