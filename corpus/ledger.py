"""A corpus root: the output location that nightly runs add to.

    ROOT/index.json                      every published set (night), newest last
    ROOT/ledger.jsonl                    append-only: one line per input file published (size, sha256, set)
    ROOT/sets/<set_id>/                  an immutable shard set: shards/, manifest.json, stats.json, ...
    ROOT/staging/<set_id>/               the unfinished set of an interrupted run (see corpus/staging.py)
    ROOT/_LOCK.json                      held by the one writer at work on the root (see corpus/lock.py)

ROOT is a local directory or an ``s3://`` prefix (see corpus/storage.py). A set id is a night's date,
``YYYY-MM-DD``, suffixed ``.N`` when that night has several sets (``validate_night``): nothing else, so that
an id (from ``--night`` or read back from index.json) can never name a path outside ``sets/``. On a local
disk ``open()`` also refuses a root whose own entries are symbolic links or lead outside it
(``check_paths``).

An input already in the ledger with the same size is not processed again; a run interrupted at any point
is resumed by running the same command again. An input that cannot be read fails alone: the ledger records
it as failed and the next nights retry it first, until it is abandoned (see LedgerEntry.status).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone

from corpus.lock import LOCK_FILE
from corpus.storage import Store

#: the root's own entries that runs write into (besides each set under sets/ and staging/)
ROOT_ENTRIES = ("sets", "staging", "dedup_index", "index.json", "ledger.jsonl", "erasures.jsonl", LOCK_FILE)

_NIGHT = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:\.([1-9][0-9]*))?", re.ASCII)


class NotACorpusRoot(RuntimeError):
    pass


class UnsafePath(ValueError):
    """A root's entry is a symbolic link or leads outside the root: nothing is written through it."""


def validate_night(value: str, *, what: str = "--night") -> str:
    """``value`` when it is a set id: a real date ``YYYY-MM-DD``, optionally followed by ``.N`` (N a positive
    integer without leading zeros); ValueError otherwise."""
    match = _NIGHT.fullmatch(value) if isinstance(value, str) else None
    if match is not None:
        try:
            date(int(match[1]), int(match[2]), int(match[3]))
            return value
        except ValueError:
            pass
    raise ValueError(f"{what} must be a date YYYY-MM-DD, optionally .N; got {value!r}")


def _split_set_id(set_id: str) -> tuple[str, int]:
    base, _, n = set_id.partition(".")
    return base, int(n) if n else 1


#: a ledger entry's status: the input is in a published set; it could not be read (retried on the next
#: nights); it failed on more nights than [inputs] retry_failed_nights allows (left alone, reported)
PUBLISHED, FAILED, ABANDONED = "published", "failed", "abandoned"


@dataclass(frozen=True)
class LedgerEntry:
    location: str
    size: int | None
    sha256: str
    set_id: str  # the set it was published in, or the night it last failed on
    records: int
    published_at: str  # when this entry was written
    status: str = PUBLISHED  # lines written before inputs could fail have none: they were published
    error: str | None = None  # a failed input: the error class, its detail and the attempts of the last night
    detail: str | None = None
    attempts: int | None = None
    failed_nights: int = 0  # nights in a row the input could not be read

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED


class CorpusRoot:
    """A corpus root on local disk or under an ``s3://`` prefix."""

    def __init__(self, url: str, s3=None):
        self.store = Store(url, s3)  # s3: [remote]'s RemoteOptions, or an endpoint URL
        self.path = self.store.url(self.store.root)
        join, root = self.store.join, self.store.root
        self.index_path = join(root, "index.json")
        self.ledger_path = join(root, "ledger.jsonl")
        self.sets_dir = join(root, "sets")
        self.staging_root = join(root, "staging")
        self.lock_path = join(root, LOCK_FILE)

    # -- layout ------------------------------------------------------------------------------------------
    def open(self) -> "CorpusRoot":
        """Create the root, or check that an existing location is one (never write into anything else)."""
        self.check_paths()
        names = set(self.store.listdir(self.store.root)) - {LOCK_FILE}  # a writer may lock a new root first
        if names and not names & {"index.json", "ledger.jsonl", "sets", "staging"}:
            raise NotACorpusRoot(f"{self.path} exists and is not a corpus output directory")
        self.store.makedirs(self.sets_dir)
        self.store.makedirs(self.staging_root)
        return self

    def check_paths(self) -> None:
        """On a local disk, raise UnsafePath when one of the root's own entries (ROOT_ENTRIES, and each entry
        directly under sets/ and staging/) is a symbolic link or resolves outside the root. The root itself
        may be a link: it is resolved once, and its entries are judged against where it leads. Object stores
        have no links: nothing to check."""
        if not self.store.is_local or not os.path.isdir(self.store.root):
            return
        real_root = os.path.realpath(self.store.root)

        def check(path: str) -> None:
            if os.path.islink(path):
                raise UnsafePath(f"{path} in corpus root {self.path} is a symbolic link (to "
                                 f"{os.readlink(path)}): refusing to write through it")
            real = os.path.realpath(path)
            if os.path.commonpath([real, real_root]) != real_root:
                raise UnsafePath(f"{path} in corpus root {self.path} leads outside it ({real})")

        for name in ROOT_ENTRIES:
            path = os.path.join(real_root, name)
            if os.path.lexists(path):
                check(path)
        for name in ("sets", "staging"):
            directory = os.path.join(real_root, name)
            if os.path.isdir(directory):
                for entry in sorted(os.listdir(directory)):
                    check(os.path.join(directory, entry))

    def set_dir(self, set_id: str) -> str:
        return self.store.join(self.sets_dir, validate_night(set_id, what="a set id"))

    def staging_dir(self, set_id: str) -> str:
        return self.store.join(self.staging_root, validate_night(set_id, what="a set id"))

    def unfinished_sets(self) -> list[str]:
        return [d for d in self.store.listdir(self.staging_root) if not d.startswith(".")]

    def is_published(self, set_id: str) -> bool:
        return self.store.exists(self.store.join(self.set_dir(set_id), "manifest.json"))

    def new_set_id(self, night: str | None = None) -> str:
        """The night's date (UTC), suffixed when that night already has a set: sets are never rewritten.
        ``night`` (``--night``) is validated; a suffixed one (``2026-11-01.2``) counts on from its suffix."""
        if night is None:
            night = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        base, n = _split_set_id(validate_night(night))
        taken = set(self.store.listdir(self.sets_dir)) | set(self.unfinished_sets())
        candidate = night
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

    def failed_inputs(self) -> list[LedgerEntry]:
        """Inputs whose latest entry says they failed: the next run retries them."""
        return [e for e in self.ledger().values() if e.status == FAILED]

    def record(self, entries: list[LedgerEntry]) -> None:
        if entries:
            self.store.append_line(self.ledger_path,
                                   "\n".join(json.dumps(_compact(asdict(e)), sort_keys=True)
                                             for e in entries))

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


def _compact(entry: dict) -> dict:
    """A published entry is written as before (no failure fields), so older readers and diffs stay simple."""
    if entry["status"] == PUBLISHED:
        return {k: v for k, v in entry.items()
                if k not in ("status", "error", "detail", "attempts", "failed_nights")}
    return entry
