"""`corpus tokenizer train`: a SentencePiece model on a language-balanced sample of the shards, and the
fertility report that shows what it costs each language.

Lossless (no normalisation, whitespace kept): decoding gives back the published text byte for byte.
Balanced: up to ``sample_chars_per_language`` characters of training documents from every language, so
Maltese or Irish pieces are not crowded out by English ones. Byte fallback is on (no unknown tokens), the
personal-data placeholders (``<EMAIL>``, ``<PHONE>``, ...) are single pieces, and ids 0-3 are pad, unk,
bos, eos. Fertility is measured on held-out documents: tokens per word (words as the shards count them,
``n_words``) and per character, for every language.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from corpus.config import EU_LANGUAGES, TokenizerConfig
from trainer.shards import ShardSet, held_out

PLACEHOLDERS = ["<EMAIL>", "<PHONE>", "<IBAN>", "<CREDIT_CARD>", "<IP_ADDRESS>", "<NATIONAL_ID>", "<TAX_ID>",
                "<SOCIAL_SECURITY>", "<VAT_ID>", "<PERSON>"]
PAD, UNK, BOS, EOS = 0, 1, 2, 3
MAX_LINE_BYTES = 4096  # SentencePiece skips longer "sentences"


def sample_lines(shards: ShardSet, lang: str, max_chars: int, validation_percent: float) -> list[str]:
    """Lines of the language's training documents, in file order, up to ``max_chars`` characters."""
    lines, total = [], 0
    for shard in shards.files_of(lang):
        table = shards.read(shard)
        for doc_id, text in zip(table["doc_id"].to_pylist(), table["text"].to_pylist(), strict=True):
            if held_out(doc_id, validation_percent):
                continue
            for line in text.split("\n"):
                line = line.strip()
                if line:
                    lines.append(line.encode("utf-8")[:MAX_LINE_BYTES].decode("utf-8", "ignore"))
                    total += len(line)
            if total >= max_chars:
                return lines
    return lines


def train_tokenizer(data: str, out: str, config: TokenizerConfig, validation_percent: float = 1.0, log=print) -> dict:
    """Train on ``data`` (corpus root or set), write ``tokenizer.model`` and ``fertility.json`` to ``out``."""
    import sentencepiece as spm

    shards = ShardSet.open(data)
    sample = {lang: sample_lines(shards, lang, config.sample_chars_per_language, validation_percent)
              for lang in shards.languages}
    lines = [line for lang in sorted(sample) for line in sample[lang]]
    if not lines:
        raise ValueError(f"{data}: no training text in the shards")
    log(f"tokenizer: {len(lines):,} lines from {len(sample)} languages "
        f"({', '.join(f'{lang} {sum(map(len, ls)):,}' for lang, ls in sorted(sample.items()))} characters)")
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, vocab_size=config.vocab_size,
        model_type=config.model_type, character_coverage=config.character_coverage, byte_fallback=True,
        user_defined_symbols=PLACEHOLDERS, pad_id=PAD, unk_id=UNK, bos_id=BOS, eos_id=EOS,
        hard_vocab_limit=False,  # a small corpus gets the vocabulary it supports
        # lossless: no NFKC folding, spaces and newlines kept (decode(encode(text)) == text, and bits per
        # byte are of the text as published); digits one by one
        normalization_rule_name="identity", remove_extra_whitespaces=False, allow_whitespace_only_pieces=True,
        split_digits=True,
        shuffle_input_sentence=False,  # the sample is already balanced; its fixed order keeps runs identical
        num_threads=1, minloglevel=2)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    (target / "tokenizer.model").write_bytes(model.getvalue())
    processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
    report = {"vocab_size": processor.get_piece_size(), "model_type": config.model_type,
              "languages": fertility(shards, processor, validation_percent)}
    (target / "fertility.json").write_text(json.dumps(report, indent=1, sort_keys=True), encoding="utf-8")
    return report


def fertility(shards: ShardSet, processor, validation_percent: float, max_docs: int = 2_000) -> dict:
    """Tokens per word and per character of each language's held-out documents (training ones when a
    language has none held out)."""
    out = {}
    for lang in shards.languages:
        held, train = [], []
        for shard in shards.files_of(lang):
            table = shards.read(shard, ("doc_id", "text", "n_words"))
            for doc_id, text, words in zip(*(table[c].to_pylist() for c in ("doc_id", "text", "n_words")), strict=True):
                (held if held_out(doc_id, validation_percent) else train).append((text, words))
        docs = (held or train)[:max_docs]
        tokens = sum(len(ids) for ids in processor.encode([t for t, _ in docs])) if docs else 0
        words, chars = sum(w for _, w in docs), sum(len(t) for t, _ in docs)
        out[lang] = {"documents": len(docs), "split": "held_out" if held else "train", "tokens": tokens,
                     "tokens_per_word": round(tokens / words, 3) if words else None,
                     "tokens_per_char": round(tokens / chars, 4) if chars else None}
    return out


def fertility_table(report: dict) -> str:
    rows = [f"{'lang':5}{'docs':>7}{'tokens/word':>13}{'tokens/char':>13}"]
    for lang in EU_LANGUAGES:
        r = report["languages"].get(lang)
        if r:
            rows.append(f"{lang:5}{r['documents']:>7}{r['tokens_per_word'] or 0:>13.3f}{r['tokens_per_char'] or 0:>13.4f}")
    return "\n".join(rows)
