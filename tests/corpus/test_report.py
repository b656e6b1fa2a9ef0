"""The run report shows mixed-language documents and escapes whatever labels it is given; report.html and
compliance.html stay readable in a 1280 px wide window."""

import html
import json

import pytest

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


# -- what an operator sees in a 1280 px wide window ---------------------------------------------------------------
WINDOW = (1280, 800)
# Written into the page's own DOM after layout: the window's width, the document's, and each table's right edge
# and that of its nearest horizontally scrollable ancestor (null: none).
LAYOUT_PROBE = """<script>
(function () {
  var tables = [];
  document.querySelectorAll("table").forEach(function (table) {
    var scroller = null;
    for (var el = table.parentElement; el && el !== document.body; el = el.parentElement) {
      var overflow = getComputedStyle(el).overflowX;
      if (overflow === "auto" || overflow === "scroll") { scroller = el; break; }
    }
    var heading = table;
    while (heading.parentElement !== document.body) heading = heading.parentElement;
    while (heading && !/^H[1-3]$/.test(heading.tagName)) heading = heading.previousElementSibling;
    tables.push({after: heading ? heading.textContent : "",
                 right: table.getBoundingClientRect().right,
                 scroller: scroller ? scroller.getBoundingClientRect().right : null});
  });
  var out = document.createElement("pre");
  out.id = "layout-probe";
  out.textContent = JSON.stringify({window: document.documentElement.clientWidth,
                                    document: document.documentElement.scrollWidth, tables: tables});
  document.body.appendChild(out);
})();
</script>"""


def _layout_in_browser(page: str, tmp_path, name: str) -> dict:
    """Load ``page`` in headless chromium at WINDOW and return what LAYOUT_PROBE measured. The probe runs in a
    copy of the page; a Content-Security-Policy (compliance.html forbids scripts) is left out of that copy,
    which changes nothing in the layout."""
    import re
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium package is not installed on this machine")
    probed = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    assert probed.count("</body>") == 1
    path = tmp_path / name
    path.write_text(probed.replace("</body>", LAYOUT_PROBE + "</body>"), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--window-size={WINDOW[0]},{WINDOW[1]}"]
    dom = subprocess.run([browser, *flags, "--dump-dom", path.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    found = re.search(r'<pre id="layout-probe">(.*?)</pre>', dom, re.S)
    assert found, f"the layout probe did not run in {browser}: {dom[:500]!r}"
    return json.loads(html.unescape(found[1]))


def _assert_fits(layout: dict) -> None:
    width = layout["window"]
    assert 1200 <= width <= WINDOW[0]  # the window, less a vertical scroll bar where the browser draws one
    assert layout["tables"], "no table measured"
    for table in layout["tables"]:  # each table fits, or scrolls sideways inside a box that fits
        edge = table["right"] if table["scroller"] is None else table["scroller"]
        assert edge <= width, f"table after {table['after']!r} is cut at {width} px: {table}"
    assert layout["document"] <= width, f"the page is {layout['document']} px wide in a {width} px window"


def _realistic_stats(set_id: str = "2026-11-03") -> tuple[dict, dict]:
    """stats.json and manifest.json as a night over every EU language writes them: the real canary's types and
    languages, the real provenance record (hashes, library versions, name models and their quality), every stage,
    drop reasons, personal data per language and type, erasures."""
    from collections import Counter

    from corpus.config import EU_LANGUAGES, PipelineConfig
    from corpus.erasure import new_erasure_id
    from corpus.provenance import provenance
    from corpus.report import STAGE_ORDER
    from pii.canary import canary_documents

    run = {"run_id": f"{set_id}T02-15-00Z-7f3c9a1e", "set_id": set_id, "version": "0.1.0",
           "created": f"{set_id}T02:15:00+00:00", "inputs": 96,
           "master": "spark://spark-master.corpus-prod.internal.example.eu:7077"}
    outcomes = [("kept", "write", "", 1_482_113),
                ("dropped", "ingest", "record_type_warcinfo", 96), ("dropped", "ingest", "not_html", 40_211),
                ("dropped", "ingest", "http_status", 310_877), ("quarantined", "ingest", "truncated_record", 12),
                ("dropped", "optout", "tdm_reservation", 2_318), ("dropped", "optout", "robots_noai", 977),
                ("dropped", "optout", "blocklisted", 51), ("dropped", "extract", "no_main_text", 88_420),
                ("dropped", "langid", "not_eu_language", 611_304),
                ("dropped", "quality", "gopher_rep_dup_line_frac", 40_551),
                ("dropped", "quality", "gopher_rep_top_4_gram", 12_876), ("dropped", "pii", "pii_density", 1_204),
                ("quarantined", "pii", "scrub_error:RecursionError", 3),
                ("dropped", "dedup", "exact_duplicate", 190_332), ("dropped", "dedup", "near_duplicate", 140_118)]
    stages = {name: StageStats(2_930_000 - 100_000 * i, 2_900_000 - 100_000 * i,
                               Counter({"some_reason": 30_000}), Counter(), 1234.5678 * (i + 1))
              for i, name in enumerate(STAGE_ORDER)}
    languages = {lang: {"documents": 61_000 + i, "characters": 310_000_000 + i, "words": 48_000_000 + i, "files": 4}
                 for i, lang in enumerate(EU_LANGUAGES)}
    planted: dict[str, set] = {}
    for lang, _, values in canary_documents(0):
        for value_type, _ in values:
            planted.setdefault(value_type, set()).add(lang)
    types = sorted(planted)
    pii = {lang: {t: 1_000 + 7 * i for i, t in enumerate(types)} for lang in EU_LANGUAGES}
    mixed = {"mt": {"en": 4_113, "und": 210}, "ga": {"en": 3_870}, "lt": {"ru": 12}}
    timings = {"ingest and extract": 5123.4, "pii": 2211.9, "dedup": 830.2, "write": 120.5, "publish": 3.1}
    stats = build_stats(outcomes, stages, languages, timings, 9876.5, run, pii, mixed)
    stats["pii_canary"] = {"documents": 48, "min_recall": 1.0, "passed": True, "failures": [],
                           "recall": {t: {lang: 1.0 for lang in sorted(langs)} for t, langs in planted.items()},
                           "kept_by_policy": ["IP_ADDRESS"], "types_planted": types}
    stats["pii_kept_by_policy"] = {lang: {"IP_ADDRESS": 17} for lang in EU_LANGUAGES}
    stats["pii_dropped_with_page"] = {lang: {t: 3 for t in types} for lang in EU_LANGUAGES}
    stats["erasures"] = [{"erasure_id": new_erasure_id(), "documents": 2}, {"erasure_id": new_erasure_id(), "documents": 1}]
    inputs = [{"location": f"s3://eu-corpus-crawl-archive/crawl-data/CC-MAIN-2026-44/segments/1730000000000.{i}/warc/"
                           f"CC-MAIN-20261103021500-20261103051500-{i:05d}.warc.gz", "size": 1_073_741_824,
               "sha256": f"{i:064x}"} for i in range(96)]
    stats["provenance"] = provenance(PipelineConfig().model_dump_json(), inputs)
    totals = {lang: {k: t[k] for k in ("documents", "characters", "words")} for lang, t in languages.items()}
    return stats, build_manifest([], totals, run)


def test_every_table_of_report_html_is_readable_in_a_1280_px_window(tmp_path):
    stats, manifest = _realistic_stats()
    _assert_fits(_layout_in_browser(render_report(stats, manifest), tmp_path, "report.html"))


def test_every_table_of_compliance_html_is_readable_in_a_1280_px_window(tmp_path):
    from corpus.compliance import build_compliance, render_compliance
    from corpus.ledger import CorpusRoot

    root = tmp_path / "corpus"
    nights = ["2026-11-01", "2026-11-02", "2026-11-03"]
    for night in nights:
        stats, manifest = _realistic_stats(night)
        (root / "sets" / night).mkdir(parents=True)
        (root / "sets" / night / "stats.json").write_text(json.dumps(stats))
        (root / "sets" / night / "manifest.json").write_text(json.dumps({**manifest, "erasures": stats["erasures"]}))
    (root / "index.json").write_text(json.dumps({"sets": [{"id": night} for night in nights]}))
    erasure = {"erasure_id": stats["erasures"][0]["erasure_id"], "state": "planned", "when": "2026-11-04T09:00:00+00:00",
               "kind": "url", "key": "0" * 64, "key_id": None, "status": "erased",
               "reason": "ticket DPO-2026-1142: removal requested via https://privacy.example.eu/requests/"
                         "2026/11/04/a-very-long-request-reference-without-spaces-0123456789abcdef",
               "documents": {night: ["d" * 40] for night in nights}, "matched": 3, "near_duplicates": 0,
               "fingerprints": [], "band_hashes": [], "searched_sets": nights, "unsearched_sets": []}
    applied = {"erasure_id": erasure["erasure_id"], "state": "applied", "when": "2026-11-04T09:01:00+00:00"}
    (root / "erasures.jsonl").write_text(json.dumps(erasure) + "\n" + json.dumps(applied) + "\n")
    page = render_compliance(build_compliance(CorpusRoot(str(root))))
    _assert_fits(_layout_in_browser(page, tmp_path, "compliance.html"))
