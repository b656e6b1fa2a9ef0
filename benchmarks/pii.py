"""Personal-data detection: recall and precision per type and language, and documents/s.

    .venv/bin/python benchmarks/pii.py --data ../shared/eval/pii

Runs the pipeline's scrubber (pii/scrub.py, configured defaults) on presidio's recognizer test cases,
libphonenumber's example numbers of the 27 member states in every format, and python-stdnum's business
identifiers (VAT numbers and IBANs, bare, no context). Gold types are mapped to ours; gold types we do not
look for (dates, URLs, passports, UK numbers, company registers...) are neither counted as misses nor, when
a finding overlaps them, as false alarms. A finding is correct when it overlaps a gold span of its type;
a false alarm when it overlaps no gold span. Rows without a language use the main language of their country.
Gold identifiers python-stdnum rejects (presidio's made-up test numbers such as the German tax ID 12345678903,
which breaks the rule that one digit repeats) are counted apart: the scrubber validates with stdnum on purpose.
Phone numbers: libphonenumber's bare national significant numbers ("664123456", no context at all) are shown
apart and not counted in PHONE: the scrubber leaves bare digit runs with no phone word near them alone
(order and customer numbers). Where a country has no trunk prefix that digit run is how people write a number
(Spain "612345678"), so it is also counted after a phone word ("Tel.: 612345678"); where it has one (France
"06 12 34 56 78") the prefix-less run is not a spelling people use and its NATIONAL form is counted instead.
Speed: 2,000-character documents of each language (bundled sample texts, a few personal values planted).

Two GENERATED sets, reported in their own tables (made here from word lists and stdnum, not collected from pages):
obfuscated e-mail addresses ("max (at) example (dot) de", "jan małpa firma kropka pl": eleven forms in the 24
languages, recall counted when one EMAIL span covers the whole written address; their at/dot words come from the
same lists as the recognizer's, so the table measures forms and embedding, not how complete the lists are), and
hard negatives: realistic non-personal strings that look like personal data (dates in ten spellings, timestamps,
order, invoice and tracking numbers, prices, version and build strings, ISBN-10/13 and EAN/GTIN codes with valid
check digits, GPS coordinates in decimal and degree-minute-second forms, postcodes in addresses, population
figures, prose with "at"/"dot" words) in a sentence of up to 22 languages, with the false-alarm rate per kind:
the share of strings with any finding (names apart: that is the name finder's table above).
"""

from __future__ import annotations

import os
import sys

# this folder off the path when run as a script: benchmarks/pii.py must not shadow the pii package
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse
import json
import random
import string
import time
from collections import Counter, defaultdict
from pathlib import Path

import phonenumbers

from corpus.config import EU_LANGUAGES, PiiConfig  # noqa: E402
from corpus.sample.generate import fake_email, fake_iban, fake_phone, load_texts  # noqa: E402
from pii.identifiers import COUNTRIES_OF_LANGUAGE, validator  # noqa: E402
from pii.scrub import PiiScrubber  # noqa: E402

IDENTIFIER = "IDENTIFIER"  # national, tax and social-security identifiers, counted together
OURS = {"PERSON": "PERSON", "EMAIL": "EMAIL", "PHONE": "PHONE", "IBAN": "IBAN", "CREDIT_CARD": "CREDIT_CARD", "IP_ADDRESS": "IP_ADDRESS",
        "NATIONAL_ID": IDENTIFIER, "TAX_ID": IDENTIFIER, "SOCIAL_SECURITY": IDENTIFIER, "VAT_ID": "VAT_ID"}
GOLD = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "IBAN_CODE": "IBAN", "IBAN": "IBAN",
        "CREDIT_CARD": "CREDIT_CARD", "IP_ADDRESS": "IP_ADDRESS", "ES_NIE": IDENTIFIER, "ES_NIF": IDENTIFIER,
        "FI_PERSONAL_IDENTITY_CODE": IDENTIFIER, "IT_FISCAL_CODE": IDENTIFIER, "PL_PESEL": IDENTIFIER,
        "SE_PERSONNUMMER": IDENTIFIER, "DE_TAX_ID": IDENTIFIER, "DE_SOCIAL_SECURITY": IDENTIFIER,
        "DE_VAT_ID": "VAT_ID", "IT_VAT_CODE": "VAT_ID", "VAT_ID": "VAT_ID",
        "PER": "PERSON", "LOC": "NOT_PERSON", "ORG": "NOT_PERSON", "MISC": "NOT_PERSON"}
NER_FILES = ("wikineural_silver_ner_8eu", "conll2002_gold_ner_es_nl")
#: presidio's gold identifier types -> the stdnum module that decides whether the gold value is valid at all
GOLD_VALIDATOR = {"DE_TAX_ID": "stdnum.de.idnr", "IT_FISCAL_CODE": "stdnum.it.codicefiscale", "ES_NIF": "stdnum.es.dni",
                  "ES_NIE": "stdnum.es.nie", "PL_PESEL": "stdnum.pl.pesel", "SE_PERSONNUMMER": "stdnum.se.personnummer",
                  "FI_PERSONAL_IDENTITY_CODE": "stdnum.fi.hetu"}
PHONE_WORD = {"bg": "Тел.: ", "el": "Τηλ.: "}  # others: "Tel.: "
LANGUAGE_OF_COUNTRY = {cs[0]: lang for lang, cs in reversed(COUNTRIES_OF_LANGUAGE.items())} | {
    "AT": "de", "BE": "nl", "LU": "fr", "CY": "el", "MT": "mt", "IE": "en", "GR": "el", "EL": "el"}


def rows(root: Path, ner_sample: int = 300):
    for name in ("presidio_recognizer_tests", "libphonenumber_examples_eu27", "stdnum_business_ids", *NER_FILES):
        taken: Counter = Counter()
        for line in (root / f"{name}.jsonl").read_text("utf-8").splitlines():
            row = json.loads(line)
            if name in NER_FILES:  # names: the first ner_sample sentences with an entity, per language
                if not row["entities"] or taken[row["lang"]] >= ner_sample:
                    continue
                taken[row["lang"]] += 1
            lang = row.get("lang") or LANGUAGE_OF_COUNTRY.get((row.get("country") or "").upper(), "en")
            lang = lang if lang in EU_LANGUAGES else "en"
            if row.get("format") == "raw_nsn":
                yield name, lang, dict(row, format="raw_nsn, bare (not counted)")
                if not phonenumbers.PhoneMetadata.metadata_for_region(row["country"]).national_prefix:
                    word = PHONE_WORD.get(lang, "Tel.: ")
                    entities = [dict(e, start=e["start"] + len(word), end=e["end"] + len(word)) for e in row["entities"]]
                    yield name, lang, dict(row, text=word + row["text"], entities=entities, format="raw_nsn after a phone word")
                continue
            yield name, lang, row


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def evaluate(scrubber: PiiScrubber, root: Path, ner_sample: int) -> tuple[dict, dict]:
    """(type -> Counter(tp, fn, fp, negatives_flagged...) overall, (type, lang) -> Counter)."""
    by_type: dict = defaultdict(Counter)
    by_lang: dict = defaultdict(Counter)
    for source, lang, row in rows(root, ner_sample):
        text = row["text"]
        gold = [(GOLD.get(e["type"]), (e["start"], e["end"])) for e in row["entities"]]
        if source == "stdnum_business_ids" and not row.get("expected_valid", True):
            gold = []  # invalid numbers: nothing should be found
        found = [(OURS.get(s.type, s.type), (s.start, s.end)) for s in scrubber.scrub(text, lang).spans]
        for entity, (kind, span) in zip(row["entities"], gold):
            if kind is None or kind == "NOT_PERSON":
                continue
            hit = any(k == kind and overlaps(span, s) for k, s in found)
            if entity["type"] in GOLD_VALIDATOR and not stdnum_accepts(entity["type"], text[span[0]:span[1]]):
                by_type["(gold identifiers stdnum rejects)"]["tp" if hit else "fn"] += 1
                continue
            if row.get("format"):  # libphonenumber's spellings: E164, INTERNATIONAL, NATIONAL, raw_nsn
                by_type[f"PHONE:{row['format']}"]["tp" if hit else "fn"] += 1
                if row["format"].endswith("(not counted)"):
                    continue
            for table, key in ((by_type, kind), (by_lang, (kind, lang))):
                table[key]["tp" if hit else "fn"] += 1
        for kind, span in found:
            # a false alarm overlaps no gold span; a name found on a place or organisation is one too
            if not any(overlaps(span, g) for k, g in gold if k != "NOT_PERSON" or kind != "PERSON"):
                for table, key in ((by_type, kind), (by_lang, (kind, lang))):
                    table[key]["fp"] += 1
        if not gold and row.get("label") == "negative":
            by_type["(negative rows)"]["rows"] += 1
            by_type["(negative rows)"]["flagged"] += bool(found)
    return by_type, by_lang


def stdnum_accepts(gold_type: str, value: str) -> bool:
    module = GOLD_VALIDATOR[gold_type]
    if module == "stdnum.es.dni":
        return validator(module)(value) or validator("stdnum.es.nie")(value)
    return validator(module)(value)


def speed(scrubber: PiiScrubber, seconds_per_language: float = 0.5) -> tuple[float, dict]:
    rng = random.Random(0)
    docs = []
    for lang in EU_LANGUAGES:
        sentences = load_texts(lang)["sentences"]
        for _ in range(20):
            parts = rng.sample(sentences, len(sentences))
            text = ""
            while len(text) < 2000:
                text += parts.pop() + " " if parts else "x "
            text = text[:1900] + f" {fake_email(rng, lang)} {fake_phone(rng, lang)} {fake_iban(rng)}"
            docs.append((lang, text[:2000]))
    for lang, text in docs[::20]:
        scrubber.scrub(text, lang)  # build each language's tokenizer first
    start = time.perf_counter()
    per_lang: dict = defaultdict(list)
    for lang, text in docs:
        t = time.perf_counter()
        scrubber.scrub(text, lang)
        per_lang[lang].append(time.perf_counter() - t)
    return len(docs) / (time.perf_counter() - start), {k: len(v) / sum(v) for k, v in per_lang.items()}


def real_page_speed(webpages: Path, n_chars: int = 2000) -> None:
    """Patterns vs names on real English news (scrapinghub's gold article bodies, first 2,000 characters):
    real articles name far more people than the planted sample documents above."""
    texts = [json.loads(line)["articleBody"][:n_chars]
             for line in (webpages / "scrapinghub_index.jsonl").read_text("utf-8").splitlines()]
    timings = {}
    for label, config in (("patterns only", PiiConfig(entities=tuple(e for e in PiiConfig().entities if e != "PERSON"))),
                          ("with names", PiiConfig())):
        scrubber = PiiScrubber(config)
        for text in texts[:10]:
            scrubber.scrub(text, "en")
        start = time.perf_counter()
        for text in texts:
            scrubber.scrub(text, "en")
        timings[label] = (time.perf_counter() - start) / len(texts)
    print(f"real English articles ({len(texts)}, {n_chars:,} characters): patterns only "
          f"{1 / timings['patterns only']:.0f} documents/s, with names {1 / timings['with names']:.0f} documents/s "
          f"-> names cost {timings['with names'] / timings['patterns only']:.1f}x")


# -- generated sets: obfuscated e-mail addresses and hard negatives ----------------------------------------
#: words people write for "@" and "." when they hide an address, per language (pii/obfuscated.py has the full
#: lists; these are the spellings the generated set uses, so its recall says how well forms and embedding
#: work, not how complete the word lists are)
OBFUSCATED_LEADS = {
    "bg": "Пишете ни на", "cs": "Napište nám na", "da": "Skriv til", "de": "Schreiben Sie an", "el": "Γράψτε μας στο",
    "en": "Email me at", "es": "Escríbeme a", "et": "Kirjuta", "fi": "Sähköposti:", "fr": "Écrivez-moi à", "ga": "Scríobh chuig",
    "hr": "Pišite na", "hu": "Írjon nekünk:", "it": "Scrivimi a", "lt": "Rašykite", "lv": "Rakstiet uz", "mt": "Ikteb lil",
    "nl": "Mail naar", "pl": "Napisz na", "pt": "Escreva para", "ro": "Scrieți-ne la", "sk": "Napíšte nám na", "sl": "Pišite na",
    "sv": "Mejla till",
}
OBFUSCATED_WORDS = {  # (at, dot) written as plain words in each language
    "bg": ("маймунка", "точка"), "cs": ("zavináč", "tečka"), "da": ("snabel-a", "punktum"), "de": ("at", "punkt"),
    "el": ("παπάκι", "τελεία"), "en": ("at", "dot"), "es": ("arroba", "punto"), "et": ("ät", "punkt"), "fi": ("ät", "piste"),
    "fr": ("arobase", "point"), "ga": ("ag", "ponc"), "hr": ("afna", "točka"), "hu": ("kukac", "pont"),
    "it": ("chiocciola", "punto"), "lt": ("eta", "taškas"), "lv": ("et", "punkts"), "mt": ("at", "dot"),
    "nl": ("apenstaartje", "punt"), "pl": ("małpa", "kropka"), "pt": ("arroba", "ponto"), "ro": ("arond", "punct"),
    "sk": ("zavináč", "bodka"), "sl": ("afna", "pika"), "sv": ("snabel-a", "punkt"),
}
_DOMAIN_WORDS = ("example", "post", "mail", "firma", "verein", "studio", "praxis", "atelier", "kanzlei", "hotel-sonne",
                 "web", "net-service", "uni-muenster", "gmx", "posteo", "seznam", "wp", "libero", "telenet", "abv")
_TLDS = {"bg": "bg", "cs": "cz", "da": "dk", "de": "de", "el": "gr", "en": "ie", "es": "es", "et": "ee", "fi": "fi",
         "fr": "fr", "ga": "ie", "hr": "hr", "hu": "hu", "it": "it", "lt": "lt", "lv": "lv", "mt": "com.mt", "nl": "nl",
         "pl": "pl", "pt": "pt", "ro": "ro", "sk": "sk", "sl": "si", "sv": "se"}


def obfuscated_emails(rng: random.Random, per_language: int = 22) -> list[tuple[str, str, str, tuple[int, int]]]:
    """(form, lang, text, span of the address): generated addresses written as people hide them."""
    from corpus.sample.generate import FIRST_NAMES, LAST_NAMES

    out = []
    for lang in EU_LANGUAGES:
        at_word, dot_word = OBFUSCATED_WORDS[lang]
        for i in range(per_language):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = rng.choice([f"{first}.{last}", f"{first}{rng.randint(1, 99)}", f"{first[0]}.{last}", f"{first}_{last}"])
            domain = [rng.choice(_DOMAIN_WORDS)] + rng.choice([[], [], ["co"] if lang == "en" else []]) + _TLDS[lang].split(".")
            if rng.random() < 0.2:
                domain = [rng.choice(("mail", "stud", "kontakt"))] + domain
            form, at, dot = [
                ("(at)", "(at)", "."), ("(at)/(dot)", " (at) ", " (dot) "), ("[at]/[dot]", " [at] ", " [dot] "),
                ("{at}", "{at}", "."), ("spaced @ .", " @ ", " . "), ("@/(dot)", "@", "(dot)"),
                ("AT/DOT", " AT ", " DOT "), ("at/dot words", " at ", " dot "),
                ("native words", f" {at_word} ", f" {dot_word} "), ("native (words)", f" ({at_word}) ", f" ({dot_word}) "),
                ("(at)/(native dot)", "(at)", f"({dot_word})"),
            ][i % 11]
            address = local + at + dot.join(domain)
            lead = OBFUSCATED_LEADS[lang] + " "
            sentence = load_texts(lang)["sentences"][i % 3]
            text = f"{sentence} {lead}{address}."
            start = len(sentence) + 1 + len(lead)
            out.append((form, lang, text, (start, start + len(address))))
    return out


#: words before a generated value, per language and kind: realistic non-personal numbers in the spellings pages use
HARD_NEGATIVE_LEADS = {
    "order number": {"de": "Ihre Bestellnummer lautet", "en": "Your order number is", "fr": "Votre numéro de commande :",
                     "es": "Número de pedido:", "it": "Numero d'ordine:", "nl": "Uw bestelnummer is", "pl": "Numer zamówienia:",
                     "cs": "Číslo objednávky:", "sv": "Ditt ordernummer är", "fi": "Tilausnumero:", "pt": "N.º da encomenda:",
                     "hu": "Rendelésszám:", "el": "Αριθμός παραγγελίας:", "bg": "Номер на поръчката:", "da": "Ordrenummer:"},
    "invoice/reference": {"de": "Rechnungsnummer", "en": "Invoice no.", "fr": "Facture n°", "es": "Factura n.º",
                          "it": "Fattura n.", "nl": "Factuurnummer", "pl": "Faktura nr", "cs": "Faktura č.", "ro": "Factura nr.",
                          "sk": "Faktúra č.", "lt": "Sąskaitos Nr.", "hr": "Račun br.", "et": "Arve nr", "lv": "Rēķina Nr."},
    "date": {"de": "Veröffentlicht am", "en": "Published on", "fr": "Publié le", "es": "Publicado el", "it": "Pubblicato il",
             "nl": "Gepubliceerd op", "pl": "Opublikowano", "cs": "Publikováno", "sv": "Publicerad", "fi": "Julkaistu",
             "pt": "Publicado em", "hu": "Megjelent:", "ro": "Publicat la", "el": "Δημοσιεύθηκε", "bg": "Публикувано на",
             "sk": "Publikované", "hr": "Objavljeno", "sl": "Objavljeno", "lt": "Paskelbta", "lv": "Publicēts", "et": "Avaldatud",
             "da": "Udgivet"},
    "timestamp": {"de": "Zuletzt aktualisiert:", "en": "Last updated:", "fr": "Dernière mise à jour :", "es": "Última actualización:",
                  "it": "Ultimo aggiornamento:", "nl": "Laatst bijgewerkt:", "pl": "Ostatnia aktualizacja:", "sv": "Senast uppdaterad:",
                  "fi": "Päivitetty:", "cs": "Aktualizováno:", "el": "Τελευταία ενημέρωση:"},
    "price": {"de": "Preis:", "en": "Price:", "fr": "Prix :", "es": "Precio:", "it": "Prezzo:", "nl": "Prijs:", "pl": "Cena:",
              "cs": "Cena:", "sv": "Pris:", "fi": "Hinta:", "pt": "Preço:", "hu": "Ár:", "ro": "Preț:", "el": "Τιμή:",
              "bg": "Цена:", "sk": "Cena:", "hr": "Cijena:", "da": "Pris:"},
    "version": {"de": "Installieren Sie", "en": "Please update to", "fr": "Mettez à jour vers", "es": "Actualice a",
                "it": "Aggiornare a", "nl": "Update naar", "pl": "Zaktualizuj do", "cs": "Aktualizujte na", "sv": "Uppdatera till",
                "fi": "Päivitä versioon", "pt": "Atualize para", "hu": "Frissítsen erre:"},
    "ISBN": {"de": "Das Buch (", "en": "The book (", "fr": "Le livre (", "es": "El libro (", "it": "Il libro (",
             "nl": "Het boek (", "pl": "Książka (", "cs": "Kniha (", "sv": "Boken (", "pt": "O livro (", "fi": "Kirja (",
             "hu": "A könyv (", "ro": "Cartea (", "el": "Το βιβλίο ("},
    "EAN barcode": {"de": "Artikel", "en": "Item", "fr": "Article", "es": "Artículo", "it": "Articolo", "nl": "Artikel",
                    "pl": "Produkt", "cs": "Zboží", "sv": "Artikel", "pt": "Artigo", "hu": "Termék", "ro": "Produs"},
    "coordinates": {"de": "Koordinaten:", "en": "Coordinates:", "fr": "Coordonnées GPS :", "es": "Coordenadas:",
                    "it": "Coordinate:", "nl": "Coördinaten:", "pl": "Współrzędne:", "cs": "Souřadnice:", "sv": "Koordinater:",
                    "fi": "Koordinaatit:", "pt": "Coordenadas:", "hr": "Koordinate:", "el": "Συντεταγμένες:", "ro": "Coordonate:"},
    "postcode": {"de": "Unsere Filiale:", "en": "Our office:", "fr": "Notre agence :", "es": "Nuestra oficina:",
                 "it": "La nostra sede:", "nl": "Ons kantoor:", "pl": "Nasze biuro:", "cs": "Naše pobočka:", "sv": "Vårt kontor:",
                 "pt": "O nosso escritório:", "hu": "Irodánk:", "lt": "Mūsų biuras:", "lv": "Mūsu birojs:", "fi": "Toimistomme:"},
    "tracking number": {"de": "Sendungsnummer:", "en": "Tracking number:", "fr": "Numéro de suivi :", "es": "Número de seguimiento:",
                        "it": "Numero di tracciamento:", "nl": "Track & trace:", "pl": "Numer przesyłki:", "cs": "Číslo zásilky:",
                        "sv": "Kollinummer:", "fi": "Lähetystunnus:", "pt": "Número de rastreio:", "da": "Pakkenummer:"},
    "quantity": {"de": "Die Stadt hat", "en": "The city has", "fr": "La ville compte", "es": "La ciudad tiene", "it": "La città ha",
                 "nl": "De stad telt", "pl": "Miasto liczy", "cs": "Město má", "sv": "Staden har", "fi": "Kaupungissa on",
                 "pt": "A cidade tem", "hu": "A város lakossága", "el": "Η πόλη έχει", "bg": "Градът има"},
}
#: prose with the words people use for "@" and "." that is not an address (no valid top-level domain, or a website)
AT_DOT_PROSE = {
    "en": ["Let's meet at home, dot the i's and cross the t's.", "We arrived at noon on the dot.",
           "Look at the red dot on the map.", "She works at Oxford dot matrix printers.", "Meet me at home dot",
           "At this point in time we stay at home.", "Find us at example.com or visit us at example dot com.",
           "More information at example dot org/help.", "The polka dot dress at the store dot window."],
    "de": ["Wir treffen uns Punkt acht Uhr at the office.", "Er kam at home an, Punkt.", "Punkt für Punkt erklärt.",
           "Mehr unter www punkt example punkt de."],
    "fr": ["Le point de vente est fermé, point final.", "Rendez-vous at the point de départ.", "Un point c'est tout."],
    "es": ["Punto de venta: calle Mayor, punto de encuentro.", "Pesaba una arroba de trigo punto por punto."],
    "it": ["Il punto vendita è chiuso, punto e basta.", "La chiocciola esce dopo la pioggia, punto."],
    "nl": ["Hij at een appel, punt uit.", "Jan at brood op het punt van vertrek."],
    "pl": ["Kropka nad i, małpa w zoo.", "Małpa siedziała na drzewie, kropka."],
    "cs": ["Tečka za větou, zavináč na klávesnici.", "Dám tomu tečku."],
    "hu": ["Egy kukac volt az almában, pont.", "Pont ott volt."],
    "lv": ["Pēteris et Marija, punkts.", "Tas ir punkts."],
    "ga": ["Tá sé ag obair ponc a haon.", "Bhí mé ag caint leis."],
    "sv": ["Punkt slut, sa han.", "Vi ses på punkt tre."],
}


def _isbn13(rng: random.Random) -> str:
    from stdnum import ean

    body = "978" + rng.choice(["3", "2", "84", "88", "90", "83", "80", "91", "952", "972"])
    body += "".join(rng.choices(string.digits, k=12 - len(body)))
    return body + ean.calc_check_digit(body)


def hard_negative_value(kind: str, lang: str, rng: random.Random) -> str:
    """One realistic non-personal value of ``kind``, in a spelling pages of ``lang`` use."""
    from datetime import datetime, timedelta

    from stdnum import ean, isbn

    d = lambda k: "".join(rng.choices(string.digits, k=k))  # noqa: E731
    when = datetime(2015, 1, 1) + timedelta(days=rng.randint(0, 3650), seconds=rng.randint(0, 86399))
    if kind == "date":
        fmt = rng.choice(["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "%d-%m-%Y", "%Y/%m/%d", "%Y.%m.%d.",
                          "%-d. %-m. %Y", "%d.%m.%Y–%d.%m.%Y", "%d/%m/%Y - %d/%m/%Y"])
        return when.strftime(fmt)
    if kind == "timestamp":
        return rng.choice([when.strftime("%Y-%m-%dT%H:%M:%SZ"), when.strftime("%Y-%m-%d %H:%M:%S"),
                           when.strftime("%d.%m.%Y, %H:%M"), when.strftime("%Y%m%dT%H%M%S"), str(int(when.timestamp())),
                           when.strftime("%Y-%m-%dT%H:%M:%S.") + d(3) + "+02:00", when.strftime("%d/%m/%Y %H:%M:%S"),
                           str(int(when.timestamp() * 1000))])
    if kind == "order number":
        return rng.choice([f"{d(4)}-{when.year}-{d(4)}", d(rng.randint(8, 12)), f"#{d(9)}", f"{d(3)}-{d(7)}-{d(7)}",
                           f"{rng.choice(['AB', 'WEB', 'BE', 'ORD'])}-{when.year}-{d(6)}", f"{d(2)} {d(3)} {d(3)} {d(3)}",
                           f"{d(4)} {d(4)} {d(4)}", f"{d(3)}.{d(3)}.{d(3)}"])
    if kind == "invoice/reference":
        return rng.choice([f"RE-{when.year}-{d(5)}", f"{when.year}/{d(6)}", f"{d(10)}", f"{d(4)}/{when.strftime('%m')}/{when.year}",
                           f"{d(3)} {d(3)} {d(4)}", f"{d(2)}-{d(4)}-{d(4)}", f"FV/{d(4)}/{when.year}"])
    if kind == "price":
        whole, cents = rng.randint(1, 2_000_000), rng.randint(0, 99)
        dotted = f"{whole:,}".replace(",", ".")
        spaced = f"{whole:,}".replace(",", "\u00a0" if rng.random() < 0.5 else " ")
        return rng.choice([f"{dotted},{cents:02d} €", f"€ {spaced},{cents:02d}", f"{whole:,}.{cents:02d} EUR",
                           f"{spaced} Kč", f"{spaced},{cents:02d} zł", f"{spaced} Ft", f"EUR {dotted},–", f"{spaced} kr",
                           f"{whole},{cents:02d} €", f"{dotted},{cents:02d} € ({dotted},{cents:02d} € inkl. MwSt.)"])
    if kind == "version":
        a, b, c = rng.randint(0, 30), rng.randint(0, 40), rng.randint(0, 300)
        return rng.choice([f"v{a}.{b}.{c}", f"Version {a}.{b}.{c}", f"Build 10.0.{rng.randint(10000, 26000)}.{rng.randint(1, 5000)}",
                           f"Android {rng.randint(8, 15)} (UP1A.{d(6)}.{d(3)})", f"iOS {rng.randint(12, 18)}.{b % 8}.{c % 5}",
                           f"kernel {rng.randint(4, 6)}.{b}.0-{rng.randint(1, 40)}-amd64", f"Firmware {a}.{d(2)}.{d(4)}",
                           f"release {when.year}.{when.month:02d}.{rng.randint(0, 9)}", f"v{a}.{b}.{c}-rc.{rng.randint(1, 5)}",
                           f"Version {rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(1000, 9999)}"])
    if kind == "ISBN":
        number = _isbn13(rng)
        isbn10 = isbn.to_isbn10(number) if number.startswith("978") else number
        return rng.choice([f"ISBN {isbn.format(number)}", f"ISBN-13: {number}", f"ISBN {isbn.format(isbn10)}",
                           f"ISBN {isbn10}", f"ISBN 978 {number[3:4]} {number[4:7]} {number[7:12]} {number[12]}",
                           f"ISBN: {isbn.format(number)}"]) + ")"
    if kind == "EAN barcode":
        prefix = rng.choice(["40", "41", "42", "43", "44", "30", "34", "590", "80", "84", "87", "54", "76", "50"])
        body12 = prefix + d(12 - len(prefix))
        body7 = prefix[:2] + d(5)
        return rng.choice([f"EAN {body12}{ean.calc_check_digit(body12)}", f"EAN: {body12}{ean.calc_check_digit(body12)}",
                           f"GTIN 0{body12}{ean.calc_check_digit('0' + body12)}", f"EAN-8 {body7}{ean.calc_check_digit(body7)}",
                           f"(EAN {body12[:1]} {body12[1:7]} {body12[7:]}{ean.calc_check_digit(body12)})"])
    if kind == "coordinates":
        lat, lon = rng.uniform(35, 70), rng.uniform(-10, 30)
        dms = lambda x: f"{int(x)}°{int(x * 60) % 60:02d}'{int(x * 3600) % 60:02d}\""  # noqa: E731
        return rng.choice([f"{lat:.4f}, {lon:.4f}", f"{lat:.6f}, {lon:.6f}", f"N {dms(lat)} E {dms(lon)}",
                           f"{dms(lat)}N {dms(lon)}E", f"{lat:.4f}° N, {lon:.4f}° E", f"({lat:.5f}, {lon:.5f})",
                           f"{lat:.6f},{lon:.6f}", f"{lat:.5f} {lon:.5f}", f"lat {lat:.6f} lon {lon:.6f}",
                           f"{lat:.4f}".replace(".", ",") + "; " + f"{lon:.4f}".replace(".", ",")])
    if kind == "postcode":
        return rng.choice([f"Hauptstraße {rng.randint(1, 200)}, {d(5)} Berlin", f"{rng.randint(1, 99)} rue de la Paix, 750{d(2)} Paris",
                           f"ul. Marszałkowska {rng.randint(1, 150)}, {d(2)}-{d(3)} Warszawa", f"{rng.randint(1000, 9999)} Wien",
                           f"Damrak {rng.randint(1, 99)}, {rng.randint(1000, 9999)} AB Amsterdam",
                           f"Václavské náměstí {rng.randint(1, 99)}, 110 00 Praha 1",
                           f"Drottninggatan {rng.randint(1, 99)}, 111 {d(2)} Stockholm",
                           f"Calle Mayor {rng.randint(1, 99)}, 280{d(2)} Madrid", f"Via del Corso {rng.randint(1, 300)}, 00186 Roma",
                           f"Avenida da Liberdade {rng.randint(1, 250)}, 1250-{d(3)} Lisboa", f"H-{rng.randint(1000, 1239)} Budapest",
                           f"LT-{d(5)} Vilnius", f"LV-10{d(2)} Rīga", f"Mannerheimintie {rng.randint(1, 99)}, 00{d(3)} Helsinki"])
    if kind == "tracking number":
        s10 = d(8)
        weights = (8, 6, 4, 2, 3, 5, 9, 7)
        check = 11 - sum(int(a) * w for a, w in zip(s10, weights)) % 11
        check = {10: 0, 11: 5}.get(check, check)
        return rng.choice([f"JJD{d(18)}", f"00340{d(15)}", f"1Z {d(3)} {rng.choice(['AA', 'X4', 'E2'])}{d(1)} {d(2)} {d(4)} {d(4)}",
                           f"RR {s10[:3]} {s10[3:6]} {s10[6:]}{check} DE", f"{d(12)}", f"{d(14)}",
                           f"3S{rng.choice(['KVBK', 'ABCD'])}{d(7)}",
                           f"CX{s10}{check}FR", f"{d(4)} {d(4)} {d(4)} {d(2)}"])
    if kind == "quantity":
        n = rng.randint(100_000, 40_000_000)
        return rng.choice([f"{n:,}".replace(",", " "), f"{n:,}".replace(",", "."), f"{n:,}", f"{n:,}".replace(",", "\u202f")]) + \
            rng.choice([" Einwohner", " inhabitants", " habitants", " mieszkańców", " ", " (2021)"])
    raise ValueError(kind)


def hard_negatives(rng: random.Random, per_kind: int = 60) -> list[tuple[str, str, str]]:
    """(kind, lang, text): generated non-personal strings that look like personal data, in a sentence."""
    out = []
    for kind, leads in HARD_NEGATIVE_LEADS.items():
        langs = sorted(leads)
        for i in range(per_kind):
            lang = langs[i % len(langs)]
            out.append((kind, lang, f"{load_texts(lang)['sentences'][i % 3]} {leads[lang]} {hard_negative_value(kind, lang, rng)}."))
    for lang, sentences in AT_DOT_PROSE.items():
        for sentence in sentences:
            out.append(("at/dot prose", lang, sentence))
    return out


def evaluate_generated(scrubber: PiiScrubber) -> None:
    """Obfuscated e-mail recall (by form) and the false-alarm rate on hard negatives (by kind): generated sets."""
    rng = random.Random(13)
    scrubber.scrub("warm up", "en")
    analyzer = scrubber._analyzer  # its engine (pii.engine.build_analyzer)
    forms: dict = defaultdict(Counter)
    for form, lang, text, span in obfuscated_emails(rng):
        spans = [(s.start, s.end) for s in scrubber.scrub(text, lang).spans if s.type == "EMAIL"]
        whole = any(s <= span[0] and e >= span[1] for s, e in spans)
        forms[form]["n"] += 1
        forms[form]["whole"] += whole
        forms[form]["part"] += not whole and any(overlaps(span, s) for s in spans)
        # the recognizers alone (pii/engine.py), without the scrubber's pre-filters and name findings
        engine = analyzer.analyze(text=text, language=lang, entities=["EMAIL_ADDRESS"], score_threshold=0.4)
        forms[form]["engine"] += any(r.start <= span[0] and r.end >= span[1] for r in engine)
    total = sum((c for c in forms.values()), Counter())
    print("\nobfuscated e-mail addresses (GENERATED: 24 languages, the forms below; recall = the whole address is one EMAIL"
          " span; engine = the analyzer alone)")
    print(f"  {'form':22} {'n':>4} {'recall':>7} {'partial':>7} {'engine':>7}")
    for form, c in sorted(forms.items()) + [("all", total)]:
        print(f"  {form:22} {c['n']:4d} {c['whole'] / c['n']:7.3f} {c['part']:7d} {c['engine'] / c['n']:7.3f}")
    kinds: dict = defaultdict(Counter)
    examples: dict = defaultdict(list)
    for kind, lang, text in hard_negatives(rng):
        found = scrubber.scrub(text, lang).spans
        kinds[kind]["n"] += 1
        patterns = [s for s in found if s.type != "PERSON"]
        kinds[kind]["flagged"] += bool(patterns)
        kinds[kind]["names"] += any(s.type == "PERSON" for s in found)
        kinds[kind]["any"] += bool(found)
        for s in patterns:
            kinds[kind][s.type] += 1
            if len(examples[kind]) < 3:
                examples[kind].append(f"{lang}: {text[s.start:s.end]!r} -> {s.type}")
    total = sum((c for c in kinds.values()), Counter())
    print("\nhard negatives (GENERATED, nothing personal in them; false alarm = any finding but a name; names: strings"
          " with a name found; any: with any finding, names included)")
    print(f"  {'kind':18} {'n':>4} {'false alarms':>12} {'rate':>6} {'names':>5} {'any':>6}  types found")
    for kind, c in sorted(kinds.items()) + [("all", total)]:
        types = ", ".join(f"{t} {n}" for t, n in sorted(c.items()) if t not in ("n", "flagged", "names", "any"))
        print(f"  {kind:18} {c['n']:4d} {c['flagged']:12d} {c['flagged'] / c['n']:6.3f} {c['names']:5d} "
              f"{c['any'] / c['n']:6.3f}  {types}")
    for kind, lines in sorted(examples.items()):
        print(f"    e.g. {kind}: " + "; ".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="../shared/eval/pii")
    parser.add_argument("--ner-sample", type=int, default=300, help="sentences with entities per language, NER sets")
    parser.add_argument("--webpages", type=Path, help="../shared/eval/webpages: also time real English articles")
    parser.add_argument("--generated-only", action="store_true",
                        help="only the generated sets (obfuscated e-mail addresses, hard negatives)")
    args = parser.parse_args()
    scrubber = PiiScrubber(PiiConfig())
    scrubber.scrub("warm up", "en")
    if args.generated_only:
        evaluate_generated(scrubber)
        return
    by_type, by_lang = evaluate(scrubber, Path(args.data), args.ner_sample)
    print(f"{'type':14} {'gold':>5} {'recall':>7} {'findings':>8} {'precision':>9}")
    for kind, c in sorted(by_type.items()):
        if kind.startswith("(negative"):
            continue
        gold, found = c["tp"] + c["fn"], c["tp"] + c["fp"]
        recall = f"{c['tp'] / gold:7.3f}" if gold else f"{'-':>7}"
        precision = f"{c['tp'] / found:9.3f}" if found else f"{'-':>9}"
        print(f"{kind:14} {gold:5d} {recall} {found:8d} {precision}")
    neg = by_type["(negative rows)"]
    print(f"negative rows (nothing to find): {neg['rows']}, flagged: {neg['flagged']} "
          f"-> precision on negatives {1 - neg['flagged'] / max(1, neg['rows']):.3f}")
    print("\nrecall per type and language (gold >= 5):")
    for (kind, lang), c in sorted(by_lang.items()):
        gold = c["tp"] + c["fn"]
        if gold >= 5:
            print(f"  {kind:12} {lang:3} {gold:4d} recall {c['tp'] / gold:.3f}  false alarms {c['fp']}")
    evaluate_generated(scrubber)
    print("\nperson names: method per language -> " + ", ".join(
        f"{lang} {scrubber.name_method(lang)}" for lang in EU_LANGUAGES))
    for label, config in (("patterns only", PiiConfig(entities=tuple(e for e in PiiConfig().entities if e != "PERSON"))),
                          ("with names", PiiConfig())):
        overall, per_lang = speed(PiiScrubber(config))
        ner = [lang for lang in EU_LANGUAGES if lang in config.ner_models and "PERSON" in config.entities]
        print(f"speed, {label}: {overall:,.0f} documents/s (2,000 characters, one core); " +
              (f"NER languages {', '.join(f'{k} {per_lang[k]:.0f}' for k in ner)}; " if ner else "") +
              "slowest: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(per_lang.items(), key=lambda kv: kv[1])[:4]))
    if args.webpages:
        real_page_speed(args.webpages)


if __name__ == "__main__":
    main()
