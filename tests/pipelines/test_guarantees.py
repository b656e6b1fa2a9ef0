"""Compliance guarantees that must not fail silently (issue 12): erasures are enforced or the run refuses,
`forget` refuses a key that cannot search the sets, personal data in URLs is scrubbed, and the key is never
written anywhere. Each test uses its own small root built from one or two files of the sample crawl."""

from __future__ import annotations

import json
import random
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpus.cli import main
from corpus.config import PipelineConfig
from corpus.sample.generate import Record, http_response, load_texts, make_page, render_html, warc_bytes
from pii.fingerprints import fingerprint

pytestmark = pytest.mark.spark

KEY, OTHER_KEY = "guarantees key", "some other key"
NIGHTS = ("2026-11-01", "2026-11-02", "2026-11-03")
EMAIL_IN_URL = "max.mustermann@example-mail.de"
URL_WITH_EMAIL = "https://forum.example.de/profil?email=max.mustermann%40example-mail.de&tab=posts"


def _quiet(message: str) -> None:
    pass


def _rows(set_dir: Path, columns=None) -> list[dict]:
    return [r for f in sorted(set_dir.glob("shards/lang=*/*.parquet")) for r in pq.read_table(f, columns=columns).to_pylist()]


def _config_file(work: Path, key: str | None, **pii) -> Path:
    lines = ["[pii]"]
    if key is not None:
        (work / f"key-{abs(hash(key))}").write_text(key)
        lines.append(f'fingerprint_key_file = "{work / f"key-{abs(hash(key))}"}"')
    lines += [f"{k} = {json.dumps(v)}" for k, v in pii.items()]
    path = work / f"corpus-{abs(hash((key, tuple(pii.items()))))}.toml"
    path.write_text("\n".join(lines) + '\n[spark]\nmaster = "local[2]"\nshuffle_partitions = 4\n')
    return path


def _url_warc(path: Path) -> Path:
    """One German page whose URL carries an e-mail address in its query string."""
    texts = load_texts("de")
    page = make_page("de", texts, random.Random(3), 0, plant_pii=False)
    body = render_html(page, texts, random.Random(4)).encode("utf-8")
    record = Record("response", URL_WITH_EMAIL, http_response(body))
    path.write_bytes(warc_bytes(record, "00000000-0000-4000-8000-00000000abcd",
                                datetime(2026, 11, 1, tzinfo=timezone.utc)))
    return path


@pytest.fixture(scope="module")
def keyed_root(sample_crawl, spark, tmp_path_factory):
    """A root with one night built with KEY: one sample file and the page with an e-mail in its URL."""
    from pipelines.job import run_pipeline

    work = tmp_path_factory.mktemp("guarantees")
    config_file = _config_file(work, KEY)
    config = PipelineConfig.load(str(config_file))
    inputs = [sorted(sample_crawl.files)[0], str(_url_warc(work / "url-page.warc.gz"))]
    run_pipeline(inputs, str(work / "root"), config, spark=spark, log=_quiet, night=NIGHTS[0])
    return work, work / "root", config_file


def _forget(root: Path, config_file: Path, capsys, *args) -> tuple[int, dict | None, str]:
    capsys.readouterr()
    code = main(["forget", "--root", str(root), "--config", str(config_file), "--master", "local[2]", *args])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 else None), out.err


def test_url_with_an_email_is_published_scrubbed_and_still_found_by_forget(keyed_root, capsys):
    work, root, config_file = keyed_root
    rows = _rows(root / "sets" / NIGHTS[0], ["doc_id", "url", "url_fingerprint", "domain", "pii_counts"])
    [page] = [r for r in rows if "forum.example.de" in (r["url"] or "")]
    assert "<EMAIL>" in page["url"] and "mustermann" not in page["url"].lower()
    assert page["url_fingerprint"] and page["domain"] == "example.de"
    assert dict(page["pii_counts"])["EMAIL"] >= 1
    assert all(r["url_fingerprint"] is None for r in rows if r is not page)  # only where the URL changed
    # the address found in the URL is indexed like any other value
    index = {r["fingerprint"]: r["doc_id"] for f in (root / "sets" / NIGHTS[0]).glob("pii_index/*.parquet")
             for r in pq.read_table(f).to_pylist()}
    assert index.get(fingerprint(KEY.encode(), "EMAIL", EMAIL_IN_URL)) == page["doc_id"]
    code, dry, _ = _forget(root, config_file, capsys, "--url", URL_WITH_EMAIL, "--reason", "t", "--dry-run")
    assert code == 0 and dry["documents"] == {NIGHTS[0]: [page["doc_id"]]}
    # a key that cannot read url_fingerprint must not pretend it searched
    other = _config_file(work, OTHER_KEY)
    code, _, err = _forget(root, other, capsys, "--url", URL_WITH_EMAIL, "--reason", "t", "--dry-run")
    assert code == 2 and NIGHTS[0] in err and "mustermann" not in err.lower()


def test_forget_with_a_wrong_key_is_refused_and_records_nothing(keyed_root, capsys):
    work, root, _ = keyed_root
    log = root / "erasures.jsonl"
    before = log.read_bytes() if log.exists() else b""
    code, _, err = _forget(root, _config_file(work, OTHER_KEY), capsys, "--email", "someone@example.eu",
                           "--reason", "ticket 9")
    assert code == 2
    assert NIGHTS[0] in err and "does not match" in err and "someone@example.eu" not in err
    assert (log.read_bytes() if log.exists() else b"") == before
    code, _, err = _forget(root, _config_file(work, None), capsys, "--email", "someone@example.eu", "--reason", "x")
    assert code == 2 and "no fingerprint key" in err
    assert (log.read_bytes() if log.exists() else b"") == before


def test_a_request_that_matches_nothing_is_reported_as_such(keyed_root, capsys):
    _, root, config_file = keyed_root
    code, out, err = _forget(root, config_file, capsys, "--email", "nobody-at-all@example.eu", "--reason", "t 10")
    assert code == 0 and out["status"] == "nothing_matched" and out["documents"] == {}
    assert "matched nothing" in err
    entry = [json.loads(line) for line in (root / "erasures.jsonl").read_text().splitlines()
             if json.loads(line).get("erasure_id") == out["erasure_id"]]
    assert entry[0]["status"] == "nothing_matched" and entry[-1]["state"] == "applied"
    report = json.loads((root / "compliance.json").read_text())
    [logged] = [e for e in report["erasures"] if e["erasure_id"] == out["erasure_id"]]
    assert logged["status"] == "nothing_matched" and logged["documents"] == 0


def test_keyless_runs_refuse_roots_with_erased_values_but_enforce_urls_and_domains(
        sample_crawl, spark, tmp_path, capsys, monkeypatch):
    from pipelines.job import ErasureNotEnforceable, run_pipeline

    monkeypatch.delenv("CORPUS_PII_KEY", raising=False)
    files = sorted(sample_crawl.files)
    keyed = PipelineConfig.load(str(_config_file(tmp_path, KEY)))
    root = tmp_path / "root"
    first = run_pipeline([files[1]], str(root), keyed, spark=spark, log=_quiet, night=NIGHTS[0])
    rows = _rows(Path(first.set_dir), ["url", "domain"])
    domain = rows[0]["domain"]

    # a domain erasure needs no key: a keyless night keeps that domain out
    code, out, _ = _forget(root, _config_file(tmp_path, None), capsys, "--domain", domain, "--reason", "t")
    assert code == 0 and out["status"] == "erased"
    recrawl = tmp_path / "recrawl"
    recrawl.mkdir()
    shutil.copy(files[1], recrawl / "again.warc.gz")
    keyless = PipelineConfig.load(str(_config_file(tmp_path, None)))
    said: list[str] = []
    second = run_pipeline([str(recrawl / "again.warc.gz")], str(root), keyless, spark=spark, log=said.append,
                          night=NIGHTS[1])
    assert any(f"set {NIGHTS[0]} was built with key" in line and "this run has no fingerprint key" in line
               for line in said)
    assert second.stats["outcomes"]["erased_urls"]["dropped"]["erased_domain"] >= 1
    assert all(r["domain"] != domain for r in _rows(Path(second.set_dir), ["domain"]))

    # a value erasure needs the key it was recorded with: a keyless or wrong-key run is refused, nothing staged
    # (the keyless night cannot be searched for values: refused, unless the operator accepts and it is recorded)
    code, _, err = _forget(root, _config_file(tmp_path, KEY), capsys, "--email", "nobody@example.eu", "--reason", "t")
    assert code == 2 and f"{NIGHTS[1]} (built with no key)" in err
    code, out, _ = _forget(root, _config_file(tmp_path, KEY), capsys, "--email", "nobody@example.eu", "--reason", "t",
                           "--skip-unsearchable-sets")
    assert code == 0 and out["unsearched_sets"] == [NIGHTS[1]] and out["searched_sets"] == [NIGHTS[0]]
    report = json.loads((root / "compliance.json").read_text())
    assert report["erasures"][-1]["unsearched_sets"] == [NIGHTS[1]]
    shutil.copy(files[2], recrawl / "third.warc.gz")
    for config in (keyless, PipelineConfig.load(str(_config_file(tmp_path, OTHER_KEY)))):
        with pytest.raises(ErasureNotEnforceable, match="erased personal value"):
            run_pipeline([str(recrawl / "third.warc.gz")], str(root), config, spark=spark, log=_quiet, night=NIGHTS[2])
        assert not list((root / "staging").iterdir())
    capsys.readouterr()
    assert main(["run", "--input", str(recrawl / "third.warc.gz"), "--output", str(root), "--night", NIGHTS[2],
                 "--config", str(_config_file(tmp_path, None))]) == 2
    assert "erased personal value" in capsys.readouterr().err
    assert [s["id"] for s in json.loads((root / "index.json").read_text())["sets"]] == list(NIGHTS[:2])


def test_the_key_is_written_nowhere(tmp_path, capsys, monkeypatch):
    """The README's cluster advice (the key in spark.executorEnv) with Spark's event log on: no file the run or
    forget writes, Spark's event log included, holds the key."""
    import os
    import subprocess
    import sys

    secret = "k3y-that-must-never-be-written-9f2c"
    events = tmp_path / "events"
    events.mkdir()
    config = tmp_path / "cluster.toml"
    config.write_text('[spark]\nmaster = "local[2]"\nshuffle_partitions = 4\n[spark.extra_conf]\n'
                      f'"spark.executorEnv.CORPUS_PII_KEY" = "{secret}"\n"spark.eventLog.enabled" = "true"\n'
                      f'"spark.eventLog.dir" = "{events.as_uri()}"\n')
    env = dict(os.environ, CORPUS_PII_KEY=secret, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    root = tmp_path / "root"
    run = subprocess.run([sys.executable, "-m", "corpus.cli", "run", "--config", str(config), "--night", NIGHTS[0],
                          "--output", str(root), "--input", str(_url_warc(tmp_path / "url-page.warc.gz"))],
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    monkeypatch.setenv("CORPUS_PII_KEY", secret)  # forget in this process (its Spark session has no event log)
    code, out, err = _forget(root, config, capsys, "--url", URL_WITH_EMAIL, "--reason", "t")
    assert code == 0 and out["status"] == "erased"
    written = [p for p in [*root.rglob("*"), *events.rglob("*")] if p.is_file()]
    assert any(p.name == "config.json" for p in written) and any(events.iterdir())
    leaks = [str(p) for p in written if secret.encode() in p.read_bytes()]
    assert not leaks
    assert secret not in run.stdout + run.stderr + json.dumps(out) + err
    saved = json.loads(next(p for p in written if p.name == "config.json").read_text())
    assert saved["spark"]["extra_conf"]["spark.executorEnv.CORPUS_PII_KEY"] == "*********(redacted)"


@pytest.mark.parametrize("night", ["../x", "../../etc", "/tmp/elsewhere", "2026-11-01/../../x", "2026-13-01"])
def test_a_night_that_is_not_a_date_is_refused_and_nothing_is_written(night, sample_crawl, tmp_path, capsys):
    root = tmp_path / "deep" / "root"
    assert main(["run", "--input", sample_crawl.files[0], "--output", str(root), "--night", night]) == 2
    assert "--night must be a date" in capsys.readouterr().err
    assert not (tmp_path / "deep").exists() and not (tmp_path / "x").exists()


def test_two_concurrent_runs_on_one_root_publish_once(tmp_path):
    """Two `corpus run` processes started together on one root: one publishes, the other is refused (exit 2,
    naming the holder), and nothing is published twice."""
    import os
    import subprocess
    import sys
    import time

    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    env.pop("CORPUS_PII_KEY", None)
    root = tmp_path / "root"
    config = _config_file(tmp_path, None)
    command = [sys.executable, "-m", "corpus.cli", "run", "--config", str(config), "--output", str(root),
               "--input", str(_url_warc(tmp_path / "one-page.warc.gz"))]
    first = subprocess.Popen(command + ["--night", NIGHTS[0]], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    deadline = time.time() + 120
    while not (root / "_LOCK.json").exists() and first.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    second = subprocess.run(command + ["--night", NIGHTS[1]], env=env, capture_output=True, text=True, timeout=600)
    out, err = first.communicate(timeout=900)
    assert first.returncode == 0, err[-3000:]
    assert second.returncode == 2, second.stderr[-3000:]
    assert "is locked by" in second.stderr and f"pid {first.pid}" in second.stderr
    assert [s["id"] for s in json.loads((root / "index.json").read_text())["sets"]] == [NIGHTS[0]]
    ledger = [json.loads(line) for line in (root / "ledger.jsonl").read_text().splitlines()]
    assert len(ledger) == 1 and not (root / "_LOCK.json").exists()


def test_replaced_kept_by_policy_and_dropped_with_the_page_are_counted_apart(sample_crawl, spark, tmp_path):
    """Phone numbers kept by policy, pages dense in e-mail addresses dropped: three separate counts, in stats,
    the run report and the compliance report, and the canary's verdict says plainly what is kept."""
    from corpus.compliance import write_compliance
    from corpus.ledger import CorpusRoot
    from pipelines.job import run_pipeline

    config = PipelineConfig.load(pii={"actions": {"PHONE": "keep"}, "drop_density": {"EMAIL": 0.001},
                                      "drop_min_findings": 1})
    root = tmp_path / "root"
    result = run_pipeline(sorted(sample_crawl.files)[:2], str(root), config, spark=spark, log=_quiet, night=NIGHTS[0])
    stats = result.stats
    kept_phones = sum(t.get("PHONE", 0) for t in stats["pii_kept_by_policy"].values())
    dropped_emails = sum(t.get("EMAIL", 0) for t in stats["pii_dropped_with_page"].values())
    assert kept_phones > 0 and dropped_emails > 0
    assert all("PHONE" not in t for t in stats["pii"].values())  # kept is not "replaced"
    assert all("EMAIL" not in t for t in stats["pii"].values())  # every page with an address went
    assert stats["outcomes"]["pii"]["dropped"]["pii_density"] >= 1
    rows = _rows(Path(result.set_dir), ["text", "pii_counts", "pii_kept"])
    assert sum(dict(r["pii_counts"]).get("PHONE", 0) for r in rows if "PHONE" in r["pii_kept"]) == kept_phones
    assert "<PHONE>" not in "".join(r["text"] for r in rows)
    assert stats["pii_canary"]["passed"] and stats["pii_canary"]["kept_by_policy"] == ["PHONE"]
    report = (Path(result.set_dir) / "report.html").read_text()
    assert "Kept by policy" in report and "left in the published text" in report
    totals = write_compliance(CorpusRoot(str(root)))["totals"]
    assert totals["personal_values_kept_by_policy"] == {"PHONE": kept_phones}
    assert totals["personal_values_dropped_with_page"]["EMAIL"] == dropped_emails


def test_an_executor_with_another_key_stops_staging_with_a_clear_error(sample_crawl, spark, tmp_path):
    """An executor that joins after the check and holds another key (here: the driver expects a key no executor
    has): its staging task refuses, and the run names the executor and the two key identities, never a key."""
    from corpus.storage import Store
    from pipelines.job import KeyNotOnExecutors, _stage_pending

    config = PipelineConfig.load()
    location = sorted(sample_crawl.files)[0]
    with pytest.raises(KeyNotOnExecutors) as refused:
        _stage_pending(spark, config.model_dump_json(), Store(str(tmp_path)), str(tmp_path / "staging"),
                       [location], [location], _quiet, "k-expected-0000")
    message = str(refused.value)
    assert message.startswith("executor on ") and "the driver key k-expected-0000" in message
    assert "every executor needs the driver's fingerprint key" in message


def test_an_executor_whose_scrubber_fails_the_canary_stages_nothing(sample_crawl, spark, tmp_path):
    """An executor that joins after the check with a scrubber that misses a type (here: a configuration that
    finds only e-mail addresses) refuses in its staging task, before reading its input: the run stops as a
    failed canary that names the executor and the failing types, and no document of the input is staged."""
    from corpus.staging import is_done
    from corpus.storage import Store
    from pipelines.job import CanaryFailed, _stage_pending

    config = PipelineConfig.load(pii={"entities": ["EMAIL_ADDRESS"]})
    location = sorted(sample_crawl.files)[0]
    store, staging = Store(str(tmp_path)), str(tmp_path / "staging")
    with pytest.raises(CanaryFailed) as refused:
        _stage_pending(spark, config.model_dump_json(), store, staging, [location], [location], _quiet, None)
    message = str(refused.value)
    assert message.startswith("PII canary failed: executor on ") and "PHONE/de" in message
    assert "EMAIL/" not in message  # found and replaced: only what failed is named
    assert not is_done(store, staging, location)
    assert not list(tmp_path.rglob("*.parquet"))


def test_the_canary_verdict_comes_from_the_executors_and_each_run_reports_it(sample_crawl, spark, tmp_path):
    """The driver asks every executor: its verdict (per type and language) is what stats.json records, and a
    canary switched off is recorded as such, not as a pass."""
    from pipelines.job import _check_executors

    config = PipelineConfig.load()
    logged = []
    verdict = _check_executors(spark, config, config.model_dump_json(), None, logged.append)
    assert verdict["passed"] and verdict["documents"] == 2 * len(config.langid.languages)
    assert verdict["executor_hosts"] == 1
    assert set(verdict["recall"]["PERSON"]) == set(config.langid.languages)
    assert any(m.startswith("PII canary passed on 1 executor host(s): 48 synthetic documents in every EU language")
               for m in logged)
    off = PipelineConfig.load(pii={"canary": False})
    assert _check_executors(spark, off, off.model_dump_json(), None, logged.append) is None
    assert logged[-1] == "PII canary disabled (pii.canary = false)"
