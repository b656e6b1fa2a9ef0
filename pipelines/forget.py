"""``corpus forget`` as a Spark job over a whole corpus root: find every document a request names in every
published set, with the near-duplicates of those documents, then rewrite the affected sets.

Each search is one Spark job of plain-Python tasks, one per file (``pii_index``, shard or dedup-index
Parquet, read through fsspec so local disks and object stores alike), that return only the matching rows:
the driver never holds more than the matches, whatever the size of the root. Near-duplicates are found by
alternating two such scans of the sets' dedup-index parts (the keys of the documents found so far, then the
documents holding those keys) until no new document appears. Rewriting is one more job over the affected
sets' files; the set records (manifest, stats, report, index) are then recomputed from what the files hold,
so they agree whatever happened before (see ``corpus/erasure.py`` for the log and the per-file edits).
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter, defaultdict
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus.card import document_release
from corpus.config import PipelineConfig
from corpus.document import ERASED, KEPT
from corpus.erasure import (ERASURE_STAGE, VALUE_TYPES, ErasurePlan, ErasureRefused, ErasureRequest, append_log, reason_scrubber,
                            drop_rows, erased_documents, read_parquet, key_string, mark_outcomes_erased, match_key,
                            new_erasure_id, normalise_domain, read_log, rewrite_shard_file,
                            scrub_reason, set_has_url_fingerprints, set_key_id,
                            value_fingerprints)
from corpus.ledger import CorpusRoot
from corpus.report import write_report
from corpus.shards import DOMAINS_FILE, domains_bytes
from corpus.storage import Store
from corpus.urls import host_of
from dedup.index import PublishedIndex
from pii.fingerprints import fingerprint, key_id, normalise_url, url_fingerprint


# -- per-file task bodies (run on executors; module-level so they pickle by reference) -------------------------
def _fingerprint_matches(store: Store, wanted: frozenset, item: tuple[str, str]) -> list[tuple[str, str, str]]:
    set_id, path = item
    table = read_parquet(store, path)
    hits = table.filter(pc.is_in(table["fingerprint"], value_set=pa.array(sorted(wanted))))
    return [(set_id, fp, doc) for fp, doc in zip(hits["fingerprint"].to_pylist(), hits["doc_id"].to_pylist())]


def _url_matches(store: Store, requests: list[tuple[int, str, str, str | None]],
                 item: tuple[str, str, bool]) -> list[tuple[int, str, str]]:
    """(request index, set, doc) for shard rows at a requested URL or under a requested domain.
    ``requests``: (index, kind, normalised target, keyed URL fingerprint or None)."""
    set_id, path, has_fingerprints = item
    columns = ["doc_id", "url"] + (["url_fingerprint"] if has_fingerprints else [])
    table = read_parquet(store, path, columns)
    urls = pc.utf8_rtrim(pc.utf8_trim_whitespace(table["url"].fill_null("")), characters="/")
    out = []
    for index, kind, target, url_fp in requests:
        if kind == "url":
            mask = pc.equal(urls, target)
            if url_fp and has_fingerprints:
                mask = pc.or_(mask, pc.fill_null(pc.equal(table["url_fingerprint"], url_fp), False))
            out += [(index, set_id, d) for d in table.filter(mask)["doc_id"].to_pylist()]
        else:  # a substring test first (vectorised), then the exact host rule on the few candidates
            candidates = table.filter(pc.match_substring(urls, target, ignore_case=True))
            for doc_id, url in zip(candidates["doc_id"].to_pylist(), candidates["url"].to_pylist()):
                host = host_of(url or "")
                if host == target or host.endswith("." + target):
                    out.append((index, set_id, doc_id))
    return out


def _keys_of_documents(store: Store, docs: frozenset, item: tuple[str, str]) -> list[tuple[str, int, int]]:
    _, path = item
    table = read_parquet(store, path)
    hits = table.filter(pc.is_in(table["doc_id"], value_set=pa.array(sorted(docs))))
    return list(zip(hits["doc_id"].to_pylist(), hits["band"].to_pylist(), hits["key"].to_pylist()))


def _documents_with_keys(store: Store, keys: frozenset, item: tuple[str, str]) -> list[tuple[str, str, int, int]]:
    set_id, path = item
    table = read_parquet(store, path)
    hits = table.filter(pc.is_in(table["key"], value_set=pa.array(sorted({k for _, k in keys}), pa.int64())))
    return [(set_id, d, b, k) for d, b, k in zip(hits["doc_id"].to_pylist(), hits["band"].to_pylist(),
                                                  hits["key"].to_pylist()) if (b, k) in keys]


def _rewrite_file(store: Store, shards_config, erased_by_set: dict, item: tuple[str, str, str]) -> tuple:
    kind, set_id, path = item
    erased = erased_by_set[set_id]
    if kind == "shard":
        return kind, set_id, rewrite_shard_file(store, path, erased, shards_config)
    if kind == "outcomes":
        return kind, set_id, mark_outcomes_erased(store, path, erased)
    return kind, set_id, drop_rows(store, path, sorted(erased))  # pii_index, dedup_index


def _shard_summary(store: Store, item: tuple[str, str]) -> dict:
    """What a shard file holds now: rows, bytes, sha256, per-language totals and personal values replaced."""
    set_id, path = item
    data = store.read_bytes(path)
    columns = ["lang", "n_chars", "n_words", "pii_counts", "pii_kept", "pii_recognizers", "domain"]
    table = pq.read_table(io.BytesIO(data))
    values = {c: table[c].to_pylist() if c in table.column_names else [None] * table.num_rows for c in columns}
    domains = Counter(values.pop("domain"))
    languages: dict[str, dict] = {}
    for lang, n_chars, n_words, counts, kept, recognizers in zip(*values.values()):
        t = languages.setdefault(lang, {"documents": 0, "characters": 0, "words": 0, "pii": Counter(),
                                        "pii_kept": Counter(), "pii_recognizers": Counter()})
        t["pii_recognizers"].update(dict(recognizers or []))
        t["documents"] += 1
        t["characters"] += n_chars
        t["words"] += n_words
        for value_type, n in dict(counts or []).items():  # a type the policy keeps is in pii_kept
            t["pii_kept" if value_type in (kept or ()) else "pii"][value_type] += n
    return {"set": set_id, "path": path, "rows": table.num_rows, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "domains": domains,
            "languages": {lang: {**t, "pii": dict(t["pii"]), "pii_kept": dict(t["pii_kept"]),
                                 "pii_recognizers": dict(t["pii_recognizers"])} for lang, t in languages.items()}}


def _outcome_counts(store: Store, item: tuple[str, str]) -> tuple[str, dict]:
    set_id, path = item
    table = read_parquet(store, path, ["status", "stage", "reason"])
    counts = Counter(zip(table["status"].to_pylist(), table["stage"].to_pylist(), table["reason"].to_pylist()))
    return set_id, {"|".join(k): v for k, v in counts.items()}


class ForgetJob:
    """Plans and applies erasure requests over every published set of a root."""

    def __init__(self, spark, root: CorpusRoot, key: bytes | None, config: PipelineConfig, log=print):
        self.spark, self.root, self.store, self.key, self.config, self.log = spark, root, root.store, key, config, log
        self.key_id = key_id(key)
        self.sets = [s["id"] for s in root.index()["sets"]]
        self.manifests = {s: self._manifest(s) for s in self.sets}  # read once: each is one GET on S3
        self.set_keys = {s: set_key_id(m) for s, m in self.manifests.items()}
        self._scrubber = None

    @property
    def scrubber(self):
        """One scrubber for reasons and URLs (its models load once)."""
        if self._scrubber is None:
            self._scrubber = reason_scrubber(self.config)
        return self._scrubber

    # -- Spark ----------------------------------------------------------------------------------------------------
    def _map(self, items: list, fn) -> list:
        if not items:
            return []
        sc = self.spark.sparkContext
        slices = max(1, min(len(items), sc.defaultParallelism * 4))
        return sc.parallelize(items, slices).map(fn).collect()

    def _files(self, set_id: str, directory: str) -> list[str]:
        path = self.store.join(self.root.set_dir(set_id), directory)
        return [self.store.join(path, n) for n in self.store.listdir(path) if n.endswith(".parquet")]

    def _manifest(self, set_id: str) -> dict:
        return self.store.read_json(self.store.join(self.root.set_dir(set_id), "manifest.json"))

    def _shard_files(self, set_id: str) -> list[str]:
        files = self.manifests[set_id]["files"]
        return [self.store.join(self.root.set_dir(set_id), *f["path"].split("/")) for f in files]

    # -- which sets a request can search --------------------------------------------------------------------------
    def searchable(self, request: ErasureRequest) -> tuple[list[str], list[str]]:
        """(sets that can be searched for this request, sets that cannot: built without this key or with another)."""
        if request.kind == "domain":
            return list(self.sets), []
        if request.kind == "url" and not self._url_may_be_scrubbed(request.value):
            return list(self.sets), []  # the published url column holds such a URL as it is
        ok = [s for s in self.sets if self.key_id is not None and self.set_keys[s] == self.key_id
              or request.kind == "url" and not set_has_url_fingerprints(self.manifests[s])]
        return ok, [s for s in self.sets if s not in ok]

    def _url_may_be_scrubbed(self, url: str) -> bool:
        """Whether a run may have replaced part of this URL (in any page language): then only the keyed
        url_fingerprint finds it."""
        return any(self.scrubber.scrub_url(url, lang).spans for lang in self.scrubber.languages)

    # -- planning -------------------------------------------------------------------------------------------------
    def plan(self, requests: list[ErasureRequest], skip_unsearchable: bool = False) -> list[ErasurePlan]:
        """Find what each request removes. Raises ErasureRefused (nothing changed, nothing recorded) when a
        request needs the key and there is none, or a set it must search cannot be searched with this key
        (unless ``skip_unsearchable``: then the plan records the sets it could not search)."""
        if self.key is None and any(r.is_value for r in requests):
            raise ErasureRefused(
                f"no fingerprint key (${self.config.pii.fingerprint_key_env} or pii.fingerprint_key_file): personal "
                "values are found only by their keyed fingerprints; give the key the sets were built with")
        plans, refusals = [], []
        for i, request in enumerate(requests):
            ok, not_ok = self.searchable(request)
            if not_ok and not skip_unsearchable:
                why = ", ".join(f"{s} (built with {'no key' if self.set_keys[s] is None else 'key ' + self.set_keys[s]})"
                                for s in not_ok)
                refusals.append(f"request {i + 1} ({request.kind}): cannot search {why}")
            plans.append(self._empty_plan(request, ok, not_ok))
        if refusals:
            mine = f"key {self.key_id}" if self.key_id else "no key"
            raise ErasureRefused(
                f"this fingerprint key ({mine}) does not match the sets to search; nothing was erased or recorded. "
                + "; ".join(refusals)
                + ". Give the key these sets were built with, or --skip-unsearchable-sets to erase what can be "
                  "found and record the sets that were not searched")
        self._find_direct(requests, plans)
        self._find_near_duplicates(plans)
        claimed: set[tuple[str, str]] = set()  # a document in two requests' clusters is erased by the first
        for plan in plans:
            for source in (plan.matched, plan.near_duplicates):
                for set_id in list(source):
                    source[set_id] = sorted(d for d in source[set_id] if (set_id, d) not in claimed)
                    if not source[set_id]:
                        del source[set_id]
            claimed |= {(s, d) for s, ids in plan.documents.items() for d in ids}
        return plans

    def _empty_plan(self, request: ErasureRequest, ok: list[str], not_ok: list[str]) -> ErasurePlan:
        reason = scrub_reason(request.reason, self.scrubber)
        if request.is_value:
            prints = value_fingerprints(self.key, request.kind, request.value)
            digest = fingerprint(self.key, VALUE_TYPES[request.kind][0], request.value)
            return ErasurePlan(new_erasure_id(), request.kind, digest, self.key_id, reason,
                               fingerprints=sorted(prints), searched_sets=ok, unsearched_sets=not_ok)
        return ErasurePlan(new_erasure_id(), request.kind, match_key(request.kind, request.value),
                           self.key_id if request.kind == "url" else None, reason, searched_sets=ok,
                           unsearched_sets=not_ok)

    def _find_direct(self, requests: list[ErasureRequest], plans: list[ErasurePlan]) -> None:
        by_print: dict[str, list[int]] = defaultdict(list)
        for i, plan in enumerate(plans):
            for fp in plan.fingerprints:
                by_print[fp].append(i)
        if by_print:
            value_sets = sorted({s for p in plans if p.fingerprints for s in p.searched_sets})
            files = [(s, f) for s in value_sets for f in self._files(s, "pii_index")]
            for rows in self._map(files, partial(_fingerprint_matches, self.store, frozenset(by_print))):
                for set_id, fp, doc in rows:
                    for i in by_print[fp]:
                        if set_id in plans[i].searched_sets:
                            plans[i].matched.setdefault(set_id, []).append(doc)
        url_requests = []
        for i, request in enumerate(requests):
            if request.kind == "url":
                fp = url_fingerprint(self.key, request.value) if self.key is not None else None
                url_requests.append((i, "url", normalise_url(request.value), fp))
            elif request.kind == "domain":
                url_requests.append((i, "domain", normalise_domain(request.value), None))
        if url_requests:
            url_sets = sorted({s for i, *_ in url_requests for s in plans[i].searched_sets})
            files = [(s, f, set_has_url_fingerprints(self.manifests[s]))
                     for s in url_sets for f in self._shard_files(s)]
            for rows in self._map(files, partial(_url_matches, self.store, url_requests)):
                for i, set_id, doc in rows:
                    if set_id in plans[i].searched_sets:
                        plans[i].matched.setdefault(set_id, []).append(doc)
        for plan in plans:
            plan.matched = {s: sorted(set(ids)) for s, ids in sorted(plan.matched.items())}

    def _find_near_duplicates(self, plans: list[ErasurePlan]) -> None:
        """Documents sharing a dedup key (MinHash band or exact text) with an erased one, in any set, until no
        new one appears; every erased document's keys go into its plan (later runs keep copies out)."""
        files = [(s, f) for s in self.sets for f in PublishedIndex(self.root).set_files(s)]
        owners: dict[str, set[int]] = defaultdict(set)  # doc_id -> plans that erase it
        set_of: dict[str, str] = {}
        for i, plan in enumerate(plans):
            for set_id, ids in plan.matched.items():
                for d in ids:
                    owners[d].add(i)
                    set_of[d] = set_id
        frontier, seen_keys = set(owners), set()
        plan_keys: dict[int, set[tuple[int, int]]] = defaultdict(set)
        rounds = 0
        while frontier and files:
            rounds += 1
            key_owners: dict[tuple[int, int], set[int]] = defaultdict(set)
            for rows in self._map(files, partial(_keys_of_documents, self.store, frozenset(frontier))):
                for doc, band, key in rows:
                    for i in owners[doc]:
                        plan_keys[i].add((band, key))
                        key_owners[band, key].add(i)
            new_keys = {k for k in key_owners if k not in seen_keys}
            seen_keys |= new_keys
            frontier = set()
            if not new_keys:
                break
            for rows in self._map(files, partial(_documents_with_keys, self.store, frozenset(new_keys))):
                for set_id, doc, band, key in rows:
                    for i in key_owners[band, key]:
                        if i not in owners[doc]:
                            owners[doc].add(i)
                            set_of[doc] = set_id
                            frontier.add(doc)
                            if doc not in plans[i].matched.get(set_id, ()):
                                plans[i].near_duplicates.setdefault(set_id, []).append(doc)
        for i, plan in enumerate(plans):
            plan.near_duplicates = {s: sorted(set(ids)) for s, ids in sorted(plan.near_duplicates.items())}
            plan.band_hashes = sorted(key_string(b, k) for b, k in plan_keys[i])
        if rounds:
            self.log(f"near-duplicates: {rounds} round(s) over {len(files)} dedup-index file(s)")

    # -- applying -------------------------------------------------------------------------------------------------
    def apply(self, plans: list[ErasurePlan]) -> dict:
        """Log the plans (state planned), rewrite every affected set, log them applied. Returns per request its
        erasure id, status and documents removed per set."""
        entries = [plan.log_entry() for plan in plans]
        append_log(self.root, entries)  # first: if we die midway, what was planned stays out of later runs
        self._apply_entries(entries)
        return {"requests": [{"erasure_id": e["erasure_id"], "status": e["status"],
                              "removed": {s: len(ids) for s, ids in e["documents"].items()}} for e in entries]}

    def interrupted(self) -> list[dict]:
        return [e for e in read_log(self.root) if not e["applied"]]

    def complete_interrupted(self) -> list[str]:
        """Finish erasures whose applied line is missing (a forget that died); their ids."""
        pending = self.interrupted()
        if pending:
            self.log(f"completing {len(pending)} interrupted erasure(s): {', '.join(e['erasure_id'] for e in pending)}")
            self._apply_entries(pending)
        return [e["erasure_id"] for e in pending]

    def _apply_entries(self, entries: list[dict]) -> None:
        from datetime import datetime, timezone

        erased = {s: ids for s, ids in erased_documents(entries).items() if s in self.sets}
        if erased:
            index = PublishedIndex(self.root)
            work = [(kind, s, f) for s in erased for kind, files in (
                ("shard", self._shard_files(s)), ("outcomes", self._files(s, "outcomes")),
                ("pii_index", self._files(s, "pii_index")), ("dedup_index", index.set_files(s))) for f in files]
            self._map(work, partial(_rewrite_file, self.store, self.config.shards, erased))
            every = {d: e for ids in erased.values() for d, e in ids.items()}
            generation = [("dedup_index", "*", f) for f in index.generation_files()]
            self._map(generation, partial(_rewrite_file, self.store, self.config.shards, {"*": every}))
            for set_id in erased:
                self._recount_set(set_id)
        now = datetime.now(timezone.utc).isoformat()
        append_log(self.root, [{"erasure_id": e["erasure_id"], "state": "applied", "when": now} for e in entries])
        document_release(self.root, sorted(erased), self.config.controller, self.log)  # and the compliance report

    def _recount_set(self, set_id: str) -> None:
        """Manifest, stats, report and index entry of a rewritten set, recomputed from its files (so they agree
        even after an interrupted erasure)."""
        store, set_dir = self.store, self.root.set_dir(set_id)
        manifest = self._manifest(set_id)
        stats = store.read_json(store.join(set_dir, "stats.json"))
        summaries = self._map([(set_id, p) for p in self._shard_files(set_id)], partial(_shard_summary, store))
        outcome_counts = Counter()
        for _, counts in self._map([(set_id, p) for p in self._files(set_id, "outcomes")],
                                   partial(_outcome_counts, store)):
            outcome_counts.update(counts)
        by_path = {s["path"]: s for s in summaries}
        languages: dict[str, dict] = {}
        pii: dict[str, Counter] = defaultdict(Counter)
        pii_kept: dict[str, Counter] = defaultdict(Counter)
        recognizers: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        for entry in manifest["files"]:
            summary = by_path[store.join(set_dir, *entry["path"].split("/"))]
            entry.update(rows=summary["rows"], bytes=summary["bytes"], sha256=summary["sha256"])
            for lang, t in summary["languages"].items():
                into = languages.setdefault(lang, {"documents": 0, "characters": 0, "words": 0})
                for k in into:
                    into[k] += t[k]
                pii[lang].update(t["pii"])
                pii_kept[lang].update(t["pii_kept"])
                for key, n in t["pii_recognizers"].items():
                    value_type, _, recognizer = key.partition("/")
                    recognizers[lang][value_type][recognizer] += n
        for lang, totals in manifest["languages"].items():
            now = languages.get(lang, {"documents": 0, "characters": 0, "words": 0})
            totals.update(now)
            stats["languages"].setdefault(lang, {}).update(now)
        stats["pii"] = {lang: dict(sorted(c.items())) for lang, c in sorted(pii.items()) if c}
        stats["pii_kept_by_policy"] = {lang: dict(sorted(c.items())) for lang, c in sorted(pii_kept.items()) if c}
        stats["pii_recognizers"] = {lang: {t: dict(sorted(r.items())) for t, r in sorted(types.items())}
                                    for lang, types in sorted(recognizers.items())}
        erased_by_request = {k.split("|")[2]: n for k, n in outcome_counts.items() if k.startswith(f"{ERASED}|")}
        kept = sum(n for k, n in outcome_counts.items() if k.startswith(f"{KEPT}|"))
        files = manifest["files"]
        manifest["totals"].update(documents=sum(f["rows"] for f in files), bytes=sum(f["bytes"] for f in files),
                                  characters=sum(t["characters"] for t in manifest["languages"].values()),
                                  erased=sum(erased_by_request.values()))
        manifest["erasures"] = [{"erasure_id": e, "documents": n} for e, n in sorted(erased_by_request.items())]
        if kept != manifest["totals"]["documents"]:  # never leave a set whose outcomes and shards disagree
            raise RuntimeError(f"set {set_id}: {kept} kept outcomes but {manifest['totals']['documents']} rows in "
                               "its shards after the erasure")
        stats["records"].update(kept=kept, erased=sum(erased_by_request.values()))
        stats["outcomes"].setdefault("write", {KEPT: 0, "dropped": {}, "quarantined": {}})[KEPT] = kept
        stats["outcomes"][ERASURE_STAGE] = {KEPT: 0, "dropped": {}, "quarantined": {}, ERASED: erased_by_request}
        stats["erasures"] = manifest["erasures"]
        store.write_json(store.join(set_dir, "stats.json"), stats)
        store.write_bytes(store.join(set_dir, DOMAINS_FILE), domains_bytes(sum((s["domains"] for s in summaries),
                                                                               Counter())))
        write_report(store, store.join(set_dir, "report.html"), stats, manifest)
        store.write_json(store.join(set_dir, "manifest.json"), manifest)  # last, as at publication
        self.manifests[set_id] = manifest
        self.root.add_to_index(set_id, manifest)
