"""Rebuild the person-name tagger shipped in pii/data/name_tagger/ from pinned, openly licensed NER corpora.

    .venv/bin/python scripts/train_name_tagger.py --eval ../shared/eval --extra ../ner-extra

``--eval`` is the evaluation-data root whose ``ner/`` holds the Universal NER (da, hr, pt, sk, sv, en dev), Turku
NER (fi) and LUMII FullStack (lv) files; ``--extra`` holds the corpora fetched from public repositories
(NerKor hu, RONEC ro, EstNER et, Europeana de/fr/nl), converted to ``<lang>-<split>.tsv`` (token TAB BIO tag);
both are listed with their commits and licences in pii/data/name_tagger/SOURCES.md. Only train splits are
trained on; dev splits (and the held-out parts named in ``split_of``) are what benchmarks/names.py reports.
Test splits are never read. Training is deterministic (L-BFGS), ~5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pii.tagger import MODEL_DIR, Featurizer, tokenize  # noqa: E402

Sentence = tuple[list[str], list[str], str]  # words, BIO tags (PER only), language

#: (language, file under the root, format, root) of every corpus; "lv" has no split of its own and "en" only a
#: dev split: both are cut by position (documents stay together) in ``split_of``
CORPORA = [
    ("da", "ner/uner_da_ddt-{split}.iob2", "uner", "eval"),
    ("hr", "ner/uner_hr_set-{split}.iob2", "uner", "eval"),
    ("pt", "ner/uner_pt_bosque-{split}.iob2", "uner", "eval"),
    ("sk", "ner/uner_sk_snk-{split}.iob2", "uner", "eval"),
    ("sv", "ner/uner_sv_talbanken-{split}.iob2", "uner", "eval"),
    ("fi", "ner/fi_turku-{split}.tsv", "conll", "eval"),
    ("lv", "ner/lv_fullstack.conll.gz", "fullstack", "eval"),
    ("en", "ner/uner_en_ewt-dev.iob2", "uner", "eval"),
    ("hu", "hu-{split}.tsv", "conll", "extra"),
    ("ro", "variants/ro-{split}.names-only.tsv", "conll", "extra"),  # PERSON there marks pronouns too
    ("et", "et-{split}.tsv", "conll", "extra"),
    ("de", "de-{split}.tsv", "conll", "extra"),
    ("fr", "fr-{split}.tsv", "conll", "extra"),
    ("nl", "nl-{split}.tsv", "conll", "extra"),
]

#: corpora with no train split here: the first share of sentences trains, the rest is held out for reporting
POSITIONAL_SPLIT = {"lv": 0.85, "en": 0.5}
#: the last share of every train split is held out as "tune": what decision thresholds are chosen on, so that
#: neither the training data nor the reported dev data choose them
TUNE_SHARE = 0.1
WORD_DROPOUT = 0.2
#: the most training sentences one corpus gives (every n-th sentence past that): NerKor alone has 47,000 and
#: would teach the model Hungarian first; capped, training also takes half the time
MAX_TRAIN_SENTENCES = 15_000


def _person(tag: str) -> str:
    """B-PER / I-PER / O from the corpora's tag sets (PER, PERSON, person; IOB1 repaired by the caller)."""
    tag = tag.split("#")[0]
    if tag[:2] in ("B-", "I-") and tag[2:].upper() in ("PER", "PERSON", "PERS"):
        return tag[:2] + "PER"
    return "O"


def _bio(tags: list[str]) -> list[str]:
    """I-PER after O becomes B-PER (IOB1 and sloppy annotation)."""
    return [("B-PER" if t == "I-PER" and (i == 0 or tags[i - 1] == "O") else t) for i, t in enumerate(tags)]


def read(path: Path, fmt: str) -> list[tuple[list[str], list[str]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    sentences, words, tags = [], [], []
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if not line.strip():
                if words:
                    sentences.append((words, _bio(tags)))
                words, tags = [], []
                continue
            if line.startswith("#") or line.startswith("-DOCSTART-"):
                continue
            cols = line.split("\t")
            if fmt == "uner":
                word, tag = cols[1], cols[2]
            elif fmt == "fullstack":
                if "-" in cols[0] or "." in cols[0]:  # multi-word token ranges, empty nodes
                    continue
                word, tag = cols[1], cols[6]
            else:
                word, tag = cols[0], cols[-1]
            # split punctuation glued to words ("Hall," in OCR'd newspapers) the way the tagger tokenizes
            pieces = [t for t, _, _ in tokenize(word)] or [word]
            tag = _person(tag)
            for k, piece in enumerate(pieces):
                words.append(piece)
                inside = tag != "O" and (piece[0].isalnum() or len(pieces) == 1)
                tags.append(("I-PER" if k else tag) if inside else "O")
    if words:
        sentences.append((words, _bio(tags)))
    return sentences


def split_of(lang: str, sentences: list, split: str) -> list:
    """Sentences of ``split`` (train, tune or dev) from a file read for it (the train file for train and tune)."""
    if lang in POSITIONAL_SPLIT:
        cut = int(len(sentences) * POSITIONAL_SPLIT[lang])
        sentences = sentences[cut:] if split == "dev" else sentences[:cut]
    if split == "dev":
        return sentences
    cut = int(len(sentences) * (1 - TUNE_SHARE))
    return sentences[:cut] if split == "train" else sentences[cut:]


def load(roots: dict[str, Path], split: str, languages: set[str] | None = None) -> tuple[list[Sentence], list[dict]]:
    """Sentences of one split over every corpus present, and what was read (path, sha256, counts)."""
    out: list[Sentence] = []
    read_from = []
    for lang, pattern, fmt, root in CORPORA:
        if languages and lang not in languages:
            continue
        path = roots[root] / pattern.format(split="dev" if split == "dev" and lang not in POSITIONAL_SPLIT else "train")
        if not path.exists():
            print(f"  (no {path})", file=sys.stderr)
            continue
        sentences = split_of(lang, read(path, fmt), split)
        if split == "train" and len(sentences) > MAX_TRAIN_SENTENCES:
            step = len(sentences) / MAX_TRAIN_SENTENCES
            sentences = [sentences[int(i * step)] for i in range(MAX_TRAIN_SENTENCES)]
        out += [(w, t, lang) for w, t in sentences]
        read_from.append({"lang": lang, "file": f"{root}:{pattern.format(split=split)}",
                          "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "sentences": len(sentences),
                          "tokens": sum(len(w) for w, _ in sentences),
                          "persons": sum(t.count("B-PER") for _, t in sentences)})
    return out, read_from


#: the share of name-free held-out sentences where the tagger alone may see a name: the rules of pii.names add a
#: little on top, and the product's budget is 3% (benchmarks/names.py)
FALSE_ALARM_BUDGET = 0.025
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)


def calibrate(model_dir: Path, tune: list[Sentence]) -> dict:
    """Decision thresholds chosen on the held-out tune split: per language, the lowest whose false alarms stay
    within budget; for languages without tune data, the lowest whose false alarms averaged over languages do.
    A name counts as found when one of its words reaches the threshold (pii.names grows a found part to the
    whole name). Every threshold's recall and false alarms are kept in model.json."""
    from pii.tagger import NameTagger

    tagger = NameTagger(model_dir)
    rows: dict[str, list] = {}
    for words, tags, lang in tune:
        probabilities = tagger.person_probabilities(words, lang)
        names, current = [], None
        for i, tag in enumerate(tags):
            if tag == "B-PER":
                current = [i]
                names.append(current)
            elif tag == "I-PER" and current is not None:
                current.append(i)
            else:
                current = None
        rows.setdefault(lang, []).append((probabilities, names))
    table: dict[str, list[dict]] = {}
    for lang, sentences in sorted(rows.items()):
        name_free = [max(p, default=0) for p, names in sentences if not names]
        names = [max(p[i] for i in name) for p, found in sentences for name in found]
        table[lang] = [{"threshold": t, "recall": round(sum(n >= t for n in names) / max(len(names), 1), 4),
                        "false_alarm": round(sum(f >= t for f in name_free) / max(len(name_free), 1), 4)}
                       for t in THRESHOLDS]

    def lowest_within(rows: list[dict]) -> float:
        within = [row["threshold"] for row in rows if row["false_alarm"] <= FALSE_ALARM_BUDGET]
        return min(within) if within else THRESHOLDS[-1]

    mean = [{"threshold": t, "false_alarm": sum(table[lang][k]["false_alarm"] for lang in table) / len(table)}
            for k, t in enumerate(THRESHOLDS)]
    return {"threshold": lowest_within(mean), "thresholds": {lang: lowest_within(r) for lang, r in table.items()},
            "tune": table}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--extra", type=Path, default=Path("../ner-extra"))
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--c1", type=float, default=0.05)
    parser.add_argument("--c2", type=float, default=0.01)
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--calibrate-only", action="store_true", help="keep the model, choose its threshold again")
    args = parser.parse_args(argv)
    roots = {"eval": args.eval, "extra": args.extra}
    if args.calibrate_only:
        meta = json.loads((args.out / "model.json").read_text("utf-8"))
        meta.update(calibrate(args.out, load(roots, "tune")[0]))
        (args.out / "model.json").write_text(json.dumps(meta, indent=1) + "\n", "utf-8")
        print(f"threshold {meta['threshold']}, per language {meta['thresholds']}", file=sys.stderr)
        return 0
    import pycrfsuite

    started = time.perf_counter()
    train, sources = load(roots, "train")
    print(f"{len(train)} sentences, {sum(len(w) for w, _, _ in train)} tokens, "
          f"{Counter(lang for _, _, lang in train)}", file=sys.stderr)
    features = Featurizer()
    trainer = pycrfsuite.Trainer(verbose=False)
    rng = random.Random(13)
    for words, tags, lang in train:
        sequence = features.sequence(words, lang)
        # word dropout: one word in five loses its identity, so the model learns the context and shape of names
        # too, which is all it has in the languages and words it never saw
        for feats in sequence:
            if rng.random() < WORD_DROPOUT:
                feats[:] = [f for f in feats if not f.startswith("w=")]
        trainer.append(sequence, tags)
    trainer.set_params({"c1": args.c1, "c2": args.c2, "max_iterations": args.iterations,
                        "feature.possible_transitions": True})
    args.out.mkdir(parents=True, exist_ok=True)
    trainer.train(str(args.out / "model.crfsuite"))
    meta = {
        "name": "eu-names-crf",
        "version": time.strftime("%Y.%m.%d"),
        "licence": "CC-BY-SA-4.0",
        "sources": sorted({s["file"].split(":", 1)[1].split("/")[-1].split("-")[0] + f" ({s['lang']})"
                           for s in sources}),
        "training": {"sentences": len(train), "params": {"c1": args.c1, "c2": args.c2,
                                                           "max_iterations": args.iterations},
                     "corpora": sources, "seconds": round(time.perf_counter() - started)},
        "model_sha256": hashlib.sha256((args.out / "model.crfsuite").read_bytes()).hexdigest(),
    }
    (args.out / "model.json").write_text(json.dumps(meta, indent=1) + "\n", "utf-8")
    meta.update(calibrate(args.out, load(roots, "tune")[0]))
    (args.out / "model.json").write_text(json.dumps(meta, indent=1) + "\n", "utf-8")
    print(f"threshold {meta['threshold']}, per language {meta['thresholds']}", file=sys.stderr)
    print(f"trained in {meta['training']['seconds']} s -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
