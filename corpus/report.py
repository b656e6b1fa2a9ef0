"""Run statistics (``stats.json``) and a readable run report (``report.html``).

Both are aggregations of outcome rows and stage counters: counts, reasons, types, languages, timings.
They never contain document text, URLs or personal values.
"""

from __future__ import annotations

import html
from collections import defaultdict

from corpus.document import DROPPED, ERASED, KEPT, QUARANTINED
from corpus.stages import StageStats

OPTOUT_LABELS = {
    "tdm_reservation": "TDMRep reservation (tdm-reservation: 1)",
    "robots_noai": "robots noai / noimageai",
    "blocklisted": "operator blocklist",
    "opted_out": "opt-out list (removal requests)",
}
STAGE_ORDER = ["ingest", "optout", "erased_urls", "extract", "langid", "quality", "pii", "signature", "erased_content",
               "dedup", "write", "erasure"]


def build_stats(outcome_counts: list[tuple[str, str, str, int]], stage_stats: dict[str, StageStats],
                languages: dict[str, dict], timings: dict[str, float], wall_seconds: float, run: dict,
                pii: dict[str, dict[str, int]] | None = None,
                mixed: dict[str, dict[str, int]] | None = None) -> dict:
    records = {KEPT: 0, DROPPED: 0, QUARANTINED: 0, ERASED: 0}
    by_stage: dict[str, dict] = defaultdict(lambda: {KEPT: 0, DROPPED: {}, QUARANTINED: {}})
    for status, stage, reason, n in outcome_counts:
        records[status] += n
        if status == KEPT:
            by_stage[stage][KEPT] += n
        else:
            by_stage[stage][status][reason] = by_stage[stage][status].get(reason, 0) + n
    read = sum(records.values())
    order = {name: i for i, name in enumerate(STAGE_ORDER)}
    return {
        "run": run,
        "records": {"read": read, **records},
        "outcomes": {s: by_stage[s] for s in sorted(by_stage, key=lambda s: order.get(s, 99))},
        "stages": {name: stage_stats[name].to_dict() for name in sorted(stage_stats, key=lambda s: order.get(s, 99))},
        "languages": {lang: languages[lang] for lang in sorted(languages)},
        "pii": pii or {},
        # kept documents whose text is partly in another language: language -> other label -> documents
        "languages_mixed": {lang: dict(sorted(others.items())) for lang, others in sorted((mixed or {}).items())},
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "wall_seconds": round(wall_seconds, 3),
        "records_per_second": round(read / wall_seconds, 2) if wall_seconds else None,
    }


def _bars(items: list[tuple[str, int]], width: int = 640, bar_height: int = 18, colour: str = "#3b6ea8") -> str:
    """A horizontal bar chart as inline SVG (no plotting library needed, renders anywhere)."""
    if not items:
        return "<p><em>none</em></p>"
    top = max(n for _, n in items) or 1
    label_w, rows = 240, []
    for i, (label, n) in enumerate(items):
        y = i * (bar_height + 4)
        w = max(1, int((width - label_w - 60) * n / top))
        rows.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{html.escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_height}" fill="{colour}"/>'
            f'<text x="{label_w + w + 4}" y="{y + 13}">{n:,}</text>'
        )
    height = len(items) * (bar_height + 4)
    return (f'<svg width="{width}" height="{height}" font-size="12" font-family="sans-serif" role="img">'
            + "".join(rows) + "</svg>")


#: Shared by report.html and compliance.html: a table wider than the page (one column per language) scrolls
#: sideways in its own box instead of widening the page past the window. Numbers, codes, dates and ids never
#: break; text wraps between words; hashes, paths and URLs (``long`` cells) wrap anywhere.
TABLE_CSS = """
.scroll { overflow-x: auto; max-width: 100%; margin: 0.5rem 0 1.5rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 3px 5px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td { white-space: nowrap; } td.text { white-space: normal; }
td.long { white-space: normal; overflow-wrap: anywhere; min-width: 12em; }
h1, h2, h3, p { overflow-wrap: anywhere; }
"""
LONG_WORD = 24  # characters: a cell holding a longer unbroken word may wrap inside it


def _cell(value) -> str:
    text = str(value)
    words = text.split()
    kind = "long" if any(len(w) > LONG_WORD for w in words) else "text" if len(words) > 1 else None
    return f'<td class="{kind}">{html.escape(text)}</td>' if kind else f"<td>{html.escape(text)}</td>"


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _inputs_section(inputs: dict | None) -> str:
    """Inputs that could not be read (failed: retried on the next night; abandoned: no longer retried), and
    inputs that held no record."""
    inputs = inputs or {}
    failed, empty = inputs.get("failed", []), inputs.get("empty", [])
    parts = [f"<p>{inputs.get('in_set', 0)} input(s) in this set's plan, {len(failed)} could not be read, "
             f"{len(empty)} empty; {inputs.get('already_published', 0)} given input(s) were already published"
             + (f", {len(inputs['retried'])} retried after failing on an earlier night" if inputs.get("retried") else "")
             + ".</p>"]
    if failed:
        parts.append(_table(["input", "status", "error", "attempts", "nights failed", "detail"],
                            [[f["location"], f["status"], f["error"], f["attempts"], f["failed_nights"], f["detail"]]
                             for f in failed]))
    if empty:
        parts.append(_table(["empty input (no WARC record)"], [[location] for location in empty]))
    return "\n".join(parts)


def _canary_section(canary: dict | None) -> str:
    """Recall of the canary per type (rows) and language (columns); values are never in stats."""
    if not canary:
        return "<p><em>disabled for this run</em></p>"
    langs = sorted({lang for per in canary["recall"].values() for lang in per})
    rows = [[t] + [f"{per[lang]:.2f}" if lang in per else "–" for lang in langs]  # "–": not planted there
            for t, per in canary["recall"].items()]
    verdict = "passed" if canary["passed"] else "FAILED: " + ", ".join(canary["failures"])
    kept = canary.get("kept_by_policy") or []  # stats of runs before the canary recorded it have none
    disclosure = (
        '<p style="border: 2px solid #b5542d; background: #fdf0e8; padding: 0.6rem 0.8rem; font-weight: bold;">'
        f"Kept by policy (pii.actions): {html.escape(', '.join(kept))} — values of these types are published "
        "unmasked in the text of kept documents.</p>") if kept else ""
    hosts = canary.get("executor_hosts")  # stats of runs before the canary ran on the executors have none
    where = f" on every executor ({hosts} host(s))" if hosts else ""
    return (f"<p>Before processing, {canary['documents']} synthetic documents with fake but valid personal data "
            f"in every language the run keeps were scrubbed{where} with this run's configuration: "
            f"{html.escape(verdict)} "
            f"(minimum recall {canary['min_recall']}).</p>" + disclosure + _table(["type"] + langs, rows))


def _provenance_section(p: dict | None) -> str:
    if not p:
        return "<p><em>not recorded</em></p>"
    rows = [["code", p["code_version"]], ["input list sha256", p["inputs_sha256"]],
            ["configuration sha256", p["config_sha256"]],
            ["language-ID model", f"{p['models']['langid']['file']} sha256 {p['models']['langid']['sha256']}"]]
    for m in p["models"].get("names", []):
        sources = f"; trained on {', '.join(m['sources'])}" if m["sources"] else ""
        rows.append([f"person names ({m['kind']}, {m['languages']})", f"{m['model']} — licence {m['licence']}{sources}"])
    rows += [[name, version] for name, version in p["libraries"].items() if version]
    return _table(["", ""], rows) + _name_quality_section(p["models"].get("names", []))


def _name_quality_section(models: list[dict]) -> str:
    """How well person names were found per language when the name model was measured on annotated text."""
    quality = next((m["quality"] for m in models if m.get("quality")), None)
    if not quality:
        return ""
    rows = [[lang, q["data"], q["names"], f"{q['recall']:.2f}", f"{q['false_alarm']:.3f}"]
            for lang, q in sorted(quality["languages"].items())]
    return (f"<h3>How well person names are found</h3><p>{html.escape(quality['how'])}</p>"
            + _table(["language", "annotated data", "names", "recall (no word left)", "false <PERSON> rate"], rows))


def _lang_type_table(counts: dict[str, dict[str, int]]) -> str:
    """language -> type -> count as a table, one column per type."""
    types = sorted({t for per in counts.values() for t in per})
    return _table(["language"] + types, [[lang] + [counts[lang].get(t, 0) for t in types] for lang in sorted(counts)])


def render_report(stats: dict, manifest: dict) -> str:
    rec = stats["records"]
    drops = [[stage, status, reason, n]
             for stage, o in stats["outcomes"].items()
             for status in (DROPPED, QUARANTINED)
             for reason, n in sorted(o[status].items(), key=lambda kv: -kv[1])]
    stage_rows = [[name, s["docs_in"], s["docs_out"], sum(s["dropped"].values()), sum(s["quarantined"].values()),
                   f"{s['seconds']:.2f}", f"{1000 * s['seconds'] / s['docs_in']:.1f}" if s["docs_in"] else "-"]
                  for name, s in stats["stages"].items()]
    langs = stats["languages"]
    lang_items = sorted(((lang, t["documents"]) for lang, t in langs.items()), key=lambda kv: -kv[1])
    pii_by_type: dict[str, int] = defaultdict(int)
    for per_type in stats.get("pii", {}).values():
        for t, n in per_type.items():
            pii_by_type[t] += n
    pii_rows = [[lang] + [stats["pii"][lang].get(t, 0) for t in sorted(pii_by_type)] for lang in sorted(stats.get("pii", {}))]
    kept_policy, dropped_pages = stats.get("pii_kept_by_policy", {}), stats.get("pii_dropped_with_page", {})
    erased = rec.get(ERASED, 0)
    erasure_rows = [[e["erasure_id"], e["documents"]] for e in stats.get("erasures", [])]
    reason_items = [(f"{r[0]}: {r[2]}", r[3]) for r in drops]
    mixed_rows = [[lang, other, n] for lang, others in stats.get("languages_mixed", {}).items()
                  for other, n in others.items()]
    optouts = stats["outcomes"].get("optout", {}).get(DROPPED, {})
    optout_rows = [[OPTOUT_LABELS.get(reason, reason), n] for reason, n in sorted(optouts.items())]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>eu-corpus run report {html.escape(stats['run']['run_id'])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 1180px; color: #222; }}
p {{ max-width: 980px; }}{TABLE_CSS}.kpi {{ display: inline-block; margin-right: 2rem; }} .kpi b {{ font-size: 1.6rem; display: block; }}
</style></head><body>
<h1>Run report: set {html.escape(stats['run'].get('set_id', ''))}</h1>
<p>Run <code>{html.escape(stats['run']['run_id'])}</code>, eu-corpus {html.escape(stats['run']['version'])},
master <code>{html.escape(stats['run']['master'])}</code>, {stats['run']['inputs']} input file(s),
{stats['wall_seconds']:.1f} s wall time.</p>
<p>This set documents itself: <a href="README.md">dataset card</a> (README.md: composition, sources, processing,
personal data, limitations) and <a href="record_of_processing.md">record of processing</a> (GDPR Art. 30,
<a href="record_of_processing.json">JSON</a>), rewritten after every run and erasure.</p>
<div><span class="kpi"><b>{rec['read']:,}</b>records read</span><span class="kpi"><b>{rec['kept']:,}</b>kept</span>
<span class="kpi"><b>{rec['dropped']:,}</b>dropped</span><span class="kpi"><b>{rec['quarantined']:,}</b>quarantined</span>
<span class="kpi"><b>{erased:,}</b>erased on request</span>
<span class="kpi"><b>{manifest['totals']['files']}</b>shard files</span></div>
<p>Every record read ends in exactly one outcome: kept + dropped + quarantined + erased = read
({rec['kept']} + {rec['dropped']} + {rec['quarantined']} + {erased} = {rec['read']}).</p>
<h2>Inputs</h2>
{_inputs_section(stats.get("inputs"))}
<h2>Erased on request (GDPR Art. 17)</h2>
<p>Documents published by this run and removed later by <code>corpus forget</code>, per request
(the root's erasures.jsonl and compliance report say why).</p>
{_table(["erasure request", "documents removed"], erasure_rows) if erasure_rows else "<p><em>none</em></p>"}
<h2>Documents kept per language</h2>{_bars(lang_items)}
{_table(["language", "documents", "characters", "words", "files"], [[l, t['documents'], t['characters'], t['words'], t.get('files', 0)] for l, t in sorted(langs.items())])}
<h2>Mixed-language documents (kept)</h2>
<p>Long documents are judged on several passages; these hold another language in at least the configured
share of their text (shards: <code>lang_shares</code>; <code>und</code>: no language was sure).</p>
{_table(["language", "other language", "documents"], mixed_rows) if mixed_rows else "<p><em>none in this run</em></p>"}
<h2>Personal-data canary</h2>
{_canary_section(stats.get("pii_canary"))}
<h2>What this run was made with</h2>
{_provenance_section(stats.get("provenance"))}
<h2>Why records were dropped or quarantined</h2>{_bars(reason_items, colour="#b5542d")}
{_table(["stage", "outcome", "reason", "records"], drops)}
<h2>Opt-outs honoured</h2>
<p>Pages not used because their owners reserved text and data mining (EU DSM Directive Art. 4(3)) or because
an operator list excludes them. They are dropped before any content is extracted.</p>
{_table(["signal", "pages"], optout_rows) if optout_rows else "<p><em>none in this run</em></p>"}
<h2>Personal data replaced (kept documents)</h2>
<p>Counts of values replaced by typed placeholders in the published text. No value is stored anywhere.</p>
{_bars(sorted(pii_by_type.items(), key=lambda kv: -kv[1]), colour="#6a4c93")}
{_table(["language"] + sorted(pii_by_type), pii_rows)}
<h2>Personal data kept by policy (kept documents)</h2>
<p>Values found but <strong>left in the published text</strong> because <code>pii.actions</code> keeps their type.</p>
{_lang_type_table(kept_policy) if kept_policy else "<p><em>none: no type is kept by policy</em></p>"}
<h2>Personal data dropped with its page</h2>
<p>Values in pages dropped whole because they were mostly personal data (<code>pii.drop_density</code>).</p>
{_lang_type_table(dropped_pages) if dropped_pages else "<p><em>none in this run</em></p>"}
<h2>Stages</h2>{_table(["stage", "in", "out", "dropped", "quarantined", "seconds (all workers)", "ms / doc"], stage_rows)}
<h2>Phases (wall time)</h2>{_table(["phase", "seconds"], [[k, v] for k, v in stats['timings'].items()])}
</body></html>
"""


def write_report(store, path: str, stats: dict, manifest: dict) -> None:
    store.write_bytes(path, render_report(stats, manifest).encode("utf-8"))
