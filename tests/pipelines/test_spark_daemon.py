"""The Python workers' daemon: PySpark imported from its installed package (cached bytecode), not from the
source-only zip that Spark puts first on the workers' path, and only when that package is the zip's release."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pyspark

from pipelines import spark_daemon

SPARK_LIB = Path(pyspark.__file__).parent / "python" / "lib"


def _spark_zips() -> list[str]:
    return [str(path) for path in sorted(SPARK_LIB.glob("*.zip"))]


def test_a_worker_of_the_session_imports_the_installed_pyspark_through_the_daemon(spark):
    def describe(_):
        import sys

        import pyspark as worker_pyspark

        with open(f"/proc/{os.getppid()}/cmdline", encoding="utf-8") as parent:
            daemon = parent.read().split("\0")
        yield (worker_pyspark.__file__, [p for p in sys.path if p.endswith(".zip") and "pyspark" in p],
               [p for p in sys.path_importer_cache if ".zip" in p and "pyspark" in p], daemon)

    (module_file, zips_on_path, zips_cached, daemon), = spark.sparkContext.parallelize([0], 1) \
        .mapPartitions(describe).collect()
    assert daemon[1:3] == ["-m", "pipelines.spark_daemon"]
    assert module_file == pyspark.__file__ and ".zip" not in module_file
    assert zips_on_path == [] and zips_cached == []


def test_the_zips_leave_the_path_only_when_the_installed_release_is_theirs(tmp_path, monkeypatch):
    zips = _spark_zips()
    assert any(z.endswith("pyspark.zip") for z in zips) and any("py4j" in z for z in zips)
    path = ["/work", *zips, "/site-packages"]
    assert spark_daemon.zip_release(next(z for z in zips if z.endswith("pyspark.zip"))) == pyspark.__version__
    assert spark_daemon.redundant_zips(path) == zips

    other = tmp_path / "pyspark.zip"  # another release's zip: the worker needs it, its package is not that one
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("pyspark/version.py", '__version__: str = "3.5.1"\n')
    assert spark_daemon.redundant_zips(["/work", str(other), "/site-packages"]) == []
    damaged = tmp_path / "damaged" / "pyspark.zip"
    damaged.parent.mkdir()
    damaged.write_bytes(b"not a zip")
    assert spark_daemon.redundant_zips([str(damaged)]) == []
    assert spark_daemon.redundant_zips(["/work", "/site-packages"]) == []

    monkeypatch.setattr(spark_daemon, "installed_release", lambda: None)  # a Python without PySpark of its own
    assert spark_daemon.redundant_zips(path) == []
