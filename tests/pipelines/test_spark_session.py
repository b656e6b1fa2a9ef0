"""Stopping the session a run started: the JVM's context stopped at once, PySpark's accumulator server shut down
in the background, and a new session can start in the same process."""

from __future__ import annotations

import subprocess
import sys

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
