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
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

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


def read_columns(store: Store, paths: list[str], columns: list[str], threads: int = 8) -> pa.Table:
    """Some columns of staged Parquet files, as one table in the order of ``paths``: Parquet reads only the
    columns asked for (the dedup plan's keys, never the texts), a few files at a time (an object store's
    latency is paid in parallel)."""
    def read(path: str) -> pa.Table:
        with store.open_read(path) as file:
            return pq.read_table(file, columns=columns)

    with ThreadPoolExecutor(max(1, min(threads, len(paths)))) as pool:
        tables = list(pool.map(read, paths))
    return pa.concat_tables(tables) if tables else DOC_SCHEMA.empty_table().select(columns)


#: the columns of DOC_SCHEMA that hold lists: a staged input's summary counts their values, which sizes the
#: dedup plan of a set without reading its rows
LIST_COLUMNS = tuple(f.name for f in DOC_SCHEMA if pa.types.is_list(f.type))


def table_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


#: rows an input's staging holds in memory before writing them out as a Parquet row group: a few MB of documents
STAGING_BATCH_ROWS = 500


class _ParquetStream:
    """Rows appended one by one, written as a row group every ``batch_rows``."""

    def __init__(self, file, schema: pa.Schema, batch_rows: int):
        self.writer = pq.ParquetWriter(file, schema, compression="zstd")
        self.schema, self.batch_rows, self.rows, self.count = schema, batch_rows, [], 0

    def add(self, row: dict) -> None:
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self, keep: bool = True) -> None:
        if keep:
            self.flush()
        self.writer.close()


class InputStaging:
    """One input's results streamed into its staging directory as they are made: memory holds one batch of rows,
    however large the input (a 1 GB WARC as a 25 MB one). ``docs.parquet`` and ``outcomes.parquet`` are
    complete when the block ends; ``finish`` then writes the marker, last, so a half-written input is redone::

        with InputStaging(store, staging_dir, location) as staged:
            staged.add_doc(row) / staged.add_outcome(row)
        staged.finish(summary)
    """

    def __init__(self, store: Store, staging_dir: str, location: str, batch_rows: int = STAGING_BATCH_ROWS):
        self.store, self.target, self.batch_rows = store, input_dir(store, staging_dir, location), batch_rows
        self._files = ExitStack()
        self.list_values: Counter = Counter()  # per list column, the values of the documents staged

    def __enter__(self) -> "InputStaging":
        with ExitStack() as opening:
            streams = []
            for name, schema in (("docs.parquet", DOC_SCHEMA), ("outcomes.parquet", OUTCOME_SCHEMA)):
                file = opening.enter_context(self.store.open_write(self.store.join(self.target, name)))
                streams.append(_ParquetStream(file, schema, self.batch_rows))
            self.docs, self.outcomes = streams
            self._files = opening.pop_all()
        return self

    def __exit__(self, kind, error, trace) -> bool:
        # the footers are written before the files are closed and moved into place; after an error the files are
        # thrown away, the writers closed first all the same (one left open would write when collected)
        try:
            for stream in (self.docs, self.outcomes):
                try:
                    stream.close(keep=kind is None)
                except Exception:
                    if kind is None:
                        raise
        except BaseException:  # the files could not be finished: thrown away too
            self._files.__exit__(*sys.exc_info())
            raise
        return self._files.__exit__(kind, error, trace)

    def add_doc(self, row: dict) -> None:
        self.docs.add(row)
        for column in LIST_COLUMNS:
            values = row.get(column)  # a list or an array
            self.list_values[column] += 0 if values is None else len(values)

    def add_outcome(self, row: dict) -> None:
        self.outcomes.add(row)

    @property
    def documents(self) -> int:
        return self.docs.count

    def finish(self, summary: dict) -> None:
        self.store.write_json(self.store.join(self.target, DONE_MARKER), summary)
