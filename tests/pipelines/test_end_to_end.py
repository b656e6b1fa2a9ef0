"""The whole pipeline on the sample crawl with real Spark (local[2]): contract, languages, personal data,
duplicates, accounting and determinism."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastwarc.warc import ArchiveIterator

from corpus.config import EU_LANGUAGES, PipelineConfig
from tests.conftest import NIGHT
from corpus.shards import SHARD_SCHEMA

pytestmark = pytest.mark.spark

REQUIRED_COLUMNS = {"doc_id", "text", "lang", "lang_score", "url", "domain", "warc_file", "warc_record_id",
                    "fetch_date", "n_chars", "n_words", "pii_counts", "dup_cluster_size"}
SHARD_NAME = re.compile(r"^shards/lang=([a-z]{2})/part-\d{5}\.parquet$")


def _shards(out: Path) -> list[Path]:
    return sorted(out.glob("shards/lang=*/*.parquet"))


def _all_rows(out: Path) -> list[dict]:
    return [row for path in _shards(out) for row in pq.read_table(path).to_pylist()]


def test_output_follows_the_shard_contract(sample_run):
    out = Path(sample_run.set_dir)
    manifest = json.loads((out / "manifest.json").read_text())
    listed = {f["path"]: f for f in manifest["files"]}
    shards = _shards(out)
    assert shards and {str(p.relative_to(out)) for p in shards} == set(listed)
    config = PipelineConfig().shards
    for path in shards:
        relative = str(path.relative_to(out))
        lang = SHARD_NAME.match(relative).group(1)
        parquet = pq.ParquetFile(path)
        assert REQUIRED_COLUMNS <= set(parquet.schema_arrow.names)
        assert parquet.schema_arrow.equals(SHARD_SCHEMA, check_metadata=False)
        assert parquet.metadata.row_group(0).column(0).compression == "ZSTD"
        assert all(parquet.metadata.row_group(i).num_rows <= config.row_group_size
                   for i in range(parquet.metadata.num_row_groups))
        table = parquet.read()
        assert set(table.column("lang").to_pylist()) <= {lang}  # one language per file (a part may be empty)
        entry = listed[relative]
        assert entry["rows"] == table.num_rows
        assert entry["bytes"] == path.stat().st_size
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # every language has a multiple of shards.files_multiple files, so trainer hosts share them evenly
    for lang, totals in manifest["languages"].items():
        assert totals["files"] % config.files_multiple == 0
        assert totals["files"] == sum(1 for f in manifest["files"] if f["lang"] == lang)
    rows = _all_rows(out)
    assert manifest["totals"]["documents"] == len(rows)
    for lang, totals in manifest["languages"].items():
        mine = [r for r in rows if r["lang"] == lang]
        assert totals["documents"] == len(mine)
        assert totals["characters"] == sum(r["n_chars"] for r in mine) == sum(len(r["text"]) for r in mine)
    assert len({r["doc_id"] for r in rows}) == len(rows)
    for name in ("stats.json", "report.html", "config.json"):
        assert (out / name).is_file()
    root = Path(sample_run.root)
    assert not list(root.glob("sets/.*")) and not list(root.glob("staging/*")), "temporary files left behind"


def test_all_24_languages_are_kept_and_nothing_else(sample_run):
    rows = _all_rows(Path(sample_run.set_dir))
    assert {r["lang"] for r in rows} == set(EU_LANGUAGES)
    assert all(0.3 <= r["lang_score"] <= 1.0 for r in rows)  # the lowest per-language floor is 0.3
    # top-k labels and per-language shares of text travel with every row; the sample pages are not mixed
    assert all(len(r["lang_top"]) == 3 and r["lang_top"][0]["score"] >= r["lang_top"][-1]["score"] for r in rows)
    assert all(max(dict(r["lang_shares"]), key=dict(r["lang_shares"]).get) == r["lang"] for r in rows)
    assert sample_run.stats["languages_mixed"] == {}
    # the planted Russian and Turkish pages were identified and dropped
    langid = sample_run.stats["outcomes"]["langid"]["dropped"]
    assert langid.get("not_eu_language", 0) == 4


def test_boilerplate_is_not_in_the_text(sample_run):
    from corpus.sample.generate import load_texts

    rows = _all_rows(Path(sample_run.set_dir))
    by_lang = {lang: load_texts(lang) for lang in EU_LANGUAGES}
    leaks = [r["doc_id"] for r in rows if by_lang[r["lang"]]["cookie_banner"] in r["text"]
             or by_lang[r["lang"]]["copyright"] in r["text"]]
    assert leaks == []


def test_planted_personal_data_is_gone_from_every_shard(sample_run, sample_crawl):
    out = Path(sample_run.set_dir)
    rows = _all_rows(out)
    texts = "\n".join(r["text"] for r in rows)
    assert sample_crawl.planted_pii, "the sample crawl plants personal data"
    leaked = [v for v in sample_crawl.planted_pii if v in texts]
    assert leaked == []
    digits = re.sub(r"\D", "", texts)
    for value in sample_crawl.planted_pii:  # also not with its spacing changed (IBAN, cards, phones)
        only_digits = re.sub(r"\D", "", value)
        if len(only_digits) >= 12:
            assert only_digits not in digits
    found = sum(sum((r["pii_counts"] and dict(r["pii_counts"]) or {}).values()) for r in rows)
    assert found > 0 and "<EMAIL>" in texts and "<IBAN>" in texts
    for name in ("report.html", "stats.json", "manifest.json"):
        written = (out / name).read_text(encoding="utf-8")
        assert not [v for v in sample_crawl.planted_pii if v in written]


def test_duplicates_are_removed(sample_run, sample_crawl):
    expected = sample_crawl.meta["expected"]
    dedup = sample_run.stats["outcomes"]["dedup"]["dropped"]
    assert dedup.get("exact_duplicate", 0) == expected["exact_duplicates"]
    assert dedup.get("near_duplicate", 0) == expected["near_duplicates"]
    rows = _all_rows(Path(sample_run.set_dir))
    assert len({r["text"] for r in rows}) == len(rows)
    clustered = [r for r in rows if r["dup_cluster_size"] > 1]
    assert sum(r["dup_cluster_size"] - 1 for r in clustered) == expected["exact_duplicates"] + expected["near_duplicates"]


def _count_records(files: list[str]) -> int:
    n = 0
    for path in files:
        with open(path, "rb") as f:
            n += sum(1 for _ in ArchiveIterator(f, parse_http=False))
    return n


def test_every_record_has_exactly_one_outcome(sample_run, sample_crawl):
    out = Path(sample_run.set_dir)
    records = sample_run.stats["records"]
    assert records["read"] == records["kept"] + records["dropped"] + records["quarantined"]
    assert records["read"] == _count_records(sample_crawl.files)
    outcomes = pq.read_table(out / "outcomes").to_pylist()
    assert len(outcomes) == records["read"]
    assert len({(o["warc_file"], o["offset"]) for o in outcomes}) == len(outcomes)
    assert sum(o["status"] == "kept" for o in outcomes) == records["kept"] == len(_all_rows(out))
    quarantined = [o for o in outcomes if o["status"] == "quarantined"]
    assert [(Path(o["warc_file"]).name, o["reason"]) for o in quarantined] == [
        ("sample-truncated.warc.gz", "truncated_record")]
    per_stage = sum(n for stage in sample_run.stats["outcomes"].values()
                    for status in ("dropped", "quarantined") for n in stage[status].values())
    assert per_stage == records["dropped"] + records["quarantined"]


def test_two_runs_give_identical_shards(sample_run, sample_crawl, spark, tmp_path):
    from pipelines.job import run_pipeline

    again = run_pipeline(sample_crawl.files, str(tmp_path / "again"), PipelineConfig(), spark=spark,
                         log=lambda m: None, night=NIGHT)
    first = {(f["path"], f["sha256"]) for f in sample_run.manifest["files"]}
    second = {(f["path"], f["sha256"]) for f in again.manifest["files"]}
    assert first == second


def test_index_and_ledger_describe_the_published_set(sample_run, sample_crawl):
    root = Path(sample_run.root)
    index = json.loads((root / "index.json").read_text())
    assert [s["id"] for s in index["sets"]] == [NIGHT]
    assert index["sets"][0]["documents"] == sample_run.manifest["totals"]["documents"]
    assert (root / index["sets"][0]["manifest"]).is_file()
    ledger = [json.loads(line) for line in (root / "ledger.jsonl").read_text().splitlines()]
    assert sorted(e["location"] for e in ledger) == sorted(sample_crawl.files)
    for entry in ledger:
        data = Path(entry["location"]).read_bytes()
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["set_id"] == NIGHT


def test_a_second_night_processes_only_new_inputs(sample_crawl, spark, tmp_path):
    from corpus.ledger import NotACorpusRoot
    from pipelines.job import run_pipeline

    root = tmp_path / "nightly"
    first_files, new_file = sample_crawl.files[:2], sample_crawl.files[2]
    first = run_pipeline(first_files, str(root), PipelineConfig(), spark=spark, log=lambda m: None, night="2026-11-01")
    again = run_pipeline(first_files, str(root), PipelineConfig(), spark=spark, log=lambda m: None, night="2026-11-02")
    assert again.set_id is None and again.inputs["already_published"] == 2
    second = run_pipeline(first_files + [new_file], str(root), PipelineConfig(), spark=spark, log=lambda m: None,
                          night="2026-11-02")
    assert second.set_id == "2026-11-02" and second.stats["inputs"]["processed"] == 1
    assert {Path(s["location"]).name for s in json.loads((Path(second.set_dir) / "inputs.json").read_text())["inputs"]} \
        == {Path(new_file).name}
    index = json.loads((root / "index.json").read_text())
    assert [s["id"] for s in index["sets"]] == ["2026-11-01", "2026-11-02"]
    # published sets are immutable: the first night's files are untouched
    assert json.loads((Path(first.set_dir) / "manifest.json").read_text()) == first.manifest
    not_a_root = tmp_path / "somewhere"
    not_a_root.mkdir()
    (not_a_root / "precious.txt").write_text("keep me")
    with pytest.raises(NotACorpusRoot):
        run_pipeline(first_files, str(not_a_root), PipelineConfig(), spark=spark, log=lambda m: None)


def test_tdm_opt_outs_are_honoured_and_reported(sample_run, sample_crawl):
    assert sample_crawl.meta["expected"]["opted_out_pages"] == 4
    assert sample_run.stats["outcomes"]["optout"]["dropped"] == {"robots_noai": 2, "tdm_reservation": 2}
    report = (Path(sample_run.set_dir) / "report.html").read_text(encoding="utf-8")
    assert "Opt-outs honoured" in report and "TDMRep reservation" in report


def test_erasure_index_holds_keyed_fingerprints_and_no_values(sample_run, sample_crawl):
    import pyarrow.parquet as pq

    from pii.fingerprints import fingerprint
    from tests.conftest import PII_TEST_KEY

    set_dir = Path(sample_run.set_dir)
    files = sorted((set_dir / "pii_index").glob("*.parquet"))
    index = [row for f in files for row in pq.read_table(f).to_pylist()]
    from pii.fingerprints import key_id

    expected_key = key_id(PII_TEST_KEY.encode())
    assert index and sample_run.stats["pii_index"] == {"fingerprints": len(index), "enabled": True,
                                                       "key_id": expected_key}
    assert sample_run.manifest["run"]["pii_key_id"] == expected_key != PII_TEST_KEY  # an identity, not the key
    shard_ids = {r["doc_id"] for r in _all_rows(set_dir)}
    assert {r["doc_id"] for r in index} <= shard_ids
    assert all(len(r["fingerprint"]) == 32 and int(r["fingerprint"], 16) >= 0 for r in index)
    raw = b"".join(f.read_bytes() for f in files)
    assert not [v for v in sample_crawl.planted_pii if v.encode() in raw]
    # a planted value is found again from its fingerprint, whatever type it was planted as
    known = {r["fingerprint"] for r in index}
    types = ("EMAIL", "PHONE", "IBAN", "CREDIT_CARD", "IP_ADDRESS")
    found = [v for v in sample_crawl.planted_pii
             if any(fingerprint(PII_TEST_KEY.encode(), t, v, lang) in known for t in types for lang in (None, "de"))]
    assert len(found) >= len(sample_crawl.planted_pii) // 2


def test_canary_ran_before_the_run_and_is_in_the_report(sample_run):
    canary = sample_run.stats["pii_canary"]
    assert canary["passed"] and set(canary["recall"]) >= {"EMAIL", "PHONE", "IBAN", "CREDIT_CARD", "IP_ADDRESS"}
    page = (Path(sample_run.set_dir) / "report.html").read_text()
    assert "Personal-data canary" in page and "passed" in page and "on every executor (1 host(s))" in page
