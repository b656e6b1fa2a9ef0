"""One bad input never sinks a night: an input that cannot be read fails alone (ledger, report, exit 3), is
retried first on the next night, and is abandoned after [inputs] retry_failed_nights nights; an empty input
is reported; a configuration that drops every record publishes nothing and marks nothing consumed."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import socket
import threading
from pathlib import Path

import pytest

from corpus.cli import EXIT_INPUTS_FAILED, EXIT_OK, EXIT_USAGE, main
from tests.conftest import read_jsonl

pytestmark = pytest.mark.spark

#: what these tests do not look at, made cheap: no canary, one shard file per language
QUICK = "[pii]\ncanary = false\n[shards]\nfiles_multiple = 1\n"
FAST_RETRIES = '[remote]\nretries = 2\nbackoff_seconds = 0.01\nstart_jitter_seconds = 0.0\ntimeout_seconds = 5\n'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(directory: Path, port: int) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _run(capsys, *args: str) -> tuple[int, dict, str]:
    code = main(["run", *args])
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    return code, (json.loads(lines[-1]) if lines else {}), captured.err


def test_an_unreadable_input_fails_alone_is_retried_first_then_abandoned(sample_crawl, spark, tmp_path, capsys):
    good = sample_crawl.files[0]
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    later = tmp_path / "served"  # down tonight, up tomorrow
    later.mkdir()
    shutil.copy(sample_crawl.files[1], later / "late.warc.gz")
    port = _free_port()
    late_url, dead_url = f"http://127.0.0.1:{port}/late.warc.gz", "http://127.0.0.1:9/x.warc.gz"
    config = tmp_path / "night.toml"
    config.write_text(FAST_RETRIES + "[inputs]\nretry_failed_nights = 1\n" + QUICK)
    root = tmp_path / "root"
    common = ["--output", str(root), "--config", str(config), "--master", "local[2]"]

    # night 1: the good file and the empty one are published; both URLs fail, each alone
    code, summary, err = _run(capsys, "--input", good, str(empty), late_url, dead_url, "--night", "2026-11-01",
                              *common)
    assert code == EXIT_INPUTS_FAILED, err[-3000:]
    assert summary["set"] == "2026-11-01" and summary["failed_inputs"] == 2 and summary["abandoned_inputs"] == 0
    assert summary["kept"] > 0 and "Traceback" not in err
    set_dir = root / "sets" / "2026-11-01"
    stats = json.loads((set_dir / "stats.json").read_text())
    failed = {f["location"]: f for f in stats["inputs"]["failed"]}
    assert set(failed) == {late_url, dead_url}
    assert failed[dead_url]["error"] == "HttpDownloadError" and failed[dead_url]["attempts"] == 2
    assert failed[dead_url]["status"] == "failed" and failed[dead_url]["failed_nights"] == 1
    assert stats["inputs"]["empty"] == [str(empty)]
    assert "input holds no WARC record" not in err and f"input {empty} holds no WARC record" in err
    manifest = json.loads((set_dir / "manifest.json").read_text())
    assert manifest["run"]["inputs"] == 2 and manifest["totals"]["documents"] == summary["kept"]
    report = (set_dir / "report.html").read_text()
    assert dead_url in report and "HttpDownloadError" in report
    ledger = {e["location"]: e for e in read_jsonl(root / "ledger.jsonl")}
    assert ledger[good].get("status", "published") == "published" and ledger[str(empty)]["records"] == 0
    assert ledger[dead_url]["status"] == "failed" and ledger[dead_url]["error"] == "HttpDownloadError"
    assert not list(root.glob("staging/*"))

    # night 2: nothing new given; the failed inputs are retried first: one is back, one still dead (abandoned)
    server = _serve(later, port)
    try:
        code, summary, err = _run(capsys, "--input", good, "--night", "2026-11-02", *common)
    finally:
        server.shutdown()
    assert code == EXIT_INPUTS_FAILED, err[-3000:]
    assert summary["set"] == "2026-11-02" and summary["failed_inputs"] == 0 and summary["abandoned_inputs"] == 1
    assert "retrying 2 input(s) that failed on an earlier night first" in err
    assert summary["inputs"]["retried"] == sorted([late_url, dead_url])
    published = json.loads((root / "sets" / "2026-11-02" / "inputs.json").read_text())["inputs"]
    assert [i["location"] for i in published] == [late_url] and published[0]["documents"] > 0
    ledger = {e["location"]: e for e in read_jsonl(root / "ledger.jsonl")}
    assert ledger[late_url].get("status", "published") == "published"
    assert ledger[dead_url]["status"] == "abandoned" and ledger[dead_url]["failed_nights"] == 2

    # night 3: the abandoned input, given again, is skipped with a warning; nothing else is new
    code, summary, err = _run(capsys, "--input", good, dead_url, "--night", "2026-11-03", *common)
    assert code == EXIT_OK, err[-3000:]
    assert summary["set"] is None and summary["inputs"]["abandoned_skipped"] == [dead_url]
    assert "were abandoned after failing on earlier nights and are skipped" in err


def test_a_configuration_that_drops_every_record_publishes_nothing_and_consumes_nothing(
        sample_crawl, spark, tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text("[ingest]\nmax_payload_bytes = 10\n[pii]\ncanary = false\n")
    root = tmp_path / "root"
    code, summary, err = _run(capsys, "--input", sample_crawl.files[0], "--output", str(root), "--config",
                              str(config), "--master", "local[2]", "--night", "2026-11-01")
    assert code == EXIT_USAGE and summary == {}
    assert "were dropped before dedup" in err and "payload_too_large" in err and "--allow-empty-set" in err
    assert not (root / "ledger.jsonl").exists() and not list(root.glob("sets/2026-*"))
    assert not list(root.glob("staging/*"))  # staged with the wrong configuration: not kept for a resume
