"""The record every per-document stage passes along, and the outcome every input record ends in."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

KEPT, DROPPED, QUARANTINED = "kept", "dropped", "quarantined"
#: a kept document later removed by ``corpus forget`` (its outcome row is rewritten with the request's id)
ERASED = "erased"
Status = Literal["kept", "dropped", "quarantined", "erased"]


@dataclass(slots=True)
class Document:
    """One WARC response on its way through the stages. Stages add fields; none re-parses earlier work."""

    warc_file: str
    offset: int
    record_id: str
    url: str = ""  # the target URI; personal data in it is replaced by the PII stage
    url_fingerprint: str = ""  # keyed fingerprint of the original URL when the PII stage changed it
    fetch_date: str = ""  # ISO 8601, UTC, from WARC-Date
    http_headers: dict[str, str] = field(default_factory=dict)  # the few the stages need (opt-out signals)
    html: str | None = None  # decoded payload; freed after extraction
    text: str = ""
    lang: str | None = None
    lang_score: float = 0.0
    lang_top: list[tuple[str, float]] = field(default_factory=list)  # fastText's top-k (labels, probability)
    lang_shares: dict[str, float] = field(default_factory=dict)  # label -> share of text (mixed-language pages)
    n_words: int = 0
    pii_counts: dict[str, int] = field(default_factory=dict)  # personal values found, per type
    pii_kept: list[str] = field(default_factory=list)  # types left in the text by policy
    pii_recognizers: dict[str, int] = field(default_factory=dict)  # "TYPE/recognizer" -> findings (reports)
    pii_fingerprints: list[str] = field(default_factory=list)  # keyed hashes of the values (erasure index)
    quality_score: float = 0.0  # share of the kept text's lines that end like prose (dedup's survivor rule)
    text_hash: str = ""  # hash of normalised text, for exact dedup
    band_hashes: list[int] = field(default_factory=list)  # MinHash LSH band keys
    minhash: list[int] = field(default_factory=list)  # the signature, uint32 values stored as int32 (verification)
    # 64-bit hashes of the shingle set, sorted: candidate pairs' exact Jaccard similarity without their texts
    shingle_hashes: Sequence[int] = field(default_factory=list)

    @property
    def doc_id(self) -> str:
        return make_doc_id(self.warc_file, self.offset, self.record_id)


def make_doc_id(warc_file: str, offset: int, record_id: str) -> str:
    """Stable id: the WARC-Record-ID is globally unique; files without one fall back to name + offset."""
    key = record_id or f"{warc_file.rsplit('/', 1)[-1]}@{offset}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Drop:
    """A stage's decision to drop a document: a named reason plus the measured value that decided it."""

    reason: str
    detail: str = ""
    values: dict[str, int] | None = None  # personal values per type that leave with the page (PII density)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Exactly one per input record. ``detail`` never holds document text or personal data."""

    warc_file: str
    offset: int
    record_id: str
    status: Status
    stage: str
    reason: str = ""
    detail: str = ""

    @property
    def doc_id(self) -> str:
        return make_doc_id(self.warc_file, self.offset, self.record_id)
