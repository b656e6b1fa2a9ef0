"""MinHash: bit-identical to datasketch; normalisation and band keys behave."""

import numpy as np
import xxhash
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.config import DedupConfig
from dedup.minhash import MinHasher, normalize_text, shingles
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
