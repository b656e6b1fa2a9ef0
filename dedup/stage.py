"""The per-document half of dedup: normalised-text hash and MinHash band keys, computed on the workers."""

from __future__ import annotations

import numpy as np

from corpus.config import DedupConfig
from corpus.document import Document, Drop
from corpus.stages import Stage
from dedup.minhash import MinHasher, normalize_text, shingle_hashes, shingles, text_hash


class DedupSignature(Stage):
    name = "signature"

    def __init__(self, config: DedupConfig):
        self.config = config
        self.hasher = MinHasher(config)

    def process(self, doc: Document) -> Document | Drop:
        normalized = normalize_text(doc.text)
        doc.text_hash = text_hash(normalized)
        if self.config.near:
            shingle_set = shingles(normalized, self.config.ngram)
            signature = self.hasher.signature(shingle_set)
            doc.band_hashes = self.hasher.band_hashes(signature)
            # what candidate pairs are verified with, kept only for that verification
            if self.config.verify == "estimated":
                doc.minhash = signature.view(np.int32).tolist()
            elif self.config.verify == "exact":
                doc.shingle_hashes = shingle_hashes(shingle_set)
        return doc
