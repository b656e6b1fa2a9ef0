"""The deployment as written: docker-compose.yml's services run their own commands here, where no Docker engine
is present — the Spark master, two workers and the history server as local processes on 127.0.0.1, a
loopback S3 server (moto) standing in for MinIO — and the `corpus` job service's command must publish the same
documents as local mode into the bucket it creates (a corpus root on an object store: shards, index, ledger,
dedup index), with its event log in the history server. Host names,
ports and the container paths are the only things translated (each container has its own)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import NIGHT

pytestmark = pytest.mark.spark

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default}: the environment's value, else the default."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m[1], m[2]), value)


def service(name: str) -> dict:
    """A service as compose sees it (YAML anchors and merge keys resolved, variables interpolated)."""
    spec = COMPOSE["services"][name]
    return {"command": list(spec.get("command", [])),
            "environment": {k: _interpolate(str(v)) for k, v in (spec.get("environment") or {}).items()}}


def _spark_env() -> dict:
    """What the image's ENV lines give every container (Dockerfile): Spark's home, Java, this Python."""
    import pyspark

    from pipelines.spark import ensure_java

    env = dict(os.environ, SPARK_HOME=os.path.dirname(pyspark.__file__), JAVA_HOME=ensure_java(),
               SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    env.pop("PYSPARK_GATEWAY_PORT", None)
    env.pop("CORPUS_PII_KEY", None)  # the compose file gives no key: neither the workers nor the job have one
    return env


class LocalCompose:
    """docker-compose.yml's services as local processes: names and ports of the compose network become
    127.0.0.1 and free ports, the container paths /data, /spark-events and /opt/eu-corpus become folders here."""

    def __init__(self, base: Path, s3_endpoint: str):
        self.base = base
        self.data, self.events = base / "data", base / "spark-events"
        self.data.mkdir()
        self.events.mkdir()
        self.port, self.ui, self.history_ui = _free_port(), _free_port(), _free_port()
        self.master = f"spark://127.0.0.1:{self.port}"
        self.s3_endpoint = s3_endpoint
        self.procs: list[subprocess.Popen] = []

    def translate(self, text: str) -> str:
        """One pass, longest names first: a replaced part is never translated twice."""
        names = {"spark://spark-master:7077": self.master, "http://minio:9000": self.s3_endpoint,
                 "file:///spark-events": self.events.as_uri(), "/opt/eu-corpus": str(REPO),
                 "/spark-events": str(self.events), "/data": str(self.data)}
        return re.sub("|".join(map(re.escape, names)), lambda m: names[m[0]], text)

    def command(self, name: str) -> tuple[list[str], dict]:
        spec = service(name)
        env = dict(_spark_env(), **{k: self.translate(v) for k, v in spec["environment"].items()})
        args = [self.translate(a) for a in spec["command"]]
        if "--config" in args:  # the image's config file names the compose hosts: a translated copy
            position = args.index("--config") + 1
            copy = self.base / f"{name}-{Path(args[position]).name}"
            copy.write_text(self.translate(Path(args[position]).read_text()))
            args[position] = str(copy)
        if args[0] == "spark-class":
            args[0] = os.path.join(env["SPARK_HOME"], "bin", "spark-class")
        return args, env

    def start(self, name: str, args: list[str], env: dict) -> None:
        log = open(self.base / f"{name}.log", "w")
        self.procs.append(subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT))

    def up(self) -> None:
        args, env = self.command("spark-master")
        args = [{"spark-master": "127.0.0.1", "7077": str(self.port), "8080": str(self.ui)}.get(a, a) for a in args]
        self.start("spark-master", args, env)
        for i, name in enumerate(("spark-worker-1", "spark-worker-2")):
            args, env = self.command(name)
            # each container has the machine to itself; here two workers share 2 cores: one core each
            args = [{"2": "1"}.get(a, a) if args[k - 1] == "--cores" else a for k, a in enumerate(args)]
            self.start(name, args + ["--host", "127.0.0.1", "--webui-port", str(_free_port()),
                                     "--work-dir", str(self.base / f"work{i}")], env)
        args, env = self.command("history")
        env["SPARK_HISTORY_OPTS"] += f" -Dspark.history.ui.port={self.history_ui} -Dspark.history.fs.update.interval=1s"
        self.start("history", args, env)
        deadline = time.time() + 180
        while True:  # the master's JSON status lists registered workers
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.ui}/json/", timeout=5) as r:
                    alive = [w for w in json.load(r).get("workers", []) if w.get("state") == "ALIVE"]
                if len(alive) == 2:
                    return
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"workers did not register; logs in {self.base}")
            time.sleep(1)

    def history_applications(self) -> list[dict]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.history_ui}/api/v1/applications", timeout=5) as r:
            return json.load(r)

    def down(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture(scope="module")
def compose(tmp_path_factory, s3_endpoint):
    stack = LocalCompose(tmp_path_factory.mktemp("compose"), s3_endpoint)
    try:
        stack.up()
        yield stack
    finally:
        stack.down()


@pytest.fixture(scope="module")
def standalone_cluster(compose):
    return compose.master


def test_the_compose_job_publishes_to_minio_on_the_cluster_like_local_mode(compose, sample_run, sample_crawl,
                                                                          monkeypatch):
    from corpus.inputs import RemoteOptions, s3_filesystem

    args, env = compose.command("corpus")
    assert args[:2] == ["corpus", "run"] and "--overwrite" not in args
    # the job generates the sample crawl into $XDG_CACHE_HOME (on /data, seen by every worker); the same
    # deterministic files are put there first, as a second run would find them
    from corpus.cli import sample_crawl_dir

    cache = Path(env["XDG_CACHE_HOME"])
    target = cache / sample_crawl_dir(6).relative_to(sample_crawl_dir(6).parents[1])
    shutil.copytree(Path(sample_crawl.files[0]).parent, target)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        assert env[key], f"the compose file gives the job {key}"
        monkeypatch.setenv(key, env[key])  # and this test reads the store with the same credentials
    fs = s3_filesystem(RemoteOptions(s3_endpoint_url=compose.s3_endpoint))
    output = args[args.index("--output") + 1]
    bucket = output[len("s3://"):].split("/")[0]
    assert not fs.exists(bucket), "MinIO starts empty: the job must create its bucket"

    result = subprocess.run([sys.executable, "-m", "corpus.cli", *args[1:]], env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "created the bucket" in result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["read"] == sample_run.stats["records"]["read"]
    prefix = output[len("s3://"):]
    set_id = summary["set"]
    manifest = json.loads(fs.cat_file(f"{prefix}/sets/{set_id}/manifest.json"))
    assert manifest["run"]["master"] == compose.master
    assert {(f["path"], f["rows"]) for f in manifest["files"]} == {
        (f["path"], f["rows"]) for f in sample_run.manifest["files"]}
    for entry in manifest["files"]:  # every shard as the manifest says, and as local mode wrote it
        data = fs.cat_file(f"{prefix}/sets/{set_id}/{entry['path']}")
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
        remote = pq.read_table(io.BytesIO(data))
        local = pq.read_table(Path(sample_run.set_dir) / entry["path"])
        assert remote.drop_columns(["warc_file"]).equals(local.drop_columns(["warc_file"]))  # other input paths
    stats = json.loads(fs.cat_file(f"{prefix}/sets/{set_id}/stats.json"))
    assert stats["records"] == sample_run.stats["records"]
    # the root on the object store: index, ledger, the dedup index, nothing left in staging
    assert [s["id"] for s in json.loads(fs.cat_file(f"{prefix}/index.json"))["sets"]] == [set_id]
    assert len(fs.cat_file(f"{prefix}/ledger.jsonl").decode().splitlines()) == len(sample_crawl.files)
    assert fs.ls(f"{prefix}/sets", detail=False) == [f"{prefix}/sets/{set_id}"]
    assert not fs.exists(f"{prefix}/staging") or not fs.ls(f"{prefix}/staging")
    keys = sum(pq.read_metadata(io.BytesIO(fs.cat_file(p))).num_rows
               for p in fs.ls(f"{prefix}/sets/{set_id}/dedup_index", detail=False))
    assert keys == stats["dedup_index"]["keys"] == sample_run.stats["dedup_index"]["keys"] > 0

    # the run's event log reached the history server through the shared /spark-events volume
    deadline = time.time() + 60
    while not any(a["name"] == "eu-corpus" for a in compose.history_applications()):
        assert time.time() < deadline, f"the history server never listed the run; logs in {compose.base}"
        time.sleep(1)


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
