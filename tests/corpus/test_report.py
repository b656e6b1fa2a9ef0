"""The run report shows mixed-language documents and escapes whatever labels it is given."""

from corpus.report import build_stats, render_report
from corpus.shards import build_manifest
from corpus.stages import StageStats


def _stats(mixed):
    run = {"run_id": "r1", "set_id": "2026-11-01", "version": "test", "created": "now", "inputs": 1, "master": "local"}
    stats = build_stats([("kept", "write", "", 5)], {"langid": StageStats(5, 5)},
                        {"de": {"documents": 5, "characters": 500, "words": 80, "files": 1}}, {"documents": 1.0}, 1.0,
                        run, {}, mixed)
    return stats, build_manifest([], {"de": {"documents": 5, "characters": 500, "words": 80}}, run)


def test_mixed_language_documents_are_counted_and_shown():
    stats, manifest = _stats({"de": {"en": 3, "und": 1}})
    assert stats["languages_mixed"] == {"de": {"en": 3, "und": 1}}
    page = render_report(stats, manifest)
    assert "Mixed-language documents" in page
    assert "<tr><td>de</td><td>en</td><td>3</td></tr>" in page


def test_labels_are_escaped_and_an_empty_section_says_so():
    stats, manifest = _stats({"de": {"<script>": 1}})
    page = render_report(stats, manifest)
    assert "<script>" not in page and "&lt;script&gt;" in page
    stats, manifest = _stats({})
    assert "Mixed-language documents (kept)</h2>" in render_report(stats, manifest)


def test_canary_table_marks_types_not_planted_in_a_language():
    from corpus.report import _canary_section

    canary = {"documents": 2, "min_recall": 1.0, "passed": True, "failures": [],
              "recall": {"EMAIL": {"de": 1.0, "hu": 1.0}, "VAT_ID": {"hu": 1.0}}}
    page = _canary_section(canary)
    assert "<tr><td>VAT_ID</td><td>–</td><td>1.00</td></tr>" in page and "0.00" not in page


def test_name_models_are_in_the_provenance_with_licence_sources_and_quality_per_language(spacy_person_pipeline):
    from corpus.config import EU_LANGUAGES
    from corpus.provenance import name_models
    from corpus.report import _provenance_section

    models = name_models({"ner_models": {"fr": spacy_person_pipeline, "de": "de_pipeline_not_installed"}})
    tagger, *spacy_models = models
    assert tagger["kind"] == "crf" and tagger["licence"] == "CC-BY-SA-4.0" and len(tagger["sha256"]) == 64
    assert any("uner" in s.lower() or "nerkor" in s.lower() for s in tagger["sources"])
    quality = tagger["quality"]["languages"]
    assert set(quality) == set(EU_LANGUAGES) and all(0 <= q["recall"] <= 1 for q in quality.values())
    by_lang = {m["languages"]: m for m in spacy_models}
    assert by_lang["fr"]["licence"] == "Apache-2.0" and by_lang["de"]["licence"].startswith("not installed")
    html = _provenance_section({"code_version": "x", "inputs_sha256": "0", "config_sha256": "0", "libraries": {},
                                "models": {"langid": {"file": "lid.176.ftz", "sha256": "0"}, "names": models}})
    assert "CC-BY-SA-4.0" in html and "How well person names are found" in html and "&lt;PERSON&gt;" in html
