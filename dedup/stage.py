"""The per-document half of dedup: normalised-text hash and MinHash band keys, computed on the workers."""

from __future__ import annotations

from corpus.config import DedupConfig
from corpus.document import Document, Drop
from corpus.stages import Stage
from dedup.minhash import MinHasher, normalize_text, shingles, text_hash


class DedupSignature(Stage):
    name = "signature"

    def __init__(self, config: DedupConfig):
        self.config = config
        self.hasher = MinHasher(config)

    def process(self, doc: Document) -> Document | Drop:
        normalized = normalize_text(doc.text)
        doc.text_hash = text_hash(normalized)
        if self.config.near:
            doc.band_hashes = self.hasher.band_hashes(self.hasher.signature(shingles(normalized, self.config.ngram)))
        return doc
