"""The README's flow after `corpus run`: `corpus tokenizer train`, then `corpus train`, then the same
`corpus train` again (it resumes: nothing left to do)."""

import json

from corpus.cli import main

TINY = """
[tokenizer]
vocab_size = 500
[train]
d_model = 32
n_layers = 1
n_heads = 2
d_ff = 64
seq_len = 64
steps = 4
global_batch = 4
warmup_steps = 1
validation_percent = 10.0
eval_every = 4
checkpoint_every = 2
eval_documents_per_language = 2
log_every = 2
"""


def test_tokenizer_then_train_then_resume(sample_run, tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    tokenizer_dir, out = tmp_path / "tok", tmp_path / "train"
    assert main(["tokenizer", "train", "--data", sample_run.root, "--out", str(tokenizer_dir), "--config", str(config)]) == 0
    made = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert made["vocab_size"] <= 500 and (tokenizer_dir / "tokenizer.model").is_file()
    args = ["train", "--data", sample_run.root, "--tokenizer", str(tokenizer_dir / "tokenizer.model"),
            "--out", str(out), "--config", str(config)]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["steps"] == 4 and result["loss"] > 0 and result["val_bits_per_byte"]
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1, 2, 3, 4]
    assert {"tokens_per_s", "model_flops_per_s"} <= set(metrics[1])
    assert sorted(p.name for p in (out / "checkpoints").iterdir() if p.name.isdigit()) == ["2", "4"]
    assert main(args) == 0  # resumes at step 4: nothing to do
    captured = capsys.readouterr()
    assert "resumed from step 4" in captured.err and "nothing to do" in captured.err


def test_train_without_a_tokenizer_says_what_to_run(sample_run, tmp_path, capsys):
    assert main(["train", "--data", sample_run.root, "--out", str(tmp_path / "x")]) == 2
    assert "corpus tokenizer train" in capsys.readouterr().err
