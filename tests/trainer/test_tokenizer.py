"""The tokenizer trained on the sample corpus: byte fallback, placeholders as single pieces, fertility."""

from corpus.config import EU_LANGUAGES
from trainer.tokenizer import PLACEHOLDERS, UNK


def test_no_unknown_tokens_thanks_to_byte_fallback(tokenizer):
    text = "Ŋ ꙮ 𝔘 ☃ unseen scripts: 漢字 and ∮"
    ids = tokenizer.encode(text)
    assert UNK not in ids
    assert tokenizer.decode(ids) == text


def test_personal_data_placeholders_are_single_pieces(tokenizer):
    for placeholder in PLACEHOLDERS:
        pieces = tokenizer.encode(f"call {placeholder} now", out_type=str)
        assert placeholder in pieces


def test_fertility_report_covers_every_language(tokenizer_dir):
    out, report = tokenizer_dir
    assert (out / "fertility.json").is_file()
    assert set(report["languages"]) == set(EU_LANGUAGES)
    for lang, row in report["languages"].items():
        assert row["documents"] > 0 and row["tokens"] > 0, lang
        assert 0.5 < row["tokens_per_word"] < 20 and 0.05 < row["tokens_per_char"] < 2, (lang, row)
    # a sample of a few KB per language: Greek and Bulgarian script cost more tokens per character than English
    assert report["languages"]["el"]["tokens_per_char"] > report["languages"]["en"]["tokens_per_char"]


def test_tokenization_is_lossless_on_published_text(sample_run, tokenizer):
    from trainer.shards import ShardSet

    shards = ShardSet.open(sample_run.root)
    texts = [t for f in shards.files[:40] for t in shards.read(f)["text"].to_pylist()]
    assert texts and all(tokenizer.decode(tokenizer.encode(t)) == t for t in texts)
