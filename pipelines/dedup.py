"""Global deduplication with Spark operations: exact (normalised-text hash), then MinHash LSH + connected
components (large-star / small-star, Kiveris et al. 2014), then the published index of earlier nights. A set
whose plan fits in ``DedupConfig.driver_plan_max_mib`` is planned on the driver instead (``dedup/plan.py``: the
same decisions from the ids and keys alone, instead of ~20 small Spark jobs; a set of staged files has its ids and
keys read from them by the driver, sized by the counts its inputs' summaries hold); texts are never collected.

Nodes are the first 64 bits of ``doc_id`` (itself a hash); documents sharing an LSH band key are linked to the
smallest node of the bucket, and the link is kept when the two texts' Jaccard similarity reaches
``verify_threshold`` (exact, from 64-bit hashes of their shingles; or estimated from the signatures; or not
checked); a component is named by its smallest node; the survivor of a cluster is chosen by a
deterministic rule (input order, earliest fetch or highest quality score, then input order), so reruns agree.
A cluster with a member that shares a key with a published document is dropped whole: the published copy is
its survivor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from corpus.config import DedupConfig
from corpus.document import DROPPED
from corpus.staging import LIST_COLUMNS, read_columns
from corpus.storage import Store
from dedup.index import EXACT_BAND, exact_key
from dedup.plan import VERIFY_COLUMNS, components, plan_duplicates


@dataclass
class DedupResult:
    survivors: DataFrame  # input columns (less the verification arrays) + dup_cluster_size, dup_cluster_id
    dropped: DataFrame  # OUTCOME_SCHEMA rows for removed duplicates
    cached: list[DataFrame] = field(default_factory=list)  # the plan, cached while survivors and dropped are read

    def release(self) -> None:
        for frame in self.cached:
            frame.unpersist()


def _survivor_order(config: DedupConfig) -> list:
    order = [F.col("file_index"), F.col("offset"), F.col("doc_id")]
    if config.survivor == "earliest_fetch":
        order = [F.col("fetch_date").asc_nulls_last()] + order
    elif config.survivor == "highest_quality":
        order = [F.col("quality_score").desc_nulls_last()] + order
    return order


def exact_key_column(text_hash):
    """dedup.index.exact_key as a Spark column: the first 16 hex digits as a signed 64-bit integer."""
    return F.conv(F.substring(text_hash, 1, 16), 16, -10).cast("long")


def index_rows(docs: DataFrame) -> DataFrame:
    """(band, key, doc_id) for every LSH band key and the exact-text key of ``docs`` (dedup.index.INDEX_SCHEMA)."""
    bands = docs.select(F.posexplode("band_hashes").alias("band", "key"), "doc_id")
    exact = docs.select(F.lit(EXACT_BAND).alias("band"), exact_key_column(F.col("text_hash")).alias("key"), "doc_id")
    return bands.unionByName(exact).select(F.col("band").cast("short"), "key", "doc_id")


def candidate_edges(docs: DataFrame, config: DedupConfig, values: DataFrame | None = None) -> DataFrame:
    """(src, dst) links: each document to the smallest node of every LSH bucket it is in, kept when the pair
    passes ``config.verify`` (``values``: where the nodes' shingle hashes or MinHash signatures are, if not in
    ``docs``). Verification runs in the JVM on arrays made by the workers: no text moves, no Python."""
    bands = docs.select("node", F.posexplode("band_hashes").alias("band", "key"))
    bucket_min = F.min("node").over(Window.partitionBy("band", "key"))
    edges = (bands.withColumn("m", bucket_min).where(F.col("node") != F.col("m"))
             .select(F.col("node").alias("src"), F.col("m").alias("dst")).distinct())
    if config.verify == "none":
        return edges
    column = VERIFY_COLUMNS[config.verify]
    values = (docs if values is None else values).select("node", column)
    pairs = (edges.join(values.withColumnRenamed("node", "src").withColumnRenamed(column, "a"), "src")
             .join(values.withColumnRenamed("node", "dst").withColumnRenamed(column, "b"), "dst"))
    if config.verify == "exact":
        similarity = hash_similarity(F.col("a"), F.col("b"))
    else:
        similarity = F.expr(f"aggregate(zip_with(a, b, (x, y) -> IF(x = y, 1, 0)), 0, (acc, v) -> acc + v) "
                            f"/ {config.num_perm}")
    return pairs.where(similarity >= F.lit(config.verify_threshold)).select("src", "dst")


def hash_similarity(a, b):
    """dedup.minhash.hash_similarity as a Spark column: Jaccard similarity of two sorted, distinct hash arrays."""
    common = F.size(F.array_intersect(a, b))
    union = F.size(a) + F.size(b) - common
    return F.when(union == 0, F.lit(1.0)).otherwise(common / union)


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


#: an edge set up to this size is clustered on the driver (one collect, ~30 MB and well under a second per million
#: edges) instead of by large-star/small-star iterations, each a few Spark jobs: a night's set of a few million
#: pages has far fewer near-duplicate links than this
DRIVER_MAX_EDGES = 2_000_000


def connected_components(edges: DataFrame, max_iterations: int = 100,
                         driver_max_edges: int = DRIVER_MAX_EDGES) -> DataFrame:
    """(node, component) for every node with an edge; component = smallest node id in it."""
    current = edges.select(F.greatest("src", "dst").alias("src"), F.least("src", "dst").alias("dst")).distinct()
    current = current.localCheckpoint()
    if current.count() <= driver_max_edges:
        return _components_on_driver(current)
    for _ in range(max_iterations):
        nxt = _small_star(_large_star(current)).localCheckpoint()
        if nxt.exceptAll(current).union(current.exceptAll(nxt)).isEmpty():  # one job: unchanged edge set
            break
        current = nxt
    else:
        raise RuntimeError(f"connected components did not converge in {max_iterations} iterations")
    roots = current.select(F.col("dst").alias("node"), F.col("dst").alias("component"))
    return current.select(F.col("src").alias("node"), F.col("dst").alias("component")).union(roots).distinct()


def _components_on_driver(edges: DataFrame) -> DataFrame:
    """The same (node, component) rows, computed with numpy (dedup.plan.components)."""
    table = edges.toArrow()
    nodes, component = components(table.column("src").to_numpy(), table.column("dst").to_numpy())
    return edges.sparkSession.createDataFrame(pa.table({"node": nodes, "component": component}))


#: what the dedup plan needs of each document: ids, keys and the survivor order, never the text
_PLAN_COLUMNS = ("doc_id", "file_index", "offset", "warc_file", "warc_record_id", "fetch_date", "quality_score",
                 "text_hash", "band_hashes")
#: one row of the set (two inputs holding the same record share a doc_id)
_ROW = ["doc_id", "file_index", "offset"]
#: estimated bytes per document of the plan on the driver, less its arrays: ids, keys, names as Python objects
_PLAN_ROW_BYTES = 600


@dataclass(frozen=True)
class StagedDocuments:
    """Where a set's documents are staged (Parquet files) and how many there are: rows, and values per list
    column (corpus/staging.py counts them as it stages). With these the driver sizes the dedup plan and reads
    its narrow columns straight from the files, without a Spark job."""

    store: Store
    paths: list[str]
    rows: int
    list_values: dict[str, int] | None  # None when an input's summary lacks them (staged by an earlier release)

    @classmethod
    def of_inputs(cls, store: Store, paths: list[str], summaries: list[dict]) -> "StagedDocuments":
        """The staged documents of inputs with these summaries (``paths``: their ``docs.parquet`` files)."""
        counted = all("list_values" in s for s in summaries)  # inputs staged by an earlier release lack them
        values = {column: sum(s["list_values"][column] for s in summaries) for column in LIST_COLUMNS} \
            if counted else None
        return cls(store, paths, sum(s["documents"] for s in summaries), values)

    def read(self, columns: list[str]) -> pa.Table:
        return read_columns(self.store, self.paths, columns)


def plan_mib(rows: int, values: int, config: DedupConfig) -> float:
    """The dedup plan's estimated size on the driver: ``rows`` documents, ``values`` hashes to verify links with."""
    return (rows * (_PLAN_ROW_BYTES + 8 * config.num_bands) + 8 * values) / 2**20


def _measured_plan_mib(docs: DataFrame, config: DedupConfig, verify: str | None) -> float:
    """``plan_mib`` of ``docs`` counted by Spark (one job over ``docs``, which fills its cache)."""
    sizes = [F.count(F.lit(1)).alias("rows")]
    if verify:
        sizes.append(F.sum(F.size(verify)).alias("values"))
    measured = docs.agg(*sizes).first()
    return plan_mib(measured["rows"], (measured["values"] or 0) if verify else 0, config)


def _published_hits(keys: DataFrame, published: DataFrame) -> dict[str, str]:
    """doc_id -> the smallest published doc_id sharing one of its keys, for the documents (``keys``: doc_id,
    band_hashes, text_hash) that share one."""
    hits = (index_rows(keys).join(published.select("band", "key", F.col("doc_id").alias("_published")),
                                  ["band", "key"])
            .groupBy("doc_id").agg(F.min("_published").alias("_published")))
    return {r["doc_id"]: r["_published"] for r in hits.collect()}


def _deduplicate_on_driver(docs: DataFrame, table: pa.Table, config: DedupConfig, published: DataFrame | None,
                           columns: list[str]) -> DedupResult:
    """dedup/plan.py on the plan's columns (``table``), the published keys checked by Spark (a join, only when
    earlier nights exist); survivors are the documents joined with the kept rows, broadcast: ``docs`` is read
    once."""
    spark = docs.sparkSession
    hits = {}
    if published is not None:
        hits = _published_hits(spark.createDataFrame(table.select(["doc_id", "band_hashes", "text_hash"])),
                               published)
    decided = plan_duplicates(table, config, hits)
    kept = spark.createDataFrame(decided.kept)
    survivors = docs.join(F.broadcast(kept), _ROW).select(*columns, "dup_cluster_size", "dup_cluster_id")
    return DedupResult(survivors, spark.createDataFrame(decided.dropped))


def deduplicate(docs: DataFrame, config: DedupConfig, published: DataFrame | None = None,
                staged: StagedDocuments | None = None) -> DedupResult:
    """``published``: (band, key, doc_id) of documents already published (dedup.index), or None. ``staged``:
    where ``docs`` come from, when they are staged files.

    The plan (who survives, who is dropped for whom) is made on a narrow projection of the documents, never
    their texts: on the driver when it fits in ``config.driver_plan_max_mib`` (dedup/plan.py; read from the
    staged files when given, and ``docs`` then read once, for the survivors), otherwise by Spark operations,
    with ``docs`` and the plan cached (``DedupResult.release``), and linked pairs verified on the workers'
    shingle hashes. Texts move once, when the survivors are joined back."""
    columns = [c for c in docs.columns if c not in VERIFY_COLUMNS.values()]
    verify = VERIFY_COLUMNS.get(config.verify) if config.near else None
    plan_columns = [c for c in _PLAN_COLUMNS if c in docs.columns]
    wanted = plan_columns + ([verify] if verify else [])
    counted = staged is not None and staged.list_values is not None
    if counted and plan_mib(staged.rows, staged.list_values.get(verify, 0) if verify else 0,
                            config) <= config.driver_plan_max_mib:
        table = staged.read(wanted)
        nodes = pa.array([exact_key(doc_id) for doc_id in table.column("doc_id").to_pylist()], pa.int64())
        return _deduplicate_on_driver(docs, table.append_column("node", nodes), config, published, columns)
    docs = docs.persist(StorageLevel.MEMORY_AND_DISK)  # read whole by each step of the plan, then for the survivors
    cached = [docs]
    # 64 bits of the doc_id's hash: two of a billion documents share a node with probability ~3%
    docs = docs.withColumn("node", exact_key_column(F.col("doc_id")))
    if not counted and _measured_plan_mib(docs, config, verify) <= config.driver_plan_max_mib:
        result = _deduplicate_on_driver(docs, docs.select("node", *wanted).toArrow(), config, published, columns)
        return DedupResult(result.survivors, result.dropped, cached)
    plan = docs.select("node", *plan_columns)
    order = _survivor_order(config)

    # 1. exact duplicates: one survivor per normalised-text hash
    by_hash = Window.partitionBy("text_hash").orderBy(*order)
    ranked = (plan.withColumn("_rank", F.row_number().over(by_hash))
              .withColumn("_survivor", F.first("doc_id").over(by_hash))
              .withColumn("_exact_size", F.count(F.lit(1)).over(Window.partitionBy("text_hash"))))
    exact_dropped = None
    if config.exact:
        ranked = ranked.persist(StorageLevel.MEMORY_AND_DISK)
        cached.append(ranked)
        exact_dropped = _outcomes(ranked.where(F.col("_rank") > 1), "exact_duplicate")
        ranked = ranked.where(F.col("_rank") == 1)
    else:
        ranked = ranked.withColumn("_exact_size", F.lit(1))

    # 2. near duplicates: documents sharing any LSH band key are linked, then clustered
    if config.near:
        components = connected_components(candidate_edges(ranked, config, docs))
        clustered = (ranked.join(components, "node", "left")
                     .withColumn("component", F.coalesce("component", "node")))
    else:
        clustered = ranked.withColumn("component", F.col("node"))

    # 3. earlier nights: a cluster with a member sharing a key with a published document goes whole
    if published is not None:
        keys = index_rows(clustered)
        hits = (keys.join(published.select("band", "key", F.col("doc_id").alias("_published")), ["band", "key"])
                .groupBy("doc_id").agg(F.min("_published").alias("_published")))
        clustered = (clustered.join(hits, "doc_id", "left")
                     .withColumn("_published", F.min("_published").over(Window.partitionBy("component"))))
    else:
        clustered = clustered.withColumn("_published", F.lit(None).cast("string"))

    # 4. one survivor per cluster (clusters with a published member go whole, so ranking them too changes nothing)
    by_cluster = Window.partitionBy("component").orderBy(*order)
    clustered = (clustered.withColumn("_rank", F.row_number().over(by_cluster))
                 .withColumn("_survivor", F.first("doc_id").over(by_cluster))
                 .withColumn("dup_cluster_size", F.sum("_exact_size").over(Window.partitionBy("component")).cast("int"))
                 .persist(StorageLevel.MEMORY_AND_DISK))
    cached.append(clustered)
    unpublished = F.col("_published").isNull()
    published_dropped = _outcomes(clustered.where(~unpublished).withColumn("_survivor", F.col("_published")),
                                  "published_duplicate")
    near_dropped = _outcomes(clustered.where(unpublished & (F.col("_rank") > 1)), "near_duplicate")
    kept = clustered.where(unpublished & (F.col("_rank") == 1)).select(
        *_ROW, "dup_cluster_size", F.col("_survivor").alias("dup_cluster_id"))
    survivors = docs.join(kept, _ROW).select(*columns, "dup_cluster_size", "dup_cluster_id")
    dropped = near_dropped.unionByName(published_dropped)
    if exact_dropped is not None:
        dropped = exact_dropped.unionByName(dropped)
    return DedupResult(survivors, dropped, cached)
