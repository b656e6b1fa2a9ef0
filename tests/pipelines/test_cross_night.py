"""Across nights: a later night drops its copies of what earlier nights published (the root's dedup index),
the index is compacted into generations, and readers see the compacted keys."""

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpus.config import PipelineConfig
from dedup.index import EXACT_BAND

pytestmark = pytest.mark.spark


def _rows(set_dir: Path) -> list[dict]:
    return [r for f in sorted(set_dir.glob("shards/lang=*/*.parquet")) for r in pq.read_table(f).to_pylist()]


def _keys(directory: Path) -> list[dict]:
    return [r for f in sorted(directory.glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


def _copies(files: list[str], folder: Path, prefix: str) -> list[str]:
    """The same WARC files under new names: a re-crawl the ledger cannot recognise."""
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder / (prefix + Path(f).name))
    return sorted(str(p) for p in folder.iterdir())


def test_later_nights_drop_copies_of_published_pages_and_the_index_compacts(sample_crawl, spark, tmp_path):
    from pipelines.job import run_pipeline

    config = PipelineConfig.load(dedup={"compact_index_after": 1})
    root, files = tmp_path / "corpus", sorted(sample_crawl.files)
    quiet = {"spark": spark, "log": lambda m: None}

    first = run_pipeline(files[:2], str(root), config, night="2026-11-01", **quiet)
    first_dir = Path(first.set_dir)
    published = {r["doc_id"] for r in _rows(first_dir)}
    keys = _keys(first_dir / "dedup_index")
    # every kept document: one key per band and its exact-text key; nothing else
    assert {r["doc_id"] for r in keys} == published
    assert len(keys) == len(published) * (config.dedup.num_bands + 1)
    assert {r["band"] for r in keys} == {EXACT_BAND, *range(config.dedup.num_bands)}
    assert first.stats["dedup_index"]["keys"] == len(keys)

    # night 2: a re-crawl of night 1's files plus one new file
    second = run_pipeline(_copies(files[:2], tmp_path / "recrawl", "again-") + [files[2]], str(root), config,
                          night="2026-11-02", **quiet)
    kept = _rows(Path(second.set_dir))
    assert kept and not published & {r["doc_id"] for r in kept}
    assert {r["warc_file"] for r in kept} == {files[2]}
    dropped = second.stats["outcomes"]["dedup"]["dropped"]
    assert dropped["published_duplicate"] >= len(published)
    outcomes = [r for f in Path(second.set_dir).glob("outcomes/*.parquet") for r in pq.read_table(f).to_pylist()]
    details = {r["detail"].removeprefix("duplicate_of=") for r in outcomes if r["reason"] == "published_duplicate"}
    assert details <= published  # each names the published document it repeats

    # two sets, compact_index_after=1: compacted into generation 1, which covers both
    current = json.loads((root / "dedup_index" / "CURRENT.json").read_text())
    assert current == {"generation": 1, "sets": ["2026-11-01", "2026-11-02"]}
    generation = _keys(root / "dedup_index" / "gen-000001")
    every_set = keys + _keys(Path(second.set_dir) / "dedup_index")
    assert sorted((r["band"], r["key"], r["doc_id"]) for r in generation) == \
        sorted((r["band"], r["key"], r["doc_id"]) for r in every_set)

    # night 3 reads the generation (no per-set parts left to read) and still drops the copies
    third = run_pipeline(_copies([files[2]], tmp_path / "recrawl-3", "third-"), str(root), config,
                         night="2026-11-03", **quiet)
    assert third.stats["dedup_index"]["checked_against_files"] == len(list((root / "dedup_index" / "gen-000001").glob("*.parquet")))
    assert not _rows(Path(third.set_dir))
    assert third.stats["outcomes"]["dedup"]["dropped"]["published_duplicate"] >= len(kept)
    # one uncovered set is not over compact_index_after: generation 1 stays; compacting now replaces it
    assert json.loads((root / "dedup_index" / "CURRENT.json").read_text())["generation"] == 1
    from dedup.index import PublishedIndex
    from corpus.ledger import CorpusRoot
    from pipelines.job import compact_dedup_index

    index = PublishedIndex(CorpusRoot(str(root)).open())
    assert index.uncovered_sets() == ["2026-11-03"]
    assert compact_dedup_index(spark, index, lambda m: None) == 2
    assert index.current()["sets"] == ["2026-11-01", "2026-11-02", "2026-11-03"] and not index.uncovered_sets()
    assert not (root / "dedup_index" / "gen-000001").exists()
    assert len(_keys(root / "dedup_index" / "gen-000002")) == len(generation)  # night 3 kept nothing
