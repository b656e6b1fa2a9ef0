"""The per-document half of dedup: normalised-text hash and MinHash band keys, computed on the workers."""

from __future__ import annotations

import numpy as np

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
            signature = self.hasher.signature(shingles(normalized, self.config.ngram))
            doc.band_hashes = self.hasher.band_hashes(signature)
            if self.config.verify == "estimated":  # kept only when candidate pairs are verified with it
                doc.minhash = signature.view(np.int32).tolist()
        return doc
