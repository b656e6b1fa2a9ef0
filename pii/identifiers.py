"""Personal identifiers of the EU member states, found by pattern and confirmed by python-stdnum.

A pattern proposes candidates in the spellings people write (spaces, dots, dashes, slashes); stdnum's
``is_valid`` decides, so checksums, check letters and embedded birth dates are never re-implemented here.
How much a bare valid number says depends on how many random digit strings of its shape the validator
accepts (measured in tests/pii/test_identifiers.py): a 9-digit number passes the Dutch 11-test one time in
eleven, so a BSN needs a context word of its language ("BSN", "burgerservicenummer") to be reported (WEAK);
a PESEL, whose embedded birth date and checksum pass under 2% of random strings, is reported on its own
(ALONE), as are identifiers with check letters or separators in a fixed layout (STRONG).

Germany's pension and health-insurance numbers have no stdnum module: Presidio's own recognizers (with
their checksums) find them.

Countries with no personal identifier stdnum can validate (HU, LU) are covered by VAT numbers; Cyprus's tax
identification code (the VAT number's format, check letter and all) and Malta's identity-card number (digits and
a letter, no check character: its pattern and a context word decide) need a context word.

Context words come in every official language of the country and the abbreviations people write ("PSP" in
Irish, "RČ" in Czech, "Nationalnummer" in German-speaking Belgium). One supports a number when one of the five
words before it contains it (a word under five letters: starts with it, pii/engine.py ``context_word_matches``),
so a stem covers inflected forms ("henkilötunnu" for "henkilötunnuksen").

A bare ALONE number that a word like "ISBN", "Bestellnummer", "invoice" or "Sendungsnummer" announces is
demoted to WEAK (``number_word_before``): an order or tracking number that passes a checksum by chance needs
an identifier word to be reported.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache

from corpus.urls import host_of

#: placeholder types
NATIONAL_ID, TAX_ID, SOCIAL_SECURITY, VAT_ID = "NATIONAL_ID", "TAX_ID", "SOCIAL_SECURITY", "VAT_ID"

#: score of a valid candidate; the scrubber reports findings from 0.4 (PiiConfig.score_threshold) and a
#: context word adds 0.35. ALONE: stdnum accepts at most MAX_RANDOM_PASS_RATE of random digit strings of the
#: pattern's shape, so a bare valid number is more likely an identifier than a coincidence.
STRONG, ALONE, WEAK = 0.6, 0.5, 0.3
MAX_RANDOM_PASS_RATE = 0.02


@dataclass(frozen=True)
class IdentifierKind:
    country: str  # ISO 3166-1 alpha-2
    entity: str
    module: str  # stdnum module validating it
    pattern: str
    score: float
    context: tuple[str, ...]  # words near it that make it likely (lower-case, the country's languages)


_D = r"(?<![\w.,/+-])"  # not glued to a preceding word, number, separator or "+" (a phone number)
_E = r"(?![\w/-]|[.,]\d)"  # nor to a following one
# long identifiers with a birth date and a check character in a fixed layout may follow a word they were
# glued to when extraction lost a space ("code is199003052397"): only digits and separators must not precede
_G = r"(?<![\d.,/+-])"

_RODNE = ("rodné", "rodne", "rodného", "rodneho", "rodným", "rodnym", "rodném", "rč", "r.č")
_PERSONNUMMER = ("personnummer", "personnr", "pnr", "samordningsnummer", "henkilötunnu")

IDENTIFIERS: tuple[IdentifierKind, ...] = (
    IdentifierKind("AT", SOCIAL_SECURITY, "stdnum.at.vnr", _D + r"\d{4} ?\d{6}" + _E, WEAK,
                   ("sozialversicherungsnummer", "versicherungsnummer", "svnr", "vsnr", "sv-nummer", "sv-nr",
                    "versicherungsnr", "sozialversicherung", "e-card")),
    # Belgium: Dutch, French and German
    IdentifierKind("BE", NATIONAL_ID, "stdnum.be.nn", _D + r"\d{2}[. ]?\d{2}[. ]?\d{2}[- ]?\d{3}[. ]?\d{2}" + _E, ALONE,
                   ("rijksregister", "nationalregister", "niss", "insz", "rrn", "registre", "nationalnummer",
                    "identificatienummer")),
    IdentifierKind("BG", NATIONAL_ID, "stdnum.bg.egn", _D + r"\d{10}" + _E, ALONE,
                   ("егн", "egn", "граждански")),
    IdentifierKind("HR", NATIONAL_ID, "stdnum.hr.oib", _D + r"(?:HR ?)?\d{11}" + _E, WEAK,
                   ("oib", "o.i.b", "identifikacijsk")),
    # Czech and Slovak birth numbers ("rodné číslo", "rodného čísla", "RČ")
    IdentifierKind("CZ", NATIONAL_ID, "stdnum.cz.rc", _D + r"\d{6} ?/ ?\d{3,4}" + _E, STRONG, _RODNE),
    IdentifierKind("CZ", NATIONAL_ID, "stdnum.cz.rc", _D + r"\d{9,10}" + _E, WEAK, _RODNE),
    IdentifierKind("DK", NATIONAL_ID, "stdnum.dk.cpr", _D + r"\d{6}-? ?\d{4}" + _E, WEAK,
                   ("cpr", "cpr-nummer", "personnummer", "personnr")),
    IdentifierKind("EE", NATIONAL_ID, "stdnum.ee.ik", _D + r"[1-6]\d{10}" + _E, ALONE, ("isikukood",)),
    # Finland: Finnish and Swedish
    IdentifierKind("FI", NATIONAL_ID, "stdnum.fi.hetu", _G + r"\d{6}[-+ABCDEFUVWXY]\d{3}[0-9A-Y]" + _E, STRONG,
                   ("henkilötunnu", "hetu", "sotu", "personbeteckning", "personnummer")),
    IdentifierKind("FR", SOCIAL_SECURITY, "stdnum.fr.nir",
                   _D + r"[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}" + _E, STRONG,
                   ("sécurité", "sociale", "securite", "nir", "sécu", "insee")),
    IdentifierKind("DE", TAX_ID, "stdnum.de.idnr", _D + r"\d{2} ?\d{3} ?\d{3} ?\d{3}" + _E, ALONE,
                   ("steuer-id", "steuerid", "identifikationsnummer", "steueridentifikationsnummer", "idnr")),
    IdentifierKind("GR", SOCIAL_SECURITY, "stdnum.gr.amka", _D + r"\d{11}" + _E, ALONE,
                   ("αμκα", "α.μ.κ.α", "amka", "κοινωνικής", "ασφάλισης")),
    # the Greek tax number (ΑΦΜ, "Αριθμός Φορολογικού Μητρώου"): one check digit, so a context word
    IdentifierKind("GR", TAX_ID, "stdnum.gr.vat", _D + r"\d{9}" + _E, WEAK,
                   ("αφμ", "α.φ.μ", "afm", "φορολογικ")),
    # Cyprus: the tax identification code (ΑΦΤ, "Αριθμός Φορολογικής Ταυτότητας") shares the VAT format
    IdentifierKind("CY", TAX_ID, "stdnum.cy.vat", _D + r"\d{8} ?[A-Z]" + _E, WEAK,
                   ("αφτ", "α.φ.τ", "φορολογικ")),
    # Ireland: English and Irish ("Uimhir Phearsanta Seirbhíse Poiblí", "uimhir PSP")
    IdentifierKind("IE", NATIONAL_ID, "stdnum.ie.pps", _D + r"\d{7} ?[A-W][A-IW]?" + _E, WEAK,
                   ("pps", "ppsn", "psp", "phearsanta", "pearsanta")),
    # Italy: Italian, German in South Tyrol ("Steuernummer"), French in the Aosta Valley ("code fiscal")
    IdentifierKind("IT", TAX_ID, "stdnum.it.codicefiscale",
                   _D + r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPR-T][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]" + _E,
                   STRONG, ("codice", "fiscale", "c.f", "steuernummer", "steuerkodex", "fiscal")),
    IdentifierKind("LV", NATIONAL_ID, "stdnum.lv.pvn", _D + r"[0-3]\d[01]\d{3}-?\d{5}" + _E, WEAK,
                   ("personas", "personu", "p.k", "pers.k")),
    IdentifierKind("LT", NATIONAL_ID, "stdnum.lt.asmens", _D + r"[1-6]\d{10}" + _E, ALONE,
                   ("asmens", "a.k")),
    # Malta: Maltese and English; an identity-card number has no check character
    IdentifierKind("MT", NATIONAL_ID, "pattern", _D + r"\d{3,7}[MGAPLHBZ]" + _E, WEAK,
                   ("identità", "identita", "identity", "karta")),
    # the Netherlands: Dutch and Frisian ("burgerservicenûmer")
    IdentifierKind("NL", NATIONAL_ID, "stdnum.nl.bsn", _D + r"\d{4}[. ]?\d{2}[. ]?\d{3}" + _E, WEAK,
                   ("bsn", "burgerservicen", "sofi")),
    IdentifierKind("PL", NATIONAL_ID, "stdnum.pl.pesel", _D + r"\d{11}" + _E, ALONE, ("pesel",)),
    IdentifierKind("PT", NATIONAL_ID, "stdnum.pt.cc", _D + r"\d{8} ?\d ?[A-Z0-9]{2}\d" + _E, STRONG,
                   ("cartão", "cidadão", "cartao", "cidadao")),
    IdentifierKind("PT", TAX_ID, "stdnum.pt.nif", _D + r"(?:PT ?)?[123]\d{2} ?\d{3} ?\d{3}" + _E, WEAK,
                   ("nif", "n.i.f", "contribuinte", "fiscal")),
    IdentifierKind("RO", NATIONAL_ID, "stdnum.ro.cnp", _G + r"[1-9]\d{12}" + _E, STRONG,
                   ("cnp", "c.n.p", "codul")),
    IdentifierKind("SK", NATIONAL_ID, "stdnum.sk.rc", _D + r"\d{6} ?/ ?\d{3,4}" + _E, STRONG, _RODNE),
    IdentifierKind("SI", NATIONAL_ID, "stdnum.si.emso", _G + r"[0-3]\d[01]\d{10}" + _E, STRONG, ("emšo", "emso")),
    # DNIs below 10 million are often written without the leading zero ("1234567-L")
    IdentifierKind("ES", NATIONAL_ID, "stdnum.es.dni", _D + r"\d{7,8}[- ]?[A-Za-z]" + _E, STRONG,
                   ("dni", "d.n.i", "nif")),
    IdentifierKind("ES", NATIONAL_ID, "stdnum.es.nie", _D + r"[XYZxyz][- ]?\d{7}[- ]?[A-Za-z]" + _E, STRONG,
                   ("nie", "n.i.e")),
    # Sweden: a coordination number ("samordningsnummer") has the same format
    IdentifierKind("SE", NATIONAL_ID, "stdnum.se.personnummer", _G + r"(?:(?:18|19|20)\d{6}[-+ ]?|\d{6}[-+])\d{4}" + _E,
                   STRONG, _PERSONNUMMER),
    IdentifierKind("SE", NATIONAL_ID, "stdnum.se.personnummer", _D + r"\d{10}" + _E, ALONE, _PERSONNUMMER),
)

#: an EU VAT number written with its country prefix; stdnum.eu.vat validates every member state's format
_VAT_PREFIXES = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT",
                 "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")
VAT_PATTERN = (_D + "(?:" + "|".join(p + "|" + p.capitalize() for p in _VAT_PREFIXES) + ")"  # "FR" or "Fr", never "fr"
               r"(?:\s?[-:.]\s?|\s)?"  # "DE 1...", "DE - 1...", "LU: 2...", "NL.0094..."
               # then letters and digits, split by spaces, dots, slashes or dashes; a lower-case letter only
               # inside a group or right before a digit ("NL 8225.69.759 b01"), so "... 12345678 and" stops
               r"[0-9A-Z](?:[0-9A-Z]|[ ./-](?=[0-9A-Z]|[a-z]\d)|(?<=[0-9A-Za-z])[a-z]){6,15}" + _E)
VAT_CONTEXT = ("vat", "btw", "tva", "iva", "ust-idnr", "mwst", "ddv", "dic", "dič", "pvm", "pvn", "nip", "moms",
               "áfa", "ddс", "ддс", "φπα", "afm", "alv", "kmkr", "cui",
               # Greek/Cypriot tax numbers, Austrian "UID", Croatian "PDV", Czech/Slovak "DPH", Irish "CBL", ...
               "αφμ", "α.φ.μ", "αφτ", "φ.π.α", "uid", "ust-id", "ustid", "umsatzsteuer", "pdv", "dph", "cbl", "cif",
               "nipc", "adószám", "cvr", "mehrwäertsteier", "taxe")

#: which countries' identifiers are looked for in a document of each language (its domain's country too)
COUNTRIES_OF_LANGUAGE: dict[str, tuple[str, ...]] = {
    "bg": ("BG",), "hr": ("HR",), "cs": ("CZ", "SK"), "da": ("DK",), "nl": ("NL", "BE"), "en": ("IE", "MT", "CY"),
    "et": ("EE",), "fi": ("FI",), "fr": ("FR", "BE", "LU"), "de": ("DE", "AT", "LU", "BE"), "el": ("GR", "CY"),
    "hu": ("HU",), "ga": ("IE",), "it": ("IT",), "lv": ("LV",), "lt": ("LT",), "mt": ("MT",), "pl": ("PL",),
    "pt": ("PT",), "ro": ("RO",), "sk": ("SK", "CZ"), "sl": ("SI",), "es": ("ES",), "sv": ("SE", "FI"),
}

EU_COUNTRIES = ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
                "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE")

#: country-code top-level domain -> member state (.gr is Greece; .eu says nothing)
COUNTRY_OF_TLD = {c.lower(): c for c in EU_COUNTRIES} | {"gr": "GR"}


#: IBANs in spellings Presidio's recognizer misses ("NO 02 15037577003", "NO07.8380.08.06006",
#: "ES72 2013-0692-81-0201150993"); stdnum.iban checks length per country and the mod-97 checksum
IBAN_KIND = IdentifierKind(
    "EU", "IBAN_CODE", "stdnum.iban",
    # groups split by spaces, dots or dashes; a lower-case letter only inside a group (never "... 00 bis")
    _D + r"[A-Z]{2} ?\d{2}(?:[ .-]?[A-Z0-9]|(?<=[0-9A-Za-z])[a-z]){10,30}" + _E, STRONG, ("iban",))


def country_of_url(url: str) -> str | None:
    """The member state of a URL's country-code top-level domain, if it has one."""
    host = host_of(url)
    return COUNTRY_OF_TLD.get(host.rsplit(".", 1)[-1]) if "." in host else None


#: words that announce a number which is neither a phone number nor a personal identifier; a token before the
#: number that equals one, or (for four letters or more) starts with one, is enough. Short words are few and
#: checked against every language (Hungarian "ár", price, is Irish "our": left out)
NUMBER_WORDS = (
    "isbn", "issn", "ean", "gtin", "upc", "sku", "asin", "mpn", "art.-nr", "art.nr", "artikel", "article", "artículo",
    "articolo", "artigo", "artikl", "artykuł", "item", "produkt", "product", "produit", "prodotto", "producto",
    "produto", "zboží", "termék", "produs", "tuote",
    # orders, invoices, references
    "order", "bestell", "bestel", "auftrag", "commande", "pedido", "ordine", "zamówien", "objednávk", "ordrenummer",
    "tilaus", "encomenda", "rendelés", "comandă", "comanda", "παραγγελ", "поръчк", "užsakym", "pasūtījum", "narudžb",
    "naročil", "tellimus", "invoice", "rechnung", "facture", "factura", "fattura", "factuur", "faktur", "faktúr",
    "sąskait", "rēķin", "račun", "arve", "számla", "τιμολόγ", "фактур", "lasku", "reference", "referenz", "référence",
    "referencia", "riferimento", "referentie", "ref", "réf", "aktenzeichen", "dossier", "ticket", "vorgang",
    "kundennummer", "kundennr", "kunden-nr", "klantnummer", "kundnummer", "asiakasnumero",
    # parcels
    "tracking", "sendung", "paket", "pakke", "colis", "suivi", "seguimiento", "tracciamento", "spedizion", "przesyłk",
    "zásilk", "zásielk", "kolli", "lähetys", "rastreio", "track",
    # software, places, prices
    "version", "versión", "versione", "versão", "wersja", "verze", "verzia", "verzió", "versiunea", "versio",
    "έκδοση", "версия", "build", "release", "firmware", "kernel", "android", "ios", "koordinat", "coordinat",
    "coordonn", "coorden", "współrzędn", "souřadnic", "συντεταγμέν", "координат", "gps", "lat", "lon", "lng",
    "latitude", "longitude", "preis", "price", "prix", "precio", "prezzo", "prijs", "preço", "preț", "τιμή", "цена",
    "cijena", "hinta", "kaina", "serial", "seriennummer", "isin", "wkn",
)
_WORD_TOKEN = re.compile(r"[^\W\d_][\w.'’-]*")


@lru_cache(maxsize=1)
def _number_words() -> tuple[frozenset[str], tuple[str, ...]]:
    return (frozenset(w for w in NUMBER_WORDS if len(w) < 4), tuple(w for w in NUMBER_WORDS if len(w) >= 4))


def number_word_before(text: str, start: int, words: int = 3) -> str | None:
    """The number word (``NUMBER_WORDS``) among the ``words`` words right before ``text[start]``, if any:
    "Ihre Bestellnummer lautet 4711..." -> "bestell", "ISBN-13: 978..." -> "isbn"."""
    short, stems = _number_words()
    before = text[max(0, start - 60):start]
    if not any(ch.isalpha() for ch in before):
        return None
    for token in _WORD_TOKEN.findall(before)[-words:]:
        token = token.lower().rstrip(".'’-")
        base = token.split("-", 1)[0]  # "isbn-13", "ean-8"
        if token in short or base in short:
            return base if base in short else token
        if token.startswith(stems):
            return next(stem for stem in stems if token.startswith(stem))
    return None


def validator(module: str):
    if module == "pattern":  # no check character: the pattern (and a context word) decide
        return lambda number: True
    is_valid = importlib.import_module(module).is_valid
    if module == "stdnum.fi.hetu":  # temporary numbers (individual part 900-999) identify people too
        return lambda number: is_valid(number, allow_temporary=True)
    if module == "stdnum.es.dni":  # "1234567-L" is the DNI 01234567L
        compact = importlib.import_module(module).compact
        return lambda number: is_valid(compact(number).zfill(9))
    return is_valid


def recognizers_for(countries: tuple[str, ...], language: str, eu_wide: bool = True) -> list:
    """Presidio recognizers for the identifiers of ``countries`` (with ``eu_wide``: VAT numbers, IBANs)."""
    from presidio_analyzer import Pattern, PatternRecognizer

    class StdnumRecognizer(PatternRecognizer):
        """A pattern proposes, stdnum's is_valid disposes."""

        def __init__(self, kind: IdentifierKind | None):
            self.is_valid = validator(kind.module if kind else "stdnum.eu.vat")
            name = f"{kind.country}_{kind.module.rsplit('.', 1)[-1].upper()}" if kind else "EU_VAT"
            self.value_type = kind.entity if kind else VAT_ID
            super().__init__(
                supported_entity=kind.entity if kind else VAT_ID,
                name=f"{name}_{language}",
                supported_language=language,
                patterns=[Pattern(name, kind.pattern if kind else VAT_PATTERN, kind.score if kind else STRONG)],
                context=list(kind.context if kind else VAT_CONTEXT),
                global_regex_flags=re.DOTALL | re.MULTILINE,  # case matters: "es 1234..." is not a VAT number
            )

        def validate_result(self, pattern_text: str) -> None:
            return None  # keep the pattern's score: weak identifiers still need a context word

        def invalidate_result(self, pattern_text: str) -> bool:
            try:
                return not self.is_valid(pattern_text)
            except Exception:  # stdnum raises on shapes it cannot even compact: not an identifier
                return True

        def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
            results = super().analyze(text, entities, nlp_artifacts, regex_flags)
            for r in results:  # "Bestellnummer 4405140135x": an order number that passes by chance
                if r.score <= ALONE and number_word_before(text, r.start):
                    r.score = min(r.score, WEAK)
            return results

    wanted = set(countries)
    found = [StdnumRecognizer(kind) for kind in IDENTIFIERS if kind.country in wanted]
    if "DE" in wanted:
        found += german_insurance_numbers(language)
    return found + ([StdnumRecognizer(None), StdnumRecognizer(IBAN_KIND)] if eu_wide else [])


def german_insurance_numbers(language: str) -> list:
    """Presidio's recognizers for the German pension (Rentenversicherungsnummer: area, birth date, initial,
    serial, check digit) and health-insurance numbers (KVNR: letter, nine digits), which stdnum lacks. Their
    checksums decide validity, but a valid match keeps its pattern's score: a KVNR's one check digit passes
    one random code in ten, so it still needs a context word ("Versichertennummer", "Krankenkasse")."""
    from presidio_analyzer.predefined_recognizers.country_specific.germany.de_health_insurance_recognizer import (
        DeHealthInsuranceRecognizer,
    )
    from presidio_analyzer.predefined_recognizers.country_specific.germany.de_social_security_recognizer import (
        DeSocialSecurityRecognizer,
    )

    class KeepPatternScore:
        def validate_result(self, pattern_text: str) -> None:
            return None

        def invalidate_result(self, pattern_text: str) -> bool:
            return not super().validate_result(pattern_text)

    class PensionNumber(KeepPatternScore, DeSocialSecurityRecognizer):
        pass

    class HealthInsuranceNumber(KeepPatternScore, DeHealthInsuranceRecognizer):
        pass

    return [PensionNumber(supported_language=language, supported_entity=SOCIAL_SECURITY, name=f"DE_RVNR_{language}"),
            HealthInsuranceNumber(supported_language=language, supported_entity=SOCIAL_SECURITY,
                                  name=f"DE_KVNR_{language}")]
