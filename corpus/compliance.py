"""The compliance report across every run of a corpus root: what personal data was found and removed, by
type and language, opt-outs honoured, erasures applied, the canary's verdict, and what each run was made
with. JSON for machines, HTML (inline SVG charts, nothing fetched) for compliance officers.

Everything here is aggregated from stats.json, manifests and erasures.jsonl, which hold counts, reasons,
hashes and versions only; free text (erasure reasons) is scrubbed when it is logged and escaped here.
"""

from __future__ import annotations

import html
from collections import Counter
from datetime import datetime, timezone

from corpus.ledger import CorpusRoot
from corpus.report import OPTOUT_LABELS, TABLE_CSS, _bars, _table


def build_compliance(root: CorpusRoot) -> dict:
    store = root.store
    sets, by_type, by_lang, optouts = [], Counter(), Counter(), Counter()
    kept_by_policy, dropped_with_page = Counter(), Counter()  # type -> values
    by_recognizer: dict[tuple[str, str], Counter] = {}  # (type, recognizer) -> language -> findings
    for entry in root.index()["sets"]:
        set_dir = root.set_dir(entry["id"])
        stats = store.read_json(store.join(set_dir, "stats.json"))
        manifest = store.read_json(store.join(set_dir, "manifest.json"))
        pii = stats.get("pii", {})
        for lang, types in pii.items():
            for value_type, n in types.items():
                by_type[value_type] += n
                by_lang[lang] += n
        for lang, types in stats.get("pii_recognizers", {}).items():
            for value_type, recognizers in types.items():
                for recognizer, n in recognizers.items():
                    by_recognizer.setdefault((value_type, recognizer), Counter())[lang] += n
        for per_type in stats.get("pii_kept_by_policy", {}).values():
            kept_by_policy.update(per_type)
        for per_type in stats.get("pii_dropped_with_page", {}).values():
            dropped_with_page.update(per_type)
        set_optouts = stats["outcomes"].get("optout", {}).get("dropped", {})
        optouts.update(set_optouts)
        canary = stats.get("pii_canary")
        sets.append({
            "id": entry["id"],
            "created": manifest["run"]["created"],
            "documents_published": stats["records"]["kept"] + stats["records"].get("erased", 0),
            "documents_now": manifest["totals"]["documents"],
            "documents_erased": manifest["totals"].get("erased", 0),
            "erasures": manifest.get("erasures", []),
            "personal_values_replaced": sum(sum(t.values()) for t in pii.values()),
            "personal_values_kept_by_policy": sum(sum(t.values()) for t in stats.get("pii_kept_by_policy", {}).values()),
            "personal_values_dropped_with_page": sum(sum(t.values())
                                                     for t in stats.get("pii_dropped_with_page", {}).values()),
            "pii": pii,
            "pii_kept_by_policy": stats.get("pii_kept_by_policy", {}),
            "fingerprint_key_id": manifest["run"].get("pii_key_id"),
            "pii_recognizers": stats.get("pii_recognizers", {}),
            "pages_dropped_for_pii_density": stats["outcomes"].get("pii", {}).get("dropped", {}).get("pii_density", 0),
            "pii_errors_quarantined": sum(stats["outcomes"].get("pii", {}).get("quarantined", {}).values()),
            "optouts": set_optouts,
            "canary": None if canary is None else {**{k: canary[k] for k in ("passed", "failures", "min_recall", "recall")},
                                                  "kept_by_policy": canary.get("kept_by_policy", [])},
            "fingerprints_indexed": stats.get("pii_index", {}).get("fingerprints", 0),
            "provenance": stats.get("provenance"),
        })
    from corpus.erasure import read_log

    erasures = [{"erasure_id": e["erasure_id"], "when": e["when"], "kind": e["kind"], "reason": e["reason"],
                 "status": ("interrupted: run corpus forget again to complete it" if not e["applied"]
                            else e.get("status", "erased")),
                 "applied": e["applied"], "matched": e["matched"], "near_duplicates": e["near_duplicates"],
                 "documents": sum(len(v) for v in e["documents"].values()),
                 "unsearched_sets": e.get("unsearched_sets", [])}
                for e in read_log(root)]
    return {
        "generated": datetime.now(timezone.utc).isoformat(),
        "root": root.path,
        "totals": {
            "sets": len(sets),
            "personal_values_replaced": sum(by_type.values()),
            "personal_values_kept_by_policy": dict(sorted(kept_by_policy.items())),
            "personal_values_dropped_with_page": dict(sorted(dropped_with_page.items())),
            "by_type": dict(sorted(by_type.items())),
            "by_language": dict(sorted(by_lang.items())),
            "by_recognizer": [{"type": t, "recognizer": r, "findings": sum(c.values()), "by_language": dict(sorted(c.items()))}
                              for (t, r), c in sorted(by_recognizer.items())],
            "pages_dropped_for_pii_density": sum(s["pages_dropped_for_pii_density"] for s in sets),
            "optouts": dict(sorted(optouts.items())),
            "erasures": len(erasures),
            "documents_erased": sum(e["documents"] for e in erasures),
            "erasures_nothing_matched": sum(1 for e in erasures if e["status"] == "nothing_matched"),
            "erasures_interrupted": sum(1 for e in erasures if not e["applied"]),
            "canary_failures": sum(1 for s in sets if s["canary"] and not s["canary"]["passed"]),
        },
        "sets": sets,
        "erasures": erasures,
    }


def render_compliance(report: dict) -> str:
    t, e = report["totals"], html.escape
    type_lang = sorted({lang for s in report["sets"] for lang in s["pii"]})
    types = sorted(t["by_type"])
    matrix = Counter()
    for s in report["sets"]:
        for lang, per in s["pii"].items():
            for value_type, n in per.items():
                matrix[value_type, lang] += n
    set_rows = [[s["id"], s["created"][:19], s["documents_published"], s["documents_now"], s["documents_erased"],
                 s["personal_values_replaced"], s["pages_dropped_for_pii_density"], s["pii_errors_quarantined"],
                 sum(s["optouts"].values()), "-" if not s["canary"] else (
                     ("passed" if s["canary"]["passed"] else "FAILED " + ", ".join(s["canary"]["failures"]))
                     + ("; kept by policy: " + ", ".join(s["canary"]["kept_by_policy"]) if s["canary"]["kept_by_policy"]
                        else ""))]
                for s in report["sets"]]
    provenance_rows = [[s["id"], p["code_version"], (p["inputs_sha256"] or "")[:16], p["config_sha256"][:16],
                        f"{p['models']['langid']['file']} {p['models']['langid']['sha256'][:12]}",
                        "; ".join(f"{m['model']} ({m['licence']})" for m in p["models"].get("names", [])) or "-",
                        ", ".join(f"{k} {v}" for k, v in p["libraries"].items() if v)]
                       for s in report["sets"] if (p := s["provenance"])]
    erasure_rows = [[x["erasure_id"], x["when"][:19], x["kind"], x["reason"], x["status"], x["matched"],
                     x["near_duplicates"], x["documents"], ", ".join(x["unsearched_sets"]) or "-"]
                    for x in report["erasures"]]
    policy_rows = [[vt, n] for vt, n in t["personal_values_kept_by_policy"].items()]
    dropped_rows = [[vt, n] for vt, n in t["personal_values_dropped_with_page"].items()]
    optout_rows = [[OPTOUT_LABELS.get(r, r), n] for r, n in t["optouts"].items()]
    set_documents = ", ".join(f'<a href="sets/{e(s["id"])}/README.md">{e(s["id"])}</a> '
                              f'(<a href="sets/{e(s["id"])}/record_of_processing.md">record</a>)'
                              for s in report["sets"]) or "none"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eu-corpus compliance report</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 1180px; color: #222; }}
p {{ max-width: 980px; }}{TABLE_CSS}th {{ background: #f0f3f7; }}
.kpi {{ display: inline-block; margin-right: 2rem; }} .kpi b {{ font-size: 1.6rem; display: block; }}
</style></head><body>
<h1>Compliance report</h1>
<p>Corpus root {e(report['root'])}, generated {e(report['generated'][:19])} UTC. This page holds counts,
hashes and versions only: no personal value, no document text.</p>
<p>Record of processing (GDPR Art. 30): <a href="record_of_processing.md">record_of_processing.md</a>
(<a href="record_of_processing.json">JSON</a>); dataset card: <a href="README.md">README.md</a>. Per set:
{set_documents}.</p>
<div><span class="kpi"><b>{t['sets']}</b>shard sets</span>
<span class="kpi"><b>{t['personal_values_replaced']:,}</b>personal values replaced</span>
<span class="kpi"><b>{t['pages_dropped_for_pii_density']:,}</b>pages dropped as mostly personal data</span>
<span class="kpi"><b>{sum(t['optouts'].values()):,}</b>opt-outs honoured</span>
<span class="kpi"><b>{t['erasures']}</b>erasure requests ({t['documents_erased']} documents)</span>
<span class="kpi"><b>{t['canary_failures']}</b>failed canaries</span></div>
<h2>Personal data kept by policy</h2>
<p>Values found and <strong>left in the published text</strong> because <code>pii.actions</code> keeps their type.</p>
{_table(["type", "values kept"], policy_rows) if policy_rows else "<p><em>none: every type found is replaced</em></p>"}
<h2>Personal data dropped with its page</h2>
<p>Values in pages dropped whole because they were mostly personal data (not published, not replaced).</p>
{_table(["type", "values"], dropped_rows) if dropped_rows else "<p><em>none</em></p>"}
<h2>Personal data replaced, by type</h2>{_bars(sorted(t['by_type'].items(), key=lambda kv: -kv[1]))}
<h2>Personal data replaced, by language</h2>{_bars(sorted(t['by_language'].items(), key=lambda kv: -kv[1]), colour="#5a8f3c")}
<h2>Type × language</h2>{_table(["type"] + type_lang, [[vt] + [matrix[vt, lang] for lang in type_lang] for vt in types])}
<h2>Which recognizer found what</h2>
{_table(["type", "recognizer", "findings", "languages"],
        [[x["type"], x["recognizer"], x["findings"], ", ".join(f"{k} {v}" for k, v in x["by_language"].items())]
         for x in t["by_recognizer"]]) if t["by_recognizer"] else "<p><em>not recorded by these runs</em></p>"}
<h2>Per run</h2>{_table(["set", "created (UTC)", "published", "now", "erased", "values replaced", "dropped (density)",
                         "PII errors quarantined", "opt-outs", "canary"], set_rows)}
<h2>Opt-outs honoured (EU DSM Directive Art. 4(3) and operator lists)</h2>
{_table(["signal", "pages"], optout_rows) if optout_rows else "<p><em>none</em></p>"}
<h2>Erasures applied (GDPR Art. 17)</h2>
{_table(["request", "when (UTC)", "key kind", "reason", "status", "matched", "near-duplicates", "documents removed",
          "sets not searched"], erasure_rows)
 if erasure_rows else "<p><em>none</em></p>"}
<h2>What each run was made with</h2>
{_table(["set", "code", "input list sha256", "config sha256", "language-ID model", "name models (licence)",
          "libraries"], provenance_rows)}
</body></html>
"""


def write_compliance(root: CorpusRoot) -> dict:
    """Write ``compliance.json`` and ``compliance.html`` at the root; return the report."""
    report = build_compliance(root)
    store = root.store
    store.write_json(store.join(store.root, "compliance.json"), report)
    store.write_bytes(store.join(store.root, "compliance.html"), render_compliance(report).encode("utf-8"))
    return report
