"""National identifiers of every member state: valid ones (check characters generated here with stdnum as
the oracle, never real people's numbers) are scrubbed in context; the same numbers with a wrong check
character are left alone."""

import random
import re
import string

import pytest

from corpus.config import PiiConfig
from pii.identifiers import ALONE, IDENTIFIERS, MAX_RANDOM_PASS_RATE, WEAK, country_of_url, validator
from pii.scrub import PiiScrubber

SCRUBBER = PiiScrubber(PiiConfig())

# country, language, stdnum module, printed form with "?" for the check character(s), sentence with {id}
CASES = [
    ("AT", "de", "stdnum.at.vnr", "123? 010180", "Meine Sozialversicherungsnummer ist {id}."),
    ("BE", "nl", "stdnum.be.nn", "85.07.30-033.??", "Mijn rijksregisternummer: {id}."),
    ("BE", "fr", "stdnum.be.nn", "85 07 30 033 ??", "Numéro NISS : {id}."),
    ("BG", "bg", "stdnum.bg.egn", "803205603?", "Моят ЕГН е {id}."),
    ("HR", "hr", "stdnum.hr.oib", "3339200596?", "Moj OIB je {id}."),
    ("CZ", "cs", "stdnum.cz.rc", "710319/274?", "Rodné číslo: {id}."),
    ("DK", "da", "stdnum.dk.cpr", "211062-562?", "Mit CPR-nummer er {id}."),
    ("EE", "et", "stdnum.ee.ik", "3680528010?", "Minu isikukood on {id}."),
    ("FI", "fi", "stdnum.fi.hetu", "131052-308?", "Henkilötunnus {id} on salainen."),
    ("FR", "fr", "stdnum.fr.nir", "2 95 10 99 126 111 ??", "Numéro de sécurité sociale : {id}."),
    ("DE", "de", "stdnum.de.idnr", "36 574 261 80?", "Ihre Steuer-ID lautet {id}."),
    ("GR", "el", "stdnum.gr.amka", "0101309999?", "Ο ΑΜΚΑ μου είναι {id}."),
    ("IE", "en", "stdnum.ie.pps", "6433435?", "My PPS number is {id}."),
    ("IE", "ga", "stdnum.ie.pps", "1234567?", "Uimhir PPS: {id}."),
    ("IT", "it", "stdnum.it.codicefiscale", "RCCMNL83S18D969?", "Il mio codice fiscale è {id}."),
    ("LV", "lv", "stdnum.lv.pvn", "161175-1999?", "Personas kods: {id}."),
    ("LT", "lt", "stdnum.lt.asmens", "3330924006?", "Mano asmens kodas {id}."),
    ("NL", "nl", "stdnum.nl.bsn", "1112.22.33?", "Mijn BSN is {id}."),
    ("PL", "pl", "stdnum.pl.pesel", "4405140135?", "Mój numer PESEL to {id}."),
    ("PT", "pt", "stdnum.pt.cc", "00000000 0 ZZ?", "Cartão de Cidadão n.º {id}."),
    ("PT", "pt", "stdnum.pt.nif", "PT 123 456 78?", "O meu NIF é {id}."),
    ("RO", "ro", "stdnum.ro.cnp", "163061512345?", "CNP-ul meu este {id}."),
    ("SK", "sk", "stdnum.sk.rc", "710319/274?", "Rodné číslo: {id}."),
    ("SI", "sl", "stdnum.si.emso", "010100650000?", "Moja EMŠO je {id}."),
    ("ES", "es", "stdnum.es.dni", "54362315-?", "Mi DNI es {id}."),
    ("ES", "es", "stdnum.es.nie", "X-2482300-?", "Mi NIE es {id}."),
    ("SE", "sv", "stdnum.se.personnummer", "880320-001?", "Mitt personnummer är {id}."),
]
# member states without a personal identifier stdnum validates: VAT numbers of the sole trader
VAT_CASES = [
    ("CY", "el", "CY10259033?", "Αριθμός ΦΠΑ: {id}."),
    ("HU", "hu", "HU1217017?", "Adószám (ÁFA): {id}."),
    ("LU", "fr", "LU150274??", "Numéro TVA : {id}."),
    ("MT", "mt", "MT1167911?", "Numru tal-VAT: {id}."),
]
ALPHABET = string.digits + string.ascii_uppercase


def complete(module: str, template: str) -> tuple[str, str]:
    """(valid, invalid): the template with check characters that make stdnum accept it, and a wrong one."""
    is_valid = validator(module)
    holes = template.count("?")
    candidates = [a + b for a in ALPHABET for b in ALPHABET] if holes == 2 else list(ALPHABET)
    valid = [c for c in candidates if is_valid(_fill(template, c))]
    assert valid, f"no check characters make {template} valid for {module}"
    wrong = next((c for c in candidates if c[-1] in string.digits and not is_valid(_fill(template, c))), None)
    if wrong is None:  # no checksum (Danish CPR since 2007): an impossible birth date makes it invalid
        return _fill(template, valid[0]), "32" + _fill(template, valid[0])[2:]
    return _fill(template, valid[0]), _fill(template, wrong)


def _fill(template: str, chars: str) -> str:
    for ch in chars:
        template = template.replace("?", ch, 1)
    return template


def _types(text: str, lang: str, url: str = "") -> dict[str, str]:
    result = SCRUBBER.scrub(text, lang, url)
    return {text[s.start:s.end]: s.type for s in result.spans}


@pytest.mark.parametrize("country, lang, module, template, sentence", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_valid_identifier_is_scrubbed_and_invalid_is_not(country, lang, module, template, sentence):
    valid, invalid = complete(module, template)
    found = _types(sentence.format(id=valid), lang)
    assert found.get(valid) in {"NATIONAL_ID", "TAX_ID", "SOCIAL_SECURITY", "VAT_ID"}, found
    found = _types(sentence.format(id=invalid), lang)
    assert not {t for t in found.values() if t in {"NATIONAL_ID", "TAX_ID", "SOCIAL_SECURITY"}}, found


@pytest.mark.parametrize("country, lang, template, sentence", VAT_CASES, ids=[c[0] for c in VAT_CASES])
def test_vat_numbers_where_no_personal_identifier_is_validated(country, lang, template, sentence):
    valid, invalid = complete("stdnum.eu.vat", template)
    assert _types(sentence.format(id=valid), lang).get(valid) == "VAT_ID"
    assert "VAT_ID" not in _types(sentence.format(id=invalid), lang).values()


def test_weak_checksum_numbers_need_a_context_word():
    bsn, _ = complete("stdnum.nl.bsn", "1112.22.33?")
    assert _types(f"Mijn BSN is {bsn}.", "nl").get(bsn) == "NATIONAL_ID"
    # one 9-digit number in eleven passes the Dutch 11-test: an order number must not be scrubbed as a BSN
    assert "NATIONAL_ID" not in _types(f"Uw bestelling {bsn} is verzonden.", "nl").values()


@pytest.mark.parametrize("kind", [k for k in IDENTIFIERS if k.score in (ALONE, WEAK)], ids=lambda k: k.module)
def test_identifiers_reported_without_context_are_the_ones_random_numbers_rarely_pass(kind):
    """ALONE (reported bare) vs WEAK (needs a context word) follows how many random digit strings (with a letter
    after them, for the shapes that end in one) of the pattern's shape stdnum accepts: a changed tier or a looser
    stdnum release fails here."""
    rng, pattern, is_valid = random.Random(0), re.compile(kind.pattern), validator(kind.module)
    shaped = [s for n in range(9, 14) for s in ("".join(rng.choices(string.digits, k=n)) for _ in range(4000))
              if pattern.fullmatch(s)]
    if not shaped:  # shapes that end in a letter: Irish PPS, Cypriot tax code, Maltese identity card
        shaped = [s for n in range(3, 9) for s in ("".join(rng.choices(string.digits, k=n)) + rng.choice(string.ascii_uppercase)
                                                   for _ in range(4000)) if pattern.fullmatch(s)]
    rate = sum(map(is_valid, shaped)) / len(shaped)
    assert len(shaped) > 300
    assert (rate <= MAX_RANDOM_PASS_RATE) == (kind.score == ALONE), f"{kind.module}: {rate:.2%} of random numbers pass"


def test_bare_identifiers_with_a_date_and_checksum_are_reported_without_context():
    pesel, invalid = complete("stdnum.pl.pesel", "4405140135?")
    assert _types(f"{pesel}", "pl").get(pesel) == "NATIONAL_ID"
    assert not _types(f"{invalid}", "pl")
    pnr, _ = complete("stdnum.se.personnummer", "18900411980?")  # born in the 19th century
    assert _types(f"Personnummer {pnr}.", "sv").get(pnr) == "NATIONAL_ID"


def test_spanish_dni_without_its_leading_zero():
    dni, invalid = complete("stdnum.es.dni", "01234567?")
    assert _types(f"Mi DNI es {dni[1:]}.", "es").get(dni[1:]) == "NATIONAL_ID"
    assert not _types(f"Mi DNI es {invalid[1:]}.", "es")


def test_german_pension_and_health_insurance_numbers_presidio_recognizes():
    # pension number: area 15, born 07.06.49, initial C, serial 10, check digit computed by Presidio's recognizer
    valid = [f"15070649C10{d}" for d in string.digits if _types(f"RVNR {'15070649C10' + d}", "de")]
    assert len(valid) == 1, valid
    assert _types(f"Meine Rentenversicherungsnummer ist {valid[0]}.", "de").get(valid[0]) == "SOCIAL_SECURITY"
    assert _types(f"{valid[0]}", "de").get(valid[0]) == "SOCIAL_SECURITY"  # a birth date, an initial, a checksum
    kvnr = [f"A12345678{d}" for d in string.digits if _types(f"Versichertennummer A12345678{d}", "de")]
    assert len(kvnr) == 1, kvnr
    # one check digit passes one code in ten: without a context word a product code stays
    assert not _types(f"Artikel {kvnr[0]} ist lieferbar.", "de")


def test_domain_country_adds_its_identifiers_and_phone_region():
    nif, _ = complete("stdnum.pt.nif", "123 456 78?")
    text = f"Contact our office, NIF {nif}, phone 213 456 789."
    assert country_of_url("https://www.example.pt/contact") == "PT" and country_of_url("https://example.eu/") is None
    without = _types(text, "en")
    found = _types(text, "en", "https://www.example.pt/contact")
    assert found.get(nif) == "TAX_ID" and found.get("213 456 789") == "PHONE" and nif not in without


def test_company_tax_numbers_are_not_personal_identifiers():
    # Portuguese NIFs of natural persons start with 1-3; 5xx is a company, public business data
    company, _ = complete("stdnum.pt.nif", "501 964 84?")
    assert "TAX_ID" not in _types(f"NIF da empresa: {company}.", "pt").values()


@pytest.mark.parametrize("iban", ["NO 02 15037577003", "DE 89 3704 0044 0532 0130 00", "ES9121000418450200051332",
                                  "NO07.8380.08.06006", "ES72 2013-0692-81-0201150993", "DE89 3704 0044 0532 0130 00"])
def test_iban_spellings_presidio_misses_are_scrubbed_and_bad_checksums_are_not(iban):
    assert _types(f"Bitte überweisen an {iban} bis Freitag.", "de").get(iban) == "IBAN"
    broken = iban[:-1] + str((int(iban[-1]) + 1) % 10)
    assert "IBAN" not in _types(f"Bitte überweisen an {broken} bis Freitag.", "de").values()


@pytest.mark.parametrize("vat", ["DE - 113866163", "LU: 20993674", "NL.0094.10.806.B.01", "Fr 40 303 265 045",
                                 "IT - 01404480202", "ATU 142 43 102"])
def test_vat_numbers_in_the_spellings_people_write(vat):
    found = _types(f"Our VAT number is {vat} and it is on every invoice.", "en")
    assert found.get(vat) == "VAT_ID", found
    assert "VAT_ID" not in _types(f"Zahlen Sie bitte es {vat[-8:]} heute.", "de").values()


def test_long_dated_identifiers_glued_to_a_word_by_lost_whitespace():
    pnr, _ = complete("stdnum.se.personnummer", "19900305239?")
    assert _types(f"My swedish id code is{pnr}.", "sv").get(pnr) == "NATIONAL_ID"
    hetu, _ = complete("stdnum.fi.hetu", "030594W903?")
    assert _types(f"Tunnus:{hetu} ja nimi", "fi").get(hetu) == "NATIONAL_ID"
    # a digit before it means a longer number, not an identifier
    assert "NATIONAL_ID" not in _types(f"Order 7{pnr} shipped.", "sv").values()


# -- context words in every official language, and numbers that only look like identifiers or phone numbers -----
# (lang, stdnum module, template, sentence with the new context word, the same sentence without it)
CONTEXT_CASES = [
    ("ga", "stdnum.ie.pps", "1234567?", "Uimhir PSP: {id}.", "Uimhir: {id}."),
    ("en", "stdnum.ie.pps", "6433435?", "Your PPSN {id} is on the letter.", "Your number {id} is on the letter."),
    ("de", "stdnum.at.vnr", "123? 010180", "Nummer der e-card: {id}.", "Nummer der Karte: {id}."),
    ("hr", "stdnum.hr.oib", "3339200596?", "Osobni identifikacijski broj: {id}.", "Broj: {id}."),
    ("cs", "stdnum.cz.rc", "710319274?", "RČ: {id}.", "Číslo: {id}."),
    ("sk", "stdnum.cz.rc", "710319274?", "Uveďte svojho rodného čísla {id}.", "Uveďte svojho čísla {id}."),
    ("da", "stdnum.dk.cpr", "211062-562?", "Personnr. {id}", "Nr. {id}"),
    ("el", "stdnum.gr.vat", "09425921?", "ΑΦΜ: {id}.", "Αριθμός: {id}."),
    ("el", "stdnum.cy.vat", "1025903?P", "Αριθμός Φορολογικής Ταυτότητας (ΑΦΤ): {id}.", "Αριθμός: {id}."),
    ("lv", "stdnum.lv.pvn", "161175-1999?", "P.k. {id}", "Nr. {id}"),
    ("nl", "stdnum.nl.bsn", "1112.22.33?", "Sofi-nummer: {id}.", "Nummer: {id}."),
    ("nl", "stdnum.nl.bsn", "1112.22.33?", "Myn burgerservicenûmer is {id}.", "Myn nûmer is {id}."),
    ("pt", "stdnum.pt.nif", "123 456 78?", "N.I.F. {id}", "N.º {id}"),
]


@pytest.mark.parametrize("lang, module, template, with_word, without", CONTEXT_CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[3].split()[0]}" for c in CONTEXT_CASES])
def test_weak_identifier_is_found_with_a_context_word_of_another_official_language(lang, module, template, with_word,
                                                                                   without):
    valid, _ = complete(module, template)
    assert _types(with_word.format(id=valid), lang).get(valid) in {"NATIONAL_ID", "TAX_ID", "SOCIAL_SECURITY"}
    assert not _types(without.format(id=valid), lang)


def test_maltese_identity_card_needs_its_words():
    assert _types("Numru tal-karta tal-identità: 123456M.", "mt").get("123456M") == "NATIONAL_ID"
    assert _types("Identity card no. 289765L", "en").get("289765L") == "NATIONAL_ID"
    assert not _types("Il-prezz huwa 123456M.", "mt")


@pytest.mark.parametrize("lang, word", [("de", "Nationalnummer"), ("fr", "registre national"),
                                        ("nl", "identificatienummer")])
def test_belgian_national_number_after_an_order_word_needs_a_word_of_its_own(lang, word):
    nn, _ = complete("stdnum.be.nn", "85.07.30-033.??")
    assert not _types(f"Bestellnummer {nn}", lang)  # announced as an order number: a coincidence
    assert _types(f"{word}, Bestellnummer {nn}", lang).get(nn) == "NATIONAL_ID"
    assert _types(f"{nn}", lang).get(nn) == "NATIONAL_ID"  # alone, a date and a checksum still say enough


@pytest.mark.parametrize("lang, word, number", [("sk", "Telefón", "0905 123 456"), ("da", "Tlf.", "20 12 34 56"),
                                                ("fr", "Tél.", "01 42 68 53 00"), ("es", "Tfno.", "912 345 678"),
                                                ("et", "Mobiil", "5123 4567"), ("nl", "Mobiel", "06 12345678")])
def test_phone_words_lift_a_number_an_order_word_announces(lang, word, number):
    assert not _types(f"Order {number}", lang)
    assert _types(f"{word} order {number}", lang).get(number) == "PHONE"


def test_short_phone_words_are_matched_at_the_start_of_a_word_long_ones_anywhere():
    # "tel" inside "Bestellnummer" or "Hotel" is no phone word; "telefon" inside "Diensttelefon" is
    assert not _types("Ihre Bestellnummer: 4711-2024-0815.", "de")
    assert not _types("Hotel Bestellung 030 1234567", "de")
    assert _types("Diensttelefon, Bestellung 030 1234567", "de").get("030 1234567") == "PHONE"
    assert _types("Telefonnummer: 030 1234567.", "de").get("030 1234567") == "PHONE"


@pytest.mark.parametrize("text, lang", [
    ("Veröffentlicht am 12.05.2024 um 14:30 Uhr.", "de"), ("Publié le 12/05/2024.", "fr"), ("Julkaistu 27. 8. 2018.", "fi"),
    ("Preis: 1.299,00 € (inkl. MwSt.)", "de"), ("Cena: 12 499 Kč", "cs"), ("Prix : 557.323,45 €", "fr"),
    ("Installieren Sie Build 10.0.19045.3693.", "de"), ("Update to v2.14.3 or Android 14 (UP1A.231005.007).", "en"),
    ("Das Buch (ISBN 978-3-16-148410-0) ist da.", "de"), ("Le livre (ISBN 2-266-11156-6).", "fr"),
    ("Artikel EAN 4006381333931 ist lieferbar.", "de"), ("Item EAN 4012345678901 in stock.", "en"),
    ("Koordinaten: 48.8566, 2.3522", "de"), ("Coordinates: N 52°31'12\" E 13°24'18\"", "en"),
    ("Współrzędne: 52.229676, 21.012229", "pl"), ("Bestellnummer 4711-2024-0815", "de"),
    ("Numéro de commande : 0612345678", "fr"), ("Sendungsnummer: 00340434161234567890", "de"),
    ("La ville compte 3.528.626 habitants.", "fr"), ("Rechnung Nr. 2024/430467", "de"),
])
def test_dates_prices_versions_isbns_barcodes_coordinates_and_order_numbers_are_not_personal(text, lang):
    assert not _types(text, lang)


def test_the_same_digits_with_a_phone_word_are_a_phone_number():
    assert _types("Bestellung per Telefon: 030 1234567", "de").get("030 1234567") == "PHONE"
    assert _types("Chiamami al 333.1234567", "it").get("333.1234567") == "PHONE"  # not a decimal number
