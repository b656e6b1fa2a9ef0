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
"""

from __future__ import annotations

import os
import sys

# this folder off the path when run as a script: benchmarks/pii.py must not shadow the pii package
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse
import json
import random
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="../shared/eval/pii")
    parser.add_argument("--ner-sample", type=int, default=300, help="sentences with entities per language, NER sets")
    parser.add_argument("--webpages", type=Path, help="../shared/eval/webpages: also time real English articles")
    args = parser.parse_args()
    scrubber = PiiScrubber(PiiConfig())
    scrubber.scrub("warm up", "en")
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
