"""The driver JVM's class archive: built complete or not at all, mapped when present, and a damaged one never
stops a run (the session starts without it and the archive is removed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyspark
import pytest

from corpus.config import SparkConfig
from pipelines import jvm_archive

#: a session with the default configuration in a fresh process (the archive is read when a JVM starts); prints
#: the JVM's options and a job's result
SESSION = """
from corpus.config import SparkConfig
from pipelines.spark import build_session
spark = build_session(SparkConfig(master="local[1]"))
arguments = list(spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
print("ARGS " + " ".join(arguments))
print("COUNT", spark.range(0, 7).count())
spark.stop()
"""


def _session(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SESSION], env=env, capture_output=True, text=True, timeout=300)


def test_only_an_archive_of_the_recorded_size_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    from pipelines.spark import ensure_java

    ensure_java()
    archive = jvm_archive.archive_path(SparkConfig())
    assert archive is not None and archive.is_relative_to(tmp_path)
    assert archive != jvm_archive.archive_path(SparkConfig(extra_conf={"spark.driver.extraClassPath": "/x.jar"}))
    # another installation of the same Spark (another checkout's .venv): its class path differs, so its archive too
    other = tmp_path / "other-spark"
    shutil.copytree(Path(pyspark.__file__).parent / "jars", other / "jars", copy_function=os.symlink)
    monkeypatch.setenv("SPARK_HOME", str(other))
    assert jvm_archive.archive_path(SparkConfig()) not in (archive, None)
    monkeypatch.delenv("SPARK_HOME")
    assert jvm_archive.archive_path(SparkConfig()) == archive
    assert not jvm_archive.usable(archive)
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"\0" * 1000)
    assert not jvm_archive.usable(archive), "no record: still being published"
    archive.with_suffix(".json").write_text(json.dumps({"bytes": 999}))
    assert not jvm_archive.usable(archive), "truncated or grown since it was checked"
    archive.with_suffix(".json").write_text("{not json")
    assert not jvm_archive.usable(archive)
    archive.with_suffix(".json").write_text(json.dumps({"bytes": 1000}))
    assert jvm_archive.usable(archive)
    jvm_archive.discard(archive)
    assert not archive.exists() and not archive.with_suffix(".json").exists()


@pytest.mark.spark
def test_archive_is_built_mapped_and_a_damaged_one_is_dropped(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYSPARK_PYTHON": sys.executable}
    from pipelines.spark import ensure_java

    ensure_java()
    messages = []
    archive = jvm_archive.build(SparkConfig(), log=messages.append)
    assert archive is not None and jvm_archive.usable(archive), messages
    assert [p.name for p in archive.parent.iterdir() if p.name.endswith(".part")] == []
    assert archive.stat().st_size > 10 * 2**20  # Spark's classes, not a stub

    mapped = _session(env)  # -Xshare:on: this JVM started only because it mapped the archive
    assert mapped.returncode == 0, mapped.stderr[-3000:]
    assert f"-XX:SharedArchiveFile={archive}" in mapped.stdout and "-Xshare:on" in mapped.stdout
    assert "COUNT 7" in mapped.stdout

    # cut in half with a matching record (a disk that filled up as it was copied): mapping it kills the JVM
    data = archive.read_bytes()[: archive.stat().st_size // 2]
    archive.write_bytes(data)
    archive.with_suffix(".json").write_text(json.dumps({"bytes": len(data)}))
    damaged = _session(env)
    assert damaged.returncode == 0, damaged.stderr[-3000:]
    assert "COUNT 7" in damaged.stdout and "SharedArchiveFile" not in damaged.stdout
    assert "did not start with its class archive" in damaged.stderr
    assert not archive.exists() and not jvm_archive.usable(archive)
    assert not list(Path.cwd().glob("hs_err_pid*.log")), "a crash report goes beside the archive, not here"
