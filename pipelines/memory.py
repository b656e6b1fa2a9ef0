"""Peak resident memory of a Spark application's processes on this machine (the driver's Python, the JVM, Python
workers), polled from /proc: what benchmarks report next to wall time."""

from __future__ import annotations

import os
import threading
from collections import defaultdict


class PeakMemory:
    """Peak resident memory (VmHWM) of this process's descendants, polled: the JVM and Python workers."""

    def __init__(self):
        self.peaks: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _descendants(self) -> list[int]:
        children, frontier = [], [os.getpid()]
        while frontier:
            pid = frontier.pop()
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        kids = [int(k) for k in f.read().split()]
                    children += kids
                    frontier += kids
            except OSError:
                continue
        return children

    def _poll(self) -> None:
        while not self._stop.wait(0.5):
            for pid in [os.getpid(), *self._descendants()]:
                try:
                    status = open(f"/proc/{pid}/status").read()
                    cmd = open(f"/proc/{pid}/cmdline").read().replace("\0", " ")
                except OSError:
                    continue
                hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0)
                kind = "JVM (driver + executor)" if "java" in cmd.split(" ")[0] else (
                    "Python worker" if "pyspark" in cmd or "worker" in cmd else "driver Python")
                if hwm > self.peaks.get(pid, ("", 0))[1]:
                    self.peaks[pid] = (kind, hwm)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def report(self) -> str:
        by_kind = defaultdict(list)
        for kind, kib in self.peaks.values():
            by_kind[kind].append(kib / 1024)
        return "; ".join(f"{kind}: {max(v):,.0f} MiB peak ({len(v)} process{'es' if len(v) > 1 else ''})"
                         for kind, v in sorted(by_kind.items()))
