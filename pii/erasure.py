"""Erasure on request (GDPR Art. 17): find a data subject's documents in every published set, remove them
and their near-duplicates, log what was done without the value, and keep later runs from re-admitting them.

A request names a URL, a domain, or a personal value (e-mail, phone number, identifier, name). Values are
looked up by their keyed fingerprint in each set's ``pii_index/`` (pii/fingerprints.py); URLs and domains
by the shard columns. Near-duplicates of a matched document (same MinHash band in any set) go too, so a
copy of the page on another site does not keep the data published. Affected shard files are rewritten
whole (atomically on local disk, one PUT each on an object store), the set's ``pii_index`` is rewritten
without the removed documents, and the manifest (rows, bytes, sha256, totals) is written last; then
``index.json``. The root's append-only ``erasures.jsonl`` records when, what kind of key (with its keyed
fingerprint, never the value), which documents and why. ``corpus run`` reads it and drops matching pages
at ingest (URL, domain), after scrubbing (values) and at dedup (near-duplicates of erased documents).
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus.config import EU_LANGUAGES, PipelineConfig
from corpus.document import Document, Drop
from corpus.ledger import CorpusRoot
from corpus.shards import SHARD_SCHEMA, shard_bytes
from corpus.staging import table_bytes
from corpus.stages import Stage
from corpus.urls import host_of
from pii.fingerprints import fingerprint, keyed_digest

ERASURE_LOG = "erasures.jsonl"
KINDS = ("url", "domain", "email", "phone", "identifier", "name")
#: types a value of each kind may have been found as
VALUE_TYPES = {"email": ("EMAIL",), "phone": ("PHONE",), "name": ("PERSON",),
               "identifier": ("NATIONAL_ID", "TAX_ID", "SOCIAL_SECURITY", "VAT_ID", "IBAN", "CREDIT_CARD")}


def normalise_url(url: str) -> str:
    return url.strip().rstrip("/")


def request_key(key: bytes, kind: str, value: str) -> str:
    """The keyed fingerprint recorded for a URL or domain request (the log never holds the value)."""
    return keyed_digest(key, kind.upper(), normalise_url(value) if kind == "url" else value.strip().lower())


def value_fingerprints(key: bytes, kind: str, value: str) -> set[str]:
    """Every fingerprint the value may have been indexed under (its types; phone regions of each language)."""
    languages = (None, *EU_LANGUAGES) if kind == "phone" else (None,)
    return {fingerprint(key, value_type, value, lang) for value_type in VALUE_TYPES[kind] for lang in languages}


@dataclass
class ErasurePlan:
    kind: str
    key: str  # keyed fingerprint of the request (for values: of its first type)
    reason: str
    matched: dict[str, list[str]] = field(default_factory=dict)  # set -> doc_ids matched directly
    near_duplicates: dict[str, list[str]] = field(default_factory=dict)  # set -> doc_ids sharing a band
    band_hashes: list[str] = field(default_factory=list)  # of every erased document: later runs drop their copies
    fingerprints: list[str] = field(default_factory=list)  # value fingerprints: later runs drop documents with them

    @property
    def documents(self) -> dict[str, list[str]]:
        merged = defaultdict(set)
        for source in (self.matched, self.near_duplicates):
            for set_id, ids in source.items():
                merged[set_id].update(ids)
        return {set_id: sorted(ids) for set_id, ids in sorted(merged.items()) if ids}


class Eraser:
    def __init__(self, root: CorpusRoot, key: bytes, config: PipelineConfig):
        self.root, self.store, self.key, self.config = root, root.store, key, config

    # -- reading the published sets ------------------------------------------------------------------------
    def set_ids(self) -> list[str]:
        return [s["id"] for s in self.root.index()["sets"]]

    def manifest(self, set_id: str) -> dict:
        return self.store.read_json(self.store.join(self.root.set_dir(set_id), "manifest.json"))

    def _read(self, path: str, columns=None) -> pa.Table:
        return pq.read_table(io.BytesIO(self.store.read_bytes(path)), columns=columns)

    def shard_tables(self, set_id: str, columns: list[str]):
        for entry in self.manifest(set_id)["files"]:
            yield entry, self._read(self.store.join(self.root.set_dir(set_id), *entry["path"].split("/")), columns)

    def pii_index_files(self, set_id: str) -> list[str]:
        directory = self.store.join(self.root.set_dir(set_id), "pii_index")
        if not self.store.exists(directory):
            return []
        return [self.store.join(directory, n) for n in sorted(self.store.listdir(directory)) if n.endswith(".parquet")]

    # -- planning ------------------------------------------------------------------------------------------
    def plan(self, kind: str, value: str, reason: str) -> ErasurePlan:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        if kind in VALUE_TYPES:
            prints = value_fingerprints(self.key, kind, value)
            plan = ErasurePlan(kind, fingerprint(self.key, VALUE_TYPES[kind][0], value), reason,
                               fingerprints=sorted(prints))
            for set_id in self.set_ids():
                ids = set()
                for path in self.pii_index_files(set_id):
                    table = self._read(path)
                    mask = pc.is_in(table["fingerprint"], value_set=pa.array(sorted(prints)))
                    ids.update(table.filter(mask)["doc_id"].to_pylist())
                if ids:
                    plan.matched[set_id] = sorted(ids)
        else:
            plan = ErasurePlan(kind, request_key(self.key, kind, value), reason)
            target = normalise_url(value) if kind == "url" else value.strip().lower()
            for set_id in self.set_ids():
                ids = []
                for _, table in self.shard_tables(set_id, ["doc_id", "url"]):
                    for doc_id, url in zip(table["doc_id"].to_pylist(), table["url"].to_pylist(), strict=True):
                        host = host_of(url or "")
                        if (kind == "url" and normalise_url(url or "") == target) or \
                                (kind == "domain" and (host == target or host.endswith("." + target))):
                            ids.append(doc_id)
                if ids:
                    plan.matched[set_id] = sorted(ids)
        self._add_near_duplicates(plan)
        return plan

    def _document_keys(self, set_id: str) -> dict[str, set[str]]:
        """doc_id -> its dedup keys (document_bands), from the set's dedup index; sets published before the
        index existed are hashed again from their text."""
        from dedup.index import PublishedIndex

        index = PublishedIndex(self.root)
        if index.set_files(set_id):
            return {doc_id: {key_string(band, key) for band, key in keys}
                    for doc_id, keys in index.keys_of(set_id).items()}
        from dedup.stage import DedupSignature

        signer, keys = DedupSignature(self.config.dedup), {}
        for _, table in self.shard_tables(set_id, ["doc_id", "text"]):
            for doc_id, text in zip(table["doc_id"].to_pylist(), table["text"].to_pylist(), strict=True):
                keys[doc_id] = document_bands(signer(Document("", 0, "", text=text)))
        return keys

    def _add_near_duplicates(self, plan: ErasurePlan) -> None:
        """Documents sharing a MinHash band with a matched one, in any set, until no new ones appear."""
        if not plan.matched:
            return
        bands = {set_id: self._document_keys(set_id) for set_id in self.set_ids()}
        erased = {(s, d) for s, ids in plan.matched.items() for d in ids}
        frontier = set().union(*(bands[s][d] for s, d in erased if d in bands[s]))
        while frontier:
            new = {(s, d) for s, docs in bands.items() for d, b in docs.items() if (s, d) not in erased and b & frontier}
            if not new:
                break
            erased |= new
            frontier = set().union(*(bands[s][d] for s, d in new))
            for s, d in new:
                plan.near_duplicates.setdefault(s, []).append(d)
        plan.near_duplicates = {s: sorted(ids) for s, ids in plan.near_duplicates.items()}
        # the whole cluster's keys: a later copy of any of its members stays out
        plan.band_hashes = sorted({b for s, d in erased if d in bands[s] for b in bands[s][d]})

    # -- applying ------------------------------------------------------------------------------------------
    def apply(self, plan: ErasurePlan) -> dict:
        """Rewrite every affected set; append to the erasure log. Returns what was removed, per set."""
        from pii.scrub import PiiScrubber

        erasure_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
        # the reason is free text an operator types, often with the requester's address in it: scrub it
        reason = PiiScrubber(self.config.pii.model_copy(update={"canary": False})).scrub(plan.reason, "en").text
        removed = {}
        for set_id, ids in plan.documents.items():
            removed[set_id] = self._rewrite_set(set_id, set(ids), erasure_id)
        entry = {"erasure_id": erasure_id, "when": datetime.now(timezone.utc).isoformat(), "kind": plan.kind,
                 "key": plan.key, "reason": reason, "documents": plan.documents,
                 "matched": sum(len(v) for v in plan.matched.values()),
                 "near_duplicates": sum(len(v) for v in plan.near_duplicates.values()),
                 "fingerprints": plan.fingerprints, "band_hashes": plan.band_hashes}
        if plan.kind in ("url", "domain"):
            entry["request_key"] = plan.key
        self.store.append_line(self.store.join(self.store.root, ERASURE_LOG), json.dumps(entry, sort_keys=True))
        return {"erasure_id": erasure_id, "removed": removed}

    def _rewrite_set(self, set_id: str, ids: set[str], erasure_id: str) -> int:
        set_dir = self.root.set_dir(set_id)
        manifest = self.manifest(set_id)
        removed = 0
        wanted = pa.array(sorted(ids))
        for entry in manifest["files"]:
            path = self.store.join(set_dir, *entry["path"].split("/"))
            table = self._read(path)
            gone = pc.is_in(table["doc_id"], value_set=wanted)
            n = pc.sum(gone).as_py() or 0
            if not n:
                continue
            lost = table.filter(gone)
            kept = table.filter(pc.invert(gone)).cast(SHARD_SCHEMA)
            data = shard_bytes(kept, self.config.shards)
            self.store.write_bytes(path, data)
            totals = manifest["languages"][entry["lang"]]
            totals["documents"] -= n
            totals["characters"] -= pc.sum(lost["n_chars"]).as_py() or 0
            totals["words"] -= pc.sum(lost["n_words"]).as_py() or 0
            entry.update(rows=kept.num_rows, bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
            removed += n
        for path in self.pii_index_files(set_id):
            table = self._read(path)
            keep = pc.invert(pc.is_in(table["doc_id"], value_set=wanted))
            if not pc.all(keep).as_py():
                self.store.write_bytes(path, table_bytes(table.filter(keep)))
        from dedup.index import PublishedIndex

        PublishedIndex(self.root).remove_documents(set_id, ids)  # the erasure log keeps their keys instead
        files = manifest["files"]
        manifest["totals"].update(documents=sum(f["rows"] for f in files), bytes=sum(f["bytes"] for f in files),
                                  characters=sum(t["characters"] for t in manifest["languages"].values()))
        manifest.setdefault("erasures", []).append({"erasure_id": erasure_id, "documents": removed})
        manifest["totals"]["erased"] = manifest["totals"].get("erased", 0) + removed
        self.store.write_json(self.store.join(set_dir, "manifest.json"), manifest)  # last, as at publication
        self.root.add_to_index(set_id, manifest)
        return removed


def document_bands(doc) -> set[str]:
    """A signed document's dedup keys as stable strings: its MinHash band hashes and its exact-text key
    (the first 16 hex digits of the normalised-text hash, as in the dedup index)."""
    return {f"b{h}" for h in doc.band_hashes} | {f"t{doc.text_hash[:16]}"}


def key_string(band: int, key: int) -> str:
    """A dedup index row (dedup.index) as the string document_bands gives the same key."""
    from dedup.index import EXACT_BAND

    return f"t{key & 0xFFFFFFFFFFFFFFFF:016x}" if band == EXACT_BAND else f"b{key}"


@dataclass(frozen=True)
class ErasureList:
    """What later runs must keep out: keyed fingerprints of erased URLs, domains and values, and the band
    hashes of erased documents. Read from the root's erasure log; holds no raw value."""

    urls: frozenset = frozenset()
    domains: frozenset = frozenset()
    values: frozenset = frozenset()
    bands: frozenset = frozenset()

    @classmethod
    def load(cls, root: CorpusRoot) -> "ErasureList":
        path = root.store.join(root.store.root, ERASURE_LOG)
        if not root.store.exists(path):
            return cls()
        urls, domains, values, bands = set(), set(), set(), set()
        for line in root.store.read_bytes(path).decode("utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            {"url": urls, "domain": domains}.get(entry["kind"], set()).add(entry["key"])
            values.update(entry.get("fingerprints", ()))
            bands.update(entry.get("band_hashes", ()))
        return cls(frozenset(urls), frozenset(domains), frozenset(values), frozenset(bands))

    def to_json(self) -> dict:
        return {k: sorted(v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> "ErasureList":
        return cls(**{k: frozenset(v) for k, v in data.items()})

    def __bool__(self) -> bool:
        return bool(self.urls or self.domains or self.values or self.bands)


class ErasedUrls(Stage):
    """Pages at an erased URL or under an erased domain are dropped before any other work."""

    name = "erased_urls"
    error_messages_are_safe = True

    def __init__(self, erasures: ErasureList, key: bytes):
        self.erasures, self.key = erasures, key

    def process(self, doc: Document) -> Document | Drop:
        if self.erasures.urls and request_key(self.key, "url", doc.url) in self.erasures.urls:
            return Drop("erased_url")
        if self.erasures.domains:
            labels = host_of(doc.url).split(".")
            for i in range(len(labels) - 1):  # blog.example.com, example.com
                if request_key(self.key, "domain", ".".join(labels[i:])) in self.erasures.domains:
                    return Drop("erased_domain")
        return doc


class ErasedContent(Stage):
    """After scrubbing and signing: documents holding an erased personal value, or a near-duplicate of an
    erased document (a shared MinHash band or the same text), are dropped."""

    name = "erased_content"

    def __init__(self, erasures: ErasureList):
        self.erasures = erasures

    def process(self, doc: Document) -> Document | Drop:
        if self.erasures.values and not self.erasures.values.isdisjoint(doc.pii_fingerprints):
            return Drop("erased_value")
        if self.erasures.bands and not self.erasures.bands.isdisjoint(document_bands(doc)):
            return Drop("erased_near_duplicate")
        return doc
