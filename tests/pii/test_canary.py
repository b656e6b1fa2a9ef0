"""The canary proves the configured scrubber in every language, and stops a run that would leak."""

import pytest

from corpus.config import EU_LANGUAGES, PiiConfig
from pii.canary import IDENTIFIER_TEMPLATES, canary_documents, run_canary, valid_identifier
from pii.identifiers import validator
from pii.scrub import PiiScrubber


def test_canary_plants_every_type_in_every_language_with_valid_values():
    docs = canary_documents()
    assert {lang for lang, _, _ in docs} == set(EU_LANGUAGES)
    for lang, text, planted in docs:
        assert {t for t, _ in planted} >= {"EMAIL", "PHONE", "IBAN", "CREDIT_CARD", "IP_ADDRESS"}
        assert all(value in text for _, value in planted)
    for module, template, _ in IDENTIFIER_TEMPLATES.values():
        assert validator(module)(valid_identifier(module, template))


def test_configured_scrubber_passes_and_reports_recall_without_values():
    result = run_canary(PiiScrubber(PiiConfig()))
    assert result["passed"] and result["failures"] == []
    assert set(result["recall"]["EMAIL"]) == set(EU_LANGUAGES)
    assert all(r == 1.0 for per in result["recall"].values() for r in per.values())
    assert "@" not in repr(result)


def test_a_scrubber_missing_a_type_fails_the_canary():
    result = run_canary(PiiScrubber(PiiConfig(entities=("EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "IP_ADDRESS"))))
    assert not result["passed"]
    assert "PHONE/de" in result["failures"] and result["recall"]["PHONE"]["de"] == 0.0


def test_failed_canary_stops_the_run_before_any_work(tmp_path, sample_crawl, spark):
    from corpus.config import PipelineConfig
    from pipelines.job import CanaryFailed, run_pipeline

    config = PipelineConfig.load(pii={"entities": ["EMAIL_ADDRESS"]})
    with pytest.raises(CanaryFailed, match="PHONE/"):
        run_pipeline(sample_crawl.files[:1], str(tmp_path / "out"), config, spark=spark, log=lambda m: None)
    assert not list((tmp_path / "out").glob("sets/*"))
