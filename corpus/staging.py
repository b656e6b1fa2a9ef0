"""Staged results of one input file: what the per-document stages made of it, kept until its set is published.

Each input of an unfinished set gets a directory ``staging/<set_id>/<input_key>/`` holding
``docs.parquet`` (documents that passed every stage, with dedup signatures), ``outcomes.parquet`` (one row
per record that ended earlier) and, written last, ``_DONE.json`` (size, sha256 and stage counters). A rerun
after a crash skips every input that has its ``_DONE.json``; dedup and shard writing start from these files,
so a resumed run and an uninterrupted one give the same shards.
"""

from __future__ import annotations

import hashlib
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

DONE_MARKER = "_DONE.json"

DOC_SCHEMA = pa.schema([
    ("doc_id", pa.string()),
    ("file_index", pa.int32()),
    ("offset", pa.int64()),
    ("warc_file", pa.string()),
    ("warc_record_id", pa.string()),
    ("url", pa.string()),
    ("domain", pa.string()),
    ("fetch_date", pa.string()),
    ("text", pa.string()),
    ("lang", pa.string()),
    ("lang_score", pa.float64()),
    ("n_chars", pa.int32()),
    ("n_words", pa.int32()),
    ("pii_counts", pa.map_(pa.string(), pa.int32())),
    ("text_hash", pa.string()),
    ("band_hashes", pa.list_(pa.int64())),
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


def input_dir(staging_dir: str, location: str) -> str:
    return os.path.join(staging_dir, input_key(location))


def is_done(staging_dir: str, location: str) -> bool:
    return os.path.exists(os.path.join(input_dir(staging_dir, location), DONE_MARKER))


def read_done(staging_dir: str, location: str) -> dict:
    with open(os.path.join(input_dir(staging_dir, location), DONE_MARKER), encoding="utf-8") as f:
        return json.load(f)


def write_input(staging_dir: str, location: str, docs: list[dict], outcomes: list[dict], summary: dict) -> None:
    """Write one input's results; the marker goes last (atomically), so a half-written input is redone."""
    target = input_dir(staging_dir, location)
    os.makedirs(target, exist_ok=True)
    for name, rows, schema in (("docs.parquet", docs, DOC_SCHEMA), ("outcomes.parquet", outcomes, OUTCOME_SCHEMA)):
        tmp = os.path.join(target, f".{name}.tmp")
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp, compression="zstd")
        os.replace(tmp, os.path.join(target, name))
    tmp = os.path.join(target, f".{DONE_MARKER}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(summary, f)
    os.replace(tmp, os.path.join(target, DONE_MARKER))
