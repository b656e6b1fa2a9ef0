"""End-to-end throughput: the Spark pipeline on a generated crawl (default ~2,400 pages), and the per-document
stages on one core without Spark.

    .venv/bin/python benchmarks/end_to_end.py [--pages-per-language 85] [--master local[2]] [--input WARC...]

Prints records/s and documents/s per core for the whole run, wall time per phase, and ms per document
per stage (the stage clocks sum the time every worker spent).
"""

from __future__ import annotations

import os
import sys

# this folder off the path when run as a script: benchmarks/pii.py must not shadow the pii package
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse
import glob
import json
import re
import tempfile
import time

from corpus.config import PipelineConfig
from corpus.document import Document
from corpus.ingest import WarcIngest
from corpus.sample.generate import generate
from corpus.stages import StageChain
from pipelines.worker import build_stages


def cores_of(master: str) -> int:
    match = re.match(r"local\[(\d+|\*)\]", master)
    if match and match.group(1) != "*":
        return int(match.group(1))
    return os.cpu_count() or 1


def single_core_stages(files: list[str], config: PipelineConfig) -> dict:
    """The per-document stages in this process, models warmed up first, so ms/doc excludes set-up."""
    stages = build_stages(config)
    warm = StageChain(stages)
    ingest = WarcIngest(config.ingest)
    docs = [d for f in files for d in ingest.read_file(f) if isinstance(d, Document)]
    for d in docs[:300]:  # load every model, tokenizer and common vocabulary before timing (steady state)
        warm.run(Document(d.warc_file, d.offset, d.record_id, url=d.url, fetch_date=d.fetch_date,
                          http_headers=d.http_headers, html=d.html))
    ingest = WarcIngest(config.ingest)
    chain = StageChain(stages)
    start = time.perf_counter()
    records = kept = 0
    for f in files:
        for item in ingest.read_file(f):
            records += 1
            if isinstance(item, Document) and isinstance(chain.run(item), Document):
                kept += 1
    elapsed = time.perf_counter() - start
    per_stage = {"ingest": ingest.stats, **chain.stats}
    return {
        "records": records,
        "documents_in": ingest.stats.docs_out,
        "seconds": round(elapsed, 2),
        "records_per_s": round(records / elapsed, 1),
        "html_docs_per_s": round(ingest.stats.docs_out / elapsed, 1),
        "ms_per_doc": {name: round(1000 * s.seconds / max(1, s.docs_in), 2) for name, s in per_stage.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages-per-language", type=int, default=85)
    parser.add_argument("--master", nargs="+", default=["local[1]", "local[2]"],
                        help="one or more Spark masters, run one after the other (scaling)")
    parser.add_argument("--input", nargs="*", help="WARC files instead of a generated crawl")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-local", action="store_true")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="bench-e2e-")
    if args.input:
        files = sorted(f for pattern in args.input for f in glob.glob(pattern))
    else:
        crawl = generate(os.path.join(work, "crawl"), pages_per_language=args.pages_per_language, n_files=8)
        files = crawl.files
        print(f"generated crawl: {crawl.expected}")
    config = PipelineConfig()

    if not args.skip_local:
        print("\n== per-document stages, one core, no Spark (models warm) ==")
        print(json.dumps(single_core_stages(files, config), indent=1))

    if not args.skip_spark:
        from pipelines.job import run_pipeline

        rates = {}
        for master in args.master:
            cores = cores_of(master)
            print(f"\n== Spark pipeline, {master} ({cores} core(s)) ==")
            run_config = PipelineConfig.load(spark={"master": master})
            result = run_pipeline(files, os.path.join(work, f"out-{cores}"), run_config, log=lambda m: None)
            s = result.stats
            wall = s["wall_seconds"]
            rates[master] = s["stages"]["extract"]["docs_in"] / wall
            print(json.dumps({
                "records": s["records"],
                "wall_seconds": wall,
                "phases_seconds": s["timings"],
                "records_per_s": round(s["records"]["read"] / wall, 1),
                "html_docs_per_s": round(rates[master], 1),
                "html_docs_per_s_per_core": round(rates[master] / cores, 1),
                "ms_per_doc_all_workers": {k: round(1000 * v["seconds"] / max(1, v["docs_in"]), 2)
                                           for k, v in s["stages"].items()},
            }, indent=1))
        if len(rates) > 1:
            first, last = args.master[0], args.master[-1]
            print(f"\nscaling {first} -> {last}: x{rates[last] / rates[first]:.2f} documents/s")
    print(f"\n(work directory: {work})")


if __name__ == "__main__":
    main()
