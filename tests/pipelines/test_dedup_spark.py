"""Spark dedup on small hand-made inputs: transitive clusters, survivor rule, exact duplicates."""

import pytest

from corpus.config import DedupConfig
from pipelines.dedup import connected_components, deduplicate

pytestmark = pytest.mark.spark


def test_connected_components_are_transitive(spark):
    # 1-2, 2-3, 3-4 chain; 10-11 pair; 20 alone (no edges); 7-5, 5-6 reversed orientation
    edges = spark.createDataFrame([(2, 1), (3, 2), (4, 3), (11, 10), (5, 7), (6, 5)], "src long, dst long")
    got = {r["node"]: r["component"] for r in connected_components(edges).collect()}
    assert got == {1: 1, 2: 1, 3: 1, 4: 1, 10: 10, 11: 10, 5: 5, 6: 5, 7: 5}


def _docs(spark, rows):
    schema = ("doc_id string, file_index int, offset long, warc_file string, warc_record_id string, "
              "fetch_date string, text_hash string, band_hashes array<long>")
    return spark.createDataFrame(rows, schema)


def test_exact_and_near_duplicates_keep_first_in_input_order(spark):
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
    result = deduplicate(_docs(spark, rows), DedupConfig())
    kept = {r["doc_id"][0]: r["dup_cluster_size"] for r in result.survivors.collect()}
    assert kept == {"b": 3, "e": 2, "f": 1}
    dropped = {r["doc_id"][0]: (r["reason"], r["detail"]) for r in result.dropped.collect()}
    assert dropped == {"a": ("near_duplicate", "duplicate_of=" + "b" * 32),
                       "c": ("near_duplicate", "duplicate_of=" + "b" * 32),
                       "d": ("exact_duplicate", "duplicate_of=" + "e" * 32)}


def test_earliest_fetch_survivor_rule(spark):
    rows = [("a" * 32, 0, 0, "f0", "ra", "2026-01-03T00:00:00Z", "h1", [1]),
            ("b" * 32, 0, 10, "f0", "rb", "2026-01-01T00:00:00Z", "h2", [1])]
    result = deduplicate(_docs(spark, rows), DedupConfig(survivor="earliest_fetch"))
    assert [r["doc_id"][0] for r in result.survivors.collect()] == ["b"]
