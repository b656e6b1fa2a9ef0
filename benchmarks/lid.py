"""Language identification quality and speed over the 24 EU languages.

    .venv/bin/python benchmarks/lid.py --data ../shared/eval/langid/lingua_sentences_eu23.jsonl \
        ../shared/eval/langid/ecdoris_opus_eu24.jsonl ../shared/eval/langid/ud_mudt_mt.jsonl

Rows: ``{"lang": "xx", "text": ...}``; texts shorter than ``--min-chars`` (default 20) are skipped. Every
row is assigned to a split by a hash of its text: ``tune`` (what thresholds and word lists may be fitted
on) or ``heldout`` (reported here by default, never used for fitting). Prints, for plain lid.176 and for
our identifier side by side: per-language precision / recall / F1, macro-F1 over the 24 languages, the
most frequent confusions, and predictions/s on one core.
"""

from __future__ import annotations

import os
import sys

# this folder off the path when run as a script: benchmarks/pii.py must not shadow the pii package
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse
import hashlib
import json
import time
from collections import Counter
from datetime import datetime, timezone

from corpus.config import EU_LANGUAGES, LangIdConfig
from filters.langid import FastTextLangId


def split_of(text: str) -> str:
    """Deterministic 50/50 split; the same function decides what any tuning may look at."""
    return "tune" if hashlib.sha1(text.encode("utf-8")).digest()[0] < 128 else "heldout"


def load(paths: list[str], min_chars: int, split: str) -> list[tuple[str, str]]:
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                text = row["text"].strip()
                if row["lang"] in EU_LANGUAGES and len(text) >= min_chars and (split == "all" or split_of(text) == split):
                    rows.append((row["lang"], text))
    return rows


def scores(gold: list[str], predicted: list[str | None]) -> dict:
    tp, fp, fn = Counter(), Counter(), Counter()
    confusions = Counter()
    for g, p in zip(gold, predicted, strict=True):
        if g == p:
            tp[g] += 1
        else:
            fn[g] += 1
            if p is not None:
                fp[p] += 1
            confusions[(g, p or "-")] += 1
    per_lang = {}
    for lang in EU_LANGUAGES:
        precision = tp[lang] / (tp[lang] + fp[lang]) if tp[lang] + fp[lang] else 0.0
        recall = tp[lang] / (tp[lang] + fn[lang]) if tp[lang] + fn[lang] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_lang[lang] = (precision, recall, f1, tp[lang] + fn[lang])
    present = [lang for lang in EU_LANGUAGES if per_lang[lang][3]]
    macro = sum(per_lang[lang][2] for lang in present) / len(present)
    return {"per_lang": per_lang, "macro_f1": macro, "confusions": confusions.most_common(15)}


def metrics_record(result: dict, paths: list[str], min_chars: int, split: str) -> dict:
    """Per-language scores of one identifier (``scores()``'s result) as written by ``--write-metrics``."""
    half = {"heldout": "the held-out half of the sentence data (split by a hash of the text; thresholds were "
                       "fitted on the other half only)",
            "tune": "the tune half of the sentence data (split by a hash of the text; the half thresholds were "
                    "fitted on)",
            "all": "all of the sentence data (both halves of the hash split, including the half thresholds were "
                   "fitted on)"}[split]
    files = ", ".join(os.path.basename(path) for path in paths)
    return {
        "how": f"benchmarks/lid.py on {half}, files {files}, texts of at least {min_chars} characters",
        "measured": datetime.now(timezone.utc).date().isoformat(),
        "split": split,
        "macro_f1": round(result["macro_f1"], 3),
        "languages": {lang: {"sentences": n, "precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3)}
                      for lang, (p, r, f1, n) in result["per_lang"].items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="+", required=True)
    parser.add_argument("--min-chars", type=int, default=20)
    parser.add_argument("--split", choices=["heldout", "tune", "all"], default="heldout")
    parser.add_argument("--min-score", type=float, default=None,
                        help="override langid.min_score (the pipeline's confidence floor for web pages)")
    parser.add_argument("--write-metrics", metavar="PATH",
                        help="write our identifier's per-language precision/recall/F1 and macro-F1 as JSON to PATH")
    args = parser.parse_args()
    rows = load(args.data, args.min_chars, args.split)
    gold = [lang for lang, _ in rows]
    texts = [text for _, text in rows]
    print(f"{len(rows)} rows ({args.split} split), {len(set(gold))} languages")

    config = LangIdConfig() if args.min_score is None else LangIdConfig(min_score=args.min_score)
    ours = FastTextLangId(config)
    # lingua loads a language's model on first use: warm up on rows of the other split, so the rate below
    # is a worker's steady state (a cold worker spends a few seconds loading models once)
    other = "tune" if args.split == "heldout" else "heldout"
    warm_rows = load(args.data, args.min_chars, other)[::4]
    start = time.perf_counter()
    for _, text in warm_rows:
        ours.classify(text)
    print(f"warm-up: {len(warm_rows)} rows of the {other} split in {time.perf_counter() - start:.1f} s")
    model = ours._model

    def plain(text: str) -> str | None:
        labels, _ = model.predict(" ".join(text.split()), k=1)
        label = labels[0].removeprefix("__label__")
        return label if label in EU_LANGUAGES else None

    results = {}
    for name, predict in [("lid.176", plain), ("ours", lambda t: ours.classify(t).lang)]:
        start = time.perf_counter()
        predicted = [predict(t) for t in texts]
        elapsed = time.perf_counter() - start
        results[name] = scores(gold, predicted)
        results[name]["per_s"] = len(texts) / elapsed

    print(f"\n{'lang':5} {'n':>5} | {'lid.176 P':>9} {'R':>6} {'F1':>6} | {'ours P':>7} {'R':>6} {'F1':>6}")
    for lang in EU_LANGUAGES:
        a, b = results["lid.176"]["per_lang"][lang], results["ours"]["per_lang"][lang]
        if a[3]:
            print(f"{lang:5} {a[3]:5d} | {a[0]:9.3f} {a[1]:6.3f} {a[2]:6.3f} | {b[0]:7.3f} {b[1]:6.3f} {b[2]:6.3f}")
    # lingua's sentences are lingua's own test set, and lingua is our second model: show each source apart
    if len(args.data) > 1:
        print("\nper source (macro-F1 over the languages it has):")
        for path in args.data:
            part = load([path], args.min_chars, args.split)
            if part:
                gold_part = [lang for lang, _ in part]
                r_plain = scores(gold_part, [plain(t) for _, t in part])
                r_ours = scores(gold_part, [ours.classify(t).lang for _, t in part])
                print(f"  {path.rsplit('/', 1)[-1]:32} {len(part):6d} rows  lid.176 {r_plain['macro_f1']:.4f}  "
                      f"ours {r_ours['macro_f1']:.4f}")
    for name, r in results.items():
        below = [lang for lang, v in r["per_lang"].items() if v[3] and v[2] < 0.95]
        print(f"\n{name}: macro-F1 {r['macro_f1']:.4f}, {r['per_s']:,.0f} predictions/s (one core); "
              f"languages below F1 0.95: {', '.join(below) or 'none'}")
        print("  top confusions (gold -> predicted): " +
              ", ".join(f"{g}->{p} {n}" for (g, p), n in r["confusions"]))
    if args.write_metrics:
        record = metrics_record(results["ours"], args.data, args.min_chars, args.split)
        with open(args.write_metrics, "w", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
