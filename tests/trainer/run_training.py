"""Run by the trainer tests in a fresh interpreter: JAX's device count and distributed setup must be fixed
before jax is imported. Prints one JSON line with what the test checks.

    python run_training.py resume DATA TOKENIZER WORKDIR            (8 simulated devices)
    python run_training.py host DATA TOKENIZER WORKDIR PORT INDEX   (one of 2 processes x 4 devices)
"""

import hashlib
import json
import os
import sys

mode, data, tokenizer, work = sys.argv[1:5]
os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={8 if mode == 'resume' else 4}"

import jax  # noqa: E402

if mode == "host":
    port, index = sys.argv[5], int(sys.argv[6])
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(f"localhost:{port}", 2, index)

import numpy as np  # noqa: E402

from corpus.config import TrainConfig  # noqa: E402
from trainer.train import Trainer  # noqa: E402

CONFIG = TrainConfig(d_model=32, n_layers=2, n_heads=4, d_ff=64, seq_len=64, global_batch=16, steps=30,
                     warmup_steps=3, learning_rate=1e-2, mesh_data=4, mesh_fsdp=2, log_every=10, eval_every=30,
                     checkpoint_every=30, eval_documents_per_language=8, validation_percent=10.0)


class Recording(Trainer):
    """Keeps a digest of every batch this host fed, and of the global batch as the devices hold it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, log=lambda m: None, **kwargs)
        self.local_digests, self.global_sums, self.local_sums = [], [], []

    def next_batch(self):
        batch, arrays = super().next_batch()
        self.local_digests.append(hashlib.sha256(batch.tokens.tobytes()).hexdigest()[:16])
        self.local_sums.append(int(batch.tokens.astype(np.int64).sum()))
        self.global_sums.append(int(jax.jit(lambda t: t.astype(np.int32).sum())(arrays["tokens"])))
        return batch, arrays


def run(out, config, steps):
    trainer = Recording(data, tokenizer, out, config)
    start = trainer.step
    metrics = trainer.train(steps)
    return {"start": start, "losses": [m["loss"] for m in metrics], "digests": trainer.local_digests,
            "val": metrics[-1].get("val_bits_per_byte"), "tokens_per_s": metrics[-1].get("tokens_per_s"),
            "global_sums": trainer.global_sums, "local_sums": trainer.local_sums, "trainer": trainer}


if mode == "resume":
    straight = run(os.path.join(work, "straight"), CONFIG, 30)
    interrupted = CONFIG.model_copy(update={"checkpoint_every": 12})
    first = run(os.path.join(work, "resumed"), interrupted, 12)  # stops after the checkpoint at step 12
    second = run(os.path.join(work, "resumed"), interrupted, 30)  # a new process would do the same: restore
    print(json.dumps({"straight": {k: v for k, v in straight.items() if k != "trainer"},
                      "first": {k: v for k, v in first.items() if k != "trainer"},
                      "second": {k: v for k, v in second.items() if k != "trainer"},
                      "mesh": dict(straight["trainer"].mesh.shape), "devices": jax.device_count()}))
else:
    config = CONFIG.model_copy(update={"steps": 3, "mesh_data": 8, "mesh_fsdp": 1})
    result = run(os.path.join(work, "pod"), config, 3)
    trainer = result.pop("trainer")
    files = sorted(f.path for lang in trainer.loader.streams for f in trainer.loader.streams[lang].files)
    print(json.dumps({**result, "files": files, "process": jax.process_index(), "processes": jax.process_count(),
                      "devices": jax.device_count(), "local_devices": jax.local_device_count()}))
