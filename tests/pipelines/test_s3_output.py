"""A corpus root on an S3-compatible server (moto, loopback): inputs read from S3, shards, manifest, ledger and
index written there, byte-identical to a local run; a second run finds nothing new."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import NIGHT
from tests.conftest import S3_CREDENTIALS as CREDENTIALS

pytestmark = pytest.mark.spark


def _run(args: list[str], config: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, **CREDENTIALS, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    return subprocess.run([sys.executable, "-m", "corpus.cli", "run", "--master", "local[2]", "--config", str(config),
                           "--night", NIGHT, *args], env=env, capture_output=True, text=True, timeout=600)


def test_corpus_root_on_s3(s3_endpoint, sample_crawl, sample_run, tmp_path, monkeypatch):
    from corpus.inputs import RemoteOptions, s3_filesystem

    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    fs = s3_filesystem(RemoteOptions(s3_endpoint_url=s3_endpoint))
    fs.mkdir("crawl")  # moto keeps buckets per process: names differ from other test modules'
    fs.mkdir("corpus")
    for f in sample_crawl.files:
        fs.put_file(f, f"crawl/in/{Path(f).name}")
    config = tmp_path / "s3.toml"
    config.write_text(f'[remote]\ns3_endpoint_url = "{s3_endpoint}"\nstart_jitter_seconds = 0.0\n')

    result = _run(["--input", "s3://crawl/in/*.warc.gz", "--output", "s3://corpus/nightly"], config)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads(fs.cat_file(f"corpus/nightly/sets/{NIGHT}/manifest.json"))
    for entry in manifest["files"]:
        data = fs.cat_file(f"corpus/nightly/sets/{NIGHT}/{entry['path']}")
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
    # the same shards as the local run over the same files, but for the input locations they record
    assert {(f["path"], f["rows"]) for f in manifest["files"]} == {
        (f["path"], f["rows"]) for f in sample_run.manifest["files"]}
    for entry in manifest["files"][:5]:
        remote = pq.read_table(io.BytesIO(fs.cat_file(f"corpus/nightly/sets/{NIGHT}/{entry['path']}")))
        local = pq.read_table(Path(sample_run.set_dir) / entry["path"])
        assert remote.drop_columns(["warc_file"]).equals(local.drop_columns(["warc_file"]))
        assert all(w.startswith("s3://crawl/in/") for w in remote.column("warc_file").to_pylist())
    index = json.loads(fs.cat_file("corpus/nightly/index.json"))
    assert [s["id"] for s in index["sets"]] == [NIGHT]
    ledger = fs.cat_file("corpus/nightly/ledger.jsonl").decode().splitlines()
    assert len(ledger) == len(sample_crawl.files)
    assert fs.ls("corpus/nightly/sets", detail=False) == [f"corpus/nightly/sets/{NIGHT}"]
    assert not fs.exists("corpus/nightly/staging") or not fs.ls("corpus/nightly/staging")
    stats = json.loads(fs.cat_file(f"corpus/nightly/sets/{NIGHT}/stats.json"))
    assert stats["records"] == sample_run.stats["records"]
    keys = sum(pq.read_metadata(io.BytesIO(fs.cat_file(p))).num_rows
               for p in fs.ls(f"corpus/nightly/sets/{NIGHT}/dedup_index", detail=False))
    assert keys == stats["dedup_index"]["keys"] == sample_run.stats["dedup_index"]["keys"] > 0

    again = _run(["--input", "s3://crawl/in/*.warc.gz", "--output", "s3://corpus/nightly"], config)
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout.strip().splitlines()[-1])["set"] is None
