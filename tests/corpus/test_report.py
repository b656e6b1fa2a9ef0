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
