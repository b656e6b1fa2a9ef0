"""A corpus root: the output location that nightly runs add to.

    ROOT/index.json                      every published set (night), newest last
    ROOT/ledger.jsonl                    append-only: one line per input file published (size, sha256, set)
    ROOT/sets/<set_id>/                  an immutable shard set: shards/, manifest.json, stats.json, ...
    ROOT/staging/<set_id>/               the unfinished set of an interrupted run (see corpus/staging.py)

ROOT is a local directory or an ``s3://`` prefix (see corpus/storage.py).

An input already in the ledger with the same size is not processed again; a run interrupted at any point
is resumed by running the same command again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from corpus.storage import Store


class NotACorpusRoot(RuntimeError):
    pass


@dataclass(frozen=True)
class LedgerEntry:
    location: str
    size: int
    sha256: str
    set_id: str
    records: int
    published_at: str


class CorpusRoot:
    """A corpus root on local disk or under an ``s3://`` prefix."""

    def __init__(self, url: str, s3_endpoint_url: str | None = None):
        self.store = Store(url, s3_endpoint_url)
        self.path = self.store.url(self.store.root)
        join, root = self.store.join, self.store.root
        self.index_path = join(root, "index.json")
        self.ledger_path = join(root, "ledger.jsonl")
        self.sets_dir = join(root, "sets")
        self.staging_root = join(root, "staging")

    # -- layout ------------------------------------------------------------------------------------------
    def open(self) -> "CorpusRoot":
        """Create the root, or check that an existing location is one (never write into anything else)."""
        names = set(self.store.listdir(self.store.root))
        if names and not names & {"index.json", "ledger.jsonl", "sets", "staging"}:
            raise NotACorpusRoot(f"{self.path} exists and is not a corpus output directory")
        self.store.makedirs(self.sets_dir)
        self.store.makedirs(self.staging_root)
        return self

    def set_dir(self, set_id: str) -> str:
        return self.store.join(self.sets_dir, set_id)

    def staging_dir(self, set_id: str) -> str:
        return self.store.join(self.staging_root, set_id)

    def unfinished_sets(self) -> list[str]:
        return [d for d in self.store.listdir(self.staging_root) if not d.startswith(".")]

    def is_published(self, set_id: str) -> bool:
        return self.store.exists(self.store.join(self.set_dir(set_id), "manifest.json"))

    def new_set_id(self, night: str | None = None) -> str:
        """The night's date (UTC), suffixed when that night already has a set: sets are never rewritten."""
        base = night or datetime.now(timezone.utc).strftime("%Y-%m-%d")
        taken = set(self.store.listdir(self.sets_dir)) | set(self.unfinished_sets())
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}.{n}"
        return candidate

    # -- ledger ------------------------------------------------------------------------------------------
    def ledger(self) -> dict[str, LedgerEntry]:
        """Latest entry per input location."""
        entries: dict[str, LedgerEntry] = {}
        if self.store.exists(self.ledger_path):
            for line in self.store.read_bytes(self.ledger_path).decode("utf-8").splitlines():
                if line.strip():
                    entry = LedgerEntry(**json.loads(line))
                    entries[entry.location] = entry
        return entries

    def record(self, entries: list[LedgerEntry]) -> None:
        if entries:
            self.store.append_line(self.ledger_path,
                                   "\n".join(json.dumps(asdict(e), sort_keys=True) for e in entries))

    # -- index -------------------------------------------------------------------------------------------
    def index(self) -> dict:
        if self.store.exists(self.index_path):
            return self.store.read_json(self.index_path)
        return {"format": "eu-corpus index", "schema_version": 1, "sets": []}

    def add_to_index(self, set_id: str, manifest: dict) -> dict:
        index = self.index()
        position = next((i for i, s in enumerate(index["sets"]) if s["id"] == set_id), len(index["sets"]))
        index["sets"] = [s for s in index["sets"] if s["id"] != set_id]
        index["sets"].insert(position, {  # an erasure rewrites a set in place: it keeps its position
            "id": set_id,
            "path": f"sets/{set_id}",
            "manifest": f"sets/{set_id}/manifest.json",
            "created": manifest["run"]["created"],
            "inputs": manifest["run"]["inputs"],
            "documents": manifest["totals"]["documents"],
            "files": manifest["totals"]["files"],
            "languages": {lang: t["documents"] for lang, t in manifest["languages"].items()},
        })
        self.store.write_json(self.index_path, index)
        return index
