"""Is the data loader ever the bottleneck? Loader tokens/s on one core against the tokens/s a train step
consumes for a given model size.

    .venv/bin/python benchmarks/loader.py --data out/sample [--tokenizer out/sample/tokenizer/tokenizer.model]
        [--d-model 512 --layers 8 --heads 8 --seq-len 1024 --batch 8]

Loader: trainer/data.py's Loader exactly as training uses it (read shards, tokenize, pack, mix), batches of
the given shape, one process. Train step: trainer/train.py's jitted step on this machine's devices, timed
after compilation. A host needs loader tokens/s x its cores given to loading >= the step's tokens/s.
"""

from __future__ import annotations

import os
import sys

# this folder off the path when run as a script: benchmarks/pii.py must not shadow the pii package
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse  # noqa: E402
import time  # noqa: E402

from corpus.config import TrainConfig  # noqa: E402


def loader_speed(data: str, tokenizer_path: str, config: TrainConfig, batches: int) -> float:
    import sentencepiece as spm

    from trainer.data import Loader
    from trainer.shards import ShardSet

    tokenizer = spm.SentencePieceProcessor(model_file=tokenizer_path)
    loader = Loader(ShardSet.open(data), tokenizer, config, config.global_batch)
    loader.next_batch()  # first file reads
    start = time.perf_counter()
    for _ in range(batches):
        loader.next_batch()
    return batches * config.global_batch * config.seq_len / (time.perf_counter() - start)


def step_speed(config: TrainConfig, vocab_size: int, steps: int) -> tuple[float, int]:
    import jax
    import numpy as np

    from trainer.data import finish
    from trainer.model import parameter_count
    from trainer.train import create_state, global_batch, make_mesh, train_step

    mesh = make_mesh(config)
    model, optimizer = create_state(config, vocab_size, mesh)
    rng = np.random.default_rng(0)
    rows = [rng.integers(4, vocab_size, config.seq_len).tolist() for _ in range(config.global_batch)]
    batch = finish(rows, [[1] * config.seq_len] * config.global_batch, config.seq_len, [["en"]] * config.global_batch)
    arrays = global_batch(mesh, batch.arrays())
    jax.block_until_ready(train_step(model, optimizer, arrays))  # compile
    start = time.perf_counter()
    for _ in range(steps):
        loss, _ = train_step(model, optimizer, arrays)
    jax.block_until_ready(loss)
    return steps * config.global_batch * config.seq_len / (time.perf_counter() - start), parameter_count(model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="out/sample")
    parser.add_argument("--tokenizer", default=None)
    parser.add_argument("--d-model", type=int, default=512)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--seq-len", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--loader-batches", type=int, default=50)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--peak-flops", type=float, default=275e12, help="an accelerator's peak (TPU v4 chip)")
    parser.add_argument("--mfu", type=float, default=0.5, help="model FLOPs utilisation assumed there")
    args = parser.parse_args()
    tokenizer = args.tokenizer or os.path.join(args.data, "tokenizer", "tokenizer.model")
    config = TrainConfig(d_model=args.d_model, n_layers=args.layers, n_heads=args.heads, d_ff=4 * args.d_model,
                         seq_len=args.seq_len, global_batch=args.batch, validation_percent=1.0)
    import sentencepiece as spm

    vocab = spm.SentencePieceProcessor(model_file=tokenizer).get_piece_size()
    loading = loader_speed(args.data, tokenizer, config, args.loader_batches)
    stepping, parameters = step_speed(config, vocab, args.steps)
    import jax

    print(f"loader: {loading:,.0f} tokens/s on one core (batches of {args.batch} x {args.seq_len}, vocab {vocab:,})")
    print(f"train step: {stepping:,.0f} tokens/s on {jax.device_count()} {jax.devices()[0].platform} device(s), "
          f"{parameters:,} parameters (d_model {args.d_model}, {args.layers} layers, seq {args.seq_len})")
    print(f"loader cores needed to keep up with this machine's step: {stepping / loading:.4f}")
    from trainer.model import flops_per_token

    accelerator = args.peak_flops * args.mfu / flops_per_token(config, parameters)
    print(f"on an accelerator of {args.peak_flops:.3g} FLOP/s at {args.mfu:.0%} MFU this model eats "
          f"{accelerator:,.0f} tokens/s per chip -> {accelerator / loading:.1f} loader cores per chip")


if __name__ == "__main__":
    main()
