"""A class-data archive of Spark's JVM (HotSpot AppCDS), so the driver starts in about half the time.

A local Spark session spends most of its start-up loading, parsing and verifying some 15,000 classes, and its
first jobs compiling them. A dynamic CDS archive (JDK 13+) holds those classes pre-parsed and is mapped from
disk. Measured on this project's 2-core machine: session 11.6 -> 6.0 s, first job 5.4 -> 2.2 s; with the
quick JIT (``SparkConfig.driver_java_options``) a whole x4 run's fixed costs went from 67 to 45 s.

The archive is built once per machine (and per Java build, Spark installation and driver class path: its key),
by a child process that runs the job's Spark operations on a few rows; its JVM writes the archive when it
exits (``-XX:ArchiveClassesAtExit``). It is published only complete: the JVM must exit cleanly and a second
one must map it (``-Xshare:on``) and run a job, and the file is renamed into place with its size recorded
beside it. A truncated archive crashes the JVM that maps it (SIGBUS), so a file whose size differs from the record is never used, and a
session that fails to start with the archive (damaged, or made for another class path) is started again
without it, and the archive removed: the next run on a local master builds a new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from corpus.config import SparkConfig

#: Java options that make the JVM quiet about classes it cannot archive or an archive it does not accept
_QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "eu-corpus"


def archive_path(config: SparkConfig) -> Path | None:
    """Where the archive for this Java, this Spark and this driver class path lives; None without a Java."""
    import pyspark
    from pyspark.find_spark_home import _find_spark_home

    from pipelines.spark import java_version

    java = os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "java")
    version = java_version(java)
    if not version:
        return None
    # the JVM checks the class path it was archived with, paths included: another installation of the same
    # Spark (another checkout's .venv) needs its own archive, or it would refuse this one and remove it
    jars = Path(_find_spark_home()).resolve() / "jars"
    key = json.dumps({
        "java": [os.path.realpath(java), version],
        "spark": [pyspark.__version__, str(jars), sorted(p.name for p in jars.glob("*.jar"))],
        "class_path": config.extra_conf.get("spark.driver.extraClassPath", ""),
    }, sort_keys=True)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return cache_dir() / "jvm" / f"spark-{pyspark.__version__}-{digest}.jsa"


def _record(archive: Path) -> Path:
    return archive.with_suffix(".json")


def usable(archive: Path | None) -> bool:
    """Published complete: the file is there with the size recorded when it was checked."""
    if archive is None or not archive.is_file() or not _record(archive).is_file():
        return False
    try:
        return json.loads(_record(archive).read_text())["bytes"] == archive.stat().st_size
    except (OSError, ValueError, KeyError, TypeError):
        return False


def use_options(archive: Path) -> str:
    """-Xshare:on: the JVM maps the archive or does not start (build_session then starts one without it and
    removes the archive), rather than silently going without; a crash report goes beside the archive."""
    return f"-Xshare:on -XX:SharedArchiveFile={archive} -XX:ErrorFile={archive.parent}/hs_err_pid%p.log {_QUIET}"


def discard(archive: Path) -> None:
    for path in (_record(archive), archive):
        path.unlink(missing_ok=True)


def ensure(config: SparkConfig, log) -> None:
    """After a run on this machine (a local master): make the archive if it is missing, once."""
    from pipelines.spark import launched_by_spark_submit

    if not config.class_archive or launched_by_spark_submit() or not config.master.startswith("local"):
        return
    if not usable(archive_path(config)):
        log("building the JVM class archive for this machine, once (a minute or two): later runs start faster")
        build(config, log)


def build(config: SparkConfig, log=print, timeout: float = 600) -> Path | None:
    """Build and publish the archive (a child process runs the job's Spark operations on a few rows, a second
    one checks that a JVM maps it); its path, or None when this Java cannot make one (runs go on without)."""
    archive = archive_path(config)
    if archive is None:
        return None
    if usable(archive):
        return archive
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.parent / f".{archive.name}.{os.getpid()}.part"
    started = time.time()
    env = {**os.environ, "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable)}
    try:
        for step in ("build", "check"):
            done = subprocess.run([sys.executable, "-m", "pipelines.jvm_archive", step, str(partial)], env=env,
                                  capture_output=True, text=True, timeout=timeout)
            if done.returncode != 0 or not partial.is_file():
                log("note: no JVM class archive could be made with this Java; Spark starts without one")
                return None
        size = partial.stat().st_size
        os.replace(partial, archive)
        _record(archive).write_text(json.dumps({"bytes": size, "built": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                       time.gmtime())}))
    except (OSError, subprocess.TimeoutExpired) as error:
        log(f"note: no JVM class archive ({type(error).__name__}); Spark starts without one")
        return None
    finally:
        partial.unlink(missing_ok=True)
    log(f"JVM class archive built for later runs ({size / 2**20:.0f} MiB in {time.time() - started:.0f} s): "
        f"{archive}")
    return archive


def _workload(spark) -> None:
    """What a run asks of the JVM, on a handful of rows: Arrow both ways, the dedup plan (windows, joins, caching,
    array functions, components on the driver), shuffles sorted within partitions."""
    import pyarrow as pa

    from corpus.config import DedupConfig
    from pipelines.dedup import deduplicate

    def passthrough(batches):
        yield from batches

    shared = list(range(40))
    docs = spark.createDataFrame(pa.table({
        "doc_id": [c * 32 for c in "abcd"], "file_index": [0, 0, 1, 1], "offset": [0, 1, 0, 1],
        "warc_file": ["f0", "f0", "f1", "f1"], "warc_record_id": list("abcd"), "fetch_date": [None] * 4,
        "quality_score": [0.5] * 4, "text": ["x"] * 4, "text_hash": ["h1", "h1", "h2", "h3"],
        "band_hashes": [[1, 2], [1, 2], [1, 3], [4, 5]], "shingle_hashes": [shared, shared, shared[1:], [7]],
    }))
    result = deduplicate(docs.persist(), DedupConfig())
    result.survivors.mapInArrow(passthrough, result.survivors.schema).collect()
    result.dropped.repartition(2, "warc_file").sortWithinPartitions("warc_file", "offset").collect()
    result.dropped.groupBy("status", "stage", "reason").count().collect()
    result.release()


def _build_in_child(partial: str) -> None:
    """The JVM writes the archive of what it loaded on the way out; this process waits for that."""
    from pyspark import SparkContext

    from pipelines.spark import build_session

    spark = build_session(SparkConfig(master="local[2]", class_archive=False),
                          java_options=f"-XX:ArchiveClassesAtExit={partial} {_QUIET}")
    _workload(spark)
    spark.stop()
    gateway = SparkContext._gateway
    gateway.shutdown()
    gateway.proc.stdin.close()  # the gateway JVM exits at the end of its input
    gateway.proc.wait(timeout=300)


def _check_in_child(partial: str) -> None:
    """A session that must map the archive (-Xshare:on: the JVM refuses to start otherwise) and run a job."""
    from pipelines.spark import build_session

    spark = build_session(SparkConfig(master="local[1]", class_archive=False),
                          java_options=f"-Xshare:on -XX:SharedArchiveFile={partial}")
    assert spark.range(0, 10).count() == 10
    spark.stop()


def _ensure_default() -> None:
    """scripts/bootstrap.sh: the archive for the default configuration, so that the first run is quick too."""
    from pipelines.spark import ensure_java

    ensure_java()
    ensure(SparkConfig(master="local[*]"), lambda message: print(f"bootstrap: {message}", file=sys.stderr))


if __name__ == "__main__":
    if sys.argv[1:] == ["ensure"]:
        _ensure_default()
    else:
        {"build": _build_in_child, "check": _check_in_child}[sys.argv[1]](sys.argv[2])
