"""Main-text extraction quality and speed of the extractors and trafilatura settings, per language.

    .venv/bin/python benchmarks/extract.py --webpages ../shared/eval/webpages

Three page sets (see ../shared/eval/SOURCES.md): trafilatura's own evaluation pages, scored by the snippets
that must be in the main text (recall) and the boilerplate that must not (leaks); mozilla/readability's test
pages and scrapinghub's article-extraction benchmark, scored by token-level precision, recall and F1 of the
extracted text against the gold article (bag of lower-cased word tokens, as in scrapinghub's benchmark).
Every setting runs the pipeline's extraction stage (corpus/extract.py) with that ExtractConfig, one core;
pages/s is over all three sets. ``configured`` is the pipeline's default.
"""

from __future__ import annotations

import os
import sys

# this folder off the path when run as a script: benchmarks/pii.py must not shadow the pii package
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse
import gzip
import json
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

from corpus.config import ExtractConfig
from corpus.document import Document
from corpus.extract import build_extractor
from corpus.ingest import sniff_charset

SETTINGS = {
    "configured": ExtractConfig(),  # fast=True: no readability/justext fallbacks
    "fast+precision": ExtractConfig(fast=True, favor_precision=True),
    "balanced": ExtractConfig(fast=False, favor_precision=False),
    "precision": ExtractConfig(fast=False, favor_precision=True),
    "recall": ExtractConfig(fast=False, favor_precision=False, favor_recall=True),
    "resiliparse": ExtractConfig(engine="resiliparse"),
}

_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter:
    return Counter(t.lower() for t in _TOKEN.findall(text))


def decode(payload: bytes) -> str:
    return payload.decode(sniff_charset(None, payload), errors="replace")


def load_pages(root: str) -> list[dict]:
    """Every page as {set, lang, html, with/without or gold}."""
    base, pages = Path(root), []
    for row in map(json.loads, (base / "trafilatura_index.jsonl").read_text("utf-8").splitlines()):
        pages.append({"set": "trafilatura", "lang": row.get("lang") or "?", "url": row.get("url", ""),
                      "html": decode((base / row["file"]).read_bytes()),
                      "with": row.get("with") or [], "without": row.get("without") or []})
    for row in map(json.loads, (base / "readability_index.jsonl").read_text("utf-8").splitlines()):
        page = base / "readability" / row["page"]
        pages.append({"set": "readability", "lang": row.get("lang") or "?", "url": "",
                      "html": decode((page / "source.html").read_bytes()),
                      "gold": (page / "expected.txt").read_text("utf-8")})
    for row in map(json.loads, (base / "scrapinghub_index.jsonl").read_text("utf-8").splitlines()):
        raw = (base / row["file"]).read_bytes()
        pages.append({"set": "scrapinghub", "lang": row.get("lang") or row.get("lang_detected") or "?",
                      "url": row.get("url", ""), "html": decode(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw),
                      "gold": row.get("articleBody") or ""})
    return pages


def normalise(text: str) -> str:
    return " ".join(text.split()).lower()


def evaluate(config: ExtractConfig, pages: list[dict]) -> tuple[dict, float]:
    """(set -> lang -> metric sums, pages/s)."""
    stage = build_extractor(config.model_copy(update={"timeout_seconds": None}))
    stage(Document("warm", 0, "", html="<html><body><p>warm up</p></body></html>"))
    sums: dict = defaultdict(lambda: defaultdict(Counter))
    start = time.perf_counter()
    texts = []
    for i, page in enumerate(pages):
        result = stage(Document("bench", i, "", url=page["url"], html=page["html"]))
        texts.append(result.text if isinstance(result, Document) else "")
    per_s = len(pages) / (time.perf_counter() - start)
    for page, text in zip(pages, texts, strict=True):
        for lang in (page["lang"], "all"):
            s = sums[page["set"]][lang]
            s["pages"] += 1
            s["empty"] += not text
            if page["set"] == "trafilatura":
                flat = normalise(text)
                s["with"] += len(page["with"])
                s["with_found"] += sum(normalise(w) in flat for w in page["with"])
                s["without"] += len(page["without"])
                s["without_found"] += sum(normalise(w) in flat for w in page["without"])
            else:
                got, gold = tokens(text), tokens(page["gold"])
                overlap = sum((got & gold).values())
                p = overlap / sum(got.values()) if got else 0.0
                r = overlap / sum(gold.values()) if gold else 0.0
                s["p"] += p
                s["r"] += r
                s["f1"] += 2 * p * r / (p + r) if p + r else 0.0
    return sums, per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--webpages", required=True)
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    args = parser.parse_args()
    pages = load_pages(args.webpages)
    print(f"{len(pages)} pages: " + ", ".join(f"{k} {v}" for k, v in Counter(p['set'] for p in pages).items()))
    results = {name: evaluate(SETTINGS[name], pages) for name in args.settings}

    print("\n## Summary (all languages)")
    print(f"{'setting':14} {'pages/s':>8} | {'traf. recall':>12} {'leaks':>6} | {'readab. P':>9} {'R':>6} {'F1':>6} "
          f"| {'scrapinghub P':>13} {'R':>6} {'F1':>6} | {'empty':>5}")
    for name, (sums, per_s) in results.items():
        t, rd, sh = sums["trafilatura"]["all"], sums["readability"]["all"], sums["scrapinghub"]["all"]
        empty = sum(sums[s]["all"]["empty"] for s in sums)
        print(f"{name:14} {per_s:8.1f} | {t['with_found'] / t['with']:12.3f} {t['without_found'] / t['without']:6.3f} | "
              f"{rd['p'] / rd['pages']:9.3f} {rd['r'] / rd['pages']:6.3f} {rd['f1'] / rd['pages']:6.3f} | "
              f"{sh['p'] / sh['pages']:13.3f} {sh['r'] / sh['pages']:6.3f} {sh['f1'] / sh['pages']:6.3f} | {empty:5d}")

    for name, (sums, _) in results.items():
        print(f"\n## {name}: per language")
        print(f"{'set':12} {'lang':5} {'pages':>5} | {'recall':>6} {'leaks':>6} | {'P':>6} {'R':>6} {'F1':>6}")
        for set_name in ("trafilatura", "readability", "scrapinghub"):
            for lang, s in sorted(sums[set_name].items(), key=lambda kv: (kv[0] == "all", -kv[1]["pages"])):
                if set_name == "trafilatura":
                    recall = s["with_found"] / s["with"] if s["with"] else float("nan")
                    leaks = s["without_found"] / s["without"] if s["without"] else float("nan")
                    print(f"{set_name:12} {lang:5} {s['pages']:5d} | {recall:6.3f} {leaks:6.3f} |")
                else:
                    n = s["pages"]
                    print(f"{set_name:12} {lang:5} {n:5d} | {'':6} {'':6} | "
                          f"{s['p'] / n:6.3f} {s['r'] / n:6.3f} {s['f1'] / n:6.3f}")


if __name__ == "__main__":
    sys.exit(main())
