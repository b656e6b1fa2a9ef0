"""Erasure on request (GDPR Art. 17) across a corpus root: what a request is, what the erasure log records,
how an erased document leaves a published set with every count kept true, and the stages that keep erased
pages out of later runs.

A request names a URL, a domain, or a personal value (e-mail, phone number, identifier, name). Finding the
documents is a Spark job over the whole root (``pipelines/forget.py``); this module holds the per-set
rewriting and the log, which need no Spark.

What makes a request enforceable later, and by whom:

* URLs and domains are recorded as unkeyed one-way digests (``match_key``) and erased documents' near-
  duplicate keys as MinHash band keys: every later run applies them, with or without the fingerprint key.
* Personal values are recorded as keyed fingerprints (HMAC, ``pii/fingerprints.py``), which only the key
  recreates; each entry records the key's identity (``key_id``, a check value). A run with value erasures on
  record refuses to start unless the driver and every executor hold that key (``pipelines/job.py``).

The log, ``ROOT/erasures.jsonl``, is append-only and holds no value: a ``planned`` line is written before any
set is touched (with the documents, fingerprints and keys), an ``applied`` line after every set is rewritten.
A planned erasure without its applied line was interrupted; ``corpus forget`` completes it first.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus.config import EU_LANGUAGES, PipelineConfig
from corpus.document import ERASED, KEPT, Document, Drop
from corpus.ledger import CorpusRoot
from corpus.shards import SHARD_SCHEMA, shard_bytes
from corpus.staging import OUTCOME_SCHEMA, table_bytes
from corpus.stages import Stage
from corpus.urls import host_of
from pii.fingerprints import fingerprint, normalise_url

ERASURE_LOG = "erasures.jsonl"
KINDS = ("url", "domain", "email", "phone", "identifier", "name")
#: types a value of each kind may have been found as
VALUE_TYPES = {"email": ("EMAIL",), "phone": ("PHONE",), "name": ("PERSON",),
               "identifier": ("NATIONAL_ID", "TAX_ID", "SOCIAL_SECURITY", "VAT_ID", "IBAN", "CREDIT_CARD")}
#: the outcome stage of an erased document
ERASURE_STAGE = "erasure"


class ErasureRefused(RuntimeError):
    """A request that cannot be honoured as asked (wrong key, sets that cannot be searched): nothing was
    changed and nothing recorded. The CLI exits 2 with this message."""


def normalise_domain(domain: str) -> str:
    return domain.strip().rstrip(".").lower()


def match_key(kind: str, value: str) -> str:
    """The unkeyed digest under which an erased URL or domain is recorded and looked up at ingest. Unkeyed
    on purpose, so every run applies it without the fingerprint key; one-way (it confirms a guessed URL
    but does not reveal one), which is why the log stays at the root and never in a published set."""
    normalised = normalise_url(value) if kind == "url" else normalise_domain(value)
    return hashlib.sha256(f"{kind.upper()}:{normalised}".encode("utf-8")).hexdigest()[:32]


def value_fingerprints(key: bytes, kind: str, value: str) -> set[str]:
    """Every fingerprint the value may have been indexed under (its types; phone regions of each language)."""
    languages = (None, *EU_LANGUAGES) if kind == "phone" else (None,)
    return {fingerprint(key, value_type, value, lang) for value_type in VALUE_TYPES[kind] for lang in languages}


def new_erasure_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


@dataclass(frozen=True)
class ErasureRequest:
    kind: str
    value: str  # never written anywhere
    reason: str  # scrubbed before it is written

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; one of {', '.join(KINDS)}")
        if not self.value.strip():
            raise ValueError(f"an empty {self.kind} cannot be erased")
        if not self.reason.strip():
            raise ValueError("every erasure needs a reason (e.g. the ticket number)")

    @property
    def is_value(self) -> bool:
        return self.kind in VALUE_TYPES


@dataclass
class ErasurePlan:
    """What one request removes. Holds doc ids, digests and fingerprints, never the value."""

    erasure_id: str
    kind: str
    key: str  # the request's digest: keyed fingerprint (values) or match_key (URLs, domains)
    key_id: str | None  # identity of the fingerprint key the search used (None: none was needed)
    reason: str  # already scrubbed
    matched: dict[str, list[str]] = field(default_factory=dict)  # set -> doc_ids matched directly
    near_duplicates: dict[str, list[str]] = field(default_factory=dict)  # set -> doc_ids in their clusters
    band_hashes: list[str] = field(default_factory=list)  # of every erased document: later runs drop copies
    fingerprints: list[str] = field(default_factory=list)  # value fingerprints: later runs drop documents
    searched_sets: list[str] = field(default_factory=list)
    unsearched_sets: list[str] = field(default_factory=list)  # could not be searched (key), with consent

    @property
    def documents(self) -> dict[str, list[str]]:
        merged = defaultdict(set)
        for source in (self.matched, self.near_duplicates):
            for set_id, ids in source.items():
                merged[set_id].update(ids)
        return {set_id: sorted(ids) for set_id, ids in sorted(merged.items()) if ids}

    @property
    def status(self) -> str:
        return "erased" if self.documents else "nothing_matched"

    def log_entry(self) -> dict:
        docs = self.documents
        return {"erasure_id": self.erasure_id, "state": "planned", "when": datetime.now(timezone.utc).isoformat(),
                "kind": self.kind, "key": self.key, "key_id": self.key_id, "reason": self.reason,
                "status": self.status, "documents": docs,
                "matched": sum(len(v) for v in self.matched.values()),
                "near_duplicates": sum(len(v) for v in self.near_duplicates.values()),
                "fingerprints": self.fingerprints, "band_hashes": self.band_hashes,
                "searched_sets": self.searched_sets, "unsearched_sets": self.unsearched_sets}


# -- the log ---------------------------------------------------------------------------------------------------
def log_path(root: CorpusRoot) -> str:
    return root.store.join(root.store.root, ERASURE_LOG)


def read_log(root: CorpusRoot) -> list[dict]:
    """Planned entries in order, each with ``applied`` (when its applied line exists, else None)."""
    path = log_path(root)
    if not root.store.exists(path):
        return []
    planned, applied = [], {}
    for line in root.store.read_bytes(path).decode("utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        if entry.get("state") == "applied":
            applied[entry["erasure_id"]] = entry["when"]
        else:
            planned.append(entry)
    return [{**e, "applied": applied.get(e["erasure_id"])} for e in planned]


def append_log(root: CorpusRoot, entries: list[dict]) -> None:
    if entries:
        root.store.append_line(log_path(root), "\n".join(json.dumps(e, sort_keys=True) for e in entries))


def reason_scrubber(config: PipelineConfig):
    """The scrubber for erasure reasons: the run's recognizers, every type masked (policy ``keep`` does not
    apply here: the log keeps nothing personal). Built once per configuration: its models take seconds."""
    pii = config.pii.model_copy(update={"canary": False, "actions": {}})
    return _scrubber(pii.model_dump_json(), config.langid.languages)


@lru_cache(maxsize=2)
def _scrubber(pii_json: str, languages: tuple[str, ...]):
    from corpus.config import PiiConfig
    from pii.scrub import PiiScrubber

    return PiiScrubber(PiiConfig.model_validate_json(pii_json), languages)


def scrub_reason(reason: str, scrubber) -> str:
    """The operator's free text, often with the requester's name, address or number in it, scrubbed in every
    language the scrubber supports, one after the other (a PESEL is found as Polish, "Herr Müller" as German)."""
    for lang in scrubber.languages:
        reason = scrubber.scrub(reason, lang).text
    # a name found by its first part ("<PERSON> Wiśniewska"): the capitalised words after it go too
    return _NAME_TAIL.sub("<PERSON>", reason)


_NAME_TAIL = re.compile(r"<PERSON>(?:[ \t]+(?:[A-Z\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF][\w'\u2019-]*))+")


# -- what later runs keep out ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ErasureList:
    """What later runs must keep out, read from the erasure log: digests of erased URLs and domains, keyed
    fingerprints of erased values (with the identities of the keys they were made with), and the dedup keys
    of erased documents. Holds no raw value."""

    urls: frozenset = frozenset()
    domains: frozenset = frozenset()
    values: frozenset = frozenset()
    bands: frozenset = frozenset()
    value_key_ids: frozenset = frozenset()  # keys the value fingerprints were made with

    @classmethod
    def load(cls, root: CorpusRoot) -> "ErasureList":
        urls, domains, values, bands, key_ids = set(), set(), set(), set(), set()
        for entry in read_log(root):  # interrupted erasures too: what was planned stays out
            {"url": urls, "domain": domains}.get(entry["kind"], set()).add(entry["key"])
            if entry.get("fingerprints"):
                values.update(entry["fingerprints"])
                key_ids.add(entry.get("key_id"))
            bands.update(entry.get("band_hashes", ()))
        return cls(frozenset(urls), frozenset(domains), frozenset(values), frozenset(bands), frozenset(key_ids))

    @property
    def needs_key(self) -> bool:
        return bool(self.values)

    def to_json(self) -> dict:
        return {k: sorted(v, key=str) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> "ErasureList":
        return cls(**{k: frozenset(v) for k, v in data.items()})

    def __bool__(self) -> bool:
        return bool(self.urls or self.domains or self.values or self.bands)


class ErasedUrls(Stage):
    """Pages at an erased URL or under an erased domain are dropped before any other work (no key needed)."""

    name = "erased_urls"

    def __init__(self, erasures: ErasureList):
        self.erasures = erasures

    def process(self, doc: Document) -> Document | Drop:
        if self.erasures.urls and match_key("url", doc.url) in self.erasures.urls:
            return Drop("erased_url")
        if self.erasures.domains:
            labels = host_of(doc.url).split(".")
            for i in range(len(labels) - 1):  # blog.example.com, example.com
                if match_key("domain", ".".join(labels[i:])) in self.erasures.domains:
                    return Drop("erased_domain")
        return doc


class ErasedContent(Stage):
    """After scrubbing and signing: documents holding an erased personal value (needs the key: the scrubber
    fingerprints values only with one), or a near-duplicate of an erased document (a shared MinHash band or
    the same text; no key needed), are dropped."""

    name = "erased_content"

    def __init__(self, erasures: ErasureList):
        self.erasures = erasures

    def process(self, doc: Document) -> Document | Drop:
        if self.erasures.values and not self.erasures.values.isdisjoint(doc.pii_fingerprints):
            return Drop("erased_value")
        if self.erasures.bands and not self.erasures.bands.isdisjoint(document_bands(doc)):
            return Drop("erased_near_duplicate")
        return doc


def document_bands(doc) -> set[str]:
    """A signed document's dedup keys as stable strings: its MinHash band hashes and its exact-text key
    (the first 16 hex digits of the normalised-text hash, as in the dedup index)."""
    return {f"b{h}" for h in doc.band_hashes} | {f"t{doc.text_hash[:16]}"}


def key_string(band: int, key: int) -> str:
    """A dedup index row (dedup.index) as the string document_bands gives the same key."""
    from dedup.index import EXACT_BAND

    return f"t{key & 0xFFFFFFFFFFFFFFFF:016x}" if band == EXACT_BAND else f"b{key}"


# -- a set's key ---------------------------------------------------------------------------------------------------
def set_key_id(manifest: dict) -> str | None:
    """The identity of the fingerprint key a set was built with (None: built without one)."""
    return manifest.get("run", {}).get("pii_key_id")


def set_has_url_fingerprints(manifest: dict) -> bool:
    """Sets written before URLs were scrubbed publish the raw URL, so a plain comparison finds them."""
    return any(column["name"] == "url_fingerprint" for column in manifest.get("schema", []))


# -- applying ------------------------------------------------------------------------------------------------------
def read_parquet(store, path: str, columns=None) -> pa.Table:
    return pq.read_table(io.BytesIO(store.read_bytes(path)), columns=columns)


def rewrite_shard_file(store, path: str, erased: dict[str, str], config) -> int:
    """Remove the erased documents from one shard file (rewritten whole); rows removed. The set's manifest is
    recomputed from the files afterwards (pipelines/forget.py)."""
    table = read_parquet(store, path)
    gone = pc.is_in(table["doc_id"], value_set=pa.array(sorted(erased)))
    n = pc.sum(gone).as_py() or 0
    if n:
        store.write_bytes(path, shard_bytes(table.filter(pc.invert(gone)).cast(SHARD_SCHEMA), config))
    return n


def drop_rows(store, path: str, doc_ids: list[str]) -> int:
    """Rewrite an index file (pii_index, dedup_index) without the rows of ``doc_ids``; rows dropped."""
    table = read_parquet(store, path)
    keep = pc.invert(pc.is_in(table["doc_id"], value_set=pa.array(doc_ids)))
    gone = table.num_rows - (pc.sum(keep).as_py() or 0)
    if gone:
        store.write_bytes(path, table_bytes(table.filter(keep)))
    return gone


def mark_outcomes_erased(store, path: str, erased: dict[str, str]) -> int:
    """Turn the kept outcome rows of erased documents into ``erased`` rows naming their request."""
    table = read_parquet(store, path).cast(OUTCOME_SCHEMA)
    hit = pc.and_(pc.is_in(table["doc_id"], value_set=pa.array(sorted(erased))), pc.equal(table["status"], KEPT))
    n = pc.sum(hit).as_py() or 0
    if n:
        rows = table.to_pylist()
        for row, is_hit in zip(rows, hit.to_pylist(), strict=True):
            if is_hit:
                row.update(status=ERASED, stage=ERASURE_STAGE, reason=erased[row["doc_id"]], detail="")
        store.write_bytes(path, table_bytes(pa.Table.from_pylist(rows, schema=OUTCOME_SCHEMA)))
    return n


def erased_documents(entries: list[dict]) -> dict[str, dict[str, str]]:
    """set -> {doc_id: erasure_id} of planned entries (a document in two requests' clusters: the first)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for entry in entries:
        for set_id, ids in entry["documents"].items():
            for doc_id in ids:
                out[set_id].setdefault(doc_id, entry["erasure_id"])
    return dict(out)

