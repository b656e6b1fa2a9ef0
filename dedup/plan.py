"""The dedup plan of a set small enough for one process: who survives, who is dropped for whom.

The same decisions as the Spark operations of ``pipelines/dedup.py`` (exact duplicates by normalised-text
hash, LSH buckets linked to their smallest node, links verified, connected components, clusters with a
published member dropped whole, one survivor per cluster by ``DedupConfig.survivor``), computed from the
plan's columns alone, without texts. A night of a few ten thousand pages costs a fraction of a second here
against ~20 small Spark jobs (10-20 s on two cores, mostly scheduling); ``tests/pipelines/test_dedup_spark.py``
checks that both give the same outcomes.

Input: a pyarrow table with ``node`` (64 bits of the doc_id), ``doc_id``, ``file_index``, ``offset``,
``warc_file``, ``warc_record_id``, ``text_hash``, ``band_hashes``, the survivor rule's column (``fetch_date``
or ``quality_score``) and, for verified links, ``shingle_hashes`` (``verify = "exact"``) or ``minhash``
(``"estimated"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from corpus.config import DedupConfig
from corpus.document import DROPPED
from corpus.staging import OUTCOME_SCHEMA
from dedup.minhash import hash_similarity

#: per verification mode, the column that holds what a candidate pair is compared on
VERIFY_COLUMNS = {"exact": "shingle_hashes", "estimated": "minhash"}

KEPT_SCHEMA = pa.schema([("doc_id", pa.string()), ("file_index", pa.int32()), ("offset", pa.int64()),
                         ("dup_cluster_size", pa.int32()), ("dup_cluster_id", pa.string())])


@dataclass
class DuplicatePlan:
    kept: pa.Table  # KEPT_SCHEMA: one row per survivor
    dropped: pa.Table  # OUTCOME_SCHEMA: one row per removed duplicate


def survivor_order(table: pa.Table, config: DedupConfig) -> np.ndarray:
    """Each row's position in the survivor order (the first of a group survives): the rule's column, then
    input order (file_index, offset), then doc_id; as Spark sorts (nulls last, NaN above every number)."""
    columns = [table.column(c).to_pylist() for c in ("file_index", "offset", "doc_id")]
    keys = list(zip(*columns))
    if config.survivor == "earliest_fetch":  # ascending, nulls last
        keys = [(date is None, date or "", *k) for date, k in zip(table.column("fetch_date").to_pylist(), keys)]
    elif config.survivor == "highest_quality":  # descending, nulls last
        keys = [(*_descending(q), *k) for q, k in zip(table.column("quality_score").to_pylist(), keys)]
    position = np.empty(len(keys), dtype=np.int64)
    position[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    return position


def _descending(score: float | None) -> tuple:
    """A sort key that puts scores in descending order as Spark's ``desc_nulls_last`` does: NaN first, nulls last."""
    if score is None:
        return (2, 0.0)
    return (0, 0.0) if math.isnan(score) else (1, -score)


def _first_by_group(groups: list, position: np.ndarray) -> tuple[dict, dict]:
    """Per group value: the row first in ``position`` order, and the number of rows."""
    first: dict = {}
    size: dict = {}
    for row, group in enumerate(groups):
        size[group] = size.get(group, 0) + 1
        if group not in first or position[row] < position[first[group]]:
            first[group] = row
    return first, size


def candidate_links(nodes: list[int], bands: list) -> set[tuple[int, int]]:
    """(node, smallest node of its bucket) for every LSH bucket (band number, key) a node shares."""
    smallest: dict = {}
    for node, keys in zip(nodes, bands):
        for bucket in enumerate(keys or ()):
            if bucket not in smallest or node < smallest[bucket]:
                smallest[bucket] = node
    return {(node, smallest[bucket]) for node, keys in zip(nodes, bands) for bucket in enumerate(keys or ())
            if smallest[bucket] != node}


def similarity(a, b, config: DedupConfig) -> float | None:
    """Jaccard similarity of a candidate pair as ``config.verify`` measures it (None: not measurable)."""
    if a is None or b is None:
        return None
    if config.verify == "exact":  # sorted, distinct 64-bit shingle hashes: Spark's array_intersect counts the same
        return hash_similarity(a, b)
    agreeing = int(np.count_nonzero(np.asarray(a[:len(b)]) == np.asarray(b[:len(a)])))
    return agreeing / config.num_perm


def components(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(nodes, component) of the graph of the links ``src``-``dst``: every node with a link, labelled with the
    smallest node of its component. Each node takes the smallest label among its links' ends and then its
    label's label (pointer jumping), until nothing changes; labels only move to a smaller node of the same
    component, so the fixed point is the component's smallest."""
    nodes, ends = np.unique(np.concatenate([src, dst]), return_inverse=True)  # sorted: index order = id order
    u, v = ends[:len(src)], ends[len(src):]
    label = np.arange(len(nodes))
    while True:
        smaller = np.minimum(label[u], label[v])
        new = label.copy()
        np.minimum.at(new, u, smaller)
        np.minimum.at(new, v, smaller)
        while not np.array_equal(jumped := new[new], new):
            new = jumped
        if np.array_equal(new, label):
            return nodes, nodes[label]
        label = new


def plan_duplicates(table: pa.Table, config: DedupConfig, published: dict[str, str] | None = None) -> DuplicatePlan:
    """The plan for the rows of ``table``. ``published``: doc_id -> the smallest published doc_id sharing one of
    its keys (dedup.index), for documents that have one."""
    published = published or {}
    n = table.num_rows
    position = survivor_order(table, config)
    doc_id = table.column("doc_id").to_pylist()
    node = table.column("node").to_pylist()
    dropped: list[tuple[int, str, str]] = []  # (row, reason, duplicate of)

    # 1. exact duplicates: one survivor per normalised-text hash
    if config.exact:
        hashes = table.column("text_hash").to_pylist()
        first, size = _first_by_group(hashes, position)
        rows = sorted(first.values())
        exact_size = {row: size[hashes[row]] for row in rows}
        dropped += [(row, "exact_duplicate", doc_id[first[h]]) for row, h in enumerate(hashes) if first[h] != row]
    else:
        rows, exact_size = list(range(n)), dict.fromkeys(range(n), 1)

    # 2. near duplicates: candidate links between the remaining rows, verified, clustered
    component = {node[row]: node[row] for row in rows}
    if config.near and rows:
        bands = table.column("band_hashes").to_pylist()
        links = candidate_links([node[r] for r in rows], [bands[r] for r in rows])
        if config.verify != "none" and links:
            values_of: dict = {}
            for row, values in enumerate(table.column(VERIFY_COLUMNS[config.verify]).to_numpy(zero_copy_only=False)):
                values_of.setdefault(node[row], values)
            links = {(a, b) for a, b in links if (s := similarity(values_of[a], values_of[b], config)) is not None
                     and s >= config.verify_threshold}
        if links:
            src, dst = (np.fromiter(side, dtype=np.int64, count=len(links)) for side in zip(*links))
            component.update(zip(*(c.tolist() for c in components(src, dst))))

    # 3. earlier nights: a cluster with a member sharing a key with a published document goes whole
    cluster_published: dict = {}
    for row in rows:
        hit = published.get(doc_id[row])
        c = component[node[row]]
        if hit is not None and (c not in cluster_published or hit < cluster_published[c]):
            cluster_published[c] = hit

    # 4. one survivor per cluster
    clusters = [component[node[row]] for row in rows]
    first_of, _ = _first_by_group(clusters, position[rows])
    cluster_size: dict = {}
    for row, c in zip(rows, clusters):
        cluster_size[c] = cluster_size.get(c, 0) + exact_size[row]
    kept = []
    for i, (row, c) in enumerate(zip(rows, clusters)):
        if c in cluster_published:
            dropped.append((row, "published_duplicate", cluster_published[c]))
        elif first_of[c] != i:
            dropped.append((row, "near_duplicate", doc_id[rows[first_of[c]]]))
        else:
            kept.append((row, cluster_size[c]))
    return DuplicatePlan(_kept_table(table, kept), _outcome_table(table, dropped))


def _kept_table(table: pa.Table, kept: list[tuple[int, int]]) -> pa.Table:
    rows = pa.array([row for row, _ in kept], type=pa.int64())
    picked = table.select(["doc_id", "file_index", "offset"]).take(rows)
    return pa.table({"doc_id": picked.column("doc_id"), "file_index": picked.column("file_index"),
                     "offset": picked.column("offset"),
                     "dup_cluster_size": pa.array([size for _, size in kept], type=pa.int32()),
                     "dup_cluster_id": picked.column("doc_id")}).cast(KEPT_SCHEMA)


def _outcome_table(table: pa.Table, dropped: list[tuple[int, str, str]]) -> pa.Table:
    dropped.sort()
    picked = table.select(["doc_id", "warc_file", "offset", "warc_record_id"]).take(
        pa.array([row for row, _, _ in dropped], type=pa.int64()))
    return pa.table({"doc_id": picked.column("doc_id"), "warc_file": picked.column("warc_file"),
                     "offset": picked.column("offset"), "record_id": picked.column("warc_record_id"),
                     "status": pa.array([DROPPED] * len(dropped), type=pa.string()),
                     "stage": pa.array(["dedup"] * len(dropped), type=pa.string()),
                     "reason": pa.array([reason for _, reason, _ in dropped], type=pa.string()),
                     "detail": pa.array([f"duplicate_of={of}" for _, _, of in dropped], type=pa.string())}
                    ).cast(OUTCOME_SCHEMA)
