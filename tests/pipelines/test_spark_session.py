"""Stopping the session a run started: the JVM's context stopped at once, PySpark's accumulator server shut down
in the background, and a new session can start in the same process. Independent actions run at once from driver
threads (a run's write phase)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import warnings

import pytest

from pipelines.spark import run_concurrently

SCRIPT = """
import threading
from pyspark import SparkContext
from pyspark.sql import SparkSession
from corpus.config import SparkConfig
from pipelines.spark import build_session, stop_session

spark = build_session(SparkConfig(master="local[1]"))
counted = spark.sparkContext.accumulator(0)
spark.sparkContext.parallelize(range(10), 2).foreach(lambda x: counted.add(x))  # the server holds a connection
assert counted.value == 45
server = spark.sparkContext._accumulatorServer
stop_session(spark)
assert SparkContext._active_spark_context is None and SparkSession.getActiveSession() is None
shutdown = [t for t in threading.enumerate() if t.name == "accumulator-server-shutdown"]
assert len(shutdown) == 1, shutdown
shutdown[0].join(timeout=10)
assert not shutdown[0].is_alive() and server.socket.fileno() == -1  # the server's socket is closed
again = build_session(SparkConfig(master="local[1]"))
assert again.range(0, 3).count() == 3
stop_session(again)
print("ok")
"""


def test_a_stopped_session_leaves_no_server_running_and_a_new_one_starts():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "ok"


# -- independent actions at once (the write phase of a run) ----------------------------------------------------
def test_actions_run_at_once_and_give_their_results_by_name(spark):
    both_running = threading.Barrier(2, timeout=60)  # broken (an exception) if the actions ran one after the other

    def count(n):
        def action():
            both_running.wait()
            return spark.range(0, n, 1, 2).count()
        return action

    sc = spark.sparkContext
    sc.setLocalProperty("corpus.test.property", "set by the caller")
    spark.addTag("corpus-test-tag")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing printed on a run's console (PySpark warns without the session)
            results = run_concurrently(spark, {"seven": count(7), "three": count(3),
                                               "property": lambda: sc.getLocalProperty("corpus.test.property"),
                                               "tag": lambda: "corpus-test-tag" in spark.getTags()})
    finally:
        sc.setLocalProperty("corpus.test.property", None)
        spark.removeTag("corpus-test-tag")
    assert results == {"seven": 7, "three": 3, "property": "set by the caller", "tag": True}
    assert list(results) == ["seven", "three", "property", "tag"]


def test_a_failed_action_is_raised_after_every_action_ran_to_its_end(spark):
    finished = []

    def fails(message):
        def action():
            raise ValueError(message)
        return action

    def slow():
        time.sleep(1)
        finished.append(spark.range(0, 5).count())

    with pytest.raises(ValueError, match="first"):
        run_concurrently(spark, {"a": fails("first"), "b": slow, "c": fails("second")})
    assert finished == [5]  # the slow action was not abandoned half-way
