"""The Spark job: WARC files -> per-document stages -> global dedup -> shards, manifest, stats, report.

One Spark task per WARC file runs the plain-Python stages (``pipelines.worker``); dedup runs as Spark
operations over the whole run; shards are written by the executors straight into a temporary directory
that is renamed into place only when everything, manifest included, is written.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial

import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from corpus import __version__
from corpus.config import PipelineConfig, ShardConfig
from corpus.document import KEPT
from corpus.report import build_stats, write_report
from corpus.shards import SHARD_SCHEMA, ShardFile, build_manifest, write_json, write_shard
from corpus.stages import StageStats
from pipelines.dedup import deduplicate
from pipelines.spark import build_session
from pipelines.worker import DOC, OUTCOME, STATS, process_files

DOC_SCHEMA = T.StructType([
    T.StructField("doc_id", T.StringType(), False),
    T.StructField("file_index", T.IntegerType(), False),
    T.StructField("offset", T.LongType(), False),
    T.StructField("warc_file", T.StringType(), False),
    T.StructField("warc_record_id", T.StringType(), True),
    T.StructField("url", T.StringType(), True),
    T.StructField("domain", T.StringType(), True),
    T.StructField("fetch_date", T.StringType(), True),
    T.StructField("text", T.StringType(), False),
    T.StructField("lang", T.StringType(), False),
    T.StructField("lang_score", T.DoubleType(), False),
    T.StructField("n_chars", T.IntegerType(), False),
    T.StructField("n_words", T.IntegerType(), False),
    T.StructField("pii_counts", T.MapType(T.StringType(), T.IntegerType()), True),
    T.StructField("text_hash", T.StringType(), False),
    T.StructField("band_hashes", T.ArrayType(T.LongType()), True),
])

OUTCOME_SCHEMA = T.StructType([
    T.StructField("doc_id", T.StringType(), False),
    T.StructField("warc_file", T.StringType(), False),
    T.StructField("offset", T.LongType(), False),
    T.StructField("record_id", T.StringType(), True),
    T.StructField("status", T.StringType(), False),
    T.StructField("stage", T.StringType(), False),
    T.StructField("reason", T.StringType(), True),
    T.StructField("detail", T.StringType(), True),
])

SHARD_FILE_SCHEMA = "path string, lang string, rows long, bytes long, sha256 string"


class OutputExists(RuntimeError):
    pass


@dataclass
class RunResult:
    output: str
    stats: dict
    manifest: dict


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


def _merge_stage_stats(rows: list[str]) -> dict[str, StageStats]:
    merged: dict[str, StageStats] = {}
    for row in rows:
        for name, counters in json.loads(row).items():
            merged.setdefault(name, StageStats()).merge(StageStats.from_dict(counters))
    return merged


def _publish(tmp_dir: str, output: str, overwrite: bool) -> None:
    """Atomic on one filesystem: the output directory appears complete or not at all."""
    if os.path.exists(output):
        if not overwrite:
            raise OutputExists(f"output exists: {output} (use --overwrite to replace it)")
        trash = f"{output}.__old_{uuid.uuid4().hex[:8]}"
        os.rename(output, trash)
        os.rename(tmp_dir, output)
        shutil.rmtree(trash)
    else:
        os.rename(tmp_dir, output)


def run_pipeline(inputs: list[str], output: str, config: PipelineConfig, overwrite: bool = False,
                 spark: SparkSession | None = None, log=print) -> RunResult:
    output = os.path.abspath(output)
    if os.path.exists(output) and not overwrite:
        raise OutputExists(f"output exists: {output} (use --overwrite to replace it)")
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    tmp_dir = os.path.join(os.path.dirname(output), f".{os.path.basename(output)}.tmp-{run_id}")
    os.makedirs(tmp_dir)
    started = time.time()
    own_session = spark is None
    spark = spark or build_session(config.spark)
    sc = spark.sparkContext
    if sc.uiWebUrl:
        log(f"Spark UI: {sc.uiWebUrl}")
    try:
        timings: dict[str, float] = {}

        # 1. per-document stages, one task per WARC file
        t0 = time.time()
        config_json = config.model_dump_json()
        files = list(enumerate(inputs))
        records = (sc.parallelize(files, numSlices=max(1, len(files)))
                   .mapPartitions(partial(process_files, config_json))
                   .persist(StorageLevel.MEMORY_AND_DISK))
        # persisted as a DataFrame: dedup reads it several times, and rows leave Python only once
        docs = (spark.createDataFrame(records.filter(lambda r: r[0] == DOC).map(lambda r: r[1]), DOC_SCHEMA)
                .persist(StorageLevel.MEMORY_AND_DISK))
        stage_outcomes = spark.createDataFrame(records.filter(lambda r: r[0] == OUTCOME).map(lambda r: r[1]),
                                               OUTCOME_SCHEMA)
        stage_stats = _merge_stage_stats(records.filter(lambda r: r[0] == STATS).map(lambda r: r[1]).collect())
        timings["documents"] = time.time() - t0
        log(f"stages done on {len(files)} file(s) in {timings['documents']:.1f}s")

        # 2. global dedup
        t0 = time.time()
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
        for cached in (records, docs, kept):
            cached.unpersist()

        run_info = {"run_id": run_id, "version": __version__, "created": datetime.now(timezone.utc).isoformat(),
                    "inputs": len(inputs), "master": sc.master}
        stats = build_stats(outcome_counts, stage_stats, totals, timings, time.time() - started, run_info, pii)
        manifest = build_manifest(shard_files, totals, run_info)
        if stats["records"]["kept"] != manifest["totals"]["documents"]:  # never publish a run that lost rows
            raise RuntimeError(f"accounting mismatch: {stats['records']['kept']} kept outcomes, "
                               f"{manifest['totals']['documents']} rows in shards")
        write_json(os.path.join(tmp_dir, "config.json"), json.loads(config_json))
        write_json(os.path.join(tmp_dir, "inputs.json"), {"inputs": inputs})
        write_json(os.path.join(tmp_dir, "stats.json"), stats)
        write_report(os.path.join(tmp_dir, "report.html"), stats, manifest)
        write_json(os.path.join(tmp_dir, "manifest.json"), manifest)  # last: its presence marks completeness
        _publish(tmp_dir, output, overwrite)
        log(f"wrote {manifest['totals']['documents']} documents in {manifest['totals']['files']} shard(s) "
            f"to {output} ({stats['records']['read']} records read in {stats['wall_seconds']:.1f}s)")
        return RunResult(output, stats, manifest)
    finally:
        if os.path.exists(tmp_dir):
            shutil.rmtree(tmp_dir, ignore_errors=True)
        if own_session:
            spark.stop()


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
