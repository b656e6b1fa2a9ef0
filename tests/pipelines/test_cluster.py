"""Cluster mode: a real Spark standalone master and two workers on 127.0.0.1; `corpus run --master spark://...`
must write the same shards as local mode."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import NIGHT

pytestmark = pytest.mark.spark


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spark_env() -> dict:
    import pyspark

    from pipelines.spark import ensure_java

    env = dict(os.environ, SPARK_HOME=os.path.dirname(pyspark.__file__), JAVA_HOME=ensure_java(),
               SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    env.pop("PYSPARK_GATEWAY_PORT", None)
    env.pop("CORPUS_PII_KEY", None)  # the workers (and so the executors) never get the key here
    return env


@pytest.fixture(scope="module")
def standalone_cluster(tmp_path_factory):
    env = _spark_env()
    spark_class = os.path.join(env["SPARK_HOME"], "bin", "spark-class")
    port, ui = _free_port(), _free_port()
    logs = tmp_path_factory.mktemp("cluster-logs")
    procs = [subprocess.Popen(
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
         "--webui-port", str(ui)], env=env, stdout=open(logs / "master.log", "w"), stderr=subprocess.STDOUT)]
    master = f"spark://127.0.0.1:{port}"
    for i in range(2):
        procs.append(subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.worker.Worker", master, "--cores", "1", "--memory", "2g",
             "--host", "127.0.0.1", "--webui-port", str(_free_port()), "--work-dir", str(logs / f"work{i}")],
            env=env, stdout=open(logs / f"worker{i}.log", "w"), stderr=subprocess.STDOUT))
    try:
        deadline = time.time() + 120
        while True:  # the master's JSON status lists registered workers
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5) as r:
                    alive = [w for w in json.load(r).get("workers", []) if w.get("state") == "ALIVE"]
                if len(alive) == 2:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"workers did not register; logs in {logs}")
            time.sleep(1)
        yield master
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def test_cluster_run_writes_the_same_shards_as_local_mode(standalone_cluster, sample_run, sample_crawl, tmp_path):
    out = tmp_path / "cluster-out"
    result = subprocess.run(
        [sys.executable, "-m", "corpus.cli", "run", "--master", standalone_cluster, "--output", str(out),
         "--night", NIGHT, "--input", *sample_crawl.files],
        env=_spark_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["read"] == sample_run.stats["records"]["read"]
    set_dir = out / "sets" / NIGHT
    cluster = json.loads((set_dir / "manifest.json").read_text())
    assert cluster["run"]["master"] == standalone_cluster
    assert {(f["path"], f["sha256"]) for f in cluster["files"]} == {
        (f["path"], f["sha256"]) for f in sample_run.manifest["files"]}
    stats = json.loads((set_dir / "stats.json").read_text())
    assert stats["records"] == sample_run.stats["records"]


def test_a_fingerprint_key_on_the_driver_only_is_refused_before_anything_is_staged(
        standalone_cluster, sample_crawl, tmp_path):
    """The executors of a real cluster lack the key the driver has: publishing would leave the erasure index
    silently empty, so the run stops (exit 2) and names the executors; the key itself is never printed."""
    secret = "driver-only key 5c1e"
    out = tmp_path / "driver-key"
    result = subprocess.run(
        [sys.executable, "-m", "corpus.cli", "run", "--master", standalone_cluster, "--output", str(out),
         "--night", NIGHT, "--input", sample_crawl.files[0]],
        env=dict(_spark_env(), CORPUS_PII_KEY=secret), capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "executors on" in result.stderr and "have no fingerprint key" in result.stderr
    assert secret not in result.stderr + result.stdout
    assert not list(out.glob("sets/*")) and not list(out.glob("staging/*"))
