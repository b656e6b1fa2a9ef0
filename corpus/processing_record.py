"""The record of processing activities (GDPR Art. 30(1)) of a set or a corpus root, as JSON and Markdown.

The parts the pipeline knows are filled in from its records (corpus/card.py's facts): the categories of personal
data found and what happened to them, where the data came from, what each artefact keeps, the technical measures
it applies and the erasure log's summary. The parts only the controller knows come from ``[controller]``; each
one missing is printed as "to be completed by the controller" and listed in ``to_be_completed``.
"""

from __future__ import annotations

from collections import Counter

from corpus.card import TO_COMPLETE, name_quality
from corpus.config import ControllerConfig
from pii.types import TYPE_NAMES

RECORD_JSON, RECORD_MD = "record_of_processing.json", "record_of_processing.md"

#: what each artefact of a root holds, and until when the pipeline keeps it (Art. 30(1)(f) with the controller's
#: retention period)
ARTEFACTS = [
    ("sets/<night>/shards/", "the published text, personal data replaced by placeholders; the URL scrubbed likewise",
     "until the controller deletes the set; erased documents are removed by corpus forget"),
    ("sets/<night>/pii_index/", "keyed fingerprints (HMAC-SHA256) of the values replaced, with document ids; no value",
     "as long as the set, so that erasure requests by value can be answered"),
    ("sets/<night>/outcomes/", "one row per input record: status, stage, reason; no text", "as long as the set"),
    ("sets/<night>/dedup_index/", "MinHash band keys and text hashes of the kept documents; no text",
     "as long as the set (keeps copies of erased pages out of later nights)"),
    ("erasures.jsonl", "each erasure request: kind, a fingerprint or digest of the key (never the value), the "
                       "scrubbed reason, the documents removed", "as long as any set exists (erasure is enforced "
                                                                 "on every later run)"),
    ("staging/", "a night's pages before publication (already scrubbed)", "removed when the set is published"),
]


def _given(value):
    return TO_COMPLETE if value is None else (list(value) if isinstance(value, tuple) else value)


def build_record(facts: dict, controller: ControllerConfig) -> dict:
    c = controller
    by_type, kept, dropped = Counter(), Counter(), Counter()
    for source, into in ((facts["pii"], by_type), (facts["pii_kept_by_policy"], kept),
                         (facts["pii_dropped_with_page"], dropped)):
        for types in source.values():
            into.update(types)
    entities = facts["config"].get("pii", {}).get("entities", [])
    names = name_quality(facts)
    applied = [e for e in facts["erasures"] if e.get("applied")]
    optouts = facts["outcomes"].get("optout", {}).get("dropped", {})
    record = {
        "format": "eu-corpus record of processing", "version": 1, "article": "GDPR Art. 30(1)",
        "generated": facts["generated"], "scope": facts["scope"], "set_id": facts["set_id"],
        "sets": [s.id for s in facts["sets"]],
        "controller": {"name": _given(c.name), "contact": _given(c.contact),
                       "representative": _given(c.representative), "dpo_contact": _given(c.dpo_contact),
                       "joint_controllers": _given(c.joint_controllers)},
        "purposes": _given(c.purposes),
        "legal_basis": _given(c.legal_basis),
        "processing": ("Collection of publicly accessible web pages (WARC files), extraction of their main text, "
                       "language identification, quality filtering, detection and replacement of personal data, "
                       "deduplication, publication as Parquet shards, erasure on request."),
        "categories_of_data_subjects": [
            "people who wrote, are named in or can be identified from publicly accessible web pages (authors, "
            "people mentioned, site operators, commenters)"],
        "categories_of_personal_data": {
            "searched_for": sorted({TYPE_NAMES.get(e, e) for e in entities}),
            "found_and_replaced": dict(sorted(by_type.items())),
            "found_and_kept_by_policy": dict(sorted(kept.items())),
            "dropped_with_their_page": dict(sorted(dropped.items())),
            "residual": ("personal data the detectors miss stays in the text: person names are found with the "
                         "recall per language below; other categories (e.g. special categories of Art. 9 written "
                         "in prose) are not searched for"),
            "name_recall_by_language": ({lang: q["recall"] for lang, q in sorted(names["languages"].items())}
                                        if names else None),
            "name_recall_measured": names["measured"] if names else None,
        },
        "source_of_the_data": {
            "what": "publicly accessible web pages in crawl archives (Art. 14(2)(f))",
            "documents_published_now": facts["totals"]["documents"],
            "records_read": facts["records"].get("read", 0),
            "text_and_data_mining_opt_outs_honoured": dict(sorted(optouts.items())),
        },
        "recipients": _given(c.recipients),
        "third_country_transfers": _given(c.third_country_transfers),
        "retention": {"controller": _given(c.retention),
                      "what_the_pipeline_keeps": [{"artefact": a, "holds": h, "kept": k} for a, h, k in ARTEFACTS]},
        "technical_and_organisational_measures": {
            "pipeline": [
                "personal data replaced by typed placeholders before publication, in each page's language "
                "(patterns with checksums for structured data, a trained name tagger and rules for names)",
                "pages made mostly of personal data dropped whole (pii.drop_density)",
                "a canary of fake personal data in all 24 languages scrubbed before every run; a surviving value "
                "stops the run",
                "pseudonymisation of what erasure needs: keyed fingerprints (HMAC-SHA256; the key is never "
                "written, only its check value) instead of values",
                "text-and-data-mining reservations (TDMRep, robots noai) and operator opt-out lists honoured "
                "before extraction",
                "erasure requests enforced on every later run; a run that cannot enforce them refuses to start",
                "reports, logs and exception messages hold counts, types and hashes only, never a value",
                "one writer per corpus root (a lock); every input record accounted for",
            ],
            "access_control": _given(c.access_control),
        },
        "erasure": {
            "procedure": ("corpus forget --root ROOT --email|--phone|--identifier|--name|--url|--domain VALUE --reason "
                          "TEXT (or --requests FILE): finds the documents holding the value (by keyed fingerprint), URL or "
                          "domain in every set, with their near-duplicates, removes them from the shards, indexes "
                          "and counts, logs the request without the value in erasures.jsonl and keeps them out of "
                          "later runs"),
            "requests": len(facts["erasures"]),
            "applied": len(applied),
            "interrupted": len(facts["erasures"]) - len(applied),
            "nothing_matched": sum(1 for e in applied if e.get("status") == "nothing_matched"),
            "by_kind": dict(sorted(Counter(e["kind"] for e in facts["erasures"]).items())),
            "documents_removed": facts["totals"].get("erased", 0),
            "first": min((e["when"] for e in facts["erasures"]), default=None),
            "last": max((e["when"] for e in facts["erasures"]), default=None),
        },
    }
    record["to_be_completed"] = sorted(_missing(record))
    return record


def _missing(node, path: str = "") -> list[str]:
    if node == TO_COMPLETE:
        return [path]
    if isinstance(node, dict):
        return [m for k, v in node.items() for m in _missing(v, f"{path}.{k}" if path else k)]
    return []


def render_record(record: dict) -> str:
    def value(v) -> str:
        if v == TO_COMPLETE:
            return f"*{TO_COMPLETE}*"
        if isinstance(v, list):
            return "; ".join(map(str, v)) if v else "none"
        if isinstance(v, dict):
            return ", ".join(f"{k} {n:,}" if isinstance(n, int) else f"{k} {n}" for k, n in v.items()) or "none"
        return "-" if v is None else str(v)

    c, cats, src = record["controller"], record["categories_of_personal_data"], record["source_of_the_data"]
    ret, tom, er = record["retention"], record["technical_and_organisational_measures"], record["erasure"]
    what = f"set {record['set_id']}" if record["scope"] == "set" else f"corpus root ({', '.join(record['sets'])})"
    lines = [
        f"# Record of processing activities (GDPR Art. 30(1)): {what}\n",
        f"*Generated {record['generated']} by eu-corpus from the pipeline's records; the controller's parts come "
        "from `[controller]` in the configuration (docs/configuration.md). Machine-readable: "
        "record_of_processing.json.*\n",
        "| | |", "|---|---|",
        f"| (a) controller | {value(c['name'])} |", f"| contact | {value(c['contact'])} |",
        f"| representative (Art. 27) | {value(c['representative'])} |",
        f"| data protection officer | {value(c['dpo_contact'])} |",
        f"| joint controllers | {value(c['joint_controllers'])} |",
        f"| (b) purposes | {value(record['purposes'])} |", f"| legal basis | {value(record['legal_basis'])} |",
        f"| processing | {record['processing']} |",
        f"| (c) categories of data subjects | {value(record['categories_of_data_subjects'])} |",
        f"| (c) categories of personal data searched for | {value(cats['searched_for'])} |",
        f"| found and replaced | {value(cats['found_and_replaced'])} |",
        f"| found and kept by policy | {value(cats['found_and_kept_by_policy'])} |",
        f"| dropped with their page | {value(cats['dropped_with_their_page'])} |",
        f"| residual risk | {cats['residual']} |",
        f"| name recall by language (measured {value(cats['name_recall_measured'])}) | "
        f"{value(cats['name_recall_by_language'])} |",
        f"| source of the data | {src['what']}; {src['records_read']:,} records read, "
        f"{src['documents_published_now']:,} documents published now; opt-outs honoured: "
        f"{value(src['text_and_data_mining_opt_outs_honoured'])} |",
        f"| (d) recipients | {value(record['recipients'])} |",
        f"| (e) transfers to third countries | {value(record['third_country_transfers'])} |",
        f"| (f) retention | {value(ret['controller'])} |",
        f"| (g) access control | {value(tom['access_control'])} |",
        "", "## What the pipeline keeps (retention)\n", "| artefact | holds | kept |", "|---|---|---|",
        *[f"| `{a['artefact']}` | {a['holds']} | {a['kept']} |" for a in ret["what_the_pipeline_keeps"]],
        "", "## Technical and organisational measures (Art. 32) applied by the pipeline\n",
        *[f"- {m}" for m in tom["pipeline"]],
        "", "## Erasure (Art. 17)\n", f"Procedure: `{er['procedure'].split(':', 1)[0]}`:{er['procedure'].split(':', 1)[1]}.",
        "",
        f"Log summary (erasures.jsonl): {er['requests']} request(s), {er['applied']} applied, {er['interrupted']} "
        f"interrupted, {er['nothing_matched']} matched nothing; by kind: {value(er['by_kind'])}; "
        f"{er['documents_removed']:,} document(s) removed from these sets; first {value(er['first'])}, "
        f"last {value(er['last'])}.",
        "", "## To be completed by the controller\n",
        *([f"- `{m}`" for m in record["to_be_completed"]] or ["Nothing: every part is filled in."]),
    ]
    return "\n".join(lines) + "\n"
