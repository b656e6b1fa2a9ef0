"""Progress reporting without a terminal: plain, rate-limited log lines with done/total, records/s and ETA."""

from corpus.progress import InputProgress


def test_plain_lines_when_not_on_a_terminal(monkeypatch):
    clock = iter([0.0, 0.0, 1.0, 2.0, 30.0, 60.0])  # start, then one reading per update
    monkeypatch.setattr("corpus.progress.time.monotonic", lambda: next(clock))
    lines: list[str] = []
    progress = InputProgress(4, lines.append, interval=15.0, live=False)
    progress.update(1, 100)   # t=0: first line
    progress.update(1, 150)   # t=1: within the interval, silent
    progress.update(2, 300)   # t=2: silent
    progress.update(3, 900)   # t=30: a line
    progress.update(4, 1200)  # t=60: done, always a line
    progress.close()
    assert len(lines) == 3
    assert lines[-1].startswith("inputs 4/4 done, 1200 records") and "records/s" in lines[-1]
    assert "ETA" in lines[1]
