"""A corpus root: the output location that nightly runs add to.

    ROOT/index.json                      every published set (night), newest last
    ROOT/ledger.jsonl                    append-only: one line per input file published (size, sha256, set)
    ROOT/sets/<set_id>/                  an immutable shard set: shards/, manifest.json, stats.json, ...
    ROOT/staging/<set_id>/               the unfinished set of an interrupted run (see corpus/staging.py)

An input already in the ledger with the same size is not processed again; a run interrupted at any point
is resumed by running the same command again.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone


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


def _write_atomically(path: str, text: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class CorpusRoot:
    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        self.index_path = os.path.join(self.path, "index.json")
        self.ledger_path = os.path.join(self.path, "ledger.jsonl")
        self.sets_dir = os.path.join(self.path, "sets")
        self.staging_root = os.path.join(self.path, "staging")

    # -- layout ------------------------------------------------------------------------------------------
    def open(self) -> "CorpusRoot":
        """Create the root, or check that an existing directory is one (never write into anything else)."""
        if os.path.isdir(self.path) and os.listdir(self.path):
            known = {"index.json", "ledger.jsonl", "sets", "staging"}
            if not known & set(os.listdir(self.path)):
                raise NotACorpusRoot(f"{self.path} exists and is not a corpus output directory")
        os.makedirs(self.sets_dir, exist_ok=True)
        os.makedirs(self.staging_root, exist_ok=True)
        return self

    def set_dir(self, set_id: str) -> str:
        return os.path.join(self.sets_dir, set_id)

    def staging_dir(self, set_id: str) -> str:
        return os.path.join(self.staging_root, set_id)

    def unfinished_sets(self) -> list[str]:
        if not os.path.isdir(self.staging_root):
            return []
        return sorted(d for d in os.listdir(self.staging_root) if not d.startswith("."))

    def new_set_id(self, night: str | None = None) -> str:
        """The night's date (UTC), suffixed when that night already has a set: sets are never rewritten."""
        base = night or datetime.now(timezone.utc).strftime("%Y-%m-%d")
        taken = set(os.listdir(self.sets_dir)) | set(self.unfinished_sets())
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}.{n}"
        return candidate

    # -- ledger ------------------------------------------------------------------------------------------
    def ledger(self) -> dict[str, LedgerEntry]:
        """Latest entry per input location."""
        entries: dict[str, LedgerEntry] = {}
        if os.path.exists(self.ledger_path):
            with open(self.ledger_path, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        entry = LedgerEntry(**json.loads(line))
                        entries[entry.location] = entry
        return entries

    def record(self, entries: list[LedgerEntry]) -> None:
        with open(self.ledger_path, "a", encoding="utf-8") as f:
            for entry in entries:
                f.write(json.dumps(asdict(entry), sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())

    # -- index -------------------------------------------------------------------------------------------
    def index(self) -> dict:
        if os.path.exists(self.index_path):
            with open(self.index_path, encoding="utf-8") as f:
                return json.load(f)
        return {"format": "eu-corpus index", "schema_version": 1, "sets": []}

    def add_to_index(self, set_id: str, manifest: dict) -> dict:
        index = self.index()
        index["sets"] = [s for s in index["sets"] if s["id"] != set_id]
        index["sets"].append({
            "id": set_id,
            "path": f"sets/{set_id}",
            "manifest": f"sets/{set_id}/manifest.json",
            "created": manifest["run"]["created"],
            "inputs": manifest["run"]["inputs"],
            "documents": manifest["totals"]["documents"],
            "files": manifest["totals"]["files"],
            "languages": {lang: t["documents"] for lang, t in manifest["languages"].items()},
        })
        _write_atomically(self.index_path, json.dumps(index, indent=2) + "\n")
        return index
