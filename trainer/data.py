"""The data loader: this host's shard files -> documents -> tokens -> packed fixed-length sequences, with
languages mixed in the proportions the configuration asks for. Deterministic, with a small JSON state.

* Files: each host reads its own whole files of every language (trainer/shards.py).
* Mixture: target shares from the manifests' character counts, by temperature (p ~ n ** alpha) or UniMax
  (a uniform budget capped at ``unimax_epochs`` passes over a language). The next document comes from the
  language furthest below its share of the tokens taken so far (deficit round-robin): no random draws, and
  the realised token shares track the targets within one document.
* Packing: a document is ``<bos> text <eos>``; documents are concatenated into sequences of ``seq_len``
  tokens, each piece with its own segment id (1, 2, ...; 0 is padding) and positions from 0, so attention
  never crosses documents; a document that does not fit continues in the next sequence. ``targets`` is the
  next token of the same segment; ``loss_mask`` is 0 at a segment's last token and at padding.
* State: per language the (epoch, file, row) reached, tokens taken, and where the document cut at the end
  of the last sequence continues: enough to resume exactly, small enough for a JSON checkpoint item.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from corpus.config import TrainConfig
from trainer.shards import ShardFile, ShardSet, held_out
from trainer.tokenizer import BOS, EOS

CHARS_PER_TOKEN = 4.0  # manifests count characters; UniMax budgets are converted with this


def mixture_weights(characters: dict[str, int], config: TrainConfig, total_tokens: float | None = None) -> dict[str, float]:
    """Target share of training tokens per language."""
    sizes = {lang: float(n) for lang, n in characters.items() if n > 0}
    if config.mixture == "temperature":
        raw = {lang: n ** config.alpha for lang, n in sizes.items()}
    else:  # UniMax (Chung et al. 2023): equal budgets, no language repeated more than unimax_epochs times
        budget = total_tokens if total_tokens is not None else config.steps * config.global_batch * config.seq_len
        left, raw = budget * CHARS_PER_TOKEN, {}
        for i, (lang, n) in enumerate(sorted(sizes.items(), key=lambda kv: kv[1])):
            share = left / (len(sizes) - i)
            raw[lang] = min(share, n * config.unimax_epochs)
            left -= raw[lang]
    total = sum(raw.values())
    return {lang: w / total for lang, w in sorted(raw.items())}


class DocumentStream:
    """One language's training (or held-out) documents on this host, in file order, epoch after epoch."""

    def __init__(self, shards: ShardSet, files: list[ShardFile], validation_percent: float, held: bool = False):
        self.shards, self.files, self.percent, self.held = shards, files, validation_percent, held
        self.epoch = self.file = self.row = 0
        self._open: tuple[int, object, object, list[int]] | None = None  # file, handle, ParquetFile, group starts
        self._group: tuple[int, int, list, list] | None = None  # (file, first row, doc_ids, texts)

    def position(self) -> dict:
        return {"epoch": self.epoch, "file": self.file, "row": self.row}

    def seek(self, position: dict) -> None:
        self.epoch, self.file, self.row = position["epoch"], position["file"], position["row"]

    def document(self, file: int, row: int) -> tuple[str, str]:
        """(doc_id, text) of a row of one of this stream's files. Only its row group (shards.row_group_size
        rows, 2,000 by default) is read and kept, so 24 languages' streams hold a few MB, not 24 files."""
        group = self._group
        if group is None or group[0] != file or not group[1] <= row < group[1] + len(group[2]):
            if self._open is None or self._open[0] != file:
                if self._open is not None:
                    self._open[1].close()
                handle, parquet = self.shards.open_file(self.files[file])
                sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.metadata.num_row_groups)]
                self._open = (file, handle, parquet, [sum(sizes[:i]) for i in range(len(sizes))])
            _, _, parquet, starts = self._open
            index = bisect.bisect_right(starts, row) - 1
            table = parquet.read_row_group(index, columns=["doc_id", "text"])
            group = self._group = (file, starts[index], table["doc_id"].to_pylist(), table["text"].to_pylist())
        return group[2][row - group[1]], group[3][row - group[1]]

    def next(self) -> tuple[dict, str] | None:
        """(position of the document, its text); None when there are none at all."""
        for _ in range(2):  # a whole pass without a document means this split is empty here
            start_epoch = self.epoch
            while self.epoch == start_epoch:
                if self.file >= len(self.files):
                    self.epoch, self.file, self.row = self.epoch + 1, 0, 0
                    break
                while self.row < self.files[self.file].rows:
                    at = self.position()
                    doc_id, text = self.document(self.file, self.row)
                    self.row += 1
                    if held_out(doc_id, self.percent) == self.held and text:
                        return at, text
                self.file, self.row = self.file + 1, 0
        return None


@dataclass
class Batch:
    tokens: np.ndarray  # [batch, seq_len] int32
    segments: np.ndarray  # [batch, seq_len] int32, 0 = padding
    positions: np.ndarray  # [batch, seq_len] int32
    targets: np.ndarray  # [batch, seq_len] int32
    loss_mask: np.ndarray  # [batch, seq_len] float32
    languages: list[list[str]]  # per sequence, the language of each segment (statistics, tests)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"tokens": self.tokens, "segments": self.segments, "positions": self.positions,
                "targets": self.targets, "loss_mask": self.loss_mask}


def finish(rows: list[list[int]], segments: list[list[int]], seq_len: int, languages: list[list[str]]) -> Batch:
    """Pad sequences to seq_len and derive positions, next-token targets and the loss mask."""
    n = len(rows)
    tokens = np.zeros((n, seq_len), np.int32)
    segs = np.zeros((n, seq_len), np.int32)
    for i, (row, seg) in enumerate(zip(rows, segments, strict=True)):
        tokens[i, :len(row)], segs[i, :len(seg)] = row, seg
    positions = np.zeros_like(tokens)
    for i in range(n):
        starts = np.r_[True, segs[i, 1:] != segs[i, :-1]]
        index = np.arange(seq_len)
        positions[i] = index - np.maximum.accumulate(np.where(starts, index, 0))
    same_next = np.zeros_like(segs, dtype=bool)
    same_next[:, :-1] = (segs[:, 1:] == segs[:, :-1]) & (segs[:, :-1] != 0)
    targets = np.where(same_next, np.roll(tokens, -1, axis=1), 0).astype(np.int32)
    return Batch(tokens, segs, positions.astype(np.int32), targets, same_next.astype(np.float32), languages)


class Loader:
    """Packed training batches for this host (``local_batch`` sequences each)."""

    def __init__(self, shards: ShardSet, tokenizer, config: TrainConfig, local_batch: int,
                 process_index: int = 0, process_count: int = 1):
        self.config, self.tokenizer, self.local_batch = config, tokenizer, local_batch
        self.seq_len = config.seq_len
        self.weights = mixture_weights(shards.characters, config)
        self.streams = {lang: DocumentStream(shards, shards.host_files(lang, process_index, process_count),
                                             config.validation_percent) for lang in self.weights}
        self.taken = {lang: 0 for lang in self.weights}
        self.pending: dict | None = None  # {"lang", "epoch", "file", "row", "offset"}: the cut document
        self.batches = 0

    # -- state ---------------------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"batches": self.batches, "taken": dict(self.taken), "pending": self.pending,
                "streams": {lang: s.position() for lang, s in self.streams.items()}}

    def restore(self, state: dict) -> None:
        self.batches, self.taken, self.pending = state["batches"], dict(state["taken"]), state["pending"]
        for lang, position in state["streams"].items():
            self.streams[lang].seek(position)

    # -- documents -----------------------------------------------------------------------------------------
    def _encode(self, text: str) -> list[int]:
        return [BOS, *self.tokenizer.encode(text), EOS]

    def _next_language(self) -> str | None:
        total = sum(self.taken.values()) + 1
        live = [lang for lang in self.weights if self.streams[lang].files]
        return max(live, key=lambda lang: (self.weights[lang] * total - self.taken[lang], -live.index(lang)),
                   default=None)

    def _next_document(self) -> tuple[str, list[int], dict] | None:
        """(language, tokens still to place, where it came from) of the cut document or a new one."""
        if self.pending is not None:
            p = self.pending
            stream = self.streams[p["lang"]]
            tokens = self._encode(stream.document(p["file"], p["row"])[1])[p["offset"]:]
            return p["lang"], tokens, dict(p)
        for _ in range(len(self.weights)):
            lang = self._next_language()
            if lang is None:
                return None
            found = self.streams[lang].next()
            if found is None:  # no training documents of this language on this host
                self.weights = {k: v for k, v in self.weights.items() if k != lang}
                continue
            position, text = found
            return lang, self._encode(text), {"lang": lang, **position, "offset": 0}
        return None

    def next_batch(self) -> Batch:
        rows, segs, langs = [], [], []
        for _ in range(self.local_batch):
            row, seg, row_langs = [], [], []
            while len(row) < self.seq_len:
                doc = self._next_document()
                if doc is None:
                    break
                lang, tokens, origin = doc
                room = self.seq_len - len(row)
                piece = tokens[:room]
                row += piece
                seg += [len(row_langs) + 1] * len(piece)
                row_langs.append(lang)
                self.taken[lang] += len(piece)
                self.pending = None if len(piece) == len(tokens) else dict(origin, offset=origin["offset"] + room)
            rows.append(row)
            segs.append(seg)
            langs.append(row_langs)
        self.batches += 1
        return finish(rows, segs, self.seq_len, langs)


def eval_batch(shards: ShardSet, tokenizer, config: TrainConfig, lang: str, sequences: int,
               process_index: int = 0, process_count: int = 1) -> tuple[Batch, np.ndarray]:
    """This host's share of a language's held-out documents, one per sequence (cut at seq_len), padded to
    ``sequences`` rows; and the UTF-8 bytes each target token stands for (bits per byte)."""
    stream = DocumentStream(shards, shards.host_files(lang, process_index, process_count),
                            config.validation_percent, held=True)
    rows, segs = [], []
    while len(rows) < sequences:
        found = stream.next()
        if found is None or stream.epoch > 0:
            break
        tokens = [BOS, *tokenizer.encode(found[1]), EOS][:config.seq_len]
        rows.append(tokens)
        segs.append([1] * len(tokens))
    rows += [[] for _ in range(sequences - len(rows))]
    segs += [[] for _ in range(sequences - len(segs))]
    batch = finish(rows, segs, config.seq_len, [[lang]] * sequences)
    return batch, piece_bytes(tokenizer)[batch.targets] * batch.loss_mask


def piece_bytes(tokenizer) -> np.ndarray:
    """UTF-8 bytes of text each vocabulary id stands for (byte-fallback pieces 1, control pieces 0)."""
    if id(tokenizer) in _PIECE_BYTES:
        return _PIECE_BYTES[id(tokenizer)]
    sizes = np.zeros(tokenizer.get_piece_size(), np.float32)
    for i in range(len(sizes)):
        if tokenizer.is_control(i) or tokenizer.is_unknown(i):
            continue
        piece = tokenizer.id_to_piece(i)
        sizes[i] = 1 if tokenizer.is_byte(i) else len(piece.replace("\u2581", " ").encode("utf-8"))
    _PIECE_BYTES[id(tokenizer)] = sizes
    return sizes


_PIECE_BYTES: dict[int, np.ndarray] = {}


def realised_shares(taken: dict[str, int]) -> dict[str, float]:
    total = sum(taken.values()) or 1
    return {lang: n / total for lang, n in taken.items()}


def check_batch_division(config: TrainConfig, process_count: int, data_parallel: int) -> int:
    """Sequences per host; the global batch must split over hosts and data-parallel devices."""
    if config.global_batch % process_count or config.global_batch % data_parallel:
        raise ValueError(f"train.global_batch {config.global_batch} must divide by the {process_count} host(s) "
                         f"and the {data_parallel} data-parallel device(s)")
    return config.global_batch // process_count

