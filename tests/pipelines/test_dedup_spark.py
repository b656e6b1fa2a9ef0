"""Spark dedup on small hand-made inputs: transitive clusters, survivor rule, exact duplicates; each through
every planner (on the driver, dedup/plan.py, from the documents or from their staged files, and by Spark
operations), which must agree on random sets."""

import hashlib
import math
import os
import random
import tempfile

import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from corpus.config import DedupConfig
from corpus.staging import LIST_COLUMNS
from corpus.storage import Store
from pipelines.dedup import StagedDocuments, connected_components, deduplicate

pytestmark = pytest.mark.spark


PLANNERS = ("driver", "staged", "spark")
_STAGED = tempfile.TemporaryDirectory(prefix="staged-")  # removed when the tests end


@pytest.fixture(params=PLANNERS)
def planner(request):
    """Where the dedup plan is made: ``driver_plan_max_mib = 0`` forces Spark's operations; "staged" plans on
    the driver from the documents written as staged Parquet files, read by the driver."""
    return request.param


def _staged(docs) -> StagedDocuments:
    """``docs`` as the staging phase leaves them: a few Parquet files, their rows and list values counted."""
    table = docs.toArrow()
    directory = tempfile.mkdtemp(dir=_STAGED.name)
    paths, cut = [], [0, table.num_rows // 3, table.num_rows // 2, table.num_rows]
    for i, (start, end) in enumerate(zip(cut, cut[1:])):
        paths.append(os.path.join(directory, f"{i}.parquet"))
        pq.write_table(table.slice(start, end - start), paths[-1])
    values = {column: sum(len(v or ()) for v in table.column(column).to_pylist())
              for column in LIST_COLUMNS if column in table.column_names}
    return StagedDocuments(Store(directory), paths, table.num_rows, values)


def _dedup(planner, docs, config, published=None):
    limit = 0 if planner == "spark" else config.driver_plan_max_mib
    staged = _staged(docs) if planner == "staged" else None
    return deduplicate(docs, config.model_copy(update={"driver_plan_max_mib": limit}), published, staged)


@pytest.mark.parametrize("driver_max_edges", [0, 10_000], ids=["spark", "driver"])
def test_connected_components_are_transitive(spark, driver_max_edges):
    # 1-2, 2-3, 3-4 chain; 10-11 pair; 20 alone (no edges); 7-5, 5-6 reversed orientation
    edges = spark.createDataFrame([(2, 1), (3, 2), (4, 3), (11, 10), (5, 7), (6, 5)], "src long, dst long")
    got = {r["node"]: r["component"] for r in connected_components(edges, driver_max_edges=driver_max_edges).collect()}
    assert got == {1: 1, 2: 1, 3: 1, 4: 1, 10: 10, 11: 10, 5: 5, 6: 5, 7: 5}


def test_components_on_the_driver_equal_sparks_iterations(spark):
    """Small edge sets are clustered on the driver: the same components as the large-star/small-star jobs, on
    random graphs with long chains, stars and huge node ids."""
    import random

    rng = random.Random(7)
    for trial in range(4):
        nodes = [rng.randrange(-2**63, 2**63) for _ in range(300)]
        edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(rng.randint(50, 400))]
        edges += [(nodes[i], nodes[i + 1]) for i in range(100, 160)]  # a chain of 60 links
        edges = [(a, b) for a, b in edges if a != b]
        frame = spark.createDataFrame(edges, "src long, dst long")
        on_driver = {r["node"]: r["component"] for r in connected_components(frame).collect()}
        by_spark = {r["node"]: r["component"] for r in connected_components(frame, driver_max_edges=0).collect()}
        assert on_driver == by_spark and len(on_driver) > 100


def _docs(spark, rows):
    schema = ("doc_id string, file_index int, offset long, warc_file string, warc_record_id string, "
              "fetch_date string, text_hash string, band_hashes array<long>")
    return spark.createDataFrame(rows, schema)


def test_exact_and_near_duplicates_keep_first_in_input_order(spark, planner):
    rows = [
        # a ~ b share band 1; b ~ c share band 2 (a and c share nothing): one cluster of three
        ("a" * 32, 0, 300, "f0", "ra", "2026-01-03T00:00:00Z", "h1", [1, 100]),
        ("b" * 32, 0, 100, "f0", "rb", "2026-01-01T00:00:00Z", "h2", [1, 2]),
        ("c" * 32, 1, 0, "f1", "rc", "2026-01-02T00:00:00Z", "h3", [200, 2]),
        # d and e: same text (exact duplicates), e earlier in input
        ("d" * 32, 1, 500, "f1", "rd", None, "h4", [7, 8]),
        ("e" * 32, 0, 900, "f0", "re", None, "h4", [7, 8]),
        ("f" * 32, 2, 0, "f2", "rf", None, "h5", [9, 10]),
    ]
    result = _dedup(planner, _docs(spark, rows), DedupConfig(verify="none"))
    kept = {r["doc_id"][0]: r["dup_cluster_size"] for r in result.survivors.collect()}
    assert kept == {"b": 3, "e": 2, "f": 1}
    dropped = {r["doc_id"][0]: (r["reason"], r["detail"]) for r in result.dropped.collect()}
    assert dropped == {"a": ("near_duplicate", "duplicate_of=" + "b" * 32),
                       "c": ("near_duplicate", "duplicate_of=" + "b" * 32),
                       "d": ("exact_duplicate", "duplicate_of=" + "e" * 32)}


def test_earliest_fetch_survivor_rule(spark, planner):
    rows = [("a" * 32, 0, 0, "f0", "ra", "2026-01-03T00:00:00Z", "h1", [1]),
            ("b" * 32, 0, 10, "f0", "rb", "2026-01-01T00:00:00Z", "h2", [1])]
    result = _dedup(planner, _docs(spark, rows), DedupConfig(survivor="earliest_fetch", verify="none"))
    assert [r["doc_id"][0] for r in result.survivors.collect()] == ["b"]


def _sig_docs(spark, rows):
    schema = ("doc_id string, file_index int, offset long, warc_file string, warc_record_id string, "
              "fetch_date string, quality_score double, text_hash string, band_hashes array<long>, "
              "minhash array<int>")
    return spark.createDataFrame(rows, schema)


def test_verification_unlinks_candidates_whose_signatures_disagree(spark, planner):
    config = DedupConfig(num_bands=2, rows_per_band=2, verify="estimated", verify_threshold=0.7)  # 4 positions
    rows = [("a" * 32, 0, 0, "f", "ra", None, 0.0, "h1", [1, 2], [1, 2, 3, 4]),
            ("b" * 32, 0, 1, "f", "rb", None, 0.0, "h2", [1, 5], [1, 2, 3, 9]),  # agrees 3/4 with a: linked
            ("c" * 32, 0, 2, "f", "rc", None, 0.0, "h3", [6, 2], [1, 2, 7, 8])]  # shares a band, 2/4: not
    kept = {r["doc_id"][0] for r in _dedup(planner, _sig_docs(spark, rows), config).survivors.collect()}
    assert kept == {"a", "c"}
    unverified = DedupConfig(num_bands=2, rows_per_band=2, verify="none")
    assert {r["doc_id"][0] for r in _dedup(planner, _sig_docs(spark, rows), unverified).survivors.collect()} == {"a"}


def test_highest_quality_survivor_then_input_order(spark, planner):
    rows = [("a" * 32, 0, 0, "f", "ra", None, 0.2, "h1", [1], []),
            ("b" * 32, 0, 1, "f", "rb", None, 0.9, "h2", [1], []),
            ("c" * 32, 0, 2, "f", "rc", None, 0.9, "h3", [1], [])]
    result = _dedup(planner, _sig_docs(spark, rows), DedupConfig(survivor="highest_quality", verify="none"))
    assert [(r["doc_id"][0], r["dup_cluster_size"]) for r in result.survivors.collect()] == [("b", 3)]


def test_a_cluster_touching_a_published_document_is_dropped_whole(spark, planner):
    from dedup.index import EXACT_BAND, exact_key

    published = spark.createDataFrame([(0, 1, "p" * 32), (EXACT_BAND, exact_key("ab" * 16), "q" * 32)],
                                      "band short, key long, doc_id string")
    rows = [  # a ~ published p (band 0 key 1); b ~ a; c alone; d has p's... exact text of q
        ("a" * 32, 0, 0, "f", "ra", None, 0.0, "h1", [1, 100], []),
        ("b" * 32, 0, 1, "f", "rb", None, 0.0, "h2", [2, 100], []),
        ("c" * 32, 0, 2, "f", "rc", None, 0.0, "h3", [3, 300], []),
        ("d" * 32, 0, 3, "f", "rd", None, 0.0, "ab" * 16, [4, 400], []),
    ]
    result = _dedup(planner, _sig_docs(spark, rows), DedupConfig(num_bands=2, rows_per_band=1, verify="none"), published)
    assert [r["doc_id"][0] for r in result.survivors.collect()] == ["c"]
    dropped = {r["doc_id"][0]: (r["reason"], r["detail"]) for r in result.dropped.collect()}
    assert dropped == {"a": ("published_duplicate", "duplicate_of=" + "p" * 32),
                       "b": ("published_duplicate", "duplicate_of=" + "p" * 32),
                       "d": ("published_duplicate", "duplicate_of=" + "q" * 32)}


def test_clusters_do_not_depend_on_input_partitioning(spark, planner):
    import random

    rng = random.Random(7)
    rows = []
    for i in range(300):  # 300 documents in chains and stars over 40 shared keys
        keys = [rng.randrange(40) + 1000 * b for b in range(3)]
        rows.append((f"{i:032x}", i % 5, i, f"f{i % 5}", f"r{i}", None, 0.0, f"h{i % 280}", keys, []))
    config = DedupConfig(num_bands=3, rows_per_band=1, verify="none")

    def outcome(order, partitions):
        result = _dedup(planner, _sig_docs(spark, order).repartition(partitions), config)
        return (sorted((r["doc_id"], r["dup_cluster_id"], r["dup_cluster_size"]) for r in result.survivors.collect()),
                sorted((r["doc_id"], r["reason"], r["detail"]) for r in result.dropped.collect()))

    first = outcome(rows, 1)
    shuffled = rows[:]
    rng.shuffle(shuffled)
    assert outcome(shuffled, 7) == first
    assert len(first[0]) + len(first[1]) == len(rows)


def test_exact_key_in_spark_matches_python(spark):
    from pyspark.sql import functions as F

    from dedup.index import exact_key
    from pipelines.dedup import exact_key_column as spark_exact_key

    hashes = ["0" * 32, "f" * 32, "7fffffffffffffff" + "0" * 16, "8000000000000000" + "1" * 16, "0123456789abcdef" * 2]
    got = [r["k"] for r in spark.createDataFrame([(h,) for h in hashes], "h string")
           .select(spark_exact_key(F.col("h")).alias("k")).collect()]
    assert got == [exact_key(h) for h in hashes]


def test_exact_verification_keeps_candidates_whose_texts_are_similar_enough(spark, planner):
    from dedup.minhash import jaccard, normalize_text, shingle_hashes, shingles

    def word(i: int) -> str:  # letters only: normalisation folds digits together
        return "".join("abcdefghij"[int(d)] for d in str(i)) + "q"

    words = [word(i) for i in range(300)]
    base = " ".join(words[:200])
    close = base.replace(f" {words[100]} ", " changed ")  # 5 of 196 shingles change: J ~ 0.95
    far = " ".join(words[:100] + words[200:300])  # J ~ 0.32
    assert jaccard(base, close, 5) > 0.9 and jaccard(base, far, 5) < 0.5
    def hashes(text: str) -> list[int]:  # what the signature stage stores for exact verification
        return shingle_hashes(shingles(normalize_text(text), 5)).tolist()

    rows = [("a" * 32, 0, 0, "f", "ra", None, "h1", [1], base, hashes(base)),
            ("b" * 32, 0, 1, "f", "rb", None, "h2", [1], close, hashes(close)),
            ("c" * 32, 0, 2, "f", "rc", None, "h3", [1], far, hashes(far))]  # shares the band but not the text
    docs = spark.createDataFrame(rows, "doc_id string, file_index int, offset long, warc_file string, "
                                       "warc_record_id string, fetch_date string, text_hash string, "
                                       "band_hashes array<long>, text string, shingle_hashes array<long>")
    result = _dedup(planner, docs, DedupConfig(verify="exact", verify_threshold=0.8))
    survivors = result.survivors.collect()
    assert sorted((r["doc_id"][0], r["dup_cluster_size"]) for r in survivors) == [("a", 2), ("c", 1)]
    assert "shingle_hashes" not in result.survivors.columns and survivors[0]["text"] in (base, far)


def test_similarity_in_spark_equals_the_shingles_own(spark):
    """Pairs are verified in the JVM (array_intersect on the stored hashes): the same Jaccard similarity as from
    the two texts' shingles, on texts that overlap by every amount, short and empty ones included."""
    import random

    from dedup.minhash import jaccard, normalize_text, shingle_hashes, shingles
    from pipelines.dedup import hash_similarity

    rng = random.Random(3)
    vocabulary = [f"w{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(60)]
    texts = ["", "single", " ".join(vocabulary[:5])]
    texts += [" ".join(rng.choices(vocabulary, k=rng.randint(1, 40))) for _ in range(30)]
    pairs = [(a, b) for a in texts for b in texts[::3]]
    rows = [(i, shingle_hashes(shingles(normalize_text(a), 5)).tolist(), shingle_hashes(shingles(normalize_text(b), 5))
             .tolist()) for i, (a, b) in enumerate(pairs)]
    frame = spark.createDataFrame(rows, "i long, a array<long>, b array<long>")
    got = {r["i"]: r["s"] for r in frame.select("i", hash_similarity(F.col("a"), F.col("b")).alias("s")).collect()}
    assert got == {i: jaccard(a, b, 5) for i, (a, b) in enumerate(pairs)}


def _random_set(rng, n: int):
    """Rows with everything the planners must agree on: shared texts, the same record in two inputs (same
    doc_id), chains and stars of shared band keys, similar and dissimilar shingle hashes and signatures, ties,
    null and NaN survivor columns; and a published index hitting some of them by band and by exact text."""
    from dedup.index import EXACT_BAND, exact_key

    rows, published = [], []
    for i in range(n):
        if i and rng.random() < 0.05:  # the same record in another input: a copy with another file_index
            copy = list(rows[rng.randrange(len(rows))])
            copy[1] += 1
            rows.append(tuple(copy))
            continue
        doc_id = f"{rng.getrandbits(128):032x}"
        text = rng.randrange(n // 3 if rng.random() < 0.2 else 10**9)  # some texts shared
        text_hash = hashlib.blake2b(str(text).encode(), digest_size=16).hexdigest()
        bands = [rng.randrange(10**9) for _ in range(3)]
        hashes = sorted(rng.sample(range(10**6), rng.choice([0, 3, 40])))
        minhash = [rng.randrange(10**6) for _ in range(6)]
        if rows and rng.random() < 0.4:  # a variant of an earlier page: shares a band, more or less similar
            earlier = rows[rng.randrange(len(rows))]
            shared = rng.randrange(3)
            bands[shared] = earlier[8][shared]
            keep = rng.choice([0.2, 0.6, 0.9, 1.0])
            hashes = sorted({h for h in earlier[10] if rng.random() < keep} | set(hashes[:rng.randrange(4)]))
            minhash = [m if rng.random() < keep else -1 for m in earlier[9]]
        if rng.random() < 0.1:  # an unrelated page in a popular bucket: linked only when not verified
            bands[0] = 7
        quality = rng.choice([None, math.nan, 0.5, 0.9, rng.random()])
        fetch = rng.choice([None, "2026-01-01T00:00:00Z", f"2026-01-0{rng.randint(1, 9)}T00:00:00Z"])
        rows.append((doc_id, rng.randrange(4), rng.randrange(50) * 100, f"f{i % 4}", f"r{i}", fetch, quality,
                     text_hash, bands, minhash, hashes))
        if rng.random() < 0.02:
            published.append((rng.randrange(3), bands[rng.randrange(3)], f"p{i:031x}"))
        if rng.random() < 0.02:
            published.append((EXACT_BAND, exact_key(text_hash), f"q{i:031x}"))
    return rows, published


def test_the_driver_plan_equals_sparks_on_random_sets(spark):
    """Planned on the driver (from the documents or their staged files) or by Spark: the same survivors (cluster ids and sizes) and the same dropped rows
    with the same reasons and survivors, for every option that changes the plan."""
    rng = random.Random(11)
    schema = ("doc_id string, file_index int, offset long, warc_file string, warc_record_id string, "
              "fetch_date string, quality_score double, text_hash string, band_hashes array<long>, "
              "minhash array<int>, shingle_hashes array<long>")
    index_schema = "band short, key long, doc_id string"
    configs = [dict(verify="none"), dict(verify="exact", verify_threshold=0.6, survivor="highest_quality"),
               dict(verify="estimated", verify_threshold=0.5, survivor="earliest_fetch"),
               dict(exact=False, verify="exact", verify_threshold=0.3),
               dict(near=False, survivor="highest_quality"), dict(exact=False, near=False, survivor="earliest_fetch")]
    checked = {"exact_duplicate": 0, "near_duplicate": 0, "published_duplicate": 0}
    for options in configs:
        rows, published_rows = _random_set(rng, 240)
        docs = spark.createDataFrame(rows, schema).repartition(3)
        published = spark.createDataFrame(published_rows, index_schema)
        config = DedupConfig(num_bands=3, rows_per_band=2, **options)
        outcomes = []
        for planner in PLANNERS:
            result = _dedup(planner, docs, config, published)
            outcomes.append((sorted((r["doc_id"], r["file_index"], r["offset"], r["dup_cluster_id"],
                                     r["dup_cluster_size"]) for r in result.survivors.collect()),
                             sorted(tuple(r) for r in result.dropped.collect())))
            result.release()
        assert outcomes[0] == outcomes[1] == outcomes[2], options
        survivors, dropped = outcomes[0]
        assert len(survivors) + len(dropped) == len(rows)
        for row in dropped:
            checked[row[6]] += 1
    assert min(checked.values()) >= 10, checked  # every kind of removal was compared, many times


def test_staged_documents_without_counts_are_sized_by_spark(spark):
    """Inputs staged by a release that did not count list values (a resumed set): the plan is sized by a Spark
    job over the documents, and their files are not read by the driver."""
    rows, _ = _random_set(random.Random(5), 120)
    docs = spark.createDataFrame(rows, "doc_id string, file_index int, offset long, warc_file string, "
                                       "warc_record_id string, fetch_date string, quality_score double, "
                                       "text_hash string, band_hashes array<long>, minhash array<int>, "
                                       "shingle_hashes array<long>")
    config = DedupConfig(num_bands=3, rows_per_band=2, verify="exact", verify_threshold=0.6)
    uncounted = StagedDocuments(Store(_STAGED.name), ["/nonexistent/docs.parquet"], len(rows), None)

    def outcome(result):
        return (sorted((r["doc_id"], r["file_index"], r["offset"], r["dup_cluster_id"], r["dup_cluster_size"])
                       for r in result.survivors.collect()), sorted(tuple(r) for r in result.dropped.collect()))

    assert outcome(deduplicate(docs, config, None, uncounted)) == outcome(_dedup("driver", docs, config))
