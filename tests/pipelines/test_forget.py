"""`corpus forget` end to end on a two-night corpus: dry run, erasure by e-mail and by domain, the log, and a
third night that must not re-admit what was erased."""

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpus.cli import main
from corpus.config import PipelineConfig
from pii.fingerprints import fingerprint

KEY = "forget-test key"


def _rows(set_dir: Path) -> list[dict]:
    return [r for f in sorted(set_dir.glob("shards/lang=*/*.parquet")) for r in pq.read_table(f).to_pylist()]


def _index(set_dir: Path) -> list[dict]:
    return [r for f in sorted(set_dir.glob("pii_index/*.parquet")) for r in pq.read_table(f).to_pylist()]


def _counts_agree(root: Path, set_dir: Path) -> None:
    """After an erasure: shards, manifest, stats, outcomes, report and index say the same."""
    manifest = json.loads((set_dir / "manifest.json").read_text())
    stats = json.loads((set_dir / "stats.json").read_text())
    rec = stats["records"]
    outcomes = [r for f in sorted(set_dir.glob("outcomes/*.parquet")) for r in pq.read_table(f).to_pylist()]
    assert rec["kept"] == manifest["totals"]["documents"] == len(_rows(set_dir))
    assert rec["read"] == rec["kept"] + rec["dropped"] + rec["quarantined"] + rec["erased"] == len(outcomes)
    assert sum(o["status"] == "kept" for o in outcomes) == rec["kept"]
    erased = [o for o in outcomes if o["status"] == "erased"]
    assert len(erased) == rec["erased"] == manifest["totals"].get("erased", 0)
    assert {o["reason"] for o in erased} == {e["erasure_id"] for e in manifest.get("erasures", [])}
    for lang, totals in manifest["languages"].items():
        assert stats["languages"][lang]["documents"] == totals["documents"]
        assert totals["documents"] == sum(1 for r in _rows(set_dir) if r["lang"] == lang)
    report = (set_dir / "report.html").read_text()
    assert f"{rec['kept']} + {rec['dropped']} + {rec['quarantined']} + {rec['erased']} = {rec['read']}" in report
    [entry] = [s for s in json.loads((root / "index.json").read_text())["sets"] if s["id"] == set_dir.name]
    assert entry["documents"] == rec["kept"]


def _checksums_hold(set_dir: Path) -> None:
    manifest = json.loads((set_dir / "manifest.json").read_text())
    for entry in manifest["files"]:
        data = (set_dir / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
        assert pq.read_metadata(set_dir / entry["path"]).num_rows == entry["rows"]
    assert manifest["totals"]["documents"] == len(_rows(set_dir))


@pytest.fixture(scope="module")
def two_nights(sample_crawl, spark, tmp_path_factory):
    from pipelines.job import run_pipeline

    work = tmp_path_factory.mktemp("forget")
    key_file = work / "pii.key"
    key_file.write_text(KEY)
    config_file = work / "corpus.toml"
    config_file.write_text(f'[pii]\nfingerprint_key_file = "{key_file}"\n')
    config = PipelineConfig.load(str(config_file))
    root = work / "corpus"
    files = sorted(sample_crawl.files)
    for night, part in (("2026-11-01", files[:2]), ("2026-11-02", files[2:])):
        run_pipeline(part, str(root), config, spark=spark, log=lambda m: None, night=night)
    return root, config_file, config, files


def _forget(root, config_file, capsys, *args) -> dict:
    capsys.readouterr()
    assert main(["forget", "--root", str(root), "--config", str(config_file), *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_forget_by_value_and_domain_then_a_third_night_keeps_them_out(two_nights, sample_crawl, spark, capsys):
    from pipelines.job import run_pipeline

    root, config_file, config, files = two_nights
    sets = [root / "sets" / "2026-11-01", root / "sets" / "2026-11-02"]
    indexed = {r["fingerprint"]: r["doc_id"] for s in sets for r in _index(s)}
    email = next(v for v in sample_crawl.planted_pii if "@" in v and fingerprint(KEY.encode(), "EMAIL", v) in indexed)
    target = indexed[fingerprint(KEY.encode(), "EMAIL", email)]
    before = {s.name: (s / "manifest.json").read_bytes() for s in sets}

    dry = _forget(root, config_file, capsys, "--email", email, "--reason", "ticket 1", "--dry-run")
    assert any(target in ids for ids in dry["documents"].values()) and dry["dry_run"]
    assert {s.name: (s / "manifest.json").read_bytes() for s in sets} == before
    assert not (root / "erasures.jsonl").exists()

    done = _forget(root, config_file, capsys, "--email", email, "--reason", "ticket 1")
    removed = {d for ids in done["documents"].values() for d in ids}
    assert target in removed
    for s in sets:
        assert not removed & {r["doc_id"] for r in _rows(s)}
        assert not removed & {r["doc_id"] for r in _index(s)}
        # the dedup index forgets them too (their keys live on in the erasure log)
        assert not removed & {r["doc_id"] for f in s.glob("dedup_index/*.parquet") for r in pq.read_table(f).to_pylist()}
        _checksums_hold(s)
        _counts_agree(root, s)
    erased_sets = {s for s, ids in done["documents"].items() if ids}
    assert any(json.loads((root / "sets" / s / "stats.json").read_text())["records"]["erased"] for s in erased_sets)
    compliance = json.loads((root / "compliance.json").read_text())  # regenerated by forget
    assert compliance["totals"]["documents_erased"] == len(removed)
    assert sum(s["documents_erased"] for s in compliance["sets"]) == len(removed)
    index = json.loads((root / "index.json").read_text())
    assert sum(s["documents"] for s in index["sets"]) == sum(len(_rows(s)) for s in sets)

    # by domain: every page of one site, in whichever night it was published
    domain = next(r["domain"] for r in _rows(sets[1]) if r["domain"])
    done = _forget(root, config_file, capsys, "--domain", domain, "--reason", "ticket 2")
    assert sum(len(v) for v in done["documents"].values()) >= 1
    assert all(r["domain"] != domain for s in sets for r in _rows(s))

    log = (root / "erasures.jsonl").read_text()
    entries = [json.loads(line) for line in log.splitlines() if json.loads(line)["state"] == "planned"]
    assert [e["kind"] for e in entries] == ["email", "domain"] and entries[0]["reason"] == "ticket 1"
    assert len(log.splitlines()) == 4  # each request: planned, then applied
    assert email not in log and domain not in log  # digests and keyed fingerprints only
    for s in sets:
        _counts_agree(root, s)

    # a third night re-crawls the same pages (new file names): nothing erased comes back
    again = root.parent / "recrawl"
    again.mkdir()
    for f in files:
        shutil.copy(f, again / ("again-" + Path(f).name))
    result = run_pipeline(sorted(str(p) for p in again.iterdir()), str(root), config, spark=spark,
                          log=lambda m: None, night="2026-11-03")
    third = _rows(Path(result.set_dir))
    assert target not in {r["doc_id"] for r in third}
    assert all(r["domain"] != domain for r in third)
    assert all(email not in r["text"] for r in third)
    dropped = {reason for stage in ("erased_urls", "erased_content")
               for reason in result.stats["outcomes"].get(stage, {}).get("dropped", {})}
    assert {"erased_domain", "erased_value"} <= dropped or {"erased_domain", "erased_near_duplicate"} <= dropped
    # what was not erased is published already: the re-crawl's copies are dropped as such, not re-admitted
    assert result.stats["outcomes"]["dedup"]["dropped"]["published_duplicate"] >= 1
    assert not third


def test_forget_needs_a_root_and_well_formed_requests(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CORPUS_PII_KEY", "k")
    assert main(["forget", "--root", str(tmp_path), "--email", "a@b.eu", "--reason", "x"]) == 2
    assert "no index.json" in capsys.readouterr().err
    (tmp_path / "index.json").write_text('{"sets": []}')
    assert main(["forget", "--root", str(tmp_path), "--email", "a@b.eu"]) == 2  # no reason
    requests = tmp_path / "requests.jsonl"
    requests.write_text('{"kind": "email", "value": "secret.person@example.eu"}\n')  # no reason either
    assert main(["forget", "--root", str(tmp_path), "--requests", str(requests)]) == 2
    err = capsys.readouterr().err
    assert "requests.jsonl:1" in err and "secret.person" not in err


PLANTED_REQUESTER = "jana.horvatova@example.sk"
PESEL = "44051401359"  # a valid PESEL (Poland), as a requester might quote it


def _steuer_id() -> str:
    from stdnum.de import idnr

    return next(c for c in (f"3657426180{d}" for d in range(10)) if idnr.is_valid(c))
MARKUP = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'


def test_compliance_report_across_runs_has_no_personal_data_and_escapes_markup(two_nights, capsys, tmp_path):
    import shutil as sh
    import subprocess

    root, config_file, _, _ = two_nights
    target = next(r["url"] for r in _rows(root / "sets" / "2026-11-01"))
    steuer_id = _steuer_id()
    reason = (f"{MARKUP} requested by {PLANTED_REQUESTER}, Frau Agnieszka Wiśniewska (PESEL {PESEL}), "
              f"für Herrn Müller, Steuer-ID {steuer_id}")
    _forget(root, config_file, capsys, "--url", target, "--reason", reason)
    capsys.readouterr()
    assert main(["compliance", "--root", str(root), "--config", str(config_file)]) == 0
    report = json.loads((root / "compliance.json").read_text())
    assert report["totals"]["sets"] >= 2 and report["totals"]["erasures"] >= 1
    assert report["totals"]["personal_values_replaced"] == sum(report["totals"]["by_type"].values()) > 0
    assert all(s["canary"]["passed"] and s["provenance"]["inputs_sha256"] for s in report["sets"])
    # type x language x recognizer: every finding is attributed to the recognizer that made it
    by_recognizer = report["totals"]["by_recognizer"]
    assert {x["type"] for x in by_recognizer} == set(report["totals"]["by_type"])
    assert sum(x["findings"] for x in by_recognizer) == report["totals"]["personal_values_replaced"]
    assert {"EmailRecognizer", "PhoneRecognizer"} <= {x["recognizer"] for x in by_recognizer}
    page = (root / "compliance.html").read_text()
    log = (root / "erasures.jsonl").read_text()
    assert PLANTED_REQUESTER not in log and "<EMAIL>" in log  # the operator's reason is scrubbed when logged
    for value in (PESEL, steuer_id, "Müller", "Wiśniewska"):  # in every language, not only English
        assert value not in log and value not in page and value not in json.dumps(report, ensure_ascii=False)
    assert PLANTED_REQUESTER not in page and "<script>" not in page and "&lt;script&gt;" in page
    # which models found names, under which licence, in every run
    assert all(s["provenance"]["models"]["names"][0]["licence"] == "CC-BY-SA-4.0" for s in report["sets"])
    assert "eu-names-crf@" in page and "CC-BY-SA-4.0" in page
    # what a compliance officer sees: rendered by a real browser, nothing injected runs, no value shows
    browser = sh.which("chromium") or sh.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium package is not installed on this machine")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"]
    dom = subprocess.run([browser, *flags, "--dump-dom", (root / "compliance.html").as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert "Compliance report" in dom and "pwned" not in dom.split("<title>")[1].split("</title>")[0]
    assert PLANTED_REQUESTER not in dom and "<img" not in dom
    shot = tmp_path / "compliance.png"
    subprocess.run([browser, *flags, f"--screenshot={shot}", "--window-size=1200,2400",
                    (root / "compliance.html").as_uri()], capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_index_keeps_sets_oldest_first_after_erasures(two_nights):
    root = two_nights[0]
    ids = [s["id"] for s in json.loads((root / "index.json").read_text())["sets"]]
    assert ids == sorted(ids) and len(ids) >= 2
