"""Global deduplication with Spark operations: exact (normalised-text hash), then MinHash LSH + connected
components (large-star / small-star, Kiveris et al. 2014). Nothing is collected on the driver.

Nodes are 64-bit integers derived from ``doc_id``; a component is named by its smallest node; the survivor
of a cluster is chosen by a deterministic rule (input order or earliest fetch), so reruns agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from corpus.config import DedupConfig
from corpus.document import DROPPED


@dataclass
class DedupResult:
    survivors: DataFrame  # input columns + dup_cluster_id, dup_cluster_size
    dropped: DataFrame  # OUTCOME_SCHEMA rows for removed duplicates


def _survivor_order(config: DedupConfig) -> list:
    order = [F.col("file_index"), F.col("offset"), F.col("doc_id")]
    if config.survivor == "earliest_fetch":
        order = [F.col("fetch_date").asc_nulls_last()] + order
    return order


def _outcomes(df: DataFrame, reason: str) -> DataFrame:
    return df.select(
        "doc_id", "warc_file", "offset", F.col("warc_record_id").alias("record_id"),
        F.lit(DROPPED).alias("status"), F.lit("dedup").alias("stage"), F.lit(reason).alias("reason"),
        F.concat(F.lit("duplicate_of="), F.col("_survivor")).alias("detail"),
    )


def _large_star(edges: DataFrame) -> DataFrame:
    """Each node links its larger neighbours to the smallest node of its neighbourhood."""
    both = edges.union(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    neighbourhood_min = F.least(F.min("dst").over(Window.partitionBy("src")), F.col("src"))
    return (both.withColumn("m", neighbourhood_min).where(F.col("dst") > F.col("src"))
            .select(F.col("dst").alias("src"), F.col("m").alias("dst")).distinct())


def _small_star(edges: DataFrame) -> DataFrame:
    """Each node links itself and its smaller neighbours to the smallest of them."""
    oriented = edges.select(F.greatest("src", "dst").alias("src"), F.least("src", "dst").alias("dst")).distinct()
    with_min = oriented.withColumn("m", F.min("dst").over(Window.partitionBy("src")))
    linked = with_min.where(F.col("dst") != F.col("m")).select(F.col("dst").alias("src"), F.col("m").alias("dst"))
    own = with_min.select(F.col("src"), F.col("m").alias("dst"))
    return linked.union(own).distinct()


def connected_components(edges: DataFrame, max_iterations: int = 100) -> DataFrame:
    """(node, component) for every node with an edge; component = smallest node id in it."""
    current = edges.select(F.greatest("src", "dst").alias("src"), F.least("src", "dst").alias("dst")).distinct()
    current = current.localCheckpoint()
    for _ in range(max_iterations):
        nxt = _small_star(_large_star(current)).localCheckpoint()
        if nxt.exceptAll(current).union(current.exceptAll(nxt)).isEmpty():  # one job: unchanged edge set
            break
        current = nxt
    else:
        raise RuntimeError(f"connected components did not converge in {max_iterations} iterations")
    roots = current.select(F.col("dst").alias("node"), F.col("dst").alias("component"))
    return current.select(F.col("src").alias("node"), F.col("dst").alias("component")).union(roots).distinct()


def deduplicate(docs: DataFrame, config: DedupConfig) -> DedupResult:
    order = _survivor_order(config)
    docs = docs.withColumn("node", F.conv(F.substring("doc_id", 1, 15), 16, 10).cast("long"))

    # 1. exact duplicates: one survivor per normalised-text hash
    by_hash = Window.partitionBy("text_hash").orderBy(*order)
    ranked = (docs.withColumn("_rank", F.row_number().over(by_hash))
              .withColumn("_survivor", F.first("doc_id").over(by_hash))
              .withColumn("_exact_size", F.count(F.lit(1)).over(Window.partitionBy("text_hash"))))
    exact_dropped = _outcomes(ranked.where(F.col("_rank") > 1), "exact_duplicate") if config.exact else None
    if config.exact:
        ranked = ranked.where(F.col("_rank") == 1)
    else:
        ranked = ranked.withColumn("_exact_size", F.lit(1))

    # 2. near duplicates: documents sharing any LSH band key are linked, then clustered
    if config.near:
        bands = ranked.select("node", F.posexplode("band_hashes").alias("band", "key"))
        bucket_min = F.min("node").over(Window.partitionBy("band", "key"))
        edges = (bands.withColumn("m", bucket_min).where(F.col("node") != F.col("m"))
                 .select(F.col("node").alias("src"), F.col("m").alias("dst")).distinct())
        components = connected_components(edges)
        clustered = (ranked.join(components, "node", "left")
                     .withColumn("component", F.coalesce("component", "node")))
    else:
        clustered = ranked.withColumn("component", F.col("node"))

    by_cluster = Window.partitionBy("component").orderBy(*order)
    clustered = (clustered.withColumn("_rank", F.row_number().over(by_cluster))
                 .withColumn("_survivor", F.first("doc_id").over(by_cluster))
                 .withColumn("dup_cluster_size", F.sum("_exact_size").over(Window.partitionBy("component")).cast("int")))
    near_dropped = _outcomes(clustered.where(F.col("_rank") > 1), "near_duplicate")
    survivors = (clustered.where(F.col("_rank") == 1)
                 .withColumn("dup_cluster_id", F.col("_survivor"))
                 .drop("_rank", "_survivor", "_exact_size", "component", "node"))
    dropped = near_dropped if exact_dropped is None else exact_dropped.unionByName(near_dropped)
    return DedupResult(survivors, dropped)
