"""Crash and resume: kill the driver (and its Spark JVM and Python workers) mid-run, run again, and get
exactly the shards of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus.config import PipelineConfig
from tests.conftest import NIGHT

pytestmark = pytest.mark.spark


def _run_until_an_input_is_staged(root: Path, inputs: list[str], *args: str, output=subprocess.PIPE):
    """`corpus run` in its own process group (as a terminal runs it), returned once it has staged an input."""
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "corpus.cli", "run", "--master", "local[2]", "--output", str(root), "--night", NIGHT,
         *args, "--input", *inputs],
        env=env, start_new_session=True, stdout=output, stderr=output, text=True)
    deadline = time.time() + 300
    try:
        while not list((root / "staging" / NIGHT).glob("*/_DONE.json")):
            assert proc.poll() is None, "the run ended before any input was staged"
            assert time.time() < deadline, "no input staged in time"
            time.sleep(0.05)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return proc


def _wait_until_gone(group: int) -> None:
    """Until no process of the group is left (the driver's exit does not mean its workers are reaped)."""
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("processes of the killed run are still alive")


def test_killed_run_resumes_with_identical_shards(sample_crawl, sample_run, spark, tmp_path):
    from pipelines.job import run_pipeline

    root = tmp_path / "crashy"
    proc = _run_until_an_input_is_staged(root, sample_crawl.files, output=subprocess.DEVNULL)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: driver, JVM, Python workers
    proc.wait()
    _wait_until_gone(proc.pid)  # a worker finishing a write as the signal lands would change the count below
    staging = root / "staging" / NIGHT
    staged = len(list(staging.glob("*/_DONE.json")))
    assert 1 <= staged < len(sample_crawl.files), "kill landed after every input was staged"
    assert not (root / "sets" / NIGHT).exists() and not (root / "index.json").exists()

    # the killed driver left its lock: refused as stale until the operator says to break it
    from corpus.lock import RootLocked

    with pytest.raises(RootLocked, match="stale"):
        run_pipeline(sample_crawl.files, str(root), PipelineConfig(), spark=spark, log=lambda m: None, night=NIGHT)
    resumed = run_pipeline(sample_crawl.files, str(root), PipelineConfig(), spark=spark, log=lambda m: None,
                           night=NIGHT, break_lock=True)
    assert resumed.set_id == NIGHT
    assert resumed.stats["inputs"]["resumed"] == staged
    assert resumed.stats["inputs"]["processed"] == len(sample_crawl.files) - staged
    assert {(f["path"], f["sha256"]) for f in resumed.manifest["files"]} == {
        (f["path"], f["sha256"]) for f in sample_run.manifest["files"]}
    assert resumed.stats["records"] == sample_run.stats["records"]
    assert not list(Path(root).glob("staging/*"))


def test_ctrl_c_stops_cleanly_with_one_line_and_exit_130_then_resumes(sample_crawl, sample_run, spark, tmp_path):
    """Ctrl-C (SIGINT to the terminal's process group: driver, Spark JVM, Python workers) mid-run: Spark's jobs
    are cancelled, the lock is released, one line is printed and the exit code is 130; the same command
    resumes from what was staged."""
    from corpus.cli import EXIT_INTERRUPTED
    from pipelines.job import run_pipeline

    root = tmp_path / "interrupted"
    config = tmp_path / "quick.toml"
    config.write_text("[pii]\ncanary = false\n[shards]\nfiles_multiple = 1\n")  # cheap: not what is tested
    proc = _run_until_an_input_is_staged(root, sample_crawl.files, "--config", str(config))
    staging = root / "staging" / NIGHT
    try:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == EXIT_INTERRUPTED, err[-3000:]
    after = err.split("records/s", 1)[-1]  # what was printed from the interrupt on
    assert "Traceback" not in err and "Exception" not in after and "ERROR" not in after, err[-3000:]
    assert [line for line in after.splitlines() if line.strip() and "inputs " not in line] == [
        "[corpus] interrupted: what was staged is kept; run the same command again to resume"]
    assert out == ""
    assert not (root / "_LOCK.json").exists(), "a clean stop releases the root's lock"
    staged = len(list(staging.glob("*/_DONE.json")))
    assert staged < len(sample_crawl.files) and not (root / "sets" / NIGHT).exists()

    resumed = run_pipeline(sample_crawl.files, str(root), PipelineConfig.load(config), spark=spark,
                           log=lambda m: None, night=NIGHT)  # no --break-lock needed
    assert resumed.set_id == NIGHT and resumed.stats["inputs"]["resumed"] == staged
    assert resumed.stats["records"] == sample_run.stats["records"]


def test_a_set_staged_by_a_release_with_another_layout_is_staged_again(sample_crawl, sample_run, spark, tmp_path):
    """An unfinished set staged before the documents' layout changed (here: no shingle hashes, format 1) is not
    read as if it had the new one: its inputs are processed again, and the shards equal an uninterrupted run's."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from corpus.staging import DOC_SCHEMA, DONE_MARKER, input_key
    from pipelines.job import run_pipeline

    root = tmp_path / "older"
    staging = root / "staging" / NIGHT
    first = staging / input_key(sample_crawl.files[0])
    first.mkdir(parents=True)
    (staging / "inputs.json").write_text(json.dumps({  # what the earlier release wrote: no "format"
        "set_id": NIGHT, "inputs": sorted(sample_crawl.files), "pii_key_id": sample_run.manifest["run"]["pii_key_id"]}))
    older = pa.schema([f for f in DOC_SCHEMA if f.name != "shingle_hashes"])
    pq.write_table(older.empty_table(), first / "docs.parquet")
    pq.write_table(pa.schema([("doc_id", pa.string())]).empty_table(), first / "outcomes.parquet")
    (first / DONE_MARKER).write_text(json.dumps({"location": sample_crawl.files[0], "records": 0, "documents": 0}))
    messages = []
    resumed = run_pipeline(sample_crawl.files, str(root), PipelineConfig(), spark=spark, log=messages.append,
                           night=NIGHT)
    assert any("another staging layout" in m for m in messages)
    assert resumed.set_id == NIGHT and resumed.stats["inputs"]["resumed"] == 0
    assert resumed.stats["records"] == sample_run.stats["records"]
    assert {(f["path"], f["sha256"]) for f in resumed.manifest["files"]} == {
        (f["path"], f["sha256"]) for f in sample_run.manifest["files"]}
