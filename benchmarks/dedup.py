"""Near-duplicate detection: quality against exact Jaccard, and scale on Spark.

    .venv/bin/python benchmarks/dedup.py quality --data ../shared/eval/langid/*.jsonl
    .venv/bin/python benchmarks/dedup.py speed --data ../shared/eval/langid/*.jsonl
    .venv/bin/python benchmarks/dedup.py scale --documents 1000000

quality: families of documents built from real sentences of the 24 languages (each sentence used once, so
families share nothing), each a base and variants made by word edits, inserted and deleted sentences and
changed boilerplate (header/footer lines), with strengths spread so that the variants' exact Jaccard
similarity to their base (word 5-gram shingles of the normalised text, the pipeline's own shingling) covers
0.3-1.0. Every pair inside a family is scored against its exact Jaccard; every predicted pair across
families too. Predicted pairs: documents sharing an LSH band key (ours: dedup/minhash.py, the keys the
pipeline uses), the same after verification by estimated Jaccard, datasketch's MinHashLSH with the same
bands x rows on the same signatures, and (--spark) our Spark clustering (pairs that end in one cluster).
The report: detection rate per Jaccard bucket, recall over pairs with J >= 0.8, precision (a predicted pair
is right when its J >= 0.8) and precision against the similarity FineWeb's 14 x 8 bands aim at (right when
J >= 0.75). Precision depends on how many pairs the corpus holds just under the threshold: this corpus
spreads them evenly, far more than a crawl (whose duplicate pairs mostly sit above 0.9).

speed: signatures (normalise, exact hash, shingles, MinHash, band keys) per second on one core for
2,000-character documents of real text.

scale: LSH bucketing + connected components on Spark (local[2]) over synthetic signatures of N documents
(planted clusters of 2-6 near-duplicates sharing some bands, the rest unrelated), with the driver's memory
capped; reports wall time, peak resident memory per process (JVM, Python workers) and whether the planted
clusters came back exactly.
"""

from __future__ import annotations

import os
import sys

# this folder off the path when run as a script: benchmarks/pii.py must not shadow the pii package
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import xxhash  # noqa: E402

from pipelines.memory import PeakMemory  # noqa: E402
from corpus.config import DedupConfig  # noqa: E402
from dedup.minhash import MinHasher, normalize_text, shingle_hashes, shingles, text_hash  # noqa: E402

BUCKETS = [(0.0, 0.3), (0.3, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0), (1.0, 1.01)]
THRESHOLD = 0.8  # the recall target: pairs at least this similar must be found
TARGET = 0.75  # the similarity FineWeb's 14 bands x 8 rows aim at: a found pair at or above it is no mistake
BOILERPLATE = ["Home | News | Contact | About us", "Cookie settings", "Share on social media",
               "All rights reserved.", "Subscribe to our newsletter", "Read more", "Previous article | Next article",
               "Published on 12.03.2024", "Last updated: 4 May 2025", "Login | Register", "Print this page"]


# -- quality ---------------------------------------------------------------------------------------------
def load_sentences(paths: list[str]) -> list[str]:
    out = []
    for path in paths:
        for line in Path(path).read_text("utf-8").split("\n"):  # not splitlines: texts hold U+2028
            if not line.strip():
                continue
            text = json.loads(line)["text"].strip()
            if len(text.split()) >= 6:
                out.append(text)
    return out


def make_variant(base: list[str], pool: list[str], rng: random.Random, strength: float) -> list[str]:
    """The base (a list of lines) changed with the given strength: word substitutions, sentence
    insertions and deletions, boilerplate lines added or swapped."""
    lines = base[:]
    kind = rng.choice(["edit", "insert", "delete", "boilerplate", "mixed"])
    if kind in ("edit", "mixed"):
        words = [w for line in lines for w in line.split()]
        for _ in range(int(len(words) * strength * 0.12)):
            line = rng.randrange(len(lines))
            parts = lines[line].split()
            if parts:
                parts[rng.randrange(len(parts))] = rng.choice(rng.choice(pool).split())
                lines[line] = " ".join(parts)
    if kind in ("insert", "mixed"):
        for _ in range(max(1, int(len(lines) * strength * 0.6))):
            lines.insert(rng.randrange(len(lines) + 1), pool.pop())
    if kind == "delete":
        for _ in range(max(1, int(len(lines) * strength * 0.6))):
            if len(lines) > 2:
                lines.pop(rng.randrange(len(lines)))
    if kind == "boilerplate":
        k = max(1, int(strength * 8))
        lines = rng.sample(BOILERPLATE, min(k, len(BOILERPLATE))) + lines + rng.sample(BOILERPLATE, min(k, len(BOILERPLATE)))
    return lines


def build_corpus(sentences: list[str], families: int, variants: int, seed: int):
    """[(family, text)], base first in each family."""
    rng = random.Random(seed)
    pool = sentences[:]
    rng.shuffle(pool)
    docs = []
    for family in range(families):
        if len(pool) < 200:
            break
        base = [pool.pop() for _ in range(rng.randint(8, 20))]
        docs.append((family, "\n".join(base)))
        for _ in range(variants):
            docs.append((family, "\n".join(make_variant(base, pool, rng, rng.uniform(0.0, 1.0)))))
    return docs


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def bucket_of(j: float) -> tuple[float, float]:
    return next(b for b in BUCKETS if b[0] <= j < b[1])


def score(name: str, predicted: set, truth: dict, shingle_sets: list[set]) -> dict:
    """Per-bucket detection, recall (J >= THRESHOLD), precision (strict and with MARGIN)."""
    judged = dict(truth)
    for pair in predicted:
        if pair not in judged:  # a pair across families: its exact Jaccard too
            judged[pair] = jaccard(shingle_sets[pair[0]], shingle_sets[pair[1]])
    per_bucket = defaultdict(lambda: [0, 0])
    for pair, j in judged.items():
        if pair in truth or pair in predicted:
            per_bucket[bucket_of(j)][0] += 1
            per_bucket[bucket_of(j)][1] += pair in predicted
    positives = [p for p, j in judged.items() if j >= THRESHOLD]
    recall = sum(p in predicted for p in positives) / max(1, len(positives))
    strict = sum(judged[p] >= THRESHOLD for p in predicted) / max(1, len(predicted))
    margin = sum(judged[p] >= TARGET for p in predicted) / max(1, len(predicted))
    return {"name": name, "buckets": dict(per_bucket), "recall": recall, "precision": strict,
            "precision_margin": margin, "predicted": len(predicted)}


def band_pairs(keys: list[list[int]]) -> set:
    buckets = defaultdict(list)
    for doc, doc_keys in enumerate(keys):
        for k in doc_keys:
            buckets[k].append(doc)
    return {(a, b) for members in buckets.values() for i, a in enumerate(members) for b in members[i + 1:] if a != b}


def quality(args) -> None:
    config = DedupConfig()
    sentences = load_sentences(args.data)
    docs = build_corpus(sentences, args.families, args.variants, args.seed)
    hasher = MinHasher(config)
    normalized = [normalize_text(text) for _, text in docs]
    shingle_lists = [shingles(n, config.ngram) for n in normalized]
    shingle_sets = [set(s) for s in shingle_lists]
    signatures = [hasher.signature(s) for s in shingle_lists]
    keys = [hasher.band_hashes(sig) for sig in signatures]
    members = defaultdict(list)
    for i, (family, _) in enumerate(docs):
        members[family].append(i)
    truth = {(a, b): jaccard(shingle_sets[a], shingle_sets[b])
             for ids in members.values() for i, a in enumerate(ids) for b in ids[i + 1:]}
    print(f"corpus: {len(docs):,} documents in {len(members)} families ({args.variants} variants each), "
          f"{len(truth):,} pairs inside families; mean {np.mean([len(t.split()) for _, t in docs]):.0f} words")

    ours = band_pairs(keys)
    results = [score(f"ours: LSH {config.num_bands}x{config.rows_per_band}", ours, truth, shingle_sets)]
    for threshold in args.verify:
        verified = {(a, b) for a, b in ours if np.mean(signatures[a] == signatures[b]) >= threshold}
        results.append(score(f"ours + estimated J >= {threshold:g}", verified, truth, shingle_sets))
    exact = {(a, b) for a, b in ours if jaccard(shingle_sets[a], shingle_sets[b]) >= config.verify_threshold}
    results.append(score(f"ours + exact J >= {config.verify_threshold:g} (default)", exact, truth, shingle_sets))

    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(num_perm=config.num_perm, params=(config.num_bands, config.rows_per_band))
    sketches = []
    for i, shingle_list in enumerate(shingle_lists):  # datasketch's own MinHash from the same shingles
        m = MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=xxhash.xxh32_intdigest)
        m.update_batch(shingle_list)
        sketches.append(m)
        lsh.insert(i, m)
    identical = all(np.array_equal(m.hashvalues, sig) for m, sig in zip(sketches, signatures))
    theirs = {(min(i, j), max(i, j)) for i, m in enumerate(sketches) for j in lsh.query(m) if j != i}
    results.append(score("datasketch MinHashLSH", theirs, truth, shingle_sets))

    if args.spark:
        for verify in ("none", "exact"):
            pairs = spark_cluster_pairs(docs, keys, config.model_copy(update={"verify": verify}))
            results.append(score(f"Spark clusters, verify={verify}: same cluster", pairs, truth, shingle_sets))

    header = "".join(f"{f'{lo:.1f}-{hi:.1f}' if hi <= 1 else '1.0':>10}" for lo, hi in BUCKETS)
    print(f"\n{'pairs detected per exact-Jaccard bucket':42}{header}")
    counts = results[0]["buckets"]
    print(f"{'  (pairs in bucket)':42}" + "".join(f"{counts.get(b, [0, 0])[0]:>10,}" for b in BUCKETS))
    for r in results:
        print(f"{r['name']:42}" + "".join(
            f"{r['buckets'][b][1] / r['buckets'][b][0]:>10.3f}" if r["buckets"].get(b, [0])[0] else f"{'-':>10}"
            for b in BUCKETS))
    print(f"\n{'method':42}{'recall J>=0.8':>15}{'precision':>11}{'prec. J>=0.75':>14}{'pairs':>9}")
    for r in results:
        print(f"{r['name']:42}{r['recall']:>15.4f}{r['precision']:>11.4f}{r['precision_margin']:>14.4f}{r['predicted']:>9,}")
    base, ds = results[0], next(r for r in results if r["name"].startswith("datasketch"))
    print(f"\nours vs datasketch: recall {base['recall'] - ds['recall']:+.4f}, precision "
          f"{base['precision'] - ds['precision']:+.4f}; signatures bit-identical: {identical}; "
          f"same candidate pairs: {ours == theirs}")


def spark_cluster_pairs(docs, keys, config: DedupConfig) -> set:
    """Run pipelines/dedup.py's edges and components on the corpus; pairs of documents that end in one
    cluster (transitivity makes pairs of members that are not near-duplicates of each other)."""
    from corpus.config import PipelineConfig
    from pipelines.dedup import candidate_edges, connected_components
    from pipelines.spark import build_session

    spark = build_session(PipelineConfig.load(spark={"master": "local[2]", "shuffle_partitions": 8}).spark)
    rows = [(i, k, shingle_hashes(shingles(normalize_text(text), config.ngram)).tolist())
            for i, (k, (_, text)) in enumerate(zip(keys, docs))]
    frame = spark.createDataFrame(rows, "node long, band_hashes array<long>, shingle_hashes array<long>")
    components = connected_components(candidate_edges(frame, config))
    clusters = defaultdict(list)
    for r in components.select("node", "component").collect():
        clusters[r["component"]].append(r["node"])
    spark.stop()
    return {(a, b) for ids in clusters.values() for a in ids for b in ids if a < b}


# -- speed -----------------------------------------------------------------------------------------------
def speed(args) -> None:
    config = DedupConfig()
    sentences = load_sentences(args.data)
    rng = random.Random(args.seed)
    rng.shuffle(sentences)
    docs, text = [], ""
    for s in sentences:
        text += s + " "
        if len(text) >= 2000:
            docs.append(text[:2000])
            text = ""
        if len(docs) >= args.documents:
            break
    hasher = MinHasher(config)
    for d in docs[:100]:
        hasher.band_hashes(hasher.signature(shingles(normalize_text(d), config.ngram)))
    start = time.perf_counter()
    for d in docs:
        n = normalize_text(d)
        text_hash(n)
        hasher.band_hashes(hasher.signature(shingles(n, config.ngram)))
    elapsed = time.perf_counter() - start
    print(f"signatures: {len(docs) / elapsed:,.0f} documents/s on one core ({len(docs):,} documents of 2,000 "
          f"characters, {config.num_perm} permutations, {config.num_bands} bands)")


# -- scale -----------------------------------------------------------------------------------------------
def synthetic_signatures(out: Path, n: int, config: DedupConfig, seed: int, files: int = 16) -> dict:
    """Parquet files of n documents' dedup columns: 10% of them in planted clusters of 2-6 near-duplicates
    (each member shares 1-3 bands with the previous one, so clusters are chains), the rest unrelated."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    keys = rng.integers(-(1 << 63), (1 << 63) - 1, size=(n, config.num_bands), dtype=np.int64)
    cluster_of = np.arange(n)
    i = 0
    planted = 0
    while i < n // 10:
        size = int(rng.integers(2, 7))
        for member in range(i + 1, min(i + size, n)):
            shared = rng.choice(config.num_bands, size=int(rng.integers(1, 4)), replace=False)
            keys[member, shared] = keys[member - 1, shared]
            cluster_of[member] = cluster_of[i]
        planted += 1
        i += size
    order = rng.permutation(n)  # clusters spread over files and partitions
    per_file = -(-n // files)
    for f in range(files):
        idx = order[f * per_file:(f + 1) * per_file]
        table = pa.table({
            "doc_id": [hashlib.blake2b(b"%d" % x, digest_size=16).hexdigest() for x in idx],  # ids are hashes
            "file_index": np.full(len(idx), f, dtype=np.int32),
            "offset": idx.astype(np.int64), "warc_file": [f"f{f}"] * len(idx), "warc_record_id": [""] * len(idx),
            "fetch_date": pa.nulls(len(idx), pa.string()), "quality_score": np.zeros(len(idx)),
            "text_hash": [f"{x:032x}" for x in idx],
            "band_hashes": pa.array(list(keys[idx]), type=pa.list_(pa.int64())),
        })
        pq.write_table(table, out / f"part-{f:03d}.parquet")
    return {"planted_clusters": planted, "clustered_documents": i, "cluster_of": cluster_of}


def scale(args) -> None:
    from pyspark.sql import functions as F

    from corpus.config import PipelineConfig
    from pipelines.dedup import deduplicate
    from pipelines.spark import build_session

    config = DedupConfig(verify="none")  # signatures only: no texts to verify against
    work = Path(tempfile.mkdtemp(prefix="dedup-scale-"))
    t0 = time.perf_counter()
    planted = synthetic_signatures(work, args.documents, config, args.seed)
    print(f"synthetic signatures: {args.documents:,} documents, {planted['planted_clusters']:,} planted clusters "
          f"({planted['clustered_documents']:,} documents), written in {time.perf_counter() - t0:.0f}s")
    with PeakMemory() as memory:
        spark_config = PipelineConfig.load(spark={"master": "local[2]", "shuffle_partitions": args.partitions,
                                                  "driver_memory": args.driver_memory}).spark
        spark = build_session(spark_config)
        start = time.perf_counter()
        docs = spark.read.parquet(str(work))
        result = deduplicate(docs, config)
        out = work / "result"
        result.survivors.select("doc_id", "dup_cluster_id", "dup_cluster_size").write.parquet(str(out / "survivors"))
        result.dropped.select("doc_id", "reason", "detail").write.parquet(str(out / "dropped"))
        elapsed = time.perf_counter() - start
        survivors = spark.read.parquet(str(out / "survivors"))
        kept = survivors.count()
        in_clusters = survivors.where(F.col("dup_cluster_size") > 1).count()
        dropped = spark.read.parquet(str(out / "dropped")).count()
        spark.stop()
    expected_kept = args.documents - planted["clustered_documents"] + planted["planted_clusters"]
    print(f"LSH + connected components on Spark local[2], driver memory {args.driver_memory}: {elapsed:,.0f}s wall "
          f"({args.documents / elapsed:,.0f} documents/s)")
    print(f"kept {kept:,} (expected {expected_kept:,}), dropped {dropped:,}, survivors of clusters {in_clusters:,} "
          f"(planted {planted['planted_clusters']:,}); every document accounted for: {kept + dropped == args.documents}")
    print(f"peak memory: {memory.report()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--data", nargs="+", required=True)
    q.add_argument("--families", type=int, default=600)
    q.add_argument("--variants", type=int, default=5)
    q.add_argument("--verify", type=float, nargs="*", default=[0.75, 0.8], help="estimated-Jaccard thresholds")
    q.add_argument("--spark", action="store_true", help="also score the Spark clustering (pairs in one cluster)")
    q.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("speed")
    s.add_argument("--data", nargs="+", required=True)
    s.add_argument("--documents", type=int, default=5000)
    s.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("scale")
    c.add_argument("--documents", type=int, default=1_000_000)
    c.add_argument("--partitions", type=int, default=64)
    c.add_argument("--driver-memory", default="2g")
    c.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    {"quality": quality, "speed": speed, "scale": scale}[args.command](args)


if __name__ == "__main__":
    main()
