"""The canary proves the configured scrubber in every language, and stops a run that would leak: a value
counts as replaced only when a finding of its type covers all of it and the scrubbed text no longer holds it."""

import dataclasses
import json
import re
import subprocess
import sys

import phonenumbers
import pytest
from stdnum import iban, luhn

from corpus.config import EU_LANGUAGES, PiiConfig
from pii.canary import IDENTIFIER_TEMPLATES, NAME_TEMPLATES, canary_documents, run_canary, valid_identifier
from pii.fakes import country_of
from pii.identifiers import validator
from pii.names import NameFinder
from pii.scrub import PiiScrubber, ScrubResult

DISCLOSURE = ("Kept by policy (pii.actions): EMAIL — values of these types are published unmasked in the text of "
              "kept documents.")


@pytest.fixture(scope="module")
def loaded():
    """One scrubber with its analyzer and NER pipelines loaded, whose parts the variants below share."""
    scrubber = PiiScrubber(PiiConfig())
    scrubber.setup()
    scrubber._ready = True
    return scrubber


def scrubber_like(loaded, cls=PiiScrubber, **config):
    """A ``cls`` scrubber with ``config``, reusing the loaded analyzer (and NER pipelines where the same)."""
    scrubber = cls(PiiConfig(**config))
    scrubber._analyzer, scrubber._key, scrubber._supported_entities = loaded._analyzer, None, {}
    same_names = (scrubber.config.ner_models, scrubber.config.ner_prefilter, scrubber.config.name_tagger) == (
        loaded.config.ner_models, loaded.config.ner_prefilter, loaded.config.name_tagger)
    scrubber._names = loaded._names if same_names else NameFinder(
        scrubber.config.ner_models, scrubber.config.ner_prefilter, scrubber.config.name_tagger)
    scrubber._ready = True
    return scrubber


def render(scrubber, text, spans):
    """The text with ``spans`` replaced by placeholders, as PiiScrubber.scrub does (types kept by policy stay)."""
    pieces, cursor = [], 0
    for span in spans:
        if scrubber.config.actions.get(span.type, "mask") == "keep":
            continue
        pieces += [text[cursor:span.start], scrubber.config.placeholder.format(type=span.type)]
        cursor = span.end
    return "".join(pieces + [text[cursor:]])


class KeepsEmailText(PiiScrubber):
    """Finds e-mail addresses but leaves them in the text, whatever the configuration says."""

    def scrub(self, text, lang, url=""):
        result = super().scrub(text, lang, url)
        masked = [s for s in result.spans if s.type != "EMAIL"]
        return ScrubResult(render(self, text, masked), result.spans, result.kept)


class HalfSpans(PiiScrubber):
    """Finds and masks only the first half (rounded up) of every value but names."""

    def scrub(self, text, lang, url=""):
        result = super().scrub(text, lang, url)
        spans = [s if s.type == "PERSON" else dataclasses.replace(s, end=s.start + (s.end - s.start + 1) // 2)
                 for s in result.spans]
        return ScrubResult(render(self, text, spans), spans, result.kept)


def first_word(text, span):
    return dataclasses.replace(span, end=span.start + len(text[span.start:span.end].split()[0]))


class FirstWordOfNames(PiiScrubber):
    """Finds and masks only the first word of each name."""

    def scrub(self, text, lang, url=""):
        result = super().scrub(text, lang, url)
        spans = [first_word(text, s) if s.type == "PERSON" else s for s in result.spans]
        return ScrubResult(render(self, text, spans), spans, result.kept)


class MasksFirstWordOfFoundNames(PiiScrubber):
    """Reports whole names but masks only their first word in the text."""

    def scrub(self, text, lang, url=""):
        result = super().scrub(text, lang, url)
        masked = [first_word(text, s) if s.type == "PERSON" else s for s in result.spans]
        return ScrubResult(render(self, text, masked), result.spans, result.kept)


def word_in(word, text):
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


def test_canary_plants_every_type_in_every_language_with_valid_values():
    docs = canary_documents()
    assert {lang for lang, _, _ in docs} == set(EU_LANGUAGES) and len(docs) == 2 * len(EU_LANGUAGES)
    for lang, text, planted in docs:
        values = dict(planted)
        assert set(values) >= {"EMAIL", "PHONE", "IBAN", "CREDIT_CARD", "IP_ADDRESS", "PERSON"}
        assert all(text.count(value) == 1 for _, value in planted)
        assert iban.is_valid(values["IBAN"]) and luhn.is_valid(values["CREDIT_CARD"].replace(" ", ""))
        assert phonenumbers.is_valid_number(phonenumbers.parse(values["PHONE"], country_of(lang)))
        name = values["PERSON"]
        assert len(name.split()) >= 2 and all(w[0].isupper() for w in name.split())
        rest = text.replace(name, " ", 1)
        assert not any(word_in(word, rest) for word in name.split()), (lang, "a name word occurs elsewhere")
    for module, template, _ in IDENTIFIER_TEMPLATES.values():
        assert validator(module)(valid_identifier(module, template))
    assert set(NAME_TEMPLATES) == set(EU_LANGUAGES)


def test_canary_documents_are_deterministic_and_vary_with_the_seed():
    assert canary_documents(0) == canary_documents(0)
    assert [p for _, _, p in canary_documents(0)] != [p for _, _, p in canary_documents(1)]


def test_production_code_does_not_import_the_sample_generator():
    code = ("import sys, pii.canary; pii.canary.canary_documents(); "
            "assert 'corpus.sample.generate' not in sys.modules, 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_configured_scrubber_passes_in_every_language_with_names_and_reports_no_values(loaded):
    result = run_canary(loaded)
    assert result["passed"] and result["failures"] == [] and result["kept_by_policy"] == []
    assert set(result["types_planted"]) >= {"EMAIL", "PHONE", "IBAN", "CREDIT_CARD", "IP_ADDRESS", "PERSON"}
    assert set(result["recall"]["PERSON"]) == set(EU_LANGUAGES) == set(result["recall"]["EMAIL"])
    assert all(r == 1.0 for per in result["recall"].values() for r in per.values())
    assert result["documents"] == 2 * len(EU_LANGUAGES)
    dumped = json.dumps(result, ensure_ascii=False)
    for _, _, planted in canary_documents():
        for value_type, value in planted:
            assert value not in dumped
            if value_type == "PERSON":
                assert not any(word_in(word, dumped) for word in value.split())
    assert "@" not in dumped


def test_names_are_found_whole_with_a_spacy_pipeline_added_too(loaded, spacy_person_pipeline):
    """A configured spaCy pipeline adds findings; the canary's names stay found whole in every language."""
    result = run_canary(scrubber_like(loaded, ner_models={"fr": spacy_person_pipeline}))
    assert result["passed"] and all(r == 1.0 for r in result["recall"]["PERSON"].values())


def test_a_scrubber_that_finds_emails_but_leaves_them_in_the_text_fails(loaded):
    result = run_canary(scrubber_like(loaded, KeepsEmailText))
    assert not result["passed"] and result["kept_by_policy"] == []
    assert {f"EMAIL/{lang}" for lang in EU_LANGUAGES} <= set(result["failures"])
    assert all(r == 0.0 for r in result["recall"]["EMAIL"].values())
    # whatever the minimum recall: a value found and left in the text the configuration masks is a leak
    lenient = run_canary(scrubber_like(loaded, KeepsEmailText), min_recall=0.0)
    assert not lenient["passed"] and "EMAIL/de" in lenient["failures"]


def test_emails_kept_by_policy_pass_and_are_disclosed(loaded):
    from corpus.report import _canary_section

    result = run_canary(scrubber_like(loaded, actions={"EMAIL": "keep"}))
    assert result["passed"] and result["failures"] == [] and result["kept_by_policy"] == ["EMAIL"]
    assert all(r == 1.0 for r in result["recall"]["EMAIL"].values())
    page = _canary_section(result)
    assert DISCLOSURE in page and "passed" in page
    assert "Kept by policy" not in _canary_section(run_canary(loaded))
    assert not any(value in page for _, _, planted in canary_documents() for _, value in planted)


def test_a_kept_type_must_still_be_found(loaded):
    """Kept values stay in the text, but their findings flag the document and feed the erasure index."""
    entities = tuple(e for e in PiiConfig().entities if e != "EMAIL_ADDRESS")
    result = run_canary(scrubber_like(loaded, actions={"EMAIL": "keep"}, entities=entities))
    assert not result["passed"] and "EMAIL/fi" in result["failures"]


def test_a_finding_covering_half_a_value_is_a_miss(loaded):
    result = run_canary(scrubber_like(loaded, HalfSpans))
    assert not result["passed"]
    for value_type in ("EMAIL", "PHONE", "IBAN", "CREDIT_CARD", "IP_ADDRESS"):
        assert {f"{value_type}/{lang}" for lang in EU_LANGUAGES} <= set(result["failures"])
    assert result["recall"]["PERSON"]["de"] == 1.0


def test_a_name_with_only_its_first_word_masked_fails(loaded):
    result = run_canary(scrubber_like(loaded, FirstWordOfNames))
    assert not result["passed"]
    assert {f"PERSON/{lang}" for lang in EU_LANGUAGES} == {f for f in result["failures"] if f.startswith("PERSON/")}
    assert {f for f in result["failures"] if not f.startswith("PERSON/")} == set()


def test_a_name_found_whole_but_partly_left_in_the_text_fails(loaded):
    result = run_canary(scrubber_like(loaded, MasksFirstWordOfFoundNames))
    assert not result["passed"]
    assert {f"PERSON/{lang}" for lang in EU_LANGUAGES} == set(result["failures"])


def test_a_scrubber_of_fewer_languages_is_proven_in_those_languages(loaded):
    """A run that keeps only some languages (langid.languages) scrubs no other: the canary plants its values in
    those languages, and the scrubber must replace every one of them."""
    scrubber = scrubber_like(loaded)
    scrubber.languages = ("de", "ga", "el")
    result = run_canary(scrubber)
    assert result["passed"] and result["documents"] == 2 * 3
    assert all(set(per) == {"de", "ga", "el"} for per in result["recall"].values())
    assert {lang for lang, _, _ in canary_documents(languages=("el", "de"))} == {"de", "el"}


def test_a_scrubber_missing_a_type_fails_the_canary(loaded):
    result = run_canary(scrubber_like(loaded, entities=("EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "IP_ADDRESS")))
    assert not result["passed"]
    assert "PHONE/de" in result["failures"] and result["recall"]["PHONE"]["de"] == 0.0
    assert "PERSON/de" in result["failures"] and result["recall"]["PERSON"]["de"] == 0.0


def test_failed_canary_stops_the_run_before_any_work_and_leaves_nothing_to_resume(tmp_path, sample_crawl, spark):
    from corpus.cli import main
    from corpus.config import PipelineConfig
    from pipelines.job import CanaryFailed, run_pipeline

    config = PipelineConfig.load(pii={"entities": ["EMAIL_ADDRESS"]})
    with pytest.raises(CanaryFailed, match="PHONE/"):
        run_pipeline(sample_crawl.files[:1], str(tmp_path / "out"), config, spark=spark, log=lambda m: None)
    assert not list((tmp_path / "out").glob("sets/*"))
    assert not list((tmp_path / "out").glob("staging/*"))  # the next run does not resume a refused one
    # on the command line: a refusal (exit 2), not a failure to resume (exit 1)
    (tmp_path / "narrow.toml").write_text('[pii]\nentities = ["EMAIL_ADDRESS"]\n')
    assert main(["run", "--input", sample_crawl.files[0], "--output", str(tmp_path / "out"),
                 "--config", str(tmp_path / "narrow.toml")]) == 2
    assert not list((tmp_path / "out").glob("staging/*"))
