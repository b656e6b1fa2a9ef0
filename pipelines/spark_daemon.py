"""PySpark's worker daemon, importing PySpark from its installed package instead of Spark's ``pyspark.zip``.

Spark puts ``$SPARK_HOME/python/lib/pyspark.zip`` (and py4j's zip) first on every Python worker's path. Those zips
hold sources only, and Python never caches bytecode for a zip, so each worker daemon and each worker it forks
compiles PySpark's modules again, in every run: importing what a worker needs (``pyspark.daemon``, ``pyspark.worker``,
the Arrow serializers) takes 1.6 s from the zip and 0.3 s from the installed package on this project's machine,
part of it in the daemon before it forks any worker (py-spy on a run over real pages: ~1.7 s there, ~1 s in each
worker); and every task re-reads the zips' directories (PySpark invalidates the import caches as a task starts).
When the same PySpark release is installed as a package (a pip install, as here and in the image), whose modules
have their bytecode cached, the zips leave the path; a worker whose Python has no PySpark of its own, or another
release, keeps them.

Set as ``spark.python.daemon.module`` by ``pipelines.spark.build_session``; it then runs PySpark's own daemon.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import zipfile

_ZIPS = re.compile(r"(^|/)(pyspark\.zip|py4j-[^/]*\.zip)$")
_VERSION = re.compile(r"""__version__[^=]*=\s*["']([^"']+)["']""")


def zip_release(path: str) -> str | None:
    """The PySpark release in Spark's ``pyspark.zip`` (read from its ``version.py``, nothing imported)."""
    try:
        with zipfile.ZipFile(path) as archive:
            match = _VERSION.search(archive.read("pyspark/version.py").decode("utf-8"))
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    return match.group(1) if match else None


def installed_release() -> str | None:
    try:
        return importlib.metadata.version("pyspark")
    except importlib.metadata.PackageNotFoundError:
        return None


def redundant_zips(path: list[str]) -> list[str]:
    """Spark's zips on ``path`` when the installed PySpark is the zip's release (none otherwise)."""
    zips = [entry for entry in path if _ZIPS.search(entry)]
    spark_zip = next((entry for entry in zips if entry.endswith("pyspark.zip")), None)
    installed = installed_release()
    if spark_zip is None or installed is None or zip_release(spark_zip) != installed:
        return []
    return zips


def prefer_installed_pyspark() -> None:
    for entry in redundant_zips(sys.path):
        sys.path.remove(entry)
        sys.path_importer_cache.pop(entry, None)  # (finding this module opened them already)


if __name__ == "__main__":
    prefer_installed_pyspark()
    from pyspark import daemon

    daemon.manager()
