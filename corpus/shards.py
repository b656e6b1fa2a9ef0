"""The shard contract: Parquet schema, file layout, the writer of one shard file, and the manifest.

Layout (see docs/shard-contract.md)::

    DIR/shards/lang=<xx>/part-<nnnnn>.parquet   one language per file, zstd, rows in a seeded shuffle order
    DIR/manifest.json                            every file (path, rows, bytes, sha256) and per-language totals
    DIR/domains.parquet                          documents per domain (the dataset card's sources), most first
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.config import ShardConfig
from corpus.storage import Store

SCHEMA_VERSION = 3  # 3: url scrubbed of personal data, url_fingerprint added

SHARD_SCHEMA = pa.schema([
    pa.field("doc_id", pa.string(), nullable=False),
    pa.field("text", pa.string(), nullable=False),
    pa.field("lang", pa.string(), nullable=False),
    pa.field("lang_score", pa.float32(), nullable=False),
    pa.field("lang_top", pa.list_(pa.struct([("label", pa.string()), ("score", pa.float32())]))),
    pa.field("lang_shares", pa.map_(pa.string(), pa.float32())),
    pa.field("url", pa.string()),  # personal data in it replaced by placeholders, like the text
    pa.field("url_fingerprint", pa.string()),  # keyed fingerprint of the original URL, only when url was scrubbed
    pa.field("domain", pa.string()),
    pa.field("warc_file", pa.string()),
    pa.field("warc_record_id", pa.string()),
    pa.field("warc_offset", pa.int64()),
    pa.field("fetch_date", pa.timestamp("ms", tz="UTC")),  # Parquet has no seconds unit
    pa.field("n_chars", pa.int32(), nullable=False),
    pa.field("n_words", pa.int32(), nullable=False),
    pa.field("pii_counts", pa.map_(pa.string(), pa.int32())),
    pa.field("pii_kept", pa.list_(pa.string())),
    pa.field("pii_recognizers", pa.map_(pa.string(), pa.int32())),  # "TYPE/recognizer" -> findings (reports)
    pa.field("dup_cluster_id", pa.string()),
    pa.field("dup_cluster_size", pa.int32(), nullable=False),
])


def shard_path(lang: str, part: int) -> str:
    """Path of a shard relative to the output directory."""
    return f"shards/lang={lang}/part-{part:05d}.parquet"


@dataclass(frozen=True)
class ShardFile:
    path: str  # relative to the manifest
    lang: str
    rows: int
    bytes: int
    sha256: str


def shard_bytes(table: pa.Table, config: ShardConfig) -> bytes:
    """A shard file's bytes, built in memory (also used when an erasure rewrites a shard)."""
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression=config.compression, compression_level=config.compression_level,
                   row_group_size=config.row_group_size, write_statistics=True)
    return buffer.getvalue()


def write_shard(table: pa.Table, store: Store, set_dir: str, lang: str, part: int, config: ShardConfig) -> ShardFile:
    """Write one shard (rows already in their final order) and describe it for the manifest. The file is
    built in memory, so its checksum is of exactly the bytes stored (no read-back from an object store)."""
    table = table.select(SHARD_SCHEMA.names).cast(SHARD_SCHEMA)
    data = shard_bytes(table, config)
    relative = shard_path(lang, part)
    store.write_bytes(store.join(set_dir, *relative.split("/")), data)
    return ShardFile(relative, lang, table.num_rows, len(data), hashlib.sha256(data).hexdigest())


def build_manifest(files: list[ShardFile], language_totals: dict[str, dict], run: dict) -> dict:
    files = sorted(files, key=lambda f: f.path)
    return {
        "schema_version": SCHEMA_VERSION,
        "format": "eu-corpus shards",
        "run": run,
        "schema": [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in SHARD_SCHEMA],
        "totals": {
            "documents": sum(f.rows for f in files),
            "files": len(files),
            "bytes": sum(f.bytes for f in files),
            "characters": sum(t["characters"] for t in language_totals.values()),
        },
        "languages": {lang: language_totals[lang] for lang in sorted(language_totals)},
        "files": [asdict(f) for f in files],
    }


DOMAINS_FILE = "domains.parquet"
DOMAINS_SCHEMA = pa.schema([pa.field("domain", pa.string()), pa.field("documents", pa.int64(), nullable=False)])


def domains_bytes(counts: Mapping[str | None, int]) -> bytes:
    """The set's documents per domain (None: documents without one) as Parquet, most documents first. Kept
    beside the shards so that a card over many sets adds exact counts without reading every shard."""
    rows = sorted(((d, n) for d, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    table = pa.table({"domain": [d for d, _ in rows], "documents": [n for _, n in rows]}, schema=DOMAINS_SCHEMA)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def read_domains(store: Store, set_dir: str) -> Counter | None:
    """Documents per domain of a set; None for a set written before the file existed."""
    path = store.join(set_dir, DOMAINS_FILE)
    if not store.exists(path):
        return None
    table = pq.read_table(io.BytesIO(store.read_bytes(path)))
    return Counter(dict(zip(table["domain"].to_pylist(), table["documents"].to_pylist())))
