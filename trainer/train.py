"""`corpus train`: published shards -> a language model, on 1 CPU, N simulated devices or a TPU pod.

One program for all of them: a mesh of ``data x fsdp x tensor`` devices (jax.devices(): every host's
devices once ``jax.distributed.initialize()`` has run), parameters sharded by their mesh axis names
(trainer/model.py), each host feeding its own rows of the global batch from its own shard files
(trainer/data.py) with ``jax.make_array_from_process_local_data``. An orbax CheckpointManager saves the
model, the optimiser and every host's loader state at the same step; a restart resumes exactly where the
last checkpoint was taken. Metrics (loss, learning rate, tokens/s, MFU when the device's peak FLOP/s is
configured, per-language validation bits per byte) go to ``metrics.jsonl`` and the log.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from corpus.config import TrainConfig
from trainer.data import Batch, Loader, check_batch_division, eval_batch
from trainer.model import DATA, FSDP, TENSOR, Transformer, flops_per_token, parameter_count
from trainer.shards import ShardSet

BATCH_AXES = (DATA, FSDP)  # the batch dimension is split over data-parallel and fsdp devices


def make_mesh(config: TrainConfig, devices=None) -> Mesh:
    devices = list(devices if devices is not None else jax.devices())
    other = config.mesh_fsdp * config.mesh_tensor
    data = config.mesh_data if config.mesh_data > 0 else len(devices) // other
    if data * other != len(devices):
        raise ValueError(f"mesh {data} x {config.mesh_fsdp} x {config.mesh_tensor} does not cover {len(devices)} devices")
    return Mesh(np.array(devices).reshape(data, config.mesh_fsdp, config.mesh_tensor), (DATA, FSDP, TENSOR))


def optimizer_for(config: TrainConfig) -> optax.GradientTransformation:
    schedule = optax.warmup_cosine_decay_schedule(
        init_value=0.0, peak_value=config.learning_rate, warmup_steps=config.warmup_steps,
        decay_steps=max(config.steps, config.warmup_steps + 1), end_value=config.learning_rate * config.min_lr_ratio)
    # no weight decay on norms' scales and other vectors
    decay = lambda params: jax.tree.map(lambda p: p.ndim > 1, params)  # noqa: E731
    return optax.chain(optax.clip_by_global_norm(config.clip_norm),
                       optax.adamw(schedule, b1=0.9, b2=0.95, weight_decay=config.weight_decay, mask=decay))


def create_state(config: TrainConfig, vocab_size: int, mesh: Mesh) -> tuple[Transformer, nnx.Optimizer]:
    """Model and optimiser, initialised directly into their shardings."""

    @nnx.jit
    def init():
        model = Transformer(config, vocab_size, nnx.Rngs(config.seed))
        optimizer = nnx.Optimizer(model, optimizer_for(config), wrt=nnx.Param)
        for node in (model, optimizer):
            state = nnx.state(node)
            nnx.update(node, jax.lax.with_sharding_constraint(state, nnx.get_partition_spec(state)))
        return model, optimizer

    with jax.set_mesh(mesh):
        return init()


def _token_nll(model: Transformer, batch: dict) -> jax.Array:
    logits = model(batch["tokens"], batch["segments"], batch["positions"]).astype(jnp.float32)
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(logp, batch["targets"][..., None], axis=-1)[..., 0] * batch["loss_mask"]


@nnx.jit
def train_step(model: Transformer, optimizer: nnx.Optimizer, batch: dict) -> tuple[jax.Array, jax.Array]:
    def loss_fn(model):
        return _token_nll(model, batch).sum() / jnp.maximum(batch["loss_mask"].sum(), 1.0)

    loss, grads = nnx.value_and_grad(loss_fn)(model)
    optimizer.update(model, grads)
    return loss, optax.global_norm(grads)


@nnx.jit
def eval_step(model: Transformer, batch: dict) -> tuple[jax.Array, jax.Array]:
    """(nats over every target token, UTF-8 bytes they stand for), summed over the global batch."""
    return _token_nll(model, batch).sum(), batch["bytes"].sum()


def global_batch(mesh: Mesh, arrays: dict[str, np.ndarray]) -> dict[str, jax.Array]:
    sharding = NamedSharding(mesh, P(BATCH_AXES))
    return {k: jax.make_array_from_process_local_data(sharding, v) for k, v in arrays.items()}


class Trainer:
    def __init__(self, data: str, tokenizer_path: str, out: str, config: TrainConfig, log=print):
        import orbax.checkpoint as ocp
        import sentencepiece as spm

        self.config, self.log, self.out = config, log, Path(out)
        self.tokenizer = spm.SentencePieceProcessor(model_file=str(tokenizer_path))
        self.shards = ShardSet.open(data)
        self.mesh = make_mesh(config)
        self.process, self.processes = jax.process_index(), jax.process_count()
        self.local_batch = check_batch_division(config, self.processes, self.mesh.shape[DATA] * self.mesh.shape[FSDP])
        self.loader = Loader(self.shards, self.tokenizer, config, self.local_batch, self.process, self.processes)
        self.model, self.optimizer = create_state(config, self.tokenizer.get_piece_size(), self.mesh)
        self.parameters = parameter_count(self.model)
        self.checkpoints = ocp.CheckpointManager(
            (self.out / "checkpoints").absolute(),
            options=ocp.CheckpointManagerOptions(max_to_keep=config.checkpoints_kept, create=True))
        self.step = 0
        self._restore()

    # -- checkpoints ---------------------------------------------------------------------------------------
    def _loader_file(self, step: int, process: int) -> Path:
        return self.out / "checkpoints" / str(step) / f"loader-{process:05d}-of-{self.processes:05d}.json"

    def save(self) -> None:
        import orbax.checkpoint as ocp

        self.checkpoints.save(self.step, args=ocp.args.Composite(
            model=ocp.args.StandardSave(nnx.state(self.model)),
            optimizer=ocp.args.StandardSave(nnx.state(self.optimizer))), force=True)
        self.checkpoints.wait_until_finished()
        # each host's loader position, next to the arrays of the same step
        self._loader_file(self.step, self.process).write_text(json.dumps(self.loader.state()), encoding="utf-8")

    def _restore(self) -> None:
        import orbax.checkpoint as ocp

        step = self.checkpoints.latest_step()
        if step is None:
            return
        abstract = lambda state: jax.tree.map(ocp.utils.to_shape_dtype_struct, state)  # noqa: E731
        restored = self.checkpoints.restore(step, args=ocp.args.Composite(
            model=ocp.args.StandardRestore(abstract(nnx.state(self.model))),
            optimizer=ocp.args.StandardRestore(abstract(nnx.state(self.optimizer)))))
        nnx.update(self.model, restored["model"])
        nnx.update(self.optimizer, restored["optimizer"])
        self.loader.restore(json.loads(self._loader_file(step, self.process).read_text(encoding="utf-8")))
        self.step = step
        self.log(f"resumed from step {step}")

    # -- steps ---------------------------------------------------------------------------------------------
    def next_batch(self) -> tuple[Batch, dict]:
        batch = self.loader.next_batch()
        return batch, global_batch(self.mesh, batch.arrays())

    def evaluate(self) -> dict[str, float]:
        """Bits per byte per language on the held-out documents (every host its own share)."""
        shards_per_host = max(1, self.mesh.shape[DATA] * self.mesh.shape[FSDP] // self.processes)
        per_host = math.ceil(self.config.eval_documents_per_language / self.processes / shards_per_host) * shards_per_host
        results = {}
        for lang in sorted(self.loader.streams):  # the same list on every host (from the manifests): the
            # eval steps are collective, so a host without training documents of a language still takes part
            batch, token_bytes = eval_batch(self.shards, self.tokenizer, self.config, lang, per_host,
                                            self.process, self.processes)
            arrays = dict(batch.arrays(), bytes=token_bytes.astype(np.float32))
            nats, n_bytes = eval_step(self.model, global_batch(self.mesh, arrays))
            if float(n_bytes) > 0:
                results[lang] = float(nats) / math.log(2) / float(n_bytes)
        return results

    def train(self, steps: int | None = None) -> list[dict]:
        last = steps if steps is not None else self.config.steps
        metrics, tokens = [], self.config.global_batch * self.config.seq_len
        flops = flops_per_token(self.config, self.parameters) * tokens
        self.log(f"model: {self.parameters:,} parameters; mesh {dict(self.mesh.shape)}; {self.processes} host(s), "
                 f"{self.local_batch} sequences per host per step")
        window_start, window_steps, pending = time.perf_counter(), 0, []
        boundary = lambda step, every: step % every == 0 or step == last  # noqa: E731
        while self.step < last:
            _, arrays = self.next_batch()
            loss, grad_norm = train_step(self.model, self.optimizer, arrays)
            self.step += 1
            window_steps += 1
            # losses stay on the devices until a log, eval or checkpoint step: reading one every step would
            # make the host wait for each step instead of preparing the next batch meanwhile
            record = {"step": self.step, "loss": loss, "grad_norm": grad_norm}
            pending.append(record)
            c = self.config
            if not (boundary(self.step, c.log_every) or boundary(self.step, c.eval_every)
                    or boundary(self.step, c.checkpoint_every)):
                continue
            for r in pending:
                r["loss"], r["grad_norm"] = float(r["loss"]), float(r["grad_norm"])
            if boundary(self.step, c.log_every):
                elapsed = time.perf_counter() - window_start
                record["tokens_per_s"] = tokens * window_steps / elapsed
                record["model_flops_per_s"] = flops * window_steps / elapsed  # MFU's numerator, always
                if self.config.peak_flops_per_device:
                    record["mfu"] = flops * window_steps / elapsed / (self.config.peak_flops_per_device * jax.device_count())
                self.log(f"step {self.step}: loss {record['loss']:.4f}, {record['tokens_per_s']:,.0f} tokens/s"
                         + (f", MFU {record['mfu']:.1%}" if "mfu" in record else ""))
                window_start, window_steps = time.perf_counter(), 0
            if boundary(self.step, c.eval_every):
                record["val_bits_per_byte"] = self.evaluate()
                self.log(f"step {self.step}: validation bits per byte " + ", ".join(
                    f"{lang} {bpb:.3f}" for lang, bpb in sorted(record["val_bits_per_byte"].items())))
            if boundary(self.step, c.checkpoint_every):
                self.save()
            metrics += pending
            if self.process == 0:
                with (self.out / "metrics.jsonl").open("a", encoding="utf-8") as f:
                    f.writelines(json.dumps(r) + "\n" for r in pending)
            pending = []
        return metrics


def train(data: str, tokenizer_path: str, out: str, config: TrainConfig, log=print, steps: int | None = None) -> list[dict]:
    os.makedirs(out, exist_ok=True)
    return Trainer(data, tokenizer_path, out, config, log).train(steps)
