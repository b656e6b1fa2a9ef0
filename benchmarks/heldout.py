"""Held-out quality beside the speed: the headline figures of the language-ID, extraction, quality and PII
benchmarks, so that a change made for speed can be shown not to cost quality.

    .venv/bin/python benchmarks/heldout.py --eval ../shared/eval                   # this checkout, vs the reference
    .venv/bin/python benchmarks/heldout.py --eval ../shared/eval --code /tmp/base --write ref.json   # another checkout

Each figure comes from the benchmark that owns it, run on the default configuration, one core:

* language ID (benchmarks/lid.py): macro-F1 and the lowest per-language F1 on the held-out half of the
  sentence data (the half no threshold or word list was fitted on);
* extraction (benchmarks/extract.py): trafilatura's evaluation snippets found and boilerplate leaked,
  readability and scrapinghub token F1, pages left empty;
* quality (benchmarks/quality.py): share of clean documents kept (held-out sentences assembled into
  documents; the gold main text of the evaluation pages) and how many (language, rule) pairs drop more than
  twice the English share;
* personal data (benchmarks/pii.py): recall and precision per type on the evaluation sets, and the share of
  negative rows (nothing to find) flagged.

``--code DIR`` measures another checkout's pipeline with that checkout's own benchmark modules (the functions
used here exist unchanged since before the throughput work), which is how the reference in
benchmarks/data/heldout_reference.json was made. Every figure is compared with the reference: "worse" where it
moved the wrong way by more than rounding.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "data" / "heldout_reference.json"
#: figures where lower is better; every other figure is better higher
LOWER_IS_BETTER = ("leaked", "empty", "flagged", "over_twice_english")
#: figures are rounded to three decimals: a smaller move is rounding, not a change
TOLERANCE = 0.0015


def _module(code: Path, name: str):
    """A benchmark module of the checkout ``code`` (its benchmarks folder is kept off sys.path)."""
    spec = importlib.util.spec_from_file_location(f"heldout_{name}", code / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def language_id(code: Path, langid_files: list[str]) -> dict:
    from corpus.config import LangIdConfig
    from filters.langid import FastTextLangId

    lid = _module(code, "lid")
    rows = lid.load(langid_files, 20, "heldout")
    identifier = FastTextLangId(LangIdConfig())
    result = lid.scores([lang for lang, _ in rows], [identifier.classify(text).lang for _, text in rows])
    f1 = {lang: v[2] for lang, v in result["per_lang"].items() if v[3]}
    lowest = min(f1, key=f1.get)
    print(f"language ID: lowest F1 {f1[lowest]:.3f} ({lowest})", file=sys.stderr)
    return {"langid.macro_f1": result["macro_f1"], "langid.lowest_f1": f1[lowest]}


def extraction(code: Path, webpages: str) -> dict:
    from corpus.config import ExtractConfig

    extract = _module(code, "extract")
    sums, _ = extract.evaluate(ExtractConfig(), extract.load_pages(webpages))
    t, rd, sh = sums["trafilatura"]["all"], sums["readability"]["all"], sums["scrapinghub"]["all"]
    return {"extract.snippets_found": t["with_found"] / t["with"],
            "extract.boilerplate_leaked": t["without_found"] / t["without"],
            "extract.readability_f1": rd["f1"] / rd["pages"], "extract.scrapinghub_f1": sh["f1"] / sh["pages"],
            "extract.empty_pages": sum(sums[s]["all"]["empty"] for s in sums)}


def quality(code: Path, langid_files: list[str], webpages: str) -> dict:
    from corpus.config import QualityConfig
    from corpus.document import Document
    from filters.quality import QualityFilter

    bench = _module(code, "quality")
    stage = QualityFilter(QualityConfig())
    stage(Document("warm", 0, "", text="Warm up. " * 20, lang="en"))
    figures = {}
    for name, docs in (("sentences", bench.sentence_documents(langid_files, "heldout", 150, 0)),
                       ("gold_pages", bench.webpage_documents(webpages))):
        counts, _ = bench.drop_shares(stage, docs)
        with contextlib.redirect_stdout(io.StringIO()):  # its per-language table: not needed here
            failures = bench.report(name, counts, 0.0)
        total = sum(c[""] for c in counts.values())
        dropped = sum(v for c in counts.values() for r, v in c.items() if r)
        figures[f"quality.{name}_kept"] = 1 - dropped / total
        figures[f"quality.{name}_over_twice_english"] = len(failures)
    return figures


def personal_data(code: Path, pii_data: str) -> dict:
    from corpus.config import PiiConfig
    from pii.scrub import PiiScrubber

    bench = _module(code, "pii")
    by_type, _ = bench.evaluate(PiiScrubber(PiiConfig()), Path(pii_data), 300)
    figures = {}
    for kind, c in sorted(by_type.items()):
        if kind.startswith("(") or ":" in kind:  # the bookkeeping rows and the phone spellings counted apart
            continue
        gold, found = c["tp"] + c["fn"], c["tp"] + c["fp"]
        if gold:
            figures[f"pii.{kind}.recall"] = c["tp"] / gold
        if found:
            figures[f"pii.{kind}.precision"] = c["tp"] / found
    negatives = by_type["(negative rows)"]
    figures["pii.negative_rows_flagged"] = negatives["flagged"] / max(1, negatives["rows"])
    return figures


def measure(code: Path, eval_dir: Path) -> dict:
    langid_files = sorted(str(p) for p in (eval_dir / "langid").glob("*.jsonl"))  # as the README runs lid.py
    webpages = str(eval_dir / "webpages")
    figures = {}
    for name, run in (("language ID", lambda: language_id(code, langid_files)),
                      ("extraction", lambda: extraction(code, webpages)),
                      ("quality", lambda: quality(code, langid_files, webpages)),
                      ("personal data", lambda: personal_data(code, str(eval_dir / "pii")))):
        start = time.perf_counter()
        figures.update(run())
        print(f"{name}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return {k: round(v, 4) for k, v in figures.items()}


def _commit(code: Path) -> str:
    done = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def compare(now: dict, reference: dict) -> list[tuple[str, float | None, float, str]]:
    """(figure, reference, now, verdict) for every figure measured now."""
    rows = []
    for name, value in now.items():
        before = reference.get(name)
        if before is None:
            rows.append((name, None, value, "new"))
            continue
        change = (before - value) if any(part in name for part in LOWER_IS_BETTER) else (value - before)
        verdict = "same" if abs(change) <= TOLERANCE else ("better" if change > 0 else "WORSE")
        rows.append((name, before, value, verdict))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval", default=str(HERE.parent.parent / "shared" / "eval"), help="../shared/eval")
    parser.add_argument("--code", help="another checkout to measure (default: this one)")
    parser.add_argument("--reference", default=str(REFERENCE))
    parser.add_argument("--write", help="write the figures as a reference file")
    args = parser.parse_args()
    code = Path(args.code or HERE.parent).resolve()
    sys.path[:] = [str(code)] + [p for p in sys.path if os.path.realpath(p or ".") != str(HERE)]
    figures = measure(code, Path(args.eval))
    commit = _commit(code)
    if args.write:
        Path(args.write).write_text(json.dumps({"commit": commit, "measured": time.strftime("%Y-%m-%d"),
                                                "figures": figures}, indent=1, sort_keys=True) + "\n")
    reference = json.loads(Path(args.reference).read_text()) if Path(args.reference).is_file() else {"figures": {}}
    rows = compare(figures, reference["figures"])
    print(f"\n| held-out figure | reference ({reference.get('commit', '-')}) | now ({commit}) | |")
    print("|---|---|---|---|")
    for name, before, value, verdict in rows:
        print(f"| {name} | {'-' if before is None else before} | {value} | {verdict} |")
    worse = [name for name, _, _, verdict in rows if verdict == "WORSE"]
    print("\nworse than the reference: " + (", ".join(worse) or "none"))
    sys.exit(1 if worse else 0)


if __name__ == "__main__":
    main()
