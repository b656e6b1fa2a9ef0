"""Published shards as a trainer sees them: which files hold which language, how much text each language
has, which files this host reads, and the documents of a file (training or held-out split).

A path is a corpus root (every set in ``index.json``) or one set (its ``manifest.json``); local or any
fsspec URL the pipeline writes to. The shard contract (docs/shard-contract.md) gives every language a file
count that is a multiple of ``shards.files_multiple``, so ``process_count`` hosts dividing it each read
whole files of every language, and no two hosts read the same file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.storage import Store


@dataclass(frozen=True)
class ShardFile:
    path: str  # full path or URL
    lang: str
    rows: int


@dataclass
class ShardSet:
    store: Store
    files: list[ShardFile] = field(default_factory=list)
    characters: dict[str, int] = field(default_factory=dict)  # per language, from the manifests

    @classmethod
    def open(cls, location: str) -> "ShardSet":
        store = Store(location)
        base = store.root
        if store.exists(store.join(base, "index.json")):
            sets = [store.join(base, *s["path"].split("/")) for s in store.read_json(store.join(base, "index.json"))["sets"]]
        elif store.exists(store.join(base, "manifest.json")):
            sets = [base]
        else:
            raise FileNotFoundError(f"{location}: neither a corpus root (index.json) nor a shard set (manifest.json)")
        shard_set = cls(store)
        for set_dir in sets:
            manifest = store.read_json(store.join(set_dir, "manifest.json"))
            for entry in manifest["files"]:
                shard_set.files.append(ShardFile(store.join(set_dir, *entry["path"].split("/")), entry["lang"], entry["rows"]))
            for lang, totals in manifest["languages"].items():
                shard_set.characters[lang] = shard_set.characters.get(lang, 0) + totals["characters"]
        shard_set.files.sort(key=lambda f: (f.lang, f.path))
        return shard_set

    @property
    def languages(self) -> list[str]:
        return sorted(lang for lang, n in self.characters.items() if n > 0)

    def files_of(self, lang: str) -> list[ShardFile]:
        return [f for f in self.files if f.lang == lang]

    def host_files(self, lang: str, process_index: int, process_count: int) -> list[ShardFile]:
        """This host's files of a language: every process_count-th, so hosts read disjoint whole files."""
        files = self.files_of(lang)
        if len(files) % process_count:
            raise ValueError(
                f"{lang} has {len(files)} shard files, which {process_count} hosts cannot share evenly: publish "
                f"the corpus with shards.files_multiple a multiple of {process_count} (docs/shard-contract.md)")
        return files[process_index::process_count]

    def open_file(self, shard: ShardFile):
        """A shard opened for reading by row group (only the bytes of the groups read are fetched); the
        caller closes the file handle, the first element."""
        handle = self.store.fs.open(shard.path, "rb")
        return handle, pq.ParquetFile(handle)

    def read(self, shard: ShardFile, columns=("doc_id", "text")) -> pa.Table:
        return pq.read_table(pa.BufferReader(self.store.read_bytes(shard.path)), columns=list(columns))


def held_out(doc_id: str, percent: float) -> bool:
    """Whether a document is in the validation split: a fixed share of documents by hash of their id."""
    return int(hashlib.blake2b(doc_id.encode(), digest_size=4).hexdigest(), 16) % 10_000 < percent * 100
