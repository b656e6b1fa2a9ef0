"""A decoder-only transformer in Flax NNX: pre-norm blocks (RMSNorm, causal self-attention with rotary
positions, SwiGLU MLP), tied input/output embeddings. Attention is limited to the query's own segment, so
packed documents never see each other.

Parameters carry their sharding as mesh axis names (``fsdp`` shards the large dimension of every matrix,
``tensor`` the heads and the MLP width); with a mesh of size 1 on those axes they are simply replicated.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from corpus.config import TrainConfig

DATA, FSDP, TENSOR = "data", "fsdp", "tensor"


def _dense(rngs: nnx.Rngs, d_in: int, d_out: int, sharding: tuple) -> nnx.Linear:
    init = nnx.with_partitioning(nnx.initializers.normal(stddev=d_in ** -0.5), sharding)
    return nnx.Linear(d_in, d_out, use_bias=False, kernel_init=init, rngs=rngs)


def rotary(x: jax.Array, positions: jax.Array) -> jax.Array:
    """Rotary position embedding of [batch, seq, heads, head_dim] by each token's position in its segment."""
    half = x.shape[-1] // 2
    frequencies = 1.0 / (10_000 ** (jnp.arange(half, dtype=jnp.float32) / half))
    angles = positions[..., None, None].astype(jnp.float32) * frequencies  # [b, s, 1, half]
    sin, cos = jnp.sin(angles), jnp.cos(angles)
    first, second = x[..., :half], x[..., half:]
    return jnp.concatenate([first * cos - second * sin, first * sin + second * cos], axis=-1).astype(x.dtype)


class Attention(nnx.Module):
    def __init__(self, config: TrainConfig, rngs: nnx.Rngs):
        d, self.heads = config.d_model, config.n_heads
        self.head_dim = d // config.n_heads
        self.qkv = _dense(rngs, d, 3 * d, (FSDP, TENSOR))
        self.out = _dense(rngs, d, d, (TENSOR, FSDP))

    def __call__(self, x: jax.Array, segments: jax.Array, positions: jax.Array) -> jax.Array:
        b, s, _ = x.shape
        q, k, v = jnp.split(self.qkv(x).reshape(b, s, 3, self.heads, self.head_dim), 3, axis=2)
        q, k, v = (t[:, :, 0] for t in (q, k, v))
        q, k = rotary(q, positions), rotary(k, positions)
        causal = jnp.tril(jnp.ones((s, s), bool))
        same_segment = (segments[:, :, None] == segments[:, None, :]) & (segments[:, :, None] != 0)
        mask = (causal[None] & same_segment)[:, None]  # [b, 1, s, s]
        scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) / jnp.sqrt(self.head_dim).astype(x.dtype)
        scores = jnp.where(mask, scores, jnp.finfo(scores.dtype).min)
        weights = jax.nn.softmax(scores.astype(jnp.float32), axis=-1).astype(x.dtype)
        weights = jnp.where(mask, weights, 0)  # padding rows attend to nothing
        return self.out(jnp.einsum("bhqk,bkhd->bqhd", weights, v).reshape(b, s, -1))


class Block(nnx.Module):
    def __init__(self, config: TrainConfig, rngs: nnx.Rngs):
        self.attn_norm = nnx.RMSNorm(config.d_model, rngs=rngs)
        self.attention = Attention(config, rngs)
        self.mlp_norm = nnx.RMSNorm(config.d_model, rngs=rngs)
        self.gate = _dense(rngs, config.d_model, config.d_ff, (FSDP, TENSOR))
        self.up = _dense(rngs, config.d_model, config.d_ff, (FSDP, TENSOR))
        self.down = _dense(rngs, config.d_ff, config.d_model, (TENSOR, FSDP))

    def __call__(self, x, segments, positions):
        x = x + self.attention(self.attn_norm(x), segments, positions)
        h = self.mlp_norm(x)
        return x + self.down(jax.nn.silu(self.gate(h)) * self.up(h))


class Transformer(nnx.Module):
    def __init__(self, config: TrainConfig, vocab_size: int, rngs: nnx.Rngs):
        # 1/sqrt(d): the tied output then starts with logits of unit scale (loss ~ ln vocab)
        init = nnx.with_partitioning(nnx.initializers.normal(stddev=config.d_model ** -0.5), (TENSOR, FSDP))
        self.embed = nnx.Embed(vocab_size, config.d_model, embedding_init=init, rngs=rngs)
        self.blocks = nnx.List([Block(config, rngs) for _ in range(config.n_layers)])
        self.norm = nnx.RMSNorm(config.d_model, rngs=rngs)

    def __call__(self, tokens: jax.Array, segments: jax.Array, positions: jax.Array) -> jax.Array:
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x, segments, positions)
        return self.embed.attend(self.norm(x))  # tied output embedding: logits [b, s, vocab]


def parameter_count(model: nnx.Module) -> int:
    return sum(x.size for x in jax.tree.leaves(nnx.state(model, nnx.Param)))


def flops_per_token(config: TrainConfig, parameters: int) -> float:
    """Training FLOPs per token (forward + backward): 6 per parameter plus attention's 12 * layers * d * seq."""
    return 6.0 * parameters + 12.0 * config.n_layers * config.d_model * config.seq_len
