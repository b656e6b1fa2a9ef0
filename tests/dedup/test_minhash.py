"""MinHash: bit-identical to datasketch; normalisation and band keys behave."""

import numpy as np
import xxhash
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.config import DedupConfig
from dedup.minhash import (MinHasher, hash_similarity, jaccard, normalize_text, shingle_hashes,
                           shingles)
from dedup.stage import DedupSignature
from corpus.document import Document

words = st.lists(st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=8), min_size=0, max_size=80)


@settings(max_examples=60, deadline=None)
@given(words, st.sampled_from(["xxh32", "sha1"]), st.integers(min_value=0, max_value=2**31 - 1))
def test_signature_is_bit_identical_to_datasketch(tokens, hash_function, seed):
    config = DedupConfig(hash_function=hash_function, seed=seed, num_bands=4, rows_per_band=8)
    shingle_set = shingles(normalize_text(" ".join(tokens)), config.ngram)
    ours = MinHasher(config).signature(shingle_set)
    kwargs = {"hashfunc": xxhash.xxh32_intdigest} if hash_function == "xxh32" else {}
    reference = MinHash(num_perm=config.num_perm, seed=seed, **kwargs)
    reference.update_batch(shingle_set)
    assert ours.dtype == reference.hashvalues.dtype
    assert np.array_equal(ours, reference.hashvalues)


@settings(max_examples=80, deadline=None)
@given(words, words, st.integers(min_value=1, max_value=6))
def test_similarity_from_shingle_hashes_equals_the_shingles_own(left, right, n):
    """Pairs are verified on the stored hashes: the same Jaccard similarity as from the shingles, exactly (a
    shared vocabulary so that the two texts overlap in every way, empty texts included)."""
    a, b = " ".join(left), " ".join(left[:len(left) // 2] + right)
    hashes_a = shingle_hashes(shingles(normalize_text(a), n))
    hashes_b = shingle_hashes(shingles(normalize_text(b), n))
    assert hashes_a.dtype == np.int64 and np.all(hashes_a[1:] > hashes_a[:-1])  # sorted, distinct: Spark's arrays
    assert hash_similarity(hashes_a, hashes_b) == jaccard(a, b, n)


def test_signature_stage_keeps_only_what_the_configured_verification_needs():
    text = "one two three four five six seven eight nine ten " * 3

    def signed(config: DedupConfig) -> Document:
        return DedupSignature(config).process(Document(warc_file="f", offset=0, record_id="r", text=text))

    for verify, hashes, minhash in (("exact", True, False), ("estimated", False, True), ("none", False, False)):
        doc = signed(DedupConfig(verify=verify))
        assert (len(doc.shingle_hashes) > 0, len(doc.minhash) > 0) == (hashes, minhash)
    doc = signed(DedupConfig())
    assert list(doc.shingle_hashes) == sorted(set(shingle_hashes(shingles(normalize_text(text), 5)).tolist()))


def test_normalisation_is_case_punctuation_and_digit_blind():
    assert normalize_text("Hello, WORLD! 2024") == normalize_text("hello world 1999")
    assert normalize_text("ﬁne Straße") == "fine strasse"


def test_near_duplicates_share_bands_and_different_texts_do_not():
    stage = DedupSignature(DedupConfig())
    base = " ".join(f"word{i} token{i % 7} thing{i % 11}" for i in range(150))
    edited = base.replace("word75 ", "") + " one more sentence at the end"
    other = " ".join(f"alpha{i} beta{i % 5}" for i in range(200))
    a, b, c = (stage(Document("f", i, str(i), text=t)) for i, t in enumerate([base, edited, other]))
    assert set(a.band_hashes) & set(b.band_hashes)
    assert not set(a.band_hashes) & set(c.band_hashes)
    assert a.text_hash != b.text_hash
    assert stage(Document("f", 9, "9", text=base.upper() + "!!")).text_hash == a.text_hash


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab É1٣ß ,.-\n\t\u00a0\u3000ﬁ")), max_size=60), st.integers(1, 6))
def test_shingles_are_the_distinct_joined_word_n_grams(text, n):
    """Shingles are sliced from the encoded normalised text between spaces: the same set as joining every n
    words (fewer than n words: the whole text, none for an empty one), whatever spaces and characters the raw
    text held."""
    normalized = normalize_text(text)
    tokens = normalized.split()
    joined = ({" ".join(tokens).encode()} if tokens else set()) if len(tokens) <= n else \
        {" ".join(tokens[i:i + n]).encode() for i in range(len(tokens) - n + 1)}
    made = shingles(normalized, n)
    assert len(made) == len(set(made)) and set(made) == joined
