"""Nothing personal leaves by a side door (no Spark): URLs are scrubbed like text, exception messages that
travel to outcomes, Spark's logs and the CLI carry no crawled content, and secrets are redacted from the
configuration a run writes."""

from __future__ import annotations

import json

import pytest

from corpus.config import PipelineConfig, PiiConfig
from corpus.document import Document
from pii.fingerprints import fingerprint, url_fingerprint
from pii.scrub import PiiScrubber, url_may_hold_personal_data

SECRET_TEXT = "Jana Nováková lives at Hlavná 12"


@pytest.fixture(scope="module")
def scrubber():
    return PiiScrubber(PiiConfig(canary=False, fingerprint_key_env="CORPUS_TEST_NO_SUCH_KEY"))  # keyless


def _doc(url: str, lang: str = "de") -> Document:
    return Document("f.warc.gz", 0, "<urn:uuid:1>", url=url, lang=lang,
                    text="Ein kurzer Text über das Wetter in Berlin und die Züge am Morgen.")


@pytest.mark.parametrize("url, kept_out", [
    ("https://forum.example.de/profil?email=max.mustermann%40example-mail.de&tab=posts", "mustermann"),
    ("https://shop.example.de/kontakt?tel=%2B49%2030%2012345678", "12345678"),
    ("http://192.168.10.20/cgi-bin/status", "192.168.10.20"),
    ("https://example.de/account?name=Anna+Schmidt&iban=DE89370400440532013000", "DE89370400440532013000"),
])
def test_personal_data_in_a_url_is_replaced_and_its_fingerprint_kept(scrubber, url, kept_out, monkeypatch):
    monkeypatch.setenv("CORPUS_PII_KEY", "side-door key")
    keyed = PiiScrubber(PiiConfig(canary=False))
    doc = keyed(_doc(url))
    assert kept_out not in doc.url and "<" in doc.url
    assert doc.url_fingerprint == url_fingerprint(b"side-door key", url)
    assert doc.pii_counts and doc.pii_fingerprints  # counted and indexed like values in the text
    keyless = scrubber(_doc(url))  # without a key: scrubbed all the same, nothing to fingerprint with
    assert kept_out not in keyless.url and keyless.url_fingerprint == ""


def test_the_indexed_url_value_is_the_one_forget_looks_up(monkeypatch):
    monkeypatch.setenv("CORPUS_PII_KEY", "side-door key")
    doc = PiiScrubber(PiiConfig(canary=False))(_doc(
        "https://forum.example.de/profil?email=max.mustermann%40example-mail.de"))
    assert fingerprint(b"side-door key", "EMAIL", "max.mustermann@example-mail.de") in doc.pii_fingerprints


@pytest.mark.parametrize("url", [
    "https://news.example.de/2024/05/12/regionalzug-faellt-aus.html",
    "https://www.example.com/en/article-17.html",
    "https://example.pl/kategoria/sport/",
])
def test_ordinary_urls_are_published_as_they_are(scrubber, url):
    doc = scrubber(_doc(url))
    assert doc.url == url and doc.url_fingerprint == "" and not doc.pii_counts


def test_the_url_prefilter_lets_through_every_url_with_a_value():
    for url in ("https://a.de/x?m=a%40b.de", "https://a.de/x/+48512345678", "http://10.1.2.3/", "http://[::1]/",
                "https://a.de/team/Anna-Schmidt"):
        from pii.scrub import url_for_scrubbing

        assert url_may_hold_personal_data(url_for_scrubbing(url)), url


def test_a_run_failure_is_summarised_without_the_messages():
    from corpus.cli import failure_summary

    error = RuntimeError(
        "An error occurred while calling o123.collect.\n"
        "org.apache.spark.api.python.PythonException: Traceback (most recent call last):\n"
        f"pyarrow.lib.ArrowInvalid: Could not convert '{SECRET_TEXT}' with type str: tried to convert to int64\n")
    summary = failure_summary(error)
    assert "RuntimeError" in summary and "pyarrow.lib.ArrowInvalid" in summary
    assert "Nováková" not in summary and "Hlavná" not in summary


def test_a_failing_input_reaches_spark_without_the_message(tmp_path, monkeypatch, sample_crawl):
    import pipelines.worker as worker
    from corpus.staging import InputStaging
    from corpus.storage import Store

    def leaky(*args, **kwargs):
        raise ValueError(f"Could not convert {SECRET_TEXT!r}")

    monkeypatch.setattr(InputStaging, "add_doc", leaky)
    config = PipelineConfig.load(pii={"canary": False})
    with pytest.raises(worker.StagingFailed) as raised:
        worker.stage_input(config.model_dump_json(), Store(str(tmp_path)), str(tmp_path / "s"), 3,
                           sample_crawl.files[0])
    assert str(raised.value) == "input #3: ValueError"
    assert raised.value.__context__ is None or raised.value.__suppress_context__


def test_an_ingest_error_from_a_library_keeps_only_its_type():
    from corpus.config import IngestConfig
    from corpus.ingest import MalformedRecord, WarcIngest

    ingest = WarcIngest(IngestConfig())
    assert ingest.quarantine("f.warc.gz", 0, UnicodeDecodeError("utf-8", SECRET_TEXT.encode(), 0, 1, "x")).detail \
        == "UnicodeDecodeError"
    assert ingest.quarantine("f.warc.gz", 0, MalformedRecord("missing WARC header(s): WARC-Type")).detail \
        == "MalformedRecord: missing WARC header(s): WARC-Type"


def test_secrets_in_the_spark_configuration_are_redacted_from_what_a_run_writes():
    from corpus.secrets import REDACTED, redacted_config_json, redaction_regex

    config = PipelineConfig.load(spark={"extra_conf": {"spark.executorEnv.CORPUS_PII_KEY": "k1",
                                                       "spark.kubernetes.driverEnv.AWS_SECRET_ACCESS_KEY": "k2",
                                                       "spark.executor.cores": "4"}})
    written = json.loads(redacted_config_json(config.model_dump_json()))
    extra = written["spark"]["extra_conf"]
    assert extra["spark.executorEnv.CORPUS_PII_KEY"] == REDACTED
    assert extra["spark.kubernetes.driverEnv.AWS_SECRET_ACCESS_KEY"] == REDACTED
    assert extra["spark.executor.cores"] == "4"
    assert written["pii"]["fingerprint_key_env"] == "CORPUS_PII_KEY"  # the variable's name is no secret
    import re

    assert re.search(redaction_regex("CORPUS_PII_KEY"), "spark.executorEnv.CORPUS_PII_KEY")
