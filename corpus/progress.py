"""Progress of a long run: inputs done/total, records/s and ETA.

On a terminal it is a live bar (rich); otherwise (cron, CI, log files) a plain log line at most every
``interval`` seconds, so nightly logs stay readable.
"""

from __future__ import annotations

import sys
import time


class InputProgress:
    def __init__(self, total: int, log, interval: float = 15.0, live: bool | None = None):
        self.total, self.log, self.interval = total, log, interval
        self.started = time.monotonic()
        self._last_line = float("-inf")  # the first update is always shown
        self._last = (-1, -1)
        self._bar = None
        if live if live is not None else sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("inputs"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), transient=True)
            self._task = self._bar.add_task("inputs", total=total, rate="")
            self._bar.start()

    def line(self, done: int, records: int, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = records / elapsed
        eta = (elapsed / done) * (self.total - done) if done else None
        eta_text = f", ETA {eta:.0f}s" if eta is not None else ""
        return f"inputs {done}/{self.total} done, {records} records, {rate:.1f} records/s{eta_text}"

    def update(self, done: int, records: int) -> None:
        now = time.monotonic()
        if self._bar is not None:
            elapsed = max(now - self.started, 1e-9)
            self._bar.update(self._task, completed=done, rate=f"{records / elapsed:.1f} records/s")
            return
        if (done, records) != self._last and (now - self._last_line >= self.interval or done == self.total):
            self.log(self.line(done, records, now))
            self._last_line, self._last = now, (done, records)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
