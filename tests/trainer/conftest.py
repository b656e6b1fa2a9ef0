"""A tokenizer trained on the pipeline's own sample output, shared by the trainer tests."""

import pytest

from corpus.config import TokenizerConfig

VALIDATION_PERCENT = 10.0  # the sample has ~6 documents per language: hold out enough to evaluate


@pytest.fixture(scope="session")
def tokenizer_dir(sample_run, tmp_path_factory):
    from trainer.tokenizer import train_tokenizer

    out = tmp_path_factory.mktemp("tokenizer")
    report = train_tokenizer(sample_run.root, str(out), TokenizerConfig(vocab_size=600), VALIDATION_PERCENT,
                             log=lambda m: None)
    return out, report


@pytest.fixture(scope="session")
def tokenizer(tokenizer_dir):
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(tokenizer_dir[0] / "tokenizer.model"))
