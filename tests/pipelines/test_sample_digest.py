"""The sample crawl's published rows, pinned: a change that alters what the pipeline publishes must say so.

Speed work (issue 15) rewrote stages and Spark phases on the promise that the shards stay the same. This test
compares every shard of the shared sample run, row by row, with the digest recorded in
``tests/data/sample_run_digest.json``: one sha256 per shard file over its rows (canonical JSON, every column
but ``warc_file``, which holds this machine's temporary path), plus the set's counts. Parquet bytes are not
compared, so a new pyarrow version does not break it. A change that is meant to alter the output (a better
tokenizer, a new column) regenerates the file and explains the difference in its commit:

    UPDATE_SAMPLE_DIGEST=1 .venv/bin/python -m pytest tests/pipelines/test_sample_digest.py
"""

import hashlib
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.spark

DIGEST = Path(__file__).parents[1] / "data" / "sample_run_digest.json"


def _rows_digest(path: Path) -> str:
    rows = pq.read_table(path).to_pylist()
    for row in rows:
        row.pop("warc_file")
    return hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _digest(sample_run) -> dict:
    set_dir = Path(sample_run.root) / "sets" / sample_run.set_id
    stats = sample_run.stats
    return {
        "records": stats["records"],
        "languages": stats["languages"],
        "pii": stats["pii"],
        "shards": {f["path"]: {"rows": f["rows"], "rows_sha256": _rows_digest(set_dir / f["path"])}
                   for f in sorted(sample_run.manifest["files"], key=lambda f: f["path"])},
    }


def test_published_rows_equal_the_recorded_digest(sample_run):
    got = _digest(sample_run)
    if os.environ.get("UPDATE_SAMPLE_DIGEST"):
        DIGEST.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    expected = json.loads(DIGEST.read_text())
    assert got["records"] == expected["records"]
    assert got["languages"] == expected["languages"] and got["pii"] == expected["pii"]
    changed = sorted(p for p in expected["shards"] if got["shards"].get(p) != expected["shards"][p])
    assert set(got["shards"]) == set(expected["shards"]) and not changed, f"shards that changed: {changed[:10]}"
