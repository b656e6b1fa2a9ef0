"""Generate the bundled sample crawl: WARC files, reproducibly, from the texts in ``texts/<lang>.json``.

Pages in all 24 EU languages (plus a few non-EU ones), each wrapped in realistic boilerplate (menu,
cookie banner, related links, footer); planted personal data (fake but valid: Luhn cards, checksummed
IBANs, valid phone numbers); exact duplicates (syndicated copies under other sites' boilerplate) and near
duplicates (light edits); and bad records: non-200 responses, non-HTML payloads, request/warcinfo/revisit
records, legacy charsets, a short page, a spam page, an empty page, a garbled HTTP message and a file
whose tail is truncated.

Records are written by hand (one gzip member each, mtime 0) rather than with a WARC library so that
damaged records can be produced on purpose and the bytes are identical on every machine.

``python -m corpus.sample.generate OUT_DIR [--pages-per-language N]`` or ``corpus sample``.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import phonenumbers
from stdnum import iban as stdnum_iban

from corpus.config import EU_LANGUAGES

GENERATOR_VERSION = 2
NON_EU_LANGUAGES = ("ru", "tr")

TLD = {
    "bg": "bg", "hr": "hr", "cs": "cz", "da": "dk", "nl": "nl", "en": "ie", "et": "ee", "fi": "fi", "fr": "fr",
    "de": "de", "el": "gr", "hu": "hu", "ga": "ie", "it": "it", "lv": "lv", "lt": "lt", "mt": "com.mt",
    "pl": "pl", "pt": "pt", "ro": "ro", "sk": "sk", "sl": "si", "es": "es", "sv": "se", "ru": "ru",
    "tr": "com.tr",
}
REGION = {
    "bg": "BG", "hr": "HR", "cs": "CZ", "da": "DK", "nl": "NL", "en": "IE", "et": "EE", "fi": "FI", "fr": "FR",
    "de": "DE", "el": "GR", "hu": "HU", "ga": "IE", "it": "IT", "lv": "LV", "lt": "LT", "mt": "MT", "pl": "PL",
    "pt": "PT", "ro": "RO", "sk": "SK", "sl": "SI", "es": "ES", "sv": "SE", "ru": "RU", "tr": "TR",
}
#: Legacy charsets some pages are served in (declared in the HTTP header, in <meta>, or not at all).
LEGACY_CHARSET = {
    "cs": "windows-1250", "pl": "iso-8859-2", "hu": "windows-1250", "sk": "windows-1250", "sl": "windows-1250",
    "hr": "windows-1250", "bg": "windows-1251", "el": "iso-8859-7", "de": "iso-8859-1", "fr": "iso-8859-15",
    "es": "windows-1252", "it": "iso-8859-1", "pt": "iso-8859-1", "nl": "windows-1252", "da": "iso-8859-1",
    "sv": "iso-8859-1", "fi": "iso-8859-15", "et": "iso-8859-15", "lv": "iso-8859-13", "lt": "windows-1257",
    "ro": "iso-8859-16", "ru": "koi8-r",
}
#: Countries whose IBAN body is all digits: easy to generate valid numbers for.
NUMERIC_IBAN_LENGTHS = {"DE": 18, "PL": 24, "ES": 20, "BE": 12, "AT": 16, "HR": 17, "SI": 15, "SK": 20,
                        "CZ": 20, "DK": 14, "FI": 14, "EE": 16, "LT": 16, "HU": 24, "PT": 21, "SE": 20}
FIRST_NAMES = ("anna", "marek", "lucia", "jonas", "eva", "pieter", "ines", "tomas", "maria", "niko")
LAST_NAMES = ("novak", "jansen", "rossi", "kowalska", "horvat", "virtanen", "dupont", "schmidt", "silva")


def load_texts(lang: str) -> dict:
    path = resources.files("corpus.sample") / "texts" / f"{lang}.json"
    return json.loads(path.read_text(encoding="utf-8"))


# -- fake personal data (valid formats, so recognizers must really validate) ------------------------------
def fake_email(rng: random.Random, lang: str) -> str:
    return f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randint(1, 99)}@mail-{lang}.example.{TLD[lang]}"


def fake_phone(rng: random.Random, lang: str) -> str:
    region = REGION[lang]
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    digits = str(example.national_number)
    for _ in range(50):  # vary the subscriber digits, keep the number valid
        candidate = digits[:-4] + f"{rng.randint(0, 9999):04d}"
        number = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if phonenumbers.is_valid_number(number):
            break
    else:
        number = example
    fmt = phonenumbers.PhoneNumberFormat.INTERNATIONAL if rng.random() < 0.5 else phonenumbers.PhoneNumberFormat.NATIONAL
    return phonenumbers.format_number(number, fmt)


def fake_iban(rng: random.Random) -> str:
    for _ in range(100):
        country = rng.choice(sorted(NUMERIC_IBAN_LENGTHS))
        bban = "".join(rng.choice("0123456789") for _ in range(NUMERIC_IBAN_LENGTHS[country]))
        numeric = int(bban + "".join(str(ord(c) - 55) for c in country) + "00")
        candidate = f"{country}{98 - numeric % 97:02d}{bban}"
        if stdnum_iban.is_valid(candidate):  # also runs national checks (ES, FI, ...): retry when they fail
            return " ".join(candidate[i:i + 4] for i in range(0, len(candidate), 4))
    raise RuntimeError("could not generate a valid IBAN")


def fake_card(rng: random.Random) -> str:
    digits = [4] + [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):  # Luhn check digit
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i:i + 4] for i in range(0, 16, 4))


def fake_ip(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return "2a02:" + ":".join(f"{rng.randint(1, 0xFFFF):x}" for _ in range(7))
    return f"{rng.randint(81, 95)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


# -- pages ----------------------------------------------------------------------------------------------
@dataclass
class Page:
    lang: str
    url: str
    title: str
    paragraphs: list[str]
    site: str
    pii: list[tuple[str, str]] = field(default_factory=list)  # (type, value) planted in the text


def render_html(page: Page, texts: dict, rng: random.Random, charset: str = "utf-8", meta_charset: bool = True,
                extra_head: str = "") -> str:
    e = html.escape
    nav = "".join(f'<li><a href="/{i}">{e(label)}</a></li>' for i, label in enumerate(texts["nav"]))
    related = "".join(
        f'<li><a href="/article/{rng.randint(100, 999)}">{e(s[:60])}…</a> <a href="#">{e(texts["read_more"])}</a></li>'
        for s in rng.sample(texts["sentences"], 3)
    )
    footer_links = " | ".join(f'<a href="/legal/{i}">{e(link)}</a>' for i, link in enumerate(texts["footer_links"]))
    body = "\n".join(f"<p>{e(p)}</p>" for p in page.paragraphs)
    meta = f'<meta charset="{charset}">' if meta_charset else ""
    return f"""<!DOCTYPE html>
<html lang="{page.lang}"><head>{meta}{extra_head}<title>{e(page.title)} – {e(page.site)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<div id="cookie-banner" class="cookie-consent"><p>{e(texts["cookie_banner"])}</p><button>{e(texts["cookie_accept"])}</button></div>
<header><a class="logo" href="/">{e(page.site)}</a><nav class="main-menu"><ul>{nav}</ul></nav></header>
<main><article><h1>{e(page.title)}</h1>
<p class="byline">{e(texts["title_suffix"])}</p>
{body}
</article>
<aside class="related"><h2>{e(texts["related"])}</h2><ul>{related}</ul></aside></main>
<footer><p>© 2026 {e(page.site)}. {e(texts["copyright"])}</p><p>{footer_links}</p></footer>
</body></html>"""


def make_page(lang: str, texts: dict, rng: random.Random, index: int, plant_pii: bool) -> Page:
    sentences = rng.sample(texts["sentences"], rng.randint(10, 14))
    pii: list[tuple[str, str]] = []
    if plant_pii:
        for template in rng.sample(texts["pii_templates"], 2):
            values = {"email": fake_email(rng, lang), "phone": fake_phone(rng, lang), "iban": fake_iban(rng),
                      "ip": fake_ip(rng), "card": fake_card(rng)}
            for key, value in values.items():
                if "{" + key + "}" in template:
                    pii.append((key, value))
            sentences.insert(rng.randint(1, len(sentences)), template.format(**values))
    paragraphs = [" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3)]
    site = f"www.site{rng.randint(1, 40)}-{lang}.{TLD[lang]}"
    title = " ".join(sentences[0].split()[:6]).rstrip(",.;:")
    return Page(lang, f"https://{site}/{lang}/article-{index}.html", title, paragraphs, site, pii)


def near_duplicate(page: Page, texts: dict, rng: random.Random, index: int) -> Page:
    """A light edit: one word dropped and one sentence appended; Jaccard of 5-gram shingles ~0.9."""
    paragraphs = list(page.paragraphs)
    k = rng.randrange(len(paragraphs))
    words = paragraphs[k].split()
    del words[rng.randrange(len(words))]
    paragraphs[k] = " ".join(words)
    paragraphs.append(rng.choice(texts["sentences"]))
    site = f"www.mirror{rng.randint(1, 9)}-{page.lang}.{TLD[page.lang]}"
    return Page(page.lang, f"https://{site}/copy-{index}.html", page.title, paragraphs, site, list(page.pii))


# -- WARC records ------------------------------------------------------------------------------------------
@dataclass
class Record:
    warc_type: str
    uri: str
    block: bytes
    content_type: str = "application/http; msgtype=response"
    extra_headers: tuple[tuple[str, str], ...] = ()


def http_response(body: bytes, status: str = "200 OK", content_type: str = "text/html; charset=utf-8",
                  extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode("latin-1") + body


def warc_bytes(record: Record, record_id: str, date: datetime) -> bytes:
    headers = [
        ("WARC-Type", record.warc_type),
        ("WARC-Record-ID", f"<urn:uuid:{record_id}>"),
        ("WARC-Date", date.strftime("%Y-%m-%dT%H:%M:%SZ")),
    ]
    if record.uri:
        headers.append(("WARC-Target-URI", record.uri))
    headers += list(record.extra_headers)
    headers += [("Content-Type", record.content_type), ("Content-Length", str(len(record.block)))]
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return gzip.compress(head.encode("utf-8") + record.block + b"\r\n\r\n", mtime=0)


@dataclass
class SampleCrawl:
    files: list[str]
    planted_pii: list[str]  # every planted value (fake data), for tests that check scrubbing
    pages: int
    expected: dict = field(default_factory=dict)


def generate(out_dir: str | Path, pages_per_language: int = 6, n_files: int = 4, seed: int = 7,
             languages: tuple[str, ...] = EU_LANGUAGES) -> SampleCrawl:
    """Write the sample crawl into ``out_dir`` (deterministic for the same arguments)."""
    rng = random.Random(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records: list[Record] = []
    planted: list[str] = []
    expected = {"pages": 0, "exact_duplicates": 0, "near_duplicates": 0, "non_eu_pages": 0, "bad_records": 0,
                "opted_out_pages": 0}

    def add_page(page: Page, texts: dict) -> None:
        charset, where = "utf-8", "both"
        if page.lang in LEGACY_CHARSET and rng.random() < 0.25:
            charset, where = LEGACY_CHARSET[page.lang], rng.choice(["header", "meta", "both", "none"])
        document = render_html(page, texts, rng, charset, meta_charset=where in ("meta", "both"))
        body = document.encode(charset, errors="xmlcharrefreplace")
        content_type = f"text/html; charset={charset}" if where in ("header", "both") else "text/html"
        records.append(Record("response", page.url, http_response(body, content_type=content_type)))
        planted.extend(value for _, value in page.pii)

    for lang in languages:
        texts = load_texts(lang)
        for i in range(pages_per_language):
            page = make_page(lang, texts, rng, i, plant_pii=rng.random() < 0.5)
            add_page(page, texts)
            expected["pages"] += 1
            if rng.random() < 0.12:  # syndicated copy: same article, another site's boilerplate
                copy = Page(lang, f"https://www.syndication-{lang}.{TLD[lang]}/s/{i}.html", page.title,
                            page.paragraphs, f"www.syndication-{lang}.{TLD[lang]}", list(page.pii))
                add_page(copy, texts)
                expected["exact_duplicates"] += 1
            elif rng.random() < 0.12:
                add_page(near_duplicate(page, texts, rng, i), texts)
                expected["near_duplicates"] += 1

    for lang in NON_EU_LANGUAGES:
        texts = load_texts(lang)
        for i in range(2):
            add_page(make_page(lang, texts, rng, i, plant_pii=False), texts)
            expected["non_eu_pages"] += 1

    # Pages whose owners reserved text and data mining (TDMRep) or said noai: good pages, never to be kept.
    optout_signals = [
        ("TDM-Reservation: 1\r\nTDM-Policy: https://example.eu/tdm-policy.json\r\n", ""),
        ("", '<meta name="tdm-reservation" content="1">'),
        ("", '<meta name="robots" content="index, follow, noai, noimageai">'),
        ("X-Robots-Tag: noai\r\n", ""),
    ]
    for i, (headers, head) in enumerate(optout_signals):
        lang = languages[(7 * i + 3) % len(languages)]
        texts = load_texts(lang)
        page = make_page(lang, texts, rng, 500 + i, plant_pii=False)
        body = render_html(page, texts, rng, extra_head=head).encode("utf-8")
        records.append(Record("response", page.url, http_response(body, extra=headers)))
        expected["opted_out_pages"] += 1

    en = load_texts("en")
    bad = [
        Record("response", "https://www.site1-en.ie/missing", http_response(b"<html><body>Not found</body></html>", "404 Not Found")),
        Record("response", "https://www.site1-en.ie/old", http_response(b"", "301 Moved Permanently", extra="Location: /new\r\n")),
        Record("response", "https://www.site1-en.ie/logo.png", http_response(bytes(rng.getrandbits(8) for _ in range(600)), content_type="image/png")),
        Record("response", "https://www.site1-en.ie/feed.json", http_response(b'{"items": []}', content_type="application/json")),
        Record("response", "https://www.site1-en.ie/login", http_response(render_html(Page("en", "", "Log in", ["Log in to continue."], "www.site1-en.ie"), en, rng).encode())),
        Record("response", "https://www.site1-en.ie/spam", http_response(render_html(Page("en", "", "Best deals", ["Buy cheap watches now best price buy now."] * 40, "www.site1-en.ie"), en, rng).encode())),
        Record("response", "https://www.site1-en.ie/empty", http_response(b"<html><head><title></title></head><body><script>var x=1;</script></body></html>")),
        Record("response", "https://www.site1-en.ie/garbled", b"\x00\x01garbage that is not an HTTP message\r\n\r\n"),
        Record("request", "https://www.site1-en.ie/", b"GET / HTTP/1.1\r\nHost: www.site1-en.ie\r\n\r\n", "application/http; msgtype=request"),
        Record("revisit", "https://www.site1-en.ie/", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", extra_headers=(("WARC-Profile", "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"),)),
    ]
    records += bad
    expected["bad_records"] = len(bad)

    rng.shuffle(records)
    base_date = datetime(2026, 11, 1, tzinfo=timezone.utc)
    files = []
    for f in range(n_files):
        path = out / f"sample-{f:05d}.warc.gz"
        chunks = [warc_bytes(Record("warcinfo", "", b"software: eu-corpus sample generator\r\n", "application/warc-fields"),
                             str(uuid.UUID(int=rng.getrandbits(128), version=4)), base_date)]
        for i, record in enumerate(records[f::n_files]):
            date = base_date + timedelta(minutes=7 * i + f)
            chunks.append(warc_bytes(record, str(uuid.UUID(int=rng.getrandbits(128), version=4)), date))
        path.write_bytes(b"".join(chunks))
        files.append(str(path))

    # A file whose last record is cut short mid-stream (a crawler died): the records before it must survive.
    damaged = out / "sample-truncated.warc.gz"
    good = [make_page("en", en, rng, 900 + i, plant_pii=False) for i in range(2)]
    chunks = [warc_bytes(Record("response", p.url, http_response(render_html(p, en, rng).encode())),
                         str(uuid.UUID(int=rng.getrandbits(128), version=4)), base_date) for p in good]
    cut = warc_bytes(Record("response", "https://www.site2-en.ie/cut", http_response(render_html(make_page("en", en, rng, 999, False), en, rng).encode())),
                     str(uuid.UUID(int=rng.getrandbits(128), version=4)), base_date)
    damaged.write_bytes(b"".join(chunks) + cut[: len(cut) // 2])
    files.append(str(damaged))
    expected["pages"] += len(good)

    crawl = SampleCrawl(files, sorted(set(planted)), expected["pages"], expected)
    (out / "sample.json").write_text(json.dumps({"generator_version": GENERATOR_VERSION, "seed": seed,
                                                 "pages_per_language": pages_per_language, "files": [Path(f).name for f in files],
                                                 "expected": expected, "planted_pii": crawl.planted_pii}, indent=1))
    return crawl


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output")
    parser.add_argument("--pages-per-language", type=int, default=6)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    crawl = generate(args.output, args.pages_per_language, args.files, args.seed)
    print(json.dumps({"files": crawl.files, **crawl.expected}, indent=1))


if __name__ == "__main__":
    main()
