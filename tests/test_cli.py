"""The tool commands share the pipeline's stage code."""

import json

from corpus.cli import main
from corpus.sample.generate import load_texts
from tests.conftest import read_jsonl


def test_detect_lang(tmp_path):
    rows = [{"id": 1, "text": " ".join(load_texts("sl")["sentences"][:3])},
            {"id": 2, "text": " ".join(load_texts("ru")["sentences"][:3])},
            {"id": 3, "text": " ".join(load_texts("mt")["sentences"][:3])}]
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    assert main(["detect-lang", "--input", str(src), "--output", str(dst)]) == 0
    out = read_jsonl(dst)
    assert [(r["id"], r["lang"]) for r in out] == [(1, "sl"), (2, None), (3, "mt")]
    assert all(0 < r["lang_score"] <= 1 for r in out)
    assert out[1]["lang_reason"] == "not_eu_language" and out[1]["lang_top"][0][0] == "ru"
    assert all(len(r["lang_top"]) == 3 and r["lang_mixed"] == [] for r in out)


def test_detect_lang_reports_mixed_documents(tmp_path):
    de, en = load_texts("de")["sentences"], load_texts("en")["sentences"]
    text = "\n".join([" ".join(de[i:i + 3]) for i in range(0, 18, 3)] + [" ".join(en[i:i + 3]) for i in range(0, 9, 3)])
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"text": text}, ensure_ascii=False))
    assert main(["detect-lang", "--input", str(src), "--output", str(dst)]) == 0
    (row,) = read_jsonl(dst)
    assert row["lang"] == "de" and row["lang_mixed"] == ["en"] and set(row["lang_shares"]) == {"de", "en"}


def test_scrub_writes_offsets_not_values(tmp_path):
    text = "Kontakt: jana.novakova@example.cz, tel. +420 601 123 456."
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"text": text, "lang": "cs"}, ensure_ascii=False) + "\n" + json.dumps({"text": "nic"}))
    assert main(["scrub", "--input", str(src), "--output", str(dst)]) == 0
    first, second = read_jsonl(dst)
    assert first["text"] == "Kontakt: <EMAIL>, tel. <PHONE>."
    assert [(p["type"], text[p["start"]:p["end"]]) for p in first["pii"]] == [
        ("EMAIL", "jana.novakova@example.cz"), ("PHONE", "+420 601 123 456")]
    assert set(first["pii"][0]) == {"type", "start", "end"}
    assert second == {"text": "nic", "pii": []}
    assert "jana" not in dst.read_text()


def test_run_rejects_missing_input(tmp_path, capsys):
    assert main(["run", "--input", str(tmp_path / "none.warc.gz"), "--output", str(tmp_path / "o")]) == 2
    assert "input not found" in capsys.readouterr().err


def test_run_refuses_a_directory_that_is_not_a_corpus_root(tmp_path, capsys, sample_crawl):
    (tmp_path / "notes.txt").write_text("not a corpus")
    assert main(["run", "--input", sample_crawl.files[0], "--output", str(tmp_path)]) == 2
    assert "not a corpus output directory" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "not a corpus"


def _read_only_directory(path):
    """A directory this process cannot write into, even as root (an immutable directory there); None where
    the system cannot make one."""
    import os
    import subprocess

    path.mkdir()
    if os.getuid() != 0:
        path.chmod(0o555)
        return path
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    return path if done.returncode == 0 else None


def test_a_root_that_cannot_be_written_is_a_usage_error_naming_the_path(tmp_path, capsys, sample_crawl):
    import os
    import subprocess

    import pytest

    locked = _read_only_directory(tmp_path / "readonly")
    if locked is None:
        pytest.skip("no way to make a read-only directory here (not root-capable chattr, not an ordinary user)")
    try:
        code = main(["run", "--input", sample_crawl.files[0], "--output", str(locked / "root")])
    finally:
        if os.getuid() == 0:
            subprocess.run(["chattr", "-i", str(locked)], check=True)
        else:
            locked.chmod(0o755)
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(locked / "root") in err and ("Permission denied" in err or "Operation not permitted" in err)
    assert "run the same command again to resume" not in err and "Traceback" not in err


def test_storage_errors_relayed_by_spark_are_named_with_their_path():
    """A full disk met by an executor arrives as text inside Spark's error: the path and the cause survive."""
    import errno

    from corpus.cli import storage_problem

    full = OSError(errno.ENOSPC, "No space left on device", "/data/out/staging/2026-11-01/ab12/docs.parquet")
    relayed = RuntimeError("An error occurred while calling o88.collect.\norg.apache.spark.api.python.PythonException: "
                           f"Traceback (most recent call last):\npipelines.worker.StagingFailed: input #3: OSError: {full}\n")
    assert storage_problem(relayed) == "No space left on device: /data/out/staging/2026-11-01/ab12/docs.parquet"
    assert storage_problem(PermissionError(errno.EACCES, "Permission denied", "/srv/corpus")) == \
        "Permission denied: /srv/corpus"
    assert storage_problem(FileNotFoundError(errno.ENOENT, "No such file or directory", "/x")) is None
    assert storage_problem(RuntimeError("pyarrow.lib.ArrowInvalid: could not convert")) is None
