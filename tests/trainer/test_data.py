"""The data loader on the pipeline's sample output: packing, determinism and resumption, host split,
validation split, and the language mixture it realises."""

import numpy as np
import pytest

from corpus.config import TrainConfig
from tests.trainer.conftest import VALIDATION_PERCENT
from trainer.data import DocumentStream, Loader, eval_batch, mixture_weights, realised_shares
from trainer.shards import ShardSet, held_out

CONFIG = TrainConfig(seq_len=64, global_batch=4, validation_percent=VALIDATION_PERCENT)


@pytest.fixture(scope="module")
def shards(sample_run):
    return ShardSet.open(sample_run.root)


def _batches(loader, n):
    return [loader.next_batch() for _ in range(n)]


def test_sequences_pack_documents_without_crossing_them(shards, tokenizer):
    for batch in _batches(Loader(shards, tokenizer, CONFIG, local_batch=4), 5):
        t, seg, pos, tgt, mask = batch.tokens, batch.segments, batch.positions, batch.targets, batch.loss_mask
        assert t.shape == (4, CONFIG.seq_len) and (seg > 0).all()  # packed: no padding while documents last
        for i in range(4):
            for j in range(CONFIG.seq_len - 1):
                same = seg[i, j] == seg[i, j + 1]
                assert mask[i, j] == (1.0 if same else 0.0)
                assert tgt[i, j] == (t[i, j + 1] if same else 0)
                assert pos[i, j + 1] == (pos[i, j] + 1 if same else 0)
            assert mask[i, -1] == 0 and pos[i, 0] == 0
            assert len(batch.languages[i]) == seg[i].max()  # one language per segment


def test_same_seed_same_batches_and_a_restored_state_continues_exactly(shards, tokenizer):
    straight = Loader(shards, tokenizer, CONFIG, local_batch=4)
    expected = _batches(straight, 12)
    first = Loader(shards, tokenizer, CONFIG, local_batch=4)
    _batches(first, 5)
    saved = first.state()
    resumed = Loader(shards, tokenizer, CONFIG, local_batch=4)
    resumed.restore(saved)
    for want, got in zip(expected[5:], _batches(resumed, 7), strict=True):
        for name, array in want.arrays().items():
            np.testing.assert_array_equal(array, got.arrays()[name], err_msg=name)
    assert saved["pending"] is None or set(saved["pending"]) == {"lang", "epoch", "file", "row", "offset"}


def test_hosts_read_disjoint_whole_files_of_every_language(shards):
    for lang in shards.languages:
        every = shards.files_of(lang)
        assert len(every) % 8 == 0  # the shard contract's files_multiple
        halves = [shards.host_files(lang, h, 2) for h in range(2)]
        assert not {f.path for f in halves[0]} & {f.path for f in halves[1]}
        assert {f.path for h in halves for f in h} == {f.path for f in every}
    with pytest.raises(ValueError, match="files_multiple"):
        shards.host_files("en", 0, 3)


def test_held_out_documents_never_reach_training(shards):
    for lang in ("en", "de", "mt"):
        files = shards.files_of(lang)
        train = DocumentStream(shards, files, VALIDATION_PERCENT)
        held = DocumentStream(shards, files, VALIDATION_PERCENT, held=True)
        ids = {doc_id: text for f in files for doc_id, text in zip(*(shards.read(f)[c].to_pylist() for c in ("doc_id", "text")))}
        train_texts = {train.next()[1] for _ in range(len(ids))}
        held_texts = {found[1] for found in (held.next() for _ in range(len(ids))) if found}
        assert train_texts == {t for d, t in ids.items() if not held_out(d, VALIDATION_PERCENT)}
        assert held_texts == {t for d, t in ids.items() if held_out(d, VALIDATION_PERCENT)}


@pytest.mark.parametrize("mixture", ["temperature", "unimax"])
def test_mixture_realises_the_requested_language_shares(shards, tokenizer, mixture):
    config = CONFIG.model_copy(update={"mixture": mixture, "alpha": 0.5, "seq_len": 256, "steps": 50})
    loader = Loader(shards, tokenizer, config, local_batch=8)
    _batches(loader, 60)
    wanted, got = loader.weights, realised_shares(loader.taken)
    assert set(wanted) == set(shards.languages)
    total = sum(loader.taken.values())
    assert total == 60 * 8 * config.seq_len
    # deficit scheduling: a language is never more than one document ahead of its share
    longest = max(len(tokenizer.encode(t)) + 2 for f in shards.files for t in shards.read(f)["text"].to_pylist())
    for lang in wanted:
        assert abs(got[lang] - wanted[lang]) <= longest / total, (lang, got[lang], wanted[lang], longest / total)
    assert max(abs(got[lang] - wanted[lang]) for lang in wanted) < 0.02


def test_mixture_weights_temperature_and_unimax():
    sizes = {"en": 1_000_000, "mt": 10_000, "ga": 1_000}
    flat = mixture_weights(sizes, TrainConfig(alpha=1.0))
    assert flat["en"] == pytest.approx(1_000_000 / 1_011_000)
    smooth = mixture_weights(sizes, TrainConfig(alpha=0.3))
    assert smooth["ga"] > flat["ga"] and smooth["en"] < flat["en"] and sum(smooth.values()) == pytest.approx(1)
    # UniMax: a budget of 300k characters spread evenly, each language capped at 4 epochs: Irish 4k, Maltese
    # 40k, English the remaining 256k
    unimax = mixture_weights(sizes, TrainConfig(mixture="unimax", unimax_epochs=4.0), total_tokens=300_000 / 4)
    assert unimax == pytest.approx({"ga": 4_000 / 300_000, "mt": 40_000 / 300_000, "en": 256_000 / 300_000})
    roomy = mixture_weights(sizes, TrainConfig(mixture="unimax", unimax_epochs=100.0), total_tokens=150_000 / 4)
    assert roomy == pytest.approx({"ga": 1 / 3, "mt": 1 / 3, "en": 1 / 3})  # uniform while no cap binds


def test_eval_batch_counts_the_bytes_of_its_targets(shards, tokenizer):
    batch, token_bytes = eval_batch(shards, tokenizer, CONFIG, "en", sequences=4)
    assert token_bytes.shape == batch.targets.shape and token_bytes.sum() > 0
    assert (token_bytes[batch.loss_mask == 0] == 0).all()
    # one document per sequence: the bytes of its targets are its text's bytes (up to the cut)
    first = batch.tokens[0][batch.segments[0] > 0]
    assert token_bytes[0].sum() <= len(tokenizer.decode(first.tolist()).encode("utf-8")) + 1


def test_streams_read_one_row_group_at_a_time(tmp_path):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"doc_id": f"{i:032x}", "text": f"document {i}"} for i in range(10)]
    (tmp_path / "shards").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "shards" / "part.parquet", row_group_size=3)
    (tmp_path / "manifest.json").write_text(json.dumps({
        "files": [{"path": "shards/part.parquet", "lang": "mt", "rows": 10}],
        "languages": {"mt": {"characters": 110}}}))
    shards = ShardSet.open(str(tmp_path))
    stream = DocumentStream(shards, shards.files_of("mt"), validation_percent=0.0)
    assert [stream.next()[1] for _ in range(10)] == [r["text"] for r in rows]
    assert len(stream._group[2]) == 1  # the last group (rows 9..9), not the file
    assert stream.next()[1] == "document 0" and stream.epoch == 1  # the next epoch starts over
    assert stream.document(0, 7) == (rows[7]["doc_id"], "document 7") and stream._group[1] == 6
