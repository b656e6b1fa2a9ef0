"""The Spark job: WARC files -> per-document stages -> global dedup -> an immutable shard set.

Runs add dated shard sets to a corpus root (see ``corpus/ledger.py``):

1. inputs already published (in the ledger, same size) are skipped; the rest form this night's set;
2. one Spark task per input runs the plain-Python stages (``pipelines.worker``) and stages its results,
   so a run killed at any point resumes where it stopped;
3. dedup runs as Spark operations over the whole set; executors write the shards into a temporary
   directory that is renamed into ``sets/<set_id>`` once everything, manifest included, is written;
4. the ledger and the index are updated, and the staging area is removed.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial

import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from corpus import __version__
from corpus.config import PipelineConfig, ShardConfig
from corpus.document import KEPT
from corpus.inputs import RemoteOptions, input_size, is_remote
from corpus.ledger import CorpusRoot, LedgerEntry
from corpus.progress import InputProgress
from corpus.report import build_stats, write_report
from corpus.shards import SHARD_SCHEMA, ShardFile, build_manifest, write_json, write_shard
from corpus.staging import input_dir, is_done, read_done
from corpus.stages import StageStats
from pipelines.dedup import deduplicate
from pipelines.spark import build_session
from pipelines.worker import stage_input

SHARD_FILE_SCHEMA = "path string, lang string, rows long, bytes long, sha256 string"


@dataclass
class RunResult:
    root: str
    set_id: str | None  # None when there was nothing new to process
    inputs: dict = field(default_factory=dict)
    stats: dict | None = None
    manifest: dict | None = None

    @property
    def set_dir(self) -> str | None:
        return os.path.join(self.root, "sets", self.set_id) if self.set_id else None


def write_shard_partition(out_dir: str, config: ShardConfig, batches):
    """mapInArrow body: rows arrive sorted by (lang, part, shuffle key); each (lang, part) becomes one file."""
    batches = list(batches)
    if not batches:
        return
    table = pa.Table.from_batches(batches)
    langs, parts = table.column("lang").to_pylist(), table.column("_part").to_pylist()
    start = 0
    for i in range(1, len(langs) + 1):
        if i == len(langs) or (langs[i], parts[i]) != (langs[start], parts[start]):
            shard = write_shard(table.slice(start, i - start), out_dir, langs[start], parts[start], config)
            yield pa.RecordBatch.from_pylist([shard.__dict__], schema=pa.schema([
                ("path", pa.string()), ("lang", pa.string()), ("rows", pa.int64()), ("bytes", pa.int64()),
                ("sha256", pa.string())]))
            start = i


def _merge_stage_stats(summaries: list[dict]) -> dict[str, StageStats]:
    merged: dict[str, StageStats] = {}
    for summary in summaries:
        for name, counters in summary["stages"].items():
            merged.setdefault(name, StageStats()).merge(StageStats.from_dict(counters))
    return merged


def _plan_set(root: CorpusRoot, inputs: list[str], night: str | None, log,
              remote: RemoteOptions) -> tuple[str, list[str], int]:
    """The set this run works on (an interrupted one first), its inputs, and how many given inputs were
    already published."""
    published = root.ledger()

    def is_published(location: str) -> bool:
        entry = published.get(location)
        return entry is not None and input_size(location, remote) == entry.size

    new = [loc for loc in inputs if not is_published(loc)]
    unfinished = root.unfinished_sets()
    if unfinished:
        set_id = unfinished[0]
        with open(os.path.join(root.staging_dir(set_id), "inputs.json"), encoding="utf-8") as f:
            earlier = json.load(f)["inputs"]
        log(f"resuming unfinished set {set_id} ({len(earlier)} input(s))")
    else:
        set_id, earlier = root.new_set_id(night), []
    return set_id, sorted(set(earlier) | set(new)), len(inputs) - len(new)


def _stage_pending(sc, config_json: str, staging: str, set_inputs: list[str], pending: list[str], log) -> None:
    """Phase 1: one Spark task per pending input; progress is read from the staged markers."""
    index_of = {loc: i for i, loc in enumerate(set_inputs)}
    progress = InputProgress(len(pending), log)
    stop = threading.Event()

    def watch():
        done: dict[str, int] = {}
        while not stop.wait(2.0):
            for loc in pending:
                if loc not in done and is_done(staging, loc):
                    done[loc] = read_done(staging, loc)["records"]
            progress.update(len(done), sum(done.values()))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        (sc.parallelize([(index_of[loc], loc) for loc in pending], numSlices=len(pending))
         .map(lambda item: stage_input(config_json, staging, item[0], item[1])["records"])
         .collect())
    finally:
        stop.set()
        watcher.join()
    progress.close()


def run_pipeline(inputs: list[str], output: str, config: PipelineConfig, spark: SparkSession | None = None,
                 log=print, night: str | None = None) -> RunResult:
    """Add a shard set for the new inputs to the corpus root ``output`` (resuming an interrupted run)."""
    root = CorpusRoot(output).open()
    inputs = [i if is_remote(i) else os.path.abspath(i) for i in inputs]
    set_id, set_inputs, already_published = _plan_set(root, inputs, night, log, config.remote.options())
    if not set_inputs:
        log(f"nothing new: all {already_published} input(s) are already published in {root.path}")
        return RunResult(root.path, None, {"given": len(inputs), "already_published": already_published})
    staging = root.staging_dir(set_id)
    if os.path.exists(os.path.join(root.set_dir(set_id), "manifest.json")):  # died after publishing
        _finalize(root, set_id, log)
        return run_pipeline(inputs, output, config, spark, log, night)  # then whatever is still new
    os.makedirs(staging, exist_ok=True)
    write_json(os.path.join(staging, "inputs.json"), {"set_id": set_id, "inputs": set_inputs})

    pending = [loc for loc in set_inputs if not is_done(staging, loc)]
    inputs_info = {"given": len(inputs), "already_published": already_published, "in_set": len(set_inputs),
                   "resumed": len(set_inputs) - len(pending), "processed": len(pending)}
    started = time.time()
    own_session = spark is None
    spark = spark or build_session(config.spark)
    sc = spark.sparkContext
    if sc.uiWebUrl:
        log(f"Spark UI: {sc.uiWebUrl}")
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    tmp_dir = os.path.join(root.sets_dir, f".{set_id}.tmp-{run_id}")
    try:
        timings: dict[str, float] = {}
        config_json = config.model_dump_json()

        # 1. per-document stages, one task per pending input, staged per input
        t0 = time.time()
        log(f"set {set_id}: {len(set_inputs)} input(s), {len(pending)} to process, "
            f"{inputs_info['resumed']} already staged, {already_published} already published")
        if pending:
            _stage_pending(sc, config_json, staging, set_inputs, pending, log)
        summaries = [read_done(staging, loc) for loc in set_inputs]
        stage_stats = _merge_stage_stats(summaries)
        timings["documents"] = time.time() - t0

        # 2. global dedup over the whole set
        t0 = time.time()
        docs = (spark.read.parquet(*[os.path.join(input_dir(staging, loc), "docs.parquet") for loc in set_inputs])
                .persist(StorageLevel.MEMORY_AND_DISK))
        stage_outcomes = spark.read.parquet(
            *[os.path.join(input_dir(staging, loc), "outcomes.parquet") for loc in set_inputs])
        dedup = deduplicate(docs, config.dedup)
        kept = dedup.survivors.persist(StorageLevel.MEMORY_AND_DISK)
        totals = {r["lang"]: {"documents": r["documents"], "characters": r["characters"], "words": r["words"]}
                  for r in kept.groupBy("lang").agg(F.count(F.lit(1)).alias("documents"),
                                                    F.sum("n_chars").alias("characters"),
                                                    F.sum("n_words").alias("words")).collect()}
        pii: dict[str, dict[str, int]] = {}
        for r in (kept.select("lang", F.explode("pii_counts").alias("type", "n"))
                  .groupBy("lang", "type").agg(F.sum("n").alias("n")).collect()):
            pii.setdefault(r["lang"], {})[r["type"]] = int(r["n"])
        timings["dedup"] = time.time() - t0

        # 3. shards: per language ceil(n / rows_per_file) files, rows spread and ordered by seeded hashes
        t0 = time.time()
        os.makedirs(tmp_dir)
        shard_files = _write_shards(kept, totals, tmp_dir, config.shards)
        for lang, t in totals.items():
            t["files"] = sum(1 for f in shard_files if f.lang == lang)
        timings["write"] = time.time() - t0

        # 4. accounting: every record read has exactly one outcome
        kept_outcomes = kept.select(
            "doc_id", "warc_file", "offset", F.col("warc_record_id").alias("record_id"),
            F.lit(KEPT).alias("status"), F.lit("write").alias("stage"), F.lit("").alias("reason"),
            F.lit("").alias("detail"))
        outcomes = stage_outcomes.unionByName(dedup.dropped).unionByName(kept_outcomes)
        outcomes_dir = os.path.join(tmp_dir, "outcomes")
        outcomes.repartition(1).sortWithinPartitions("warc_file", "offset").write.parquet(outcomes_dir,
                                                                                            compression="zstd")
        # counted from what was written, so stats.json and the outcome files cannot disagree
        outcome_counts = [(r["status"], r["stage"], r["reason"] or "", r["n"]) for r in
                          spark.read.parquet(outcomes_dir).groupBy("status", "stage", "reason")
                          .agg(F.count(F.lit(1)).alias("n")).collect()]
        for cached in (docs, kept):
            cached.unpersist()

        run_info = {"run_id": run_id, "set_id": set_id, "version": __version__,
                    "created": datetime.now(timezone.utc).isoformat(), "inputs": len(set_inputs),
                    "master": sc.master}
        stats = build_stats(outcome_counts, stage_stats, totals, timings, time.time() - started, run_info, pii)
        stats["inputs"] = inputs_info
        manifest = build_manifest(shard_files, totals, run_info)
        if stats["records"]["kept"] != manifest["totals"]["documents"]:  # never publish a run that lost rows
            raise RuntimeError(f"accounting mismatch: {stats['records']['kept']} kept outcomes, "
                               f"{manifest['totals']['documents']} rows in shards")
        if stats["records"]["read"] != sum(s["records"] for s in summaries):
            raise RuntimeError("accounting mismatch: outcomes do not cover every record read")
        write_json(os.path.join(tmp_dir, "config.json"), json.loads(config_json))
        write_json(os.path.join(tmp_dir, "inputs.json"), {"inputs": [
            {k: s[k] for k in ("location", "file_index", "size", "sha256", "records", "documents")}
            for s in summaries]})
        write_json(os.path.join(tmp_dir, "stats.json"), stats)
        write_report(os.path.join(tmp_dir, "report.html"), stats, manifest)
        write_json(os.path.join(tmp_dir, "manifest.json"), manifest)  # last: its presence marks completeness
        os.rename(tmp_dir, root.set_dir(set_id))  # publish: atomic on one filesystem
        log(f"published set {set_id}: {manifest['totals']['documents']} documents in "
            f"{manifest['totals']['files']} shard(s), {stats['records']['read']} records read in "
            f"{stats['wall_seconds']:.1f}s")
        _finalize(root, set_id, log)
        return RunResult(root.path, set_id, inputs_info, stats, manifest)
    finally:
        if os.path.exists(tmp_dir):
            shutil.rmtree(tmp_dir, ignore_errors=True)
        if own_session:
            spark.stop()


def _finalize(root: CorpusRoot, set_id: str, log) -> None:
    """After publishing: ledger entries, index, staging removed. Idempotent, so a crash here is resumable."""
    set_dir = root.set_dir(set_id)
    with open(os.path.join(set_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(os.path.join(set_dir, "inputs.json"), encoding="utf-8") as f:
        recorded = json.load(f)["inputs"]
    now = datetime.now(timezone.utc).isoformat()
    root.record([LedgerEntry(i["location"], i["size"], i["sha256"], set_id, i["records"], now) for i in recorded])
    root.add_to_index(set_id, manifest)
    shutil.rmtree(root.staging_dir(set_id), ignore_errors=True)
    log(f"ledger and index updated: {len(recorded)} input(s) in set {set_id}")


def _write_shards(kept, totals: dict, out_dir: str, config: ShardConfig) -> list[ShardFile]:
    if not totals:
        return []
    files_per_lang = {lang: max(1, math.ceil(t["documents"] / config.rows_per_file)) for lang, t in totals.items()}
    n_files = F.create_map(*[x for lang, n in sorted(files_per_lang.items()) for x in (F.lit(lang), F.lit(n))])
    seed = config.shuffle_seed
    ordered = (kept
               .withColumn("_part", F.pmod(F.xxhash64(F.lit(seed), "doc_id"), n_files[F.col("lang")]).cast("int"))
               .withColumn("_key", F.xxhash64(F.lit(seed + 1), "doc_id"))
               .withColumn("fetch_date", F.to_timestamp("fetch_date", "yyyy-MM-dd'T'HH:mm:ss'Z'"))
               .withColumn("warc_offset", F.col("offset"))
               .repartition(sum(files_per_lang.values()), "lang", "_part")
               .sortWithinPartitions("lang", "_part", "_key", "doc_id")
               .select(*SHARD_SCHEMA.names, "_part"))
    written = ordered.mapInArrow(partial(write_shard_partition, out_dir, config), SHARD_FILE_SCHEMA).collect()
    return [ShardFile(r["path"], r["lang"], r["rows"], r["bytes"], r["sha256"]) for r in written]
