"""Erasure at scale: ``corpus forget`` (pipelines/forget.py) with many requests on a root of a million documents.

    .venv/bin/python benchmarks/erasure.py --documents 1000000 --requests 100

Builds a synthetic corpus root in the published layout (sets of shards, pii_index, dedup_index, outcomes,
stats, manifests, index.json), with the shard writer and the index schemas the pipeline uses: every document
has a short text, a URL on one of many small sites, one or two personal values fingerprinted with a key, and
14 band keys plus an exact-text key; planted near-duplicate families share band keys across sets. Then one
``ForgetJob`` on Spark local[2] plans and applies N requests (e-mail addresses, URLs, domains, and some that
match nothing), and the script prints the wall time of planning and applying, the peak resident memory of
the driver's Python process and of the JVM, and checks the result: every planned document gone from the
shards, every set's counts recomputed and in agreement, every request in the log.
"""

from __future__ import annotations

import os
import sys

# this folder off the path when run as a script: benchmarks/pii.py must not shadow the pii package
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from pipelines.memory import PeakMemory  # noqa: E402
from corpus.config import EU_LANGUAGES, PipelineConfig  # noqa: E402
from corpus.document import KEPT, make_doc_id  # noqa: E402
from corpus.erasure import ErasureRequest, read_log  # noqa: E402
from corpus.ledger import CorpusRoot  # noqa: E402
from corpus.report import build_stats, write_report  # noqa: E402
from corpus.shards import SHARD_SCHEMA, build_manifest, write_shard  # noqa: E402
from corpus.staging import OUTCOME_SCHEMA, table_bytes  # noqa: E402
from dedup.index import EXACT_BAND, INDEX_SCHEMA  # noqa: E402
from pii.fingerprints import fingerprint, key_id  # noqa: E402

KEY = b"erasure benchmark key"
WORDS = ("data corpus europe language model page text night shard erasure request value domain site news "
         "report city river market school health court energy music travel science").split()


def _email(i: int) -> str:
    return f"person{i}@mail{i % 997}.example.eu"


def _url(i: int, docs_per_site: int) -> str:
    return f"https://site{i // docs_per_site}.example.eu/page/{i}"


def build_root(path: Path, documents: int, sets: int, seed: int, docs_per_site: int) -> dict:
    """A published root of ``documents`` synthetic documents in ``sets`` sets; returns what was planted."""
    rng = np.random.default_rng(seed)
    root = CorpusRoot(str(path)).open()
    config = PipelineConfig.load(shards={"files_multiple": 1, "rows_per_file": 50_000})
    per_set = math.ceil(documents / sets)
    families = {}  # near-duplicate families: the first member's index -> members (in later sets)
    n_bands = config.dedup.num_bands
    all_keys = rng.integers(-(1 << 62), 1 << 62, size=(documents, n_bands + 1), dtype=np.int64)
    for base in range(0, documents - 2 * per_set, 997):  # a copy in each of the next two sets, 3 bands shared
        members = [base + per_set, base + 2 * per_set]
        for m in members:
            all_keys[m, :3] = all_keys[base, :3]
        families[base] = members
    for s in range(sets):
        start, stop = s * per_set, min(documents, (s + 1) * per_set)
        if start >= stop:
            break
        set_id = f"2026-10-{s + 1:02d}"
        set_dir = root.set_dir(set_id)
        idx = np.arange(start, stop)
        langs = [EU_LANGUAGES[i % len(EU_LANGUAGES)] for i in idx]
        doc_ids = [make_doc_id("bench.warc.gz", int(i), f"<urn:uuid:bench-{i}>") for i in idx]
        texts = [" ".join(random.Random(int(i)).choices(WORDS, k=40)) for i in idx]
        urls = [_url(int(i), docs_per_site) for i in idx]
        table = pa.table({
            "doc_id": doc_ids, "text": texts, "lang": langs, "lang_score": np.full(len(idx), 0.9, np.float32),
            "lang_top": [[] for _ in idx], "lang_shares": [[] for _ in idx], "url": urls,
            "url_fingerprint": [None] * len(idx), "domain": [u.split("/")[2] for u in urls],
            "warc_file": ["bench.warc.gz"] * len(idx), "warc_record_id": [f"<urn:uuid:bench-{i}>" for i in idx],
            "warc_offset": idx.astype(np.int64), "fetch_date": [datetime(2026, 10, 1, tzinfo=timezone.utc)] * len(idx),
            "n_chars": [len(t) for t in texts], "n_words": [40] * len(idx),
            "pii_counts": [[("EMAIL", 1)] for _ in idx], "pii_kept": [[] for _ in idx],
            "pii_recognizers": [[("EMAIL/EmailRecognizer", 1)] for _ in idx],
            "dup_cluster_id": [None] * len(idx), "dup_cluster_size": [1] * len(idx)}, schema=SHARD_SCHEMA)
        files, totals = [], {}
        lang_column = np.array(langs)
        for lang in sorted(set(langs)):
            rows = table.filter(pa.array(lang_column == lang))
            for part in range(math.ceil(rows.num_rows / config.shards.rows_per_file)):
                chunk = rows.slice(part * config.shards.rows_per_file, config.shards.rows_per_file)
                files.append(write_shard(chunk, root.store, set_dir, lang, part, config.shards))
            totals[lang] = {"documents": rows.num_rows, "characters": sum(rows["n_chars"].to_pylist()),
                            "words": 40 * rows.num_rows, "files": math.ceil(rows.num_rows / config.shards.rows_per_file)}
        prints = [fingerprint(KEY, "EMAIL", _email(int(i))) for i in idx]
        pii_index = pa.table({"fingerprint": prints, "doc_id": doc_ids}).sort_by("fingerprint")
        root.store.write_bytes(root.store.join(set_dir, "pii_index", "part-00000.parquet"), table_bytes(pii_index))
        keys = all_keys[start:stop]
        bands = np.tile(np.append(np.arange(n_bands), EXACT_BAND).astype(np.int16), len(idx))
        dedup = pa.table({"band": bands, "key": keys.reshape(-1), "doc_id": np.repeat(np.array(doc_ids), n_bands + 1)},
                         schema=INDEX_SCHEMA).sort_by([("band", "ascending"), ("key", "ascending")])
        for p, part in enumerate(range(0, dedup.num_rows, 2_000_000)):
            root.store.write_bytes(root.store.join(set_dir, "dedup_index", f"part-{p:05d}.parquet"),
                                   table_bytes(dedup.slice(part, 2_000_000)))
        outcomes = pa.table({"doc_id": doc_ids, "warc_file": ["bench.warc.gz"] * len(idx),
                             "offset": idx.astype(np.int64), "record_id": [f"<urn:uuid:bench-{i}>" for i in idx],
                             "status": [KEPT] * len(idx), "stage": ["write"] * len(idx), "reason": [""] * len(idx),
                             "detail": [""] * len(idx)}, schema=OUTCOME_SCHEMA)
        for p, part in enumerate(range(0, len(idx), 200_000)):
            root.store.write_bytes(root.store.join(set_dir, "outcomes", f"part-{p:05d}.parquet"),
                                   table_bytes(outcomes.slice(part, 200_000)))
        run = {"run_id": f"bench-{s}", "set_id": set_id, "version": "bench", "created": datetime.now(timezone.utc).isoformat(),
               "inputs": 1, "master": "local[2]", "pii_key_id": key_id(KEY)}
        pii = {}
        for lang in langs:
            pii.setdefault(lang, Counter())["EMAIL"] += 1
        stats = build_stats([(KEPT, "write", "", len(idx))], {}, totals, {}, 1.0, run, {k: dict(v) for k, v in pii.items()})
        stats["pii_recognizers"] = {lang: {"EMAIL": {"EmailRecognizer": n["EMAIL"]}} for lang, n in pii.items()}
        manifest = build_manifest(files, totals, run)
        root.store.write_json(root.store.join(set_dir, "stats.json"), stats)
        write_report(root.store, root.store.join(set_dir, "report.html"), stats, manifest)
        root.store.write_json(root.store.join(set_dir, "manifest.json"), manifest)
        root.add_to_index(set_id, manifest)
    return {"families": families, "per_set": per_set}


def make_requests(documents: int, n: int, seed: int, docs_per_site: int, families: dict) -> list[ErasureRequest]:
    rng = random.Random(seed)
    requests = []
    family_bases = sorted(families)
    for k in range(n):
        share = k % 10
        if share < 6:  # e-mail addresses, some of them of documents with near-duplicates
            i = rng.choice(family_bases) if share == 0 and family_bases else rng.randrange(documents)
            requests.append(ErasureRequest("email", _email(i), f"ticket {k}"))
        elif share < 8:
            requests.append(ErasureRequest("url", _url(rng.randrange(documents), docs_per_site), f"ticket {k}"))
        elif share < 9:
            site = rng.randrange(documents // docs_per_site)
            requests.append(ErasureRequest("domain", f"site{site}.example.eu", f"ticket {k}"))
        else:
            requests.append(ErasureRequest("email", f"nobody{k}@nowhere.example.eu", f"ticket {k}"))
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--sets", type=int, default=10)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--docs-per-site", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--work", default=None, help="where the root is built (default: a temporary directory)")
    args = parser.parse_args()

    from pipelines.forget import ForgetJob
    from pipelines.spark import build_session

    work = Path(args.work or tempfile.mkdtemp(prefix="erasure-bench-"))
    root_path = work / "root"
    t0 = time.perf_counter()
    planted = build_root(root_path, args.documents, args.sets, args.seed, args.docs_per_site)
    size = sum(f.stat().st_size for f in root_path.rglob("*") if f.is_file())
    print(f"synthetic root: {args.documents:,} documents in {args.sets} sets, {size / 1e6:,.0f} MB, "
          f"{len(planted['families']):,} near-duplicate families, built in {time.perf_counter() - t0:,.0f}s")
    requests = make_requests(args.documents, args.requests, args.seed, args.docs_per_site, planted["families"])
    key_file = work / "key"
    key_file.write_bytes(KEY)
    config = PipelineConfig.load(pii={"fingerprint_key_file": str(key_file)},
                                 spark={"master": "local[2]", "driver_memory": args.driver_memory,
                                        "shuffle_partitions": 8})
    with PeakMemory() as memory:
        start = time.perf_counter()
        spark = build_session(config.spark)
        started = time.perf_counter()
        root = CorpusRoot(str(root_path))
        job = ForgetJob(spark, root, KEY, config, log=lambda m: print(f"  {m}"))
        plans = job.plan(requests)
        planned = time.perf_counter()
        job.apply(plans)
        applied = time.perf_counter()
        spark.stop()
    erased = {(s, d) for p in plans for s, ids in p.documents.items() for d in ids}
    print(f"{len(requests)} requests ({Counter(r.kind for r in requests)}): "
          f"{sum(1 for p in plans if p.documents)} matched, {len(erased):,} documents erased "
          f"({sum(len(v) for p in plans for v in p.near_duplicates.values()):,} as near-duplicates)")
    print(f"wall time: Spark start {started - start:,.1f}s, plan {planned - started:,.1f}s, apply {applied - planned:,.1f}s,"
          f" whole {applied - start:,.1f}s")
    print(f"peak memory: {memory.report()}")
    # the result holds: erased documents gone, counts recomputed, every request logged
    remaining = 0
    for s in {s for s, _ in erased}:
        ids = pa.array(sorted(d for x, d in erased if x == s))
        for f in sorted((root_path / "sets" / s / "shards").rglob("*.parquet")):
            remaining += pq.read_table(f, columns=["doc_id"], filters=[("doc_id", "in", ids)]).num_rows
    index = json.loads((root_path / "index.json").read_text())
    now = sum(x["documents"] for x in index["sets"])
    log = read_log(root)
    print(f"check: erased documents left in shards {remaining}; documents now {now:,} = {args.documents:,} - "
          f"{len(erased):,}: {now == args.documents - len(erased)}; requests logged and applied "
          f"{sum(1 for e in log if e['applied'])}/{len(requests)}")


if __name__ == "__main__":
    main()
