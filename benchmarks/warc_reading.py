"""WARC reading throughput on one core: FastWARC, warcio, and our full ingest (FastWARC + HTTP parsing +
charset detection + decoding), reading every record's payload.

    .venv/bin/python benchmarks/warc_reading.py [--input 'GLOB' ...] [--pages-per-language 85] [--repeat 3]

Prints records/s and MB/s (compressed input bytes) per core for each reader; best of ``--repeat`` runs.
"""

from __future__ import annotations

import os
import sys

# this folder off the path when run as a script: benchmarks/pii.py must not shadow the pii package
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse
import glob
import json
import tempfile
import time

from fastwarc.warc import ArchiveIterator as FastIterator
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

from corpus.config import IngestConfig
from corpus.ingest import WarcIngest
from corpus.sample.generate import generate


def read_fastwarc(path: str) -> int:
    n = 0
    with open(path, "rb") as f:
        for record in FastIterator(f, parse_http=True):
            record.reader.read()
            n += 1
    return n


def read_warcio(path: str) -> int:
    n = 0
    with open(path, "rb") as f:
        for record in WarcioIterator(f):
            record.content_stream().read()
            n += 1
    return n


def read_ingest(path: str) -> int:
    ingest = WarcIngest(IngestConfig())
    return sum(1 for _ in ingest.read_file(path))


def measure(reader, files: list[str], repeat: int) -> dict:
    size = sum(os.path.getsize(f) for f in files)
    best = float("inf")
    records = 0
    for _ in range(repeat):
        start = time.perf_counter()
        records = sum(reader(f) for f in files)
        best = min(best, time.perf_counter() - start)
    return {"records": records, "seconds": round(best, 3), "records_per_s": round(records / best, 1),
            "MB_per_s": round(size / best / 1e6, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", nargs="*")
    parser.add_argument("--pages-per-language", type=int, default=85)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.input:
        files = sorted(f for pattern in args.input for f in glob.glob(pattern, recursive=True)
                       if not f.endswith((".arc", ".arc.gz")))
    else:
        files = generate(tempfile.mkdtemp(prefix="bench-read-"), args.pages_per_language, n_files=8).files
    print(f"{len(files)} files, {sum(os.path.getsize(f) for f in files) / 1e6:.1f} MB compressed")
    results = {name: measure(reader, files, args.repeat) for name, reader in
               [("fastwarc", read_fastwarc), ("warcio", read_warcio), ("ingest (fastwarc + HTTP + charset)", read_ingest)]}
    results["fastwarc_vs_warcio"] = round(results["fastwarc"]["records_per_s"] / results["warcio"]["records_per_s"], 2)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
