"""The Spark job: WARC files -> per-document stages -> global dedup -> an immutable shard set.

Runs add dated shard sets to a corpus root (see ``corpus/ledger.py``):

1. inputs already published (in the ledger, same size) are skipped; the rest form this night's set;
2. one Spark task per input runs the plain-Python stages (``pipelines.worker``) and stages its results,
   so a run killed at any point resumes where it stopped;
3. dedup runs as Spark operations over the whole set; executors write the shards. On a local disk the set
   is written into a temporary directory renamed into ``sets/<set_id>`` when complete; on an object store
   (no rename) it is written in place with ``manifest.json`` last;
4. the ledger and the index are updated, and the staging area is removed.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import partial

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark import StorageLevel, TaskContext
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from corpus import __version__
from corpus.config import EU_LANGUAGES, ControllerConfig, PipelineConfig, ShardConfig
from corpus.document import KEPT
from corpus.inputs import RemoteOptions, input_size, is_remote
from corpus.card import document_release
from corpus.ledger import ABANDONED, FAILED, CorpusRoot, LedgerEntry, validate_night
from corpus.lock import RootLock
from corpus.progress import InputProgress
from corpus.provenance import provenance
from pii.names import name_methods
from corpus.report import build_stats, write_report
from corpus.shards import DOMAINS_FILE, SHARD_SCHEMA, ShardFile, build_manifest, domains_bytes, shard_path, write_shard
from corpus.staging import (DOC_SCHEMA, OUTCOME_SCHEMA, STAGING_BATCH_ROWS, STAGING_FORMAT, input_dir, is_done,
                            read_done, read_failure, table_bytes)
from corpus.storage import Store
from corpus.stages import StageStats
from dedup.index import INDEX_DIR, INDEX_SCHEMA, PublishedIndex
from pipelines.dedup import StagedDocuments, deduplicate, index_rows
from pipelines.spark import build_session, raise_if_interrupted, run_concurrently, stop_session
from corpus.erasure import ErasureList
from corpus.secrets import redacted_config_json
from pii.fingerprints import key_id, load_key
from pipelines.worker import (
    ERASURES_FILE,
    EXECUTOR_REPORT_SCHEMA,
    STAGED_SCHEMA,
    executor_report_partition,
    stage_partition,
)

SHARD_FILE_SCHEMA = "path string, lang string, rows long, bytes long, sha256 string"


class RunRefused(RuntimeError):
    """The run cannot keep a promise it makes (canary, erasures, key): it stops before any work, exit 2."""


class CanaryFailed(RunRefused):
    pass


class ErasureNotEnforceable(RunRefused):
    """The erasure log holds values that only the fingerprint key they were recorded with recognises."""


class KeyNotOnExecutors(RunRefused):
    """The driver has a fingerprint key that an executor lacks (or holds another one)."""


@dataclass
class RunResult:
    root: str
    set_id: str | None  # None when there was nothing new to process
    inputs: dict = field(default_factory=dict)
    stats: dict | None = None
    manifest: dict | None = None

    @property
    def failed_inputs(self) -> list[dict]:
        """Inputs that could not be read this night (status failed or abandoned)."""
        return self.inputs.get("failed", [])

    @property
    def set_dir(self) -> str | None:
        if not self.set_id:
            return None
        return f"{self.root.rstrip('/')}/sets/{self.set_id}" if "://" in self.root else \
            os.path.join(self.root, "sets", self.set_id)


def write_shard_partition(store: Store, set_dir: str, config: ShardConfig, batches):
    """mapInArrow body: rows arrive sorted by (lang, part, shuffle key); each (lang, part) becomes one file."""
    batches = list(batches)
    if not batches:
        return
    table = pa.Table.from_batches(batches)
    langs, parts = table.column("lang").to_pylist(), table.column("_part").to_pylist()
    start = 0
    for i in range(1, len(langs) + 1):
        if i == len(langs) or (langs[i], parts[i]) != (langs[start], parts[start]):
            shard = write_shard(table.slice(start, i - start), store, set_dir, langs[start], parts[start], config)
            yield pa.RecordBatch.from_pylist([shard.__dict__], schema=pa.schema([
                ("path", pa.string()), ("lang", pa.string()), ("rows", pa.int64()), ("bytes", pa.int64()),
                ("sha256", pa.string())]))
            start = i


def read_staged_partition(store: Store, units: list[tuple[str, int, int]], tasks: int, batches):
    """mapInArrow body: the rows are task numbers; task i reads ``units[i::tasks]``. A unit ``(path, part,
    parts)`` is the part-th of ``parts`` runs of a staged Parquet file's row groups, read one row group at a
    time (memory holds a few MB, however large the input was) through fsspec, so local disks and object stores
    alike (Spark's own Parquet reader would need Hadoop's S3 connector)."""
    for batch in batches:
        for task in batch.column(0).to_pylist():
            for path, part, parts in units[task::tasks]:
                with store.open_read(path) as file:
                    staged = pq.ParquetFile(file)
                    groups = staged.num_row_groups
                    for group in range(part * groups // parts, (part + 1) * groups // parts):
                        yield from staged.read_row_group(group).to_batches()


def _write_partition_file(store: Store, out_dir: str, schema: pa.Schema, batches: list) -> pa.Table:
    """A partition's rows as one Parquet file, named by the partition number (none when it has no rows)."""
    table = pa.Table.from_batches(batches).cast(schema) if batches else schema.empty_table()
    if table.num_rows:
        name = f"part-{TaskContext.get().partitionId():05d}.parquet"
        store.write_bytes(store.join(out_dir, name), table_bytes(table))
    return table


def write_table_partition(store: Store, out_dir: str, schema: pa.Schema, batches):
    """mapInArrow body: one Parquet file per partition; its row count."""
    table = _write_partition_file(store, out_dir, schema, list(batches))
    yield pa.RecordBatch.from_pylist([{"rows": table.num_rows}], schema=pa.schema([("rows", pa.int64())]))


def _write_partitions(frame: DataFrame, store: Store, out_dir: str, schema: pa.Schema) -> int:
    """One Parquet file per partition of ``frame`` (already partitioned and sorted) in ``out_dir``; rows."""
    written = frame.mapInArrow(partial(write_table_partition, store, out_dir, schema), "rows long").collect()
    return sum(r["rows"] for r in written)


#: what writing a partition of outcomes returns: its counts per outcome (stats.json)
OUTCOME_COUNT_SCHEMA = pa.schema([("status", pa.string()), ("stage", pa.string()), ("reason", pa.string()),
                                  ("n", pa.int64())])


def write_outcomes_partition(store: Store, out_dir: str, batches):
    """mapInArrow body: one Parquet file of outcomes per partition, and its counts per (status, stage, reason):
    the files and the counts in one pass over the outcomes."""
    table = _write_partition_file(store, out_dir, OUTCOME_SCHEMA, list(batches))
    counts = Counter(zip(table.column("status").to_pylist(), table.column("stage").to_pylist(),
                         (reason or "" for reason in table.column("reason").to_pylist())))
    yield pa.RecordBatch.from_pylist([{"status": status, "stage": stage, "reason": reason, "n": n}
                                      for (status, stage, reason), n in sorted(counts.items())],
                                     schema=OUTCOME_COUNT_SCHEMA)


def _write_outcomes(outcomes: DataFrame, store: Store, out_dir: str, partitions: int) -> list[tuple]:
    """The outcome files (per partition, in input order) and the counts per (status, stage, reason, n)."""
    counted = Counter()
    for r in (outcomes.repartition(partitions, "warc_file").sortWithinPartitions("warc_file", "offset")
              .mapInArrow(partial(write_outcomes_partition, store, out_dir), from_arrow_schema(OUTCOME_COUNT_SCHEMA))
              .collect()):
        counted[r["status"], r["stage"], r["reason"]] += r["n"]
    return [(*key, n) for key, n in sorted(counted.items())]


#: the erasure index next to a set's shards: keyed fingerprints of personal values -> documents
PII_INDEX_SCHEMA = pa.schema([("fingerprint", pa.string()), ("doc_id", pa.string())])


#: rows of one staged file that one task reads back: a large input's rows are read by several tasks at once
READ_BACK_ROWS = 10 * STAGING_BATCH_ROWS


def read_back_units(paths: list[str], rows: list[int] | None = None,
                    rows_per_unit: int = READ_BACK_ROWS) -> list[tuple[str, int, int]]:
    """What tasks read back: (path, part, parts), a file split into ``parts`` runs of its row groups when its
    row count is known and above ``rows_per_unit``."""
    counts = rows if rows is not None else [0] * len(paths)
    return [(path, part, parts) for path, n in zip(paths, counts, strict=True)
            for parts in [max(1, math.ceil(n / rows_per_unit))] for part in range(parts)]


def _read_staged(spark: SparkSession, store: Store, paths: list[str], schema: pa.Schema,
                 rows: list[int] | None = None) -> DataFrame:
    """The rows of staged Parquet files, one row per task, made where it runs (no shuffle to spread a listing).
    ``rows``: each file's row count when known (a staged input's summary says it), to split large files."""
    units = read_back_units(paths, rows)
    tasks = max(1, min(len(units), spark.sparkContext.defaultParallelism * 2))
    return (spark.range(0, tasks, 1, tasks)
            .mapInArrow(partial(read_staged_partition, store, units, tasks), from_arrow_schema(schema)))


def _merge_stage_stats(summaries: list[dict]) -> dict[str, StageStats]:
    merged: dict[str, StageStats] = {}
    for summary in summaries:
        for name, counters in summary["stages"].items():
            merged.setdefault(name, StageStats()).merge(StageStats.from_dict(counters))
    return merged


@dataclass
class SetPlan:
    set_id: str
    inputs: list[str]  # sorted; the order fixes each input's file_index
    already_published: int  # given inputs already in a published set
    retried: list[str]  # inputs that failed on earlier nights, retried first
    abandoned: list[str]  # given inputs the ledger says were abandoned: skipped


def _plan_set(root: CorpusRoot, inputs: list[str], night: str | None, log, remote: RemoteOptions,
              retry_abandoned: bool = False) -> SetPlan:
    """The set this run works on (an interrupted one first) and its inputs: the given ones not yet published,
    plus every input that failed on an earlier night (given again or not)."""
    ledger = root.ledger()

    def is_published(location: str) -> bool:  # a remote input's size costs a request: asked once per input
        entry = ledger.get(location)
        return entry is not None and entry.published and input_size(location, remote) == entry.size

    published = {loc for loc in inputs if is_published(loc)}
    abandoned = [] if retry_abandoned else \
        [loc for loc in inputs if (e := ledger.get(loc)) is not None and e.status == ABANDONED]
    if abandoned:
        log(f"warning: {len(abandoned)} given input(s) were abandoned after failing on earlier nights and are "
            f"skipped (see ledger.jsonl; --retry-abandoned tries them again): {', '.join(abandoned[:5])}"
            + (" ..." if len(abandoned) > 5 else ""))
    retried = sorted(e.location for e in ledger.values() if e.status == FAILED)
    if retried:
        log(f"retrying {len(retried)} input(s) that failed on an earlier night first")
    new = [loc for loc in inputs if loc not in published and loc not in abandoned]
    unfinished = root.unfinished_sets()
    if unfinished:
        set_id = unfinished[0]
        earlier = root.store.read_json(root.store.join(root.staging_dir(set_id), "inputs.json"))["inputs"]
        log(f"resuming unfinished set {set_id} ({len(earlier)} input(s))")
    else:
        set_id, earlier = root.new_set_id(night), []
    return SetPlan(set_id, sorted(set(earlier) | set(new) | set(retried)),
                   len(published), retried, abandoned)


def _failure_entries(root: CorpusRoot, failures: dict[str, dict], set_id: str, retry_nights: int) -> list[dict]:
    """Ledger entries (as dicts) for this night's failed inputs: failed again on a later night counts one more
    night; past ``retry_nights`` nights the input is abandoned."""
    ledger, now, entries = root.ledger(), datetime.now(timezone.utc).isoformat(), []
    for location, failure in sorted(failures.items()):
        earlier = ledger.get(location)
        nights = 1
        if earlier is not None and earlier.status == FAILED:
            nights = earlier.failed_nights + (earlier.set_id != set_id)  # a resumed night counts once
        status = ABANDONED if nights > retry_nights else FAILED
        entries.append(asdict(LedgerEntry(location, None, "", set_id, 0, now, status, failure["error"],
                                          failure["detail"], failure["attempts"], nights)))
    return entries


def _stage_pending(spark: SparkSession, config_json: str, store: Store, staging: str, set_inputs: list[str],
                   pending: list[str], log, key_identity: str | None) -> None:
    """Phase 1: one Spark task per pending input; progress is read from the staged markers."""
    index_of = {loc: i for i, loc in enumerate(set_inputs)}
    progress = InputProgress(len(pending), log)
    stop = threading.Event()

    def watch():
        done: dict[str, int] = {}
        while not stop.wait(2.0):
            for loc in pending:
                if loc not in done and is_done(store, staging, loc):
                    done[loc] = read_done(store, staging, loc)["records"]
            progress.update(len(done), sum(done.values()))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        work = [(index_of[loc], loc) for loc in pending]
        (spark.range(0, len(work), 1, len(work))  # partition i: the row i, which stages work[i]
         .mapInArrow(partial(stage_partition, config_json, store, staging, work, key_identity),
                     from_arrow_schema(STAGED_SCHEMA))
         .collect())
    except Exception as error:  # an executor that joined after the check: without the key, or failing the canary
        if "ExecutorKeyMismatch" in str(error):
            detail = str(error).split("ExecutorKeyMismatch: ", 1)[1].splitlines()[0]
            raise KeyNotOnExecutors(f"{detail}: every executor needs the driver's fingerprint key "
                                    "(see README, Personal data); what was staged is kept for the next run") from None
        if "ExecutorCanaryFailed" in str(error):
            detail = str(error).split("ExecutorCanaryFailed: ", 1)[1].splitlines()[0]
            raise CanaryFailed(f"PII canary failed: {detail}; nothing it scrubbed was staged, what other executors "
                               "staged is kept for the next run") from None
        raise
    finally:
        stop.set()
        watcher.join()
    progress.update(len(pending), sum(read_done(store, staging, loc)["records"] for loc in pending
                                      if is_done(store, staging, loc)))
    progress.close()


@dataclass(frozen=True)
class RunOptions:
    """Per-run decisions of the operator (CLI flags), as opposed to the configuration."""

    night: str | None = None
    break_lock: bool = False
    retry_abandoned: bool = False  # try inputs the ledger says were abandoned again
    allow_empty_set: bool = False  # publish even when the per-document stages drop every record


class EverythingDropped(RunRefused):
    """Every record read was dropped by the per-document stages: almost always a configuration that drops
    everything (max_payload_bytes too small, a blocklist of everything); nothing is marked consumed."""


def run_pipeline(inputs: list[str], output: str, config: PipelineConfig, spark: SparkSession | None = None,
                 log=print, night: str | None = None, break_lock: bool = False,
                 options: RunOptions | None = None) -> RunResult:
    """Add a shard set for the new inputs to the corpus root ``output`` (resuming an interrupted run). Holds
    the root's lock throughout: a second writer is refused (RootLocked), a stale lock broken only when asked."""
    options = options or RunOptions(night=night, break_lock=break_lock)
    if options.night is not None:
        validate_night(options.night)
    root = CorpusRoot(output, config.remote.options())
    if root.store.ensure_bucket():
        log(f"created the bucket of {root.path} (remote.s3_create_bucket)")
    with RootLock.for_config(root, config, "run", log).acquire(break_stale=options.break_lock):
        return _run_locked(inputs, root.open(), config, spark, log, options)


def _run_locked(inputs: list[str], root: CorpusRoot, config: PipelineConfig, spark: SparkSession | None,
                log, options: RunOptions) -> RunResult:
    inputs = [i if is_remote(i) else os.path.abspath(i) for i in inputs]
    plan = _plan_set(root, inputs, options.night, log, config.remote.options(), options.retry_abandoned)
    set_inputs, already_published = plan.inputs, plan.already_published
    if not set_inputs:
        log(f"nothing new: all {already_published} input(s) are already published in {root.path}"
            if not plan.abandoned else f"nothing new to process in {root.path}")
        return RunResult(root.path, None, {"given": len(inputs), "already_published": already_published,
                                           "abandoned_skipped": plan.abandoned})
    set_id, staging = plan.set_id, root.staging_dir(plan.set_id)
    if root.is_published(set_id):  # died after publishing, before the ledger and index were updated
        _finalize(root, set_id, config.controller, log)
        return _run_locked(inputs, root, config, spark, log, options)  # then whatever is still new

    return _run_checked(inputs, root, config, spark, log, options, plan, staging)


def _run_checked(inputs: list[str], root: CorpusRoot, config: PipelineConfig, spark: SparkSession | None, log,
                 options: RunOptions, plan: SetPlan, staging: str) -> RunResult:
    store = root.store
    set_id, set_inputs, already_published = plan.set_id, plan.inputs, plan.already_published
    key_identity = key_id(load_key(config.pii))
    erasures = _enforceable_erasures(root, key_identity, config, log)
    _warn_on_key_change(root, key_identity, log)
    if store.exists(store.join(staging, "inputs.json")):  # resuming: the staged part used the same key?
        staged = store.read_json(store.join(staging, "inputs.json"))
        staged_key = staged.get("pii_key_id")
        if staged.get("format", 1) != STAGING_FORMAT:  # another release's layout: its work is redone, not read
            log(f"the unfinished set {set_id} was staged by a release with another staging layout: "
                "its inputs are processed again")
            store.remove_tree(staging)
        elif staged_key != key_identity:
            raise RunRefused(f"the unfinished set {set_id} was staged with "
                             f"{'no fingerprint key' if staged_key is None else 'key ' + staged_key}, this run has "
                             f"{'none' if key_identity is None else 'key ' + key_identity}: run with the same key "
                             f"to resume, or remove {staging} to start the set again")
    started = time.time()
    # a session this run starts, it stops; one it is given, or finds running (a notebook, a test), it leaves
    own_session = spark is None and SparkSession.getActiveSession() is None
    spark = spark or build_session(config.spark, config.pii.fingerprint_key_env, log=lambda m: log(f"warning: {m}"))
    sc = spark.sparkContext
    config_json = config.model_dump_json()
    try:
        raise_if_interrupted()
        # promises checked before anything is staged, a refused run leaves nothing behind to resume
        canary = _check_executors(spark, config, config_json, key_identity, log)
    except BaseException:
        if own_session:
            stop_session(spark)
        raise
    if sc.uiWebUrl:
        log(f"Spark UI: {sc.uiWebUrl}")
    if key_identity is None:
        log(f"no PII fingerprint key (${config.pii.fingerprint_key_env} or pii.fingerprint_key_file): "
            "personal values are scrubbed but not indexed, so later erasure requests by value cannot find "
            "this set's documents")
    store.makedirs(staging)
    store.write_json(store.join(staging, "inputs.json"),
                     {"set_id": set_id, "inputs": set_inputs, "pii_key_id": key_identity,
                      "format": STAGING_FORMAT})
    if erasures:  # erased pages, values and their copies are kept out (checked enforceable above)
        store.write_bytes(store.join(staging, ERASURES_FILE), json.dumps(erasures.to_json()).encode("utf-8"))
    # inputs that failed on earlier nights go first: a flaky source gets its retry before the night is busy
    pending = sorted((loc for loc in set_inputs if not is_done(store, staging, loc)),
                     key=lambda loc: (loc not in plan.retried, loc))
    inputs_info = {"given": len(inputs), "already_published": already_published, "in_set": len(set_inputs),
                   "resumed": len(set_inputs) - len(pending), "processed": len(pending),
                   "retried": plan.retried, "abandoned_skipped": plan.abandoned}
    fingerprinting = key_identity is not None
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    # local disk: write aside and rename into place; object store: write in place, manifest last
    out_dir = store.join(root.sets_dir, f".{set_id}.tmp-{run_id}") if store.is_local else root.set_dir(set_id)
    try:
        timings: dict[str, float] = {"spark_start": time.time() - started}

        # 1. per-document stages, one task per pending input, staged per input
        t0 = time.time()
        log(f"set {set_id}: {len(set_inputs)} input(s), {len(pending)} to process, "
            f"{inputs_info['resumed']} already staged, {already_published} already published")
        if pending:
            _stage_pending(spark, config_json, store, staging, set_inputs, pending, log, key_identity)
        raise_if_interrupted()
        staged_inputs = [loc for loc in set_inputs if is_done(store, staging, loc)]
        failures = {loc: read_failure(store, staging, loc) or {"error": "NotStaged", "detail": "", "attempts": 0}
                    for loc in set_inputs if loc not in staged_inputs}
        failed = _failure_entries(root, failures, set_id, config.inputs.retry_failed_nights)
        inputs_info["failed"] = [_failure_report(e) for e in failed]
        for entry in failed:
            log(f"input {entry['status']}: {entry['location']}: {entry['error']} after {entry['attempts']} "
                f"attempt(s), {entry['failed_nights']} night(s) in a row"
                + (" (retried first on the next night)" if entry["status"] == FAILED else
                   f" (more than inputs.retry_failed_nights = {config.inputs.retry_failed_nights}: not retried)"))
        if not staged_inputs:  # nothing could be read: no set, only the failures on record
            root.record([LedgerEntry(**e) for e in failed])
            store.remove_tree(staging)
            log(f"no set published: none of the {len(set_inputs)} input(s) could be read")
            return RunResult(root.path, None, inputs_info)
        summaries = [read_done(store, staging, loc) for loc in staged_inputs]
        stage_stats = _merge_stage_stats(summaries)
        inputs_info["empty"] = [s["location"] for s in summaries if s["records"] == 0]
        for location in inputs_info["empty"]:
            log(f"warning: input {location} holds no WARC record (empty file); it is recorded as published")
        _refuse_if_everything_dropped(summaries, stage_stats, options, store, staging)
        timings["documents"] = time.time() - t0

        # 2. global dedup over the whole set
        raise_if_interrupted()
        t0 = time.time()
        staged = [input_dir(store, staging, loc) for loc in staged_inputs]
        docs_files = [store.join(d, "docs.parquet") for d in staged]
        docs = _read_staged(spark, store, docs_files, DOC_SCHEMA, [s["documents"] for s in summaries])
        stage_outcomes = _read_staged(spark, store, [store.join(d, "outcomes.parquet") for d in staged],
                                      OUTCOME_SCHEMA, [s["records"] - s["documents"] for s in summaries])
        published_index = PublishedIndex(root)
        published_files = published_index.files() if config.dedup.across_nights else []
        published = (_read_staged(spark, store, published_files, INDEX_SCHEMA) if published_files else None)
        if published_files:
            log(f"dedup: checking against the published index ({len(published_files)} file(s))")
        dedup = deduplicate(docs, config.dedup, published, StagedDocuments.of_inputs(store, docs_files, summaries))
        kept = dedup.survivors.persist(StorageLevel.MEMORY_AND_DISK)
        totals, pii, pii_kept, recognizers, mixed, domains = _set_aggregates(kept, config.langid.mixed_share)
        timings["dedup"] = time.time() - t0

        # 3. what is published of the kept documents (cached above), in four independent jobs run at once:
        # shards (per language ceil(n / rows_per_file) files, rows spread and ordered by seeded hashes); the
        # erasure index (fingerprints of the personal values in kept documents, no values, sorted); the dedup
        # index (the kept documents' band and exact-text keys, for later nights and erasures); and the outcomes,
        # where every record read has exactly one
        raise_if_interrupted()
        t0 = time.time()
        if root.store.exists(out_dir):  # an object-store set left half-written by a crash
            store.remove_tree(out_dir)
        store.makedirs(out_dir)
        index_partitions = max(1, len(staged_inputs) // 64)
        fingerprint_rows = (kept.select(F.explode("pii_fingerprints").alias("fingerprint"), "doc_id")
                            .repartition(index_partitions, "fingerprint").sortWithinPartitions("fingerprint", "doc_id"))
        key_rows = (index_rows(kept).repartition(index_partitions, "band", "key")
                    .sortWithinPartitions("band", "key", "doc_id"))
        kept_outcomes = kept.select(
            "doc_id", "warc_file", "offset", F.col("warc_record_id").alias("record_id"),
            F.lit(KEPT).alias("status"), F.lit("write").alias("stage"), F.lit("").alias("reason"),
            F.lit("").alias("detail"))
        outcomes = (stage_outcomes.unionByName(dedup.dropped).unionByName(kept_outcomes)
                    .select(*OUTCOME_SCHEMA.names))
        written = run_concurrently(spark, {  # the largest first: Spark hands free cores to the jobs in this order
            "shards": lambda: _write_shards(kept, totals, store, out_dir, config.shards),
            "outcomes": lambda: _write_outcomes(outcomes, store, store.join(out_dir, "outcomes"),
                                                max(1, math.ceil(len(staged_inputs) / 64))),
            "fingerprints": lambda: _write_partitions(fingerprint_rows, store, store.join(out_dir, "pii_index"),
                                                      PII_INDEX_SCHEMA),
            "dedup_keys": lambda: _write_partitions(key_rows, store, store.join(out_dir, INDEX_DIR), INDEX_SCHEMA)})
        shard_files, outcome_counts = written["shards"], written["outcomes"]
        fingerprints, dedup_keys = written["fingerprints"], written["dedup_keys"]
        for lang, t in totals.items():
            t["files"] = sum(1 for f in shard_files if f.lang == lang)
        kept.unpersist()
        dedup.release()
        timings["write"] = time.time() - t0

        run_info = {"run_id": run_id, "set_id": set_id, "version": __version__,
                    "created": datetime.now(timezone.utc).isoformat(), "inputs": len(staged_inputs),
                    "master": sc.master, "pii_key_id": key_identity,
                    "pii_name_methods": name_methods(config.pii.ner_models, config.pii.name_tagger)}
        stats = build_stats(outcome_counts, stage_stats, totals, timings, time.time() - started, run_info, pii, mixed)
        stats["inputs"] = inputs_info
        stats["pii_canary"] = canary
        stats["pii_recognizers"] = {lang: recognizers[lang] for lang in sorted(recognizers)}
        stats["pii_kept_by_policy"] = {lang: dict(sorted(t.items())) for lang, t in sorted(pii_kept.items())}
        stats["pii_dropped_with_page"] = _values_dropped(stage_stats)
        public_config = redacted_config_json(config_json)  # the key and credentials never written
        stats["provenance"] = provenance(public_config, summaries)
        stats["pii_index"] = {"fingerprints": fingerprints, "enabled": fingerprinting, "key_id": key_identity}
        stats["dedup_index"] = {"keys": dedup_keys, "checked_against_files": len(published_files)}
        manifest = build_manifest(shard_files, totals, run_info)
        if stats["records"]["kept"] != manifest["totals"]["documents"]:  # never publish a run that lost rows
            raise RuntimeError(f"accounting mismatch: {stats['records']['kept']} kept outcomes, "
                               f"{manifest['totals']['documents']} rows in shards")
        if stats["records"]["read"] != sum(s["records"] for s in summaries):
            raise RuntimeError("accounting mismatch: outcomes do not cover every record read")
        store.write_json(store.join(out_dir, "config.json"), json.loads(public_config))
        store.write_json(store.join(out_dir, "inputs.json"), {"inputs": [
            {k: s[k] for k in ("location", "file_index", "size", "sha256", "records", "documents")}
            for s in summaries], "failed": failed})  # _finalize records both in the ledger
        store.write_json(store.join(out_dir, "stats.json"), stats)
        store.write_bytes(store.join(out_dir, DOMAINS_FILE), domains_bytes(domains))
        write_report(store, store.join(out_dir, "report.html"), stats, manifest)
        store.write_json(store.join(out_dir, "manifest.json"), manifest)  # last: its presence marks completeness
        if store.is_local:
            store.rename_dir(out_dir, root.set_dir(set_id))  # publish: atomic on one filesystem
        log(f"published set {set_id}: {manifest['totals']['documents']} documents in "
            f"{manifest['totals']['files']} shard(s), {stats['records']['read']} records read in "
            f"{stats['wall_seconds']:.1f}s")
        _finalize(root, set_id, config.controller, log)
        if len(published_index.uncovered_sets()) > config.dedup.compact_index_after:
            compact_dedup_index(spark, published_index, log)
        return RunResult(root.path, set_id, inputs_info, stats, manifest)
    finally:
        if store.is_local and store.exists(out_dir):
            store.remove_tree(out_dir)
        if own_session:
            stop_session(spark)


def aggregate_partition(mixed_share: float, batches):
    """mapInArrow body: one partition's sums for stats.json as (kind, lang, key, n) rows, added up on the driver."""
    sums: Counter = Counter()
    for batch in batches:
        rows = batch.to_pydict()
        for lang, chars, words, counts, kept, found, shares, domain in zip(
                rows["lang"], rows["n_chars"], rows["n_words"], rows["pii_counts"], rows["pii_kept"],
                rows["pii_recognizers"], rows["lang_shares"], rows["domain"], strict=True):
            sums["totals", lang, "documents"] += 1
            sums["domains", "", domain or ""] += 1
            sums["totals", lang, "characters"] += chars or 0
            sums["totals", lang, "words"] += words or 0
            kept = set(kept or ())
            for value_type, n in counts or ():  # values replaced, or left in the text by policy (pii.actions)
                sums["pii_kept" if value_type in kept else "pii", lang, value_type] += n
            for key, n in found or ():  # "TYPE/recognizer"
                sums["recognizers", lang, key] += n
            for other, share in shares or ():
                if other != lang and share >= mixed_share:
                    sums["mixed", lang, other] += 1
    yield pa.RecordBatch.from_pylist([{"kind": kind, "lang": lang, "key": key, "n": n}
                                      for (kind, lang, key), n in sums.items()],
                                     schema=pa.schema([("kind", pa.string()), ("lang", pa.string()),
                                                       ("key", pa.string()), ("n", pa.int64())]))


def _set_aggregates(kept: DataFrame, mixed_share: float) -> tuple[dict, dict, dict, dict, dict, Counter]:
    """(documents/characters/words per language, personal values replaced and kept by policy per language and
    type, findings per recognizer, mixed-language pages, documents per domain) of the kept documents: one Spark
    job."""
    columns = kept.select("lang", "n_chars", "n_words", "pii_counts", "pii_kept", "pii_recognizers", "lang_shares",
                          "domain")
    sums: Counter = Counter()
    for r in columns.mapInArrow(partial(aggregate_partition, mixed_share), "kind string, lang string, key string, "
                                                                           "n long").collect():
        sums[r["kind"], r["lang"], r["key"]] += r["n"]
    found: dict[str, dict] = {"totals": {}, "pii": {}, "pii_kept": {}, "recognizers": {}, "mixed": {}}
    domains: Counter = Counter()
    for (kind, lang, key), n in sorted(sums.items()):
        if kind == "domains":
            domains[key or None] += n
        elif kind == "recognizers":  # lang -> type -> recognizer -> findings
            value_type, _, recognizer = key.partition("/")
            found[kind].setdefault(lang, {}).setdefault(value_type, {})[recognizer] = n
        else:
            found[kind].setdefault(lang, {})[key] = n
    return found["totals"], found["pii"], found["pii_kept"], found["recognizers"], found["mixed"], domains


def _failure_report(entry: dict) -> dict:
    """A failed input as stats.json and report.html show it."""
    return {k: entry[k] for k in ("location", "status", "error", "detail", "attempts", "failed_nights")}


def _refuse_if_everything_dropped(summaries: list[dict], stage_stats: dict[str, StageStats], options: RunOptions,
                                  store: Store, staging: str) -> None:
    """Records were read and not one document passed the per-document stages: publishing would mark the inputs
    consumed for good. Refuse (exit 2) unless told to, and remove what was staged with this configuration."""
    records = sum(s["records"] for s in summaries)
    if options.allow_empty_set or records == 0 or any(s["documents"] for s in summaries):
        return
    reasons = Counter()
    for name, st in stage_stats.items():
        reasons.update({f"{name}: {reason}": n for reason, n in st.dropped.items()})
        reasons.update({f"{name}: quarantined {error}": n for error, n in st.quarantined.items()})
    top = ", ".join(f"{r} {n}" for r, n in reasons.most_common(4))
    store.remove_tree(staging)
    raise EverythingDropped(
        f"all {records} record(s) read were dropped before dedup ({top}): the configuration seems to drop "
        "everything. Nothing was published and no input was marked consumed; what was staged is removed. Fix "
        "the configuration, or pass --allow-empty-set if this is intended")


def _values_dropped(stage_stats: dict[str, StageStats]) -> dict[str, dict[str, int]]:
    """Personal values that left with pages dropped for their density: language -> type -> values."""
    out: dict[str, dict[str, int]] = {}
    for key, n in stage_stats.get("pii", StageStats()).values_dropped.items():
        lang, _, value_type = key.partition("/")
        out.setdefault(lang, {})[value_type] = out.get(lang, {}).get(value_type, 0) + n
    return {lang: dict(sorted(t.items())) for lang, t in sorted(out.items())}


def _enforceable_erasures(root: CorpusRoot, key_identity: str | None, config: PipelineConfig, log) -> ErasureList:
    """The root's erasure log, once it is sure this run can apply all of it. URLs, domains and the dedup keys
    of erased documents need no key and always apply; erased values are recognised only by fingerprints made
    with the key they were recorded with, so without that key the run is refused (exit 2)."""
    erasures = ErasureList.load(root)
    if erasures.needs_key:
        recorded = sorted(k for k in erasures.value_key_ids if k)
        if key_identity is None or key_identity not in erasures.value_key_ids:
            have = "no fingerprint key" if key_identity is None else f"key {key_identity}"
            raise ErasureNotEnforceable(
                f"{root.path} has {len(erasures.values)} erased personal value(s) on record (erasures.jsonl), "
                f"recognisable only with the fingerprint key they were recorded with (key {', '.join(recorded)}); "
                f"this run has {have}. Give that key (${config.pii.fingerprint_key_env} or "
                "pii.fingerprint_key_file) on the driver and every executor; nothing was processed")
        if len(erasures.value_key_ids) > 1:
            log(f"warning: erased values were recorded under {len(erasures.value_key_ids)} keys; only those of key "
                f"{key_identity} can be recognised")
    if erasures:
        log(f"erasure log: {len(erasures.urls)} URL(s), {len(erasures.domains)} domain(s), "
            f"{len(erasures.values)} value fingerprint(s), {len(erasures.bands)} dedup key(s) kept out")
    return erasures


def _warn_on_key_change(root: CorpusRoot, key_identity: str | None, log) -> None:
    """A set built with another key (or none) than the latest one can only be searched by value with its own
    key: say so now rather than when an erasure request arrives."""
    sets = root.index()["sets"]
    if sets:
        from corpus.erasure import set_key_id

        latest = set_key_id(root.store.read_json(root.store.join(root.set_dir(sets[-1]["id"]), "manifest.json")))
        if latest != key_identity:
            def name(k):
                return "no fingerprint key" if k is None else f"key {k}"
            log(f"warning: set {sets[-1]['id']} was built with {name(latest)}, this run has {name(key_identity)}: "
                "erasure requests by value will need each set's own key (corpus forget names the sets it "
                "cannot search)")


def _check_executors(spark: SparkSession, config: PipelineConfig, config_json: str, key_identity: str | None,
                     log) -> dict | None:
    """Every executor must see the driver's fingerprint key (or, like the driver, none): a key on the driver
    only would publish a set whose erasure index is silently empty. And every executor's scrubber must pass the
    PII canary, run where the documents are scrubbed, with the libraries and models installed there. Probes a
    few tasks per core; each staging task checks both again (an executor that joins later). Returns the
    canary's verdict (None when ``pii.canary`` is off)."""
    slices = max(2, spark.sparkContext.defaultParallelism * 2)
    reports = {(r["host"], r["key"], r["canary"]) for r in spark.range(0, slices, 1, slices)
               .mapInArrow(partial(executor_report_partition, config_json), from_arrow_schema(EXECUTOR_REPORT_SCHEMA))
               .collect()}
    hosts = len({host for host, _, _ in reports})
    wrong = sorted({(host, k) for host, k, _ in reports if k != key_identity})
    if wrong:
        def name(k):
            return "no fingerprint key" if k is None else f"key {k}"
        raise KeyNotOnExecutors(
            f"the driver has {name(key_identity)} but executors on "
            + ", ".join(f"{host} have {name(k)}" for host, k in wrong)
            + ": give every executor the same key (a key file they can all read, pii.fingerprint_key_file, or "
              "spark.executorEnv.<its variable>); nothing was processed")
    log(f"fingerprint key checked on {hosts} executor host(s)")
    if not config.pii.canary:
        log("PII canary disabled (pii.canary = false)")
        return None
    verdicts = [(host, json.loads(verdict)) for host, _, verdict in sorted(reports, key=lambda r: r[0])]
    failed = [(host, v) for host, v in verdicts if not v["passed"]]
    if failed:
        host, result = failed[0]
        raise CanaryFailed(f"PII canary failed on {host}: values left unreplaced for {', '.join(result['failures'])} "
                           f"(recall below {result['min_recall']}); nothing was processed")
    # the same documents and scrubber everywhere: hosts differ only if their libraries do; the lowest recall counts
    result = min((v for _, v in verdicts),
                 key=lambda v: sum(r for per in v["recall"].values() for r in per.values()))
    result = {**result, "executor_hosts": hosts}
    kept = result.get("kept_by_policy") or []
    log(f"PII canary passed on {hosts} executor host(s): {result['documents']} synthetic documents in "
        f"{_canary_languages(result)}, every planted value "
        + (f"replaced except {', '.join(kept)}, which pii.actions keeps in the published text" if kept
           else "replaced"))
    return result


def _canary_languages(result: dict) -> str:
    languages = {lang for per in result["recall"].values() for lang in per}
    return "every EU language" if languages >= set(EU_LANGUAGES) else f"{len(languages)} language(s)"


def compact_dedup_index(spark: SparkSession, index: PublishedIndex, log) -> int:
    """Merge the current generation and the uncovered sets' parts into a new sorted generation; switch
    CURRENT.json to it (last); remove the old one. Returns the new generation number."""
    store = index.store
    sets, files = index.published_sets(), index.files()
    old = index.current().get("generation")
    generation = (old or 0) + 1
    target = index.generation_dir(generation)
    if store.exists(target):  # left by a compaction that died before switching
        store.remove_tree(target)
    partitions = max(1, math.ceil(len(files) / 16))
    merged = (_read_staged(spark, store, files, INDEX_SCHEMA).repartitionByRange(partitions, "band", "key")
              .sortWithinPartitions("band", "key", "doc_id"))
    rows = _write_partitions(merged, store, target, INDEX_SCHEMA)
    index.set_current(generation, sets)
    if old is not None:
        store.remove_tree(index.generation_dir(old))
    log(f"dedup index compacted: {len(files)} file(s) of {len(sets)} set(s) -> generation {generation}, "
        f"{rows:,} keys in {partitions} file(s)")
    return generation


def _finalize(root: CorpusRoot, set_id: str, controller: ControllerConfig, log) -> None:
    """After publishing: ledger entries, index, staging removed, then the dataset cards, records of processing
    and compliance report rewritten. Idempotent, so a crash here is resumable."""
    store, set_dir = root.store, root.set_dir(set_id)
    manifest = store.read_json(store.join(set_dir, "manifest.json"))
    inputs = store.read_json(store.join(set_dir, "inputs.json"))
    recorded = inputs["inputs"]
    now = datetime.now(timezone.utc).isoformat()
    root.record([LedgerEntry(i["location"], i["size"], i["sha256"], set_id, i["records"], now) for i in recorded]
                + [LedgerEntry(**e) for e in inputs.get("failed", [])])
    root.add_to_index(set_id, manifest)
    store.remove_tree(root.staging_dir(set_id))
    log(f"ledger and index updated: {len(recorded)} input(s) in set {set_id}")
    document_release(root, [set_id], controller, log)


def _write_shards(kept, totals: dict, store: Store, set_dir: str, config: ShardConfig) -> list[ShardFile]:
    if not totals:
        return []
    def file_count(documents: int) -> int:  # rounded up to files_multiple: hosts of a trainer share it evenly
        needed = max(1, math.ceil(documents / config.rows_per_file))
        return math.ceil(needed / config.files_multiple) * config.files_multiple

    files_per_lang = {lang: file_count(t["documents"]) for lang, t in totals.items()}
    # a task writes several files (each file's rows stay together and in order): a task per file cost ~0.1 s
    # each, and a small language still gets files_multiple files
    documents = sum(t["documents"] for t in totals.values())
    tasks = min(sum(files_per_lang.values()), max(2 * kept.sparkSession.sparkContext.defaultParallelism,
                                                  math.ceil(documents / config.rows_per_file)))
    n_files = F.create_map(*[x for lang, n in sorted(files_per_lang.items()) for x in (F.lit(lang), F.lit(n))])
    seed = config.shuffle_seed
    ordered = (kept
               .withColumn("_part", F.pmod(F.xxhash64(F.lit(seed), "doc_id"), n_files[F.col("lang")]).cast("int"))
               .withColumn("_key", F.xxhash64(F.lit(seed + 1), "doc_id"))
               .withColumn("fetch_date", F.to_timestamp("fetch_date", "yyyy-MM-dd'T'HH:mm:ss'Z'"))
               .withColumn("warc_offset", F.col("offset"))
               .repartition(tasks, "lang", "_part")
               .sortWithinPartitions("lang", "_part", "_key", "doc_id")
               .select(*SHARD_SCHEMA.names, "_part"))
    written = ordered.mapInArrow(partial(write_shard_partition, store, set_dir, config), SHARD_FILE_SCHEMA).collect()
    files = [ShardFile(r["path"], r["lang"], r["rows"], r["bytes"], r["sha256"]) for r in written]
    # a small language may leave some of its parts without a row: they are written empty, so the count holds
    present = {f.path for f in files}
    for lang, n in sorted(files_per_lang.items()):
        for part in range(n):
            if shard_path(lang, part) not in present:
                files.append(write_shard(SHARD_SCHEMA.empty_table(), store, set_dir, lang, part, config))
    return files
