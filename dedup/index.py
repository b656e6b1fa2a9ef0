"""The published dedup index: the LSH band keys and exact-text keys of every published document, so a new
night drops what earlier nights already published.

Layout (plain Parquet, sorted by ``band, key``; schema ``INDEX_SCHEMA``):

* ``sets/<set>/dedup_index/part-*.parquet``: the keys of the set's documents, written with the set and
  published with it (atomically, like its shards);
* ``dedup_index/gen-<n>/part-*.parquet`` at the root: a compaction of the parts of the sets listed in
  ``dedup_index/CURRENT.json`` into fewer, larger sorted files. ``CURRENT.json`` is replaced last, so a
  reader sees either the old generation or the new one, never half of one.

A reader takes the current generation plus the parts of the sets it does not cover. An erasure (``corpus
forget``) removes the erased documents' rows from both; the erasure log keeps their keys, which later runs
drop at ingest (corpus/erasure.py), so an erased page's copies stay out without the index naming it.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus.ledger import CorpusRoot
from corpus.staging import table_bytes

INDEX_DIR = "dedup_index"
CURRENT = "CURRENT.json"
EXACT_BAND = -1  # the band number of a document's exact-text key
INDEX_SCHEMA = pa.schema([("band", pa.int16()), ("key", pa.int64()), ("doc_id", pa.string())])


def exact_key(text_hash: str) -> int:
    """A normalised-text hash as a signed 64-bit key (its first 16 hex digits)."""
    value = int(text_hash[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value


class PublishedIndex:
    """Where the published keys are, and the edits an erasure makes to them."""

    def __init__(self, root: CorpusRoot):
        self.root, self.store = root, root.store
        self.directory = self.store.join(self.store.root, INDEX_DIR)

    def current(self) -> dict:
        """``{"generation": n, "sets": [...]}`` of the compacted generation, or ``{}`` before the first."""
        path = self.store.join(self.directory, CURRENT)
        return self.store.read_json(path) if self.store.exists(path) else {}

    def published_sets(self) -> list[str]:
        return [s["id"] for s in self.root.index().get("sets", [])]

    def uncovered_sets(self) -> list[str]:
        covered = set(self.current().get("sets", ()))
        return [s for s in self.published_sets() if s not in covered]

    def generation_dir(self, generation: int) -> str:
        return self.store.join(self.directory, f"gen-{generation:06d}")

    def set_files(self, set_id: str) -> list[str]:
        return self._parquet_files(self.store.join(self.root.set_dir(set_id), INDEX_DIR))

    def generation_files(self) -> list[str]:
        generation = self.current().get("generation")
        return self._parquet_files(self.generation_dir(generation)) if generation is not None else []

    def files(self) -> list[str]:
        """Every file a new night must check against: the current generation and the uncovered sets' parts."""
        return self.generation_files() + [f for s in self.uncovered_sets() for f in self.set_files(s)]

    def set_current(self, generation: int, sets: list[str]) -> None:
        self.store.write_json(self.store.join(self.directory, CURRENT), {"generation": generation, "sets": sets})

    def remove_documents(self, set_id: str, doc_ids: set[str]) -> int:
        """Drop erased documents' rows from the set's part and from the current generation; the set's rows
        removed."""
        wanted = pa.array(sorted(doc_ids))
        for path in self.generation_files():
            self._drop_rows(path, wanted)
        return sum(self._drop_rows(path, wanted) for path in self.set_files(set_id))

    def _drop_rows(self, path: str, doc_ids: pa.Array) -> int:
        """Rewrite one index file without the rows of ``doc_ids``; the rows dropped."""
        table = self.read(path)
        keep = pc.invert(pc.is_in(table["doc_id"], value_set=doc_ids))
        gone = table.num_rows - (pc.sum(keep).as_py() or 0)
        if gone:
            self.store.write_bytes(path, table_bytes(table.filter(keep)))
        return gone

    def read(self, path: str) -> pa.Table:
        return pq.read_table(pa.BufferReader(self.store.read_bytes(path)))

    def keys_of(self, set_id: str) -> dict[str, set[tuple[int, int]]]:
        """doc_id -> its (band, key) pairs, for one set (erasure: near-duplicates share a key)."""
        keys: dict[str, set[tuple[int, int]]] = {}
        for path in self.set_files(set_id):
            table = self.read(path)
            for band, key, doc_id in zip(table["band"].to_pylist(), table["key"].to_pylist(),
                                         table["doc_id"].to_pylist(), strict=True):
                keys.setdefault(doc_id, set()).add((band, key))
        return keys

    def _parquet_files(self, directory: str) -> list[str]:
        if not self.store.exists(directory):
            return []
        return [self.store.join(directory, n) for n in sorted(self.store.listdir(directory)) if n.endswith(".parquet")]
