"""Share of clean documents each quality rule drops, per language.

    .venv/bin/python benchmarks/quality.py --data ../shared/eval/langid/*.jsonl \
        --webpages ../shared/eval/webpages

Clean text comes from two places: sentences of the language-ID data (held-out split, as in
benchmarks/lid.py) assembled into paragraphs and documents of varied length, and the gold main text of the
evaluation web pages (readability expected text, scrapinghub article bodies, per declared language).
Every document runs through the pipeline's quality stage exactly as configured; the first rule that fails
is what the pipeline would record. The check the issue asks for: no language loses more than twice the
English share to any rule (a rule English never fires gets a floor of one document's share).
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



from corpus.config import EU_LANGUAGES, QualityConfig  # noqa: E402
from corpus.document import Document, Drop  # noqa: E402
from filters.quality import QualityFilter  # noqa: E402


def _sibling(name: str):
    """A module of this folder (kept off sys.path), by file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


load = _sibling("lid").load  # the same split function as the language-ID benchmark

#: fewer documents than this make a share too coarse to compare with English
MIN_DOCS = 20


def assemble_documents(sentences: list[str], rng: random.Random, n_docs: int) -> list[str]:
    """Web-article-like documents: 2-8 paragraphs of 2-5 sentences, sentences drawn without repeats."""
    pool = sentences[:]
    rng.shuffle(pool)
    docs, i = [], 0
    while len(docs) < n_docs and i < len(pool):
        paragraphs = []
        for _ in range(rng.randint(2, 8)):
            k = rng.randint(2, 5)
            if i + k > len(pool):
                break
            paragraphs.append(" ".join(pool[i:i + k]))
            i += k
        if not paragraphs:  # the pool is used up
            break
        docs.append("\n".join(paragraphs))
    return docs


def sentence_documents(paths: list[str], split: str, n_docs: int, seed: int) -> dict[str, list[str]]:
    by_lang: dict[str, list[str]] = defaultdict(list)
    for lang, text in load(paths, 20, split):
        by_lang[lang].append(text)
    rng = random.Random(seed)
    return {lang: assemble_documents(by_lang[lang], rng, n_docs) for lang in EU_LANGUAGES if by_lang.get(lang)}


def webpage_documents(root: str) -> dict[str, list[str]]:
    """Gold main texts of the evaluation pages, by declared language (EU languages only)."""
    docs: dict[str, list[str]] = defaultdict(list)
    base = Path(root)
    for row in map(json.loads, (base / "readability_index.jsonl").read_text("utf-8").splitlines()):
        gold = base / "readability" / row["page"] / "expected.txt"
        if row.get("lang") in EU_LANGUAGES and gold.is_file():
            docs[row["lang"]].append(gold.read_text("utf-8"))
    for row in map(json.loads, (base / "scrapinghub_index.jsonl").read_text("utf-8").splitlines()):
        lang = row.get("lang") or row.get("lang_detected")
        if lang in EU_LANGUAGES and row.get("articleBody"):
            docs[lang].append(row["articleBody"])
    return docs


def extracted_documents(root: str) -> dict[str, list[str]]:
    """Main text the pipeline's extraction stage gets from the trafilatura evaluation pages (real pages,
    real extraction: what the quality stage sees in production), by language."""
    from corpus.config import ExtractConfig
    from corpus.extract import TrafilaturaExtract

    extract = TrafilaturaExtract(ExtractConfig())
    docs: dict[str, list[str]] = defaultdict(list)
    base = Path(root)
    for i, row in enumerate(map(json.loads, (base / "trafilatura_index.jsonl").read_text("utf-8").splitlines())):
        if row.get("lang") not in EU_LANGUAGES:
            continue
        html = (base / row["file"]).read_bytes().decode("utf-8", errors="replace")
        result = extract(Document("bench", i, "", url=row.get("url", ""), html=html))
        if isinstance(result, Document) and result.text.strip():
            docs[row["lang"]].append(result.text)
    return docs


def drop_shares(stage: QualityFilter, docs: dict[str, list[str]]) -> tuple[dict[str, Counter], float]:
    """lang -> Counter(rule -> documents dropped; '' -> documents), and documents/s."""
    counts: dict[str, Counter] = {}
    n, start = 0, time.perf_counter()
    for lang, texts in docs.items():
        c = counts.setdefault(lang, Counter())
        for text in texts:
            result = stage(Document("bench", n, "", text=text, lang=lang))
            c[""] += 1
            if isinstance(result, Drop):
                c[result.reason] += 1
            n += 1
    return counts, n / (time.perf_counter() - start)


def report(title: str, counts: dict[str, Counter], per_s: float) -> list[str]:
    rules = sorted({r for c in counts.values() for r in c if r})
    print(f"\n## {title}: share of documents dropped, by the first rule that failed ({per_s:,.0f} docs/s, one core)")
    short = [r.replace("gopher_rep_", "rep_").replace("gopher_", "g_").replace("fineweb_", "fw_") for r in rules]
    print(f"{'lang':5} {'docs':>5} {'kept':>6} " + " ".join(f"{s[:14]:>14}" for s in short))
    for lang in EU_LANGUAGES:
        if lang in counts:
            c = counts[lang]
            kept = 1 - sum(v for r, v in c.items() if r) / c[""]
            print(f"{lang:5} {c['']:5d} {kept:6.1%} " + " ".join(f"{c[r] / c['']:14.1%}" for r in rules))
    failures = []
    if "en" in counts:
        en = counts["en"]
        judged = [lang for lang, c in counts.items() if c[""] >= MIN_DOCS]
        print(f"(judged where a language has at least {MIN_DOCS} documents: {', '.join(judged)})")
        for lang in judged:
            c = counts[lang]
            for rule in rules:
                allowed = 2 * max(en[rule] / en[""], 1 / en[""])
                if c[rule] / c[""] > allowed:
                    failures.append(f"{lang} {rule} {c[rule] / c['']:.1%} > 2 x en ({allowed:.1%})")
    print("languages losing more than twice the English share to a rule: " + (", ".join(failures) or "none"))
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="+", required=True, help="language-ID JSONL files (sentences)")
    parser.add_argument("--webpages", help="../shared/eval/webpages (gold main texts)")
    parser.add_argument("--split", choices=["heldout", "tune", "all"], default="heldout")
    parser.add_argument("--docs", type=int, default=150, help="documents assembled per language")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    stage = QualityFilter(QualityConfig())
    stage(Document("warm", 0, "", text="Warm up the tokenizers. " * 20, lang="en"))
    docs = sentence_documents(args.data, args.split, args.docs, args.seed)
    for lang, texts in docs.items():  # spaCy tokenizers load on first use: keep that out of the rate
        stage(Document("warm", 0, "", text=texts[0], lang=lang))
    counts, per_s = drop_shares(stage, docs)
    failures = report(f"sentences assembled into documents ({args.split} split)", counts, per_s)
    if args.webpages:
        counts, per_s = drop_shares(stage, webpage_documents(args.webpages))
        failures += report("gold main text of the evaluation web pages (readability, scrapinghub)", counts, per_s)
        counts, per_s = drop_shares(stage, extracted_documents(args.webpages))
        # real pages as extracted, boilerplate and all: not clean text, so shown, not judged
        report("main text extracted from the trafilatura evaluation pages (not clean text: for reference)",
               counts, per_s)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
