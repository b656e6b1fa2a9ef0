"""MinHash signatures, vectorised with numpy and bit-identical to datasketch's ``MinHash``.

Scheme: datasketch 2.x ``affine32`` (its default): each shingle is hashed to 32 bits (xxh32 or datasketch's
sha1_hash32), pre-mixed with the MurmurHash3 finalizer, then permuted by ``a*h + b mod 2**32`` with
``(a, b)`` drawn from ``numpy.random.RandomState(seed)`` exactly as datasketch draws them.
``tests/dedup/test_minhash.py`` checks the bit-identity.
"""

from __future__ import annotations

import hashlib
import struct
import unicodedata
from functools import lru_cache

import numpy as np
import regex
import xxhash

from corpus.config import DedupConfig

_NON_WORD = regex.compile(r"[^\p{L}\p{N}]+")
_DIGIT = regex.compile(r"\p{Nd}")


def normalize_text(text: str) -> str:
    """Language-neutral normalisation for dedup: NFKC, case-folded, digits -> 0, punctuation -> space."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DIGIT.sub("0", text)
    return " ".join(_NON_WORD.split(text)).strip()


def text_hash(normalized: str) -> str:
    return hashlib.blake2b(normalized.encode("utf-8"), digest_size=16).hexdigest()


def shingles(normalized: str, n: int) -> list[bytes]:
    """The distinct word n-grams of ``normalize_text``'s output, UTF-8 encoded (a document of n words or fewer is
    one shingle). Its words are separated by single spaces, so each n-gram is a slice of the encoded text between
    two spaces: half the cost of joining the words of every n-gram (tests/dedup/test_minhash.py checks it
    against the joined words)."""
    data = normalized.encode("utf-8")
    spaces = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 32)  # a space byte is only ever a space
    if len(spaces) < n:
        return [data] if data else []
    starts = [0, *(spaces + 1).tolist()]
    ends = [*spaces.tolist(), len(data)]
    return list({data[a:b] for a, b in zip(starts, ends[n - 1:])})


def jaccard(text_a: str, text_b: str, n: int) -> float:
    """Exact Jaccard similarity of two texts' shingle sets, as normalised for dedup."""
    return set_similarity(set(shingles(normalize_text(text_a), n)), set(shingles(normalize_text(text_b), n)))


def set_similarity(a: set, b: set) -> float:
    """Jaccard similarity of two shingle sets (two empty texts are the same)."""
    return len(a & b) / len(a | b) if a or b else 1.0


def shingle_hashes(shingle_set: list[bytes]) -> np.ndarray:
    """64-bit hashes of a document's distinct shingles, sorted (signed, as Spark and Parquet store them): two
    documents' Jaccard similarity from these equals the one from the shingles themselves unless two distinct
    shingles collide (probability ~ n**2 / 2**64 for n shingles), so candidate pairs are verified without
    moving or re-shingling their texts."""
    hashes = np.fromiter((xxhash.xxh3_64_intdigest(s) for s in shingle_set), dtype=np.uint64, count=len(shingle_set))
    return np.unique(hashes.view(np.int64))


def hash_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two ``shingle_hashes`` arrays (two empty texts are the same)."""
    if not len(a) and not len(b):
        return 1.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common)


def sha1_hash32(data: bytes) -> int:
    return struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0]


HASH_FUNCTIONS = {"xxh32": xxhash.xxh32_intdigest, "sha1": sha1_hash32}


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 parameters: odd ``a`` and any ``b``, both uint32."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class MinHasher:
    """Signatures and LSH band keys for one configuration."""

    def __init__(self, config: DedupConfig):
        self.config = config
        self.hash_function = HASH_FUNCTIONS[config.hash_function]
        self.a, self.b = permutations(config.num_perm, config.seed)

    def signature(self, shingle_set: list[bytes]) -> np.ndarray:
        if not shingle_set:
            return np.full(self.config.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
        hashes = np.fromiter((self.hash_function(s) for s in shingle_set), dtype=np.uint32, count=len(shingle_set))
        with np.errstate(over="ignore"):
            mixed = _fmix32(hashes)[:, None]
            return (mixed * self.a + self.b).min(axis=0)

    def band_hashes(self, signature: np.ndarray) -> list[int]:
        """One signed 64-bit key per band (band index folded in, so equal keys mean the same band)."""
        rows = self.config.rows_per_band
        keys = []
        for band in range(self.config.num_bands):
            chunk = signature[band * rows:(band + 1) * rows].tobytes()
            keys.append(xxhash.xxh64_intdigest(chunk, seed=band) - (1 << 63))
        return keys
