"""Staged results of one input file: what the per-document stages made of it, kept until its set is published.

Each input of an unfinished set gets a directory ``staging/<set_id>/<input_key>/`` holding
``docs.parquet`` (documents that passed every stage, with dedup signatures), ``outcomes.parquet`` (one row
per record that ended earlier) and, written last, ``_DONE.json`` (size, sha256 and stage counters); or, for
an input that could not be read after its retries, only ``_FAILED.json`` (error class, attempts). A rerun
after a crash skips every input that has its ``_DONE.json``; dedup and shard writing start from these files,
so a resumed run and an uninterrupted one give the same shards.
"""

from __future__ import annotations

import hashlib
import io

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.storage import Store

DONE_MARKER = "_DONE.json"
#: written instead of the done marker when the input could not be read (location, error, attempts)
FAILED_MARKER = "_FAILED.json"

#: the layout of staged documents; a set staged by a release with another layout is staged again when resumed
#: (2: ``shingle_hashes`` added, for verifying near-duplicate pairs)
STAGING_FORMAT = 2

DOC_SCHEMA = pa.schema([
    ("doc_id", pa.string()),
    ("file_index", pa.int32()),
    ("offset", pa.int64()),
    ("warc_file", pa.string()),
    ("warc_record_id", pa.string()),
    ("url", pa.string()),
    ("url_fingerprint", pa.string()),
    ("domain", pa.string()),
    ("fetch_date", pa.string()),
    ("text", pa.string()),
    ("lang", pa.string()),
    ("lang_score", pa.float64()),
    ("lang_top", pa.list_(pa.struct([("label", pa.string()), ("score", pa.float64())]))),
    ("lang_shares", pa.map_(pa.string(), pa.float64())),
    ("n_chars", pa.int32()),
    ("n_words", pa.int32()),
    ("pii_counts", pa.map_(pa.string(), pa.int32())),
    ("pii_kept", pa.list_(pa.string())),
    ("pii_fingerprints", pa.list_(pa.string())),
    ("pii_recognizers", pa.map_(pa.string(), pa.int32())),
    ("quality_score", pa.float64()),
    ("text_hash", pa.string()),
    ("band_hashes", pa.list_(pa.int64())),
    ("minhash", pa.list_(pa.int32())),
    ("shingle_hashes", pa.list_(pa.int64())),
])

OUTCOME_SCHEMA = pa.schema([
    ("doc_id", pa.string()),
    ("warc_file", pa.string()),
    ("offset", pa.int64()),
    ("record_id", pa.string()),
    ("status", pa.string()),
    ("stage", pa.string()),
    ("reason", pa.string()),
    ("detail", pa.string()),
])


def input_key(location: str) -> str:
    """A file-name-safe, stable key for an input location."""
    return hashlib.sha1(location.encode("utf-8")).hexdigest()[:20]


def input_dir(store: Store, staging_dir: str, location: str) -> str:
    return store.join(staging_dir, input_key(location))


def is_done(store: Store, staging_dir: str, location: str) -> bool:
    return store.exists(store.join(input_dir(store, staging_dir, location), DONE_MARKER))


def read_failure(store: Store, staging_dir: str, location: str) -> dict | None:
    path = store.join(input_dir(store, staging_dir, location), FAILED_MARKER)
    return store.read_json(path) if store.exists(path) else None


def write_failure(store: Store, staging_dir: str, location: str, failure: dict) -> None:
    store.write_json(store.join(input_dir(store, staging_dir, location), FAILED_MARKER), failure)


def read_done(store: Store, staging_dir: str, location: str) -> dict:
    return store.read_json(store.join(input_dir(store, staging_dir, location), DONE_MARKER))


def table_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def parquet_bytes(rows: list[dict], schema: pa.Schema) -> bytes:
    return table_bytes(pa.Table.from_pylist(rows, schema=schema))


def write_input(store: Store, staging_dir: str, location: str, docs: list[dict], outcomes: list[dict],
                summary: dict) -> None:
    """Write one input's results; the marker goes last, so a half-written input is redone."""
    target = input_dir(store, staging_dir, location)
    store.write_bytes(store.join(target, "docs.parquet"), parquet_bytes(docs, DOC_SCHEMA))
    store.write_bytes(store.join(target, "outcomes.parquet"), parquet_bytes(outcomes, OUTCOME_SCHEMA))
    store.write_json(store.join(target, DONE_MARKER), summary)
