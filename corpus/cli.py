"""``corpus`` command line: thin argument parsing over library functions that tests and benchmarks call too.

    corpus run --input PATH... --output ROOT    add a shard set for new inputs (no --input: the sample crawl)
    corpus detect-lang --input X.jsonl --output Y.jsonl
    corpus forget --root DIR --email a@b.eu --reason "ticket 42" [--dry-run]
    corpus compliance --root DIR               compliance.html / .json across every run
    corpus card --root DIR [--set NIGHT]        dataset card (README.md) and record of processing (GDPR Art. 30)
    corpus scrub --input X.jsonl --output Y.jsonl
    corpus sample OUTPUT_DIR                    write the sample crawl's WARC files
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Iterator

from corpus.config import ConfigError, PipelineConfig

#: exit codes (docs/scheduling.md): 0 published or nothing new; 1 the run failed, its staging is kept: run the
#: same command again to resume; 2 refused: usage, configuration, a promise the run cannot keep, permission or
#: disk full (a person must act, a rerun fails the same way); 3 published, but some inputs could not be read
#: (retried on the next nights) or were abandoned; 130 interrupted (Ctrl-C): run again to resume
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INPUTS_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _log(message: str) -> None:
    print(f"[corpus] {message}", file=sys.stderr, flush=True)


def sample_crawl_dir(pages_per_language: int) -> Path:
    """Where the bundled sample crawl is generated (once; deterministic, so a cache is safe)."""
    from corpus.sample.generate import GENERATOR_VERSION

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "eu-corpus"
    return cache / f"sample-crawl-v{GENERATOR_VERSION}-p{pages_per_language}"


def ensure_sample_crawl(pages_per_language: int = 6) -> list[str]:
    from corpus.sample.generate import generate

    target = sample_crawl_dir(pages_per_language)
    if not (target / "sample.json").exists():
        _log(f"generating the sample crawl into {target}")
        generate(target, pages_per_language=pages_per_language)
    return sorted(str(p) for p in target.glob("*.warc.gz"))


#: the flags of `corpus run` that set configuration keys: a bad value is reported under the flag's name
RUN_FLAGS = {"--master": ("spark", "master"), "--rows-per-file": ("shards", "rows_per_file"),
             "--blocklist": ("optout", "blocklist_files"), "--optout-list": ("optout", "optout_files")}


CONFIG_HELP = "configuration file (every key: docs/configuration.md)"


def cmd_run(args: argparse.Namespace) -> int:
    from corpus.inputs import InputError, resolve_inputs
    from corpus.ledger import NotACorpusRoot, UnsafePath, validate_night
    from corpus.lock import RootLocked
    from pipelines.job import RunOptions, RunRefused, run_pipeline
    from pipelines.spark import JavaNotFound

    overrides = {"spark": {"master": args.master}, "shards": {"rows_per_file": args.rows_per_file},
                 "optout": {"blocklist_files": tuple(args.blocklist) or None,
                            "optout_files": tuple(args.optout_list) or None}}
    try:
        if args.night is not None:
            validate_night(args.night)
        config = PipelineConfig.load(args.config, flags=RUN_FLAGS, **overrides)
        if args.input:
            inputs = resolve_inputs(args.input, limit=args.limit, sample=args.sample, seed=args.seed,
                                    base_url=args.cc_base, options=config.remote.options())
        else:
            inputs = ensure_sample_crawl(args.sample_pages)
    except ConfigError:
        raise  # main() prints each problem
    except (InputError, ValueError, OSError) as error:
        _log(f"error: {error}")
        return EXIT_USAGE
    _log(f"{len(inputs)} input file(s), master {config.spark.master}, output {args.output}")
    options = RunOptions(night=args.night, break_lock=args.break_lock, retry_abandoned=args.retry_abandoned,
                         allow_empty_set=args.allow_empty_set)
    try:
        result = run_pipeline(inputs, args.output, config, log=_log, options=options)
    except (NotACorpusRoot, JavaNotFound, RunRefused, RootLocked, UnsafePath) as error:
        _log(f"error: {error}")
        return EXIT_USAGE
    except Exception as error:  # the run failed: say what, keep the staging area for a resume
        from pipelines.spark import INTERRUPTED

        if INTERRUPTED.is_set():  # a job cancelled by Ctrl-C fails with Spark's error: one line, exit 130
            raise KeyboardInterrupt from None
        if (problem := storage_problem(error)) is not None:
            _log(f"error: {problem}: free space or fix the permissions, then run the same command again")
            return EXIT_USAGE
        _log(f"error: the run failed ({failure_summary(error)}); run the same command again to resume")
        return EXIT_FAILED
    from pipelines import jvm_archive

    jvm_archive.ensure(config.spark, _log)
    failed = [f for f in result.failed_inputs if f["status"] == "failed"]
    abandoned = [f for f in result.failed_inputs if f["status"] == "abandoned"]
    summary = {"root": result.root, "set": result.set_id, "inputs": result.inputs,
               "failed_inputs": len(failed), "abandoned_inputs": len(abandoned)}
    if result.stats:
        summary.update(result.stats["records"])
        summary["shards"] = result.manifest["totals"]["files"]
    print(json.dumps(summary))
    if failed or abandoned:
        _log(f"done with failed inputs: {len(failed)} will be retried on the next night, {len(abandoned)} "
             f"abandoned (see ledger.jsonl); exit {EXIT_INPUTS_FAILED}")
        return EXIT_INPUTS_FAILED
    return EXIT_OK


#: "PermissionError: [Errno 13] Permission denied: '/path'" as Python prints it (also inside a Spark error)
_STORAGE_ERROR = re.compile(r"\[Errno (?P<errno>\d+)\] (?P<strerror>[^:\n]+): '(?P<path>[^'\n]+)'")


def storage_problem(error: BaseException) -> str | None:
    """'<strerror>: <path>' when ``error`` (or the Python error a Spark task relayed) is a permission or
    disk-full error an operator must fix; None otherwise."""
    from corpus.storage import STORAGE_ERRNOS

    if isinstance(error, OSError) and error.errno in STORAGE_ERRNOS:
        return f"{error.strerror}: {error.filename}" if error.filename else str(error.strerror)
    for match in _STORAGE_ERROR.finditer(str(error)):
        if int(match["errno"]) in STORAGE_ERRNOS:
            return f"{match['strerror']}: {match['path']}"
    return None


#: an exception class named in a Python traceback that Spark relays ("pyarrow.lib.ArrowInvalid: ...")
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Failed|Invalid|Interrupt|Exit|Mismatch))\b", re.M)


def failure_summary(error: BaseException) -> str:
    """What failed, without the messages: a library's message may quote the document it choked on (pyarrow
    prints values it cannot convert), and a Spark job's error carries the executor's whole traceback."""
    names = [type(error).__name__] + [n for n in _EXCEPTION_LINE.findall(str(error)) if n != type(error).__name__]
    seen = list(dict.fromkeys(names))
    return " <- ".join(seen[:4]) + "; details in the Spark logs"


def _read_jsonl(path: str) -> Iterator[dict]:
    with open(path, encoding="utf-8") if path != "-" else sys.stdin as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise SystemExit(f"{path}:{n}: not JSON ({error.msg})") from None
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise SystemExit(f"{path}:{n}: each row needs a string field 'text'")
                yield row


def _write_jsonl(path: str, rows: Iterator[dict]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") if path != "-" else sys.stdout as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def cmd_detect_lang(args: argparse.Namespace) -> int:
    from filters.langid import FastTextLangId

    config = PipelineConfig.load(args.config)
    stage = FastTextLangId(config.langid)

    def annotate(rows):
        for row in rows:
            result = stage.classify(row["text"])
            yield {**row, "lang": result.lang, "lang_score": result.score, "lang_reason": result.reason or None,
                   "lang_top": [[label, score] for label, score in result.top], "lang_shares": result.shares,
                   "lang_mixed": result.mixed(config.langid.mixed_share)}

    n = _write_jsonl(args.output, annotate(_read_jsonl(args.input)))
    _log(f"{n} rows -> {args.output}")
    return EXIT_OK


def cmd_scrub(args: argparse.Namespace) -> int:
    from filters.langid import FastTextLangId
    from pii.scrub import PiiScrubber

    config = PipelineConfig.load(args.config)
    scrubber = PiiScrubber(config.pii, config.langid.languages)
    langid = FastTextLangId(config.langid)

    def scrub(rows):
        for row in rows:
            lang = row.get("lang") or langid.classify(row["text"]).lang
            result = scrubber.scrub(row["text"], lang)
            yield {**row, "text": result.text, "pii": [{"type": s.type, "start": s.start, "end": s.end} for s in result.spans]}

    n = _write_jsonl(args.output, scrub(_read_jsonl(args.input)))
    _log(f"{n} rows -> {args.output}")
    return EXIT_OK


def _read_requests(args: argparse.Namespace):
    """The erasure requests of this call: one from the flags, or one per line of --requests (JSONL with kind,
    value and reason). Errors name the line, never its value."""
    from corpus.erasure import KINDS, ErasureRequest

    if args.requests is None:
        kind, value = next(((k, v) for k in KINDS if (v := getattr(args, k)) is not None), (None, None))
        if kind is None or args.reason is None:
            raise ValueError("give one of --url/--domain/--email/--phone/--identifier/--name with --reason, "
                             "or --requests FILE")
        return [ErasureRequest(kind, value, args.reason)]
    requests = []
    with open(args.requests, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                requests.append(ErasureRequest(row["kind"], row["value"], row["reason"]))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                what = error.msg if isinstance(error, json.JSONDecodeError) else type(error).__name__
                raise ValueError(f"{args.requests}:{n}: not an erasure request ({what}); each line needs kind "
                                 f"(one of {', '.join(KINDS)}), value and reason") from None
    if not requests:
        raise ValueError(f"{args.requests} holds no request")
    return requests


def cmd_forget(args: argparse.Namespace) -> int:
    """Erase data subjects' documents from every published set (or, with --dry-run, say which)."""
    from corpus.erasure import ErasureRefused
    from corpus.lock import RootLock, RootLocked
    from pii.fingerprints import load_key
    from pipelines.forget import ForgetJob
    from pipelines.spark import JavaNotFound, build_session, stop_session

    try:
        config = PipelineConfig.load(args.config, spark={"master": args.master})
        requests = _read_requests(args)
        key = load_key(config.pii)
    except (ValueError, OSError) as error:
        _log(f"error: {error}")
        return EXIT_USAGE
    if (root := _published_root(args.root, config)) is None:
        return EXIT_USAGE
    try:
        from pyspark.sql import SparkSession

        own_session = SparkSession.getActiveSession() is None  # inside a Spark application: leave it running
        spark = build_session(config.spark, config.pii.fingerprint_key_env)
    except JavaNotFound as error:
        _log(f"error: {error}")
        return EXIT_USAGE
    lock = None
    try:
        if not args.dry_run:  # one writer per root: no run or other forget rewrites the sets meanwhile
            lock = RootLock.for_config(root, config, "forget", _log).acquire(break_stale=args.break_lock)
        job = ForgetJob(spark, root, key, config, log=_log)
        if not args.dry_run:
            job.complete_interrupted()
        plans = job.plan(requests, skip_unsearchable=args.skip_unsearchable_sets)
        result = {"dry_run": args.dry_run, "requests": []}
        for n, plan in enumerate(plans, 1):
            result["requests"].append({
                "request": n, "kind": plan.kind, "erasure_id": None if args.dry_run else plan.erasure_id,
                "status": plan.status, "key": plan.key, "key_id": plan.key_id,
                "matched": {s: len(ids) for s, ids in plan.matched.items()},
                "near_duplicates": {s: len(ids) for s, ids in plan.near_duplicates.items()},
                "documents": plan.documents, "searched_sets": plan.searched_sets,
                "unsearched_sets": plan.unsearched_sets})
            if not plan.documents:
                _log(f"request {n} ({plan.kind}): matched nothing in {len(plan.searched_sets)} set(s)"
                     + ("" if args.dry_run else "; recorded as nothing_matched, later runs still keep it out"))
        if not args.dry_run:
            job.apply(plans)
    except (ErasureRefused, RootLocked) as error:
        _log(f"error: {error}")
        return EXIT_USAGE
    finally:
        if lock is not None:
            lock.release()
        if own_session:
            stop_session(spark)
    if len(result["requests"]) == 1:  # one request: its fields at the top, as before
        result.update(result.pop("requests")[0])
    print(json.dumps(result, indent=1))  # doc ids, digests and set ids only: never the value
    return EXIT_OK


def _published_root(path: str, config: PipelineConfig):
    """The corpus root at ``path``, or None (said why) when it has no published set."""
    from corpus.ledger import CorpusRoot

    root = CorpusRoot(path, config.remote.options())
    if not root.store.exists(root.index_path):
        _log(f"error: {path} has no index.json: not a corpus root with published sets")
        return None
    return root


def cmd_compliance(args: argparse.Namespace) -> int:
    """Write compliance.json and compliance.html at a corpus root, across every published set."""
    from corpus.compliance import write_compliance

    config = PipelineConfig.load(args.config)
    if (root := _published_root(args.root, config)) is None:
        return EXIT_USAGE
    report = write_compliance(root)
    _log(f"compliance report of {report['totals']['sets']} set(s): {root.store.join(root.path, 'compliance.html')}")
    print(json.dumps(report["totals"]))
    return EXIT_OK


def cmd_card(args: argparse.Namespace) -> int:
    """Write the dataset card (README.md) and the record of processing of one set, or of the root and every set."""
    from corpus.card import CARD_FILE, document_release, write_documents
    from corpus.ledger import validate_night
    from corpus.processing_record import RECORD_MD

    config = PipelineConfig.load(args.config)
    if (root := _published_root(args.root, config)) is None:
        return EXIT_USAGE
    published = [e["id"] for e in root.index()["sets"]]
    try:
        if args.set is not None and validate_night(args.set, what="--set") not in published:
            _log(f"error: no published set {args.set} in {args.root} (sets: {', '.join(published) or 'none'})")
            return EXIT_USAGE
    except ValueError as error:
        _log(f"error: {error}")
        return EXIT_USAGE
    controller = config.controller if args.config else None  # None: the newest set's [controller]
    if args.set is None:  # the root and every set, as after a run
        document_release(root, published, controller, _log)
        folder = root.store.root
    else:
        write_documents(root, args.set, controller)
        folder = root.set_dir(args.set)
    print(json.dumps({"card": root.store.join(folder, CARD_FILE), "record": root.store.join(folder, RECORD_MD)}))
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    from corpus.sample.generate import generate

    crawl = generate(args.output, pages_per_language=args.pages_per_language, n_files=args.files, seed=args.seed)
    print(json.dumps({"files": crawl.files, **crawl.expected}, indent=1))
    return EXIT_OK


def _train_overrides(args: argparse.Namespace) -> dict:
    return {k: getattr(args, k) for k in ("steps", "global_batch", "seq_len") if getattr(args, k, None) is not None}


def cmd_tokenizer_train(args: argparse.Namespace) -> int:
    """Train the SentencePiece tokenizer on a language-balanced sample; write the fertility report."""
    from trainer.tokenizer import fertility_table, train_tokenizer

    overrides = {"vocab_size": args.vocab_size} if args.vocab_size else {}
    config = PipelineConfig.load(args.config, tokenizer=overrides)
    out = args.out or os.path.join(args.data, "tokenizer")
    report = train_tokenizer(args.data, out, config.tokenizer, config.train.validation_percent, log=_log)
    _log(f"tokenizer: {os.path.join(out, 'tokenizer.model')} ({report['vocab_size']:,} pieces); fertility "
         f"(tokens per word and per character, held-out documents):\n{fertility_table(report)}")
    print(json.dumps({"tokenizer": os.path.join(out, "tokenizer.model"), "vocab_size": report["vocab_size"],
                      "fertility": os.path.join(out, "fertility.json")}))
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    """Train the language model on published shards (resumes from the last checkpoint in --out)."""
    if args.coordinator or args.distributed:  # a pod: every host runs this same command
        import jax

        if args.coordinator:
            jax.distributed.initialize(args.coordinator, args.num_processes, args.process_id)
        else:
            jax.distributed.initialize()
    from trainer.train import train

    config = PipelineConfig.load(args.config, train=_train_overrides(args))
    tokenizer = args.tokenizer or os.path.join(args.data, "tokenizer", "tokenizer.model")
    if not os.path.exists(tokenizer):
        _log(f"error: no tokenizer at {tokenizer}: run `corpus tokenizer train --data {args.data}` first")
        return EXIT_USAGE
    metrics = train(args.data, tokenizer, args.out, config.train, log=_log)
    if not metrics:
        _log(f"nothing to do: the checkpoint in {args.out} is at train.steps ({config.train.steps}); raise --steps to go on")
    last = metrics[-1] if metrics else {}
    print(json.dumps({"out": args.out, "steps": last.get("step"), "loss": last.get("loss"),
                      "val_bits_per_byte": last.get("val_bits_per_byte")}))
    return EXIT_OK


def _positive_int(text: str) -> int:
    """An argparse type: 1, 2, ... (a count of inputs, pages or rows; 0 or less would silently do nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corpus", description="GDPR-compliant multilingual web-corpus pipeline",
        epilog="configuration: docs/configuration.md; nightly runs, exit codes, cron and Airflow: docs/scheduling.md; "
               "the shard contract: docs/shard-contract.md")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="run the pipeline on WARC files (default: the bundled sample crawl)",
        description="Add a shard set for the inputs not yet published to the corpus root --output (an interrupted "
                    "run is resumed first; published inputs are skipped).",
        epilog="exit codes: 0 published or nothing new; 1 failed, run the same command again to resume; 2 refused "
               "(usage, configuration, permission, disk full, a promise the run cannot keep); 3 published, but some "
               "inputs could not be read (retried on the next nights) or were abandoned; 130 interrupted. The last "
               "line on stdout is a JSON summary. See docs/scheduling.md and docs/configuration.md.")
    run.add_argument("--input", nargs="+", metavar="PATH",
                     help="WARC/ARC files, globs, directories, https:// or s3:// URLs, warc.paths(.gz) listings")
    run.add_argument("--limit", type=_positive_int, default=None, help="process only the first N inputs")
    run.add_argument("--sample", type=_positive_int, default=None, help="process N inputs drawn at random (seeded)")
    run.add_argument("--seed", type=int, default=0, help="seed of --sample")
    run.add_argument("--cc-base", default="https://data.commoncrawl.org/",
                     help="base URL for the relative paths of a warc.paths listing")
    run.add_argument("--output", required=True, metavar="ROOT",
                     help="the corpus root: a local directory or an s3:// prefix (created on first use)")
    run.add_argument("--master", default=None, help="Spark master URL (default local[*])")
    run.add_argument("--config", default=None, metavar="TOML", help="configuration file (see docs/configuration.md)")
    run.add_argument("--rows-per-file", type=int, default=None, help="maximum documents per shard file")
    run.add_argument("--blocklist", action="append", default=[], metavar="FILE",
                     help="domains / URL prefixes never to ingest (repeatable)")
    run.add_argument("--optout-list", action="append", default=[], metavar="FILE",
                     help="domains / URL prefixes whose owners opted out, e.g. removal requests (repeatable)")
    run.add_argument("--night", default=None, metavar="YYYY-MM-DD",
                     help="name of the new shard set (default: today's date, UTC)")
    run.add_argument("--sample-pages", type=_positive_int, default=6, help="pages per language in the generated sample crawl")
    run.add_argument("--retry-abandoned", action="store_true",
                     help="try again the given inputs that the ledger says were abandoned (they failed on more "
                          "nights than inputs.retry_failed_nights)")
    run.add_argument("--allow-empty-set", action="store_true",
                     help="publish even when the per-document stages drop every record read (refused by default: "
                          "such a run usually has a configuration that drops everything)")
    run.add_argument("--break-lock", action="store_true",
                     help="take the root's lock from a run that is gone (dead pid on this host, or older than "
                          "lock.stale_after_hours); a live holder is never overridden")
    run.set_defaults(func=cmd_run)

    for name, func, text in [("detect-lang", cmd_detect_lang, "add lang and lang_score to JSONL rows"),
                             ("scrub", cmd_scrub, "replace personal data in JSONL rows' text")]:
        p = sub.add_parser(name, help=text)
        p.add_argument("--input", required=True, help="JSONL with a 'text' field ('-' for stdin)")
        p.add_argument("--output", required=True, help="JSONL to write ('-' for stdout)")
        p.add_argument("--config", default=None, metavar="TOML", help=CONFIG_HELP)
        p.set_defaults(func=func)

    forget = sub.add_parser("forget", help="erase data subjects' documents from every published set (GDPR Art. 17)")
    forget.add_argument("--root", required=True, help="the corpus root (--output of corpus run)")
    what = forget.add_mutually_exclusive_group(required=True)
    for kind, text in [("url", "a page's URL"), ("domain", "a domain and its subdomains"),
                       ("email", "an e-mail address"), ("phone", "a phone number, any spelling"),
                       ("identifier", "a national, tax or social-security number, VAT number, IBAN or card"),
                       ("name", "a person's name")]:
        what.add_argument(f"--{kind}", default=None, help=text)
    what.add_argument("--requests", default=None, metavar="JSONL",
                      help='many requests in one pass: one JSON object a line, {"kind", "value", "reason"}')
    forget.add_argument("--reason", default=None, help="why (recorded scrubbed in erasures.jsonl, e.g. a ticket)")
    forget.add_argument("--dry-run", action="store_true", help="only say which documents would be removed")
    forget.add_argument("--skip-unsearchable-sets", action="store_true",
                        help="erase what this key can find and record the sets it could not search "
                             "(built without the key or with another); default: refuse")
    forget.add_argument("--master", default=None, help="Spark master URL (default local[*])")
    forget.add_argument("--break-lock", action="store_true", help="take the root's lock from a run that is gone")
    forget.add_argument("--config", default=None, metavar="TOML", help=CONFIG_HELP)
    forget.set_defaults(func=cmd_forget)

    compliance = sub.add_parser("compliance", help="compliance report (HTML + JSON) across every run of a root")
    compliance.add_argument("--root", required=True, help="the corpus root (--output of corpus run)")
    compliance.add_argument("--config", default=None, metavar="TOML", help=CONFIG_HELP)
    compliance.set_defaults(func=cmd_compliance)

    card = sub.add_parser("card", help="dataset card (README.md) and record of processing (GDPR Art. 30)")
    card.add_argument("--root", required=True, help="the corpus root (--output of corpus run)")
    card.add_argument("--set", default=None, metavar="NIGHT", help="one published set (default: the root and "
                                                                  "every set)")
    card.add_argument("--config", default=None, metavar="TOML",
                      help="its [controller] section (default: the one the newest set was made with)")
    card.set_defaults(func=cmd_card)

    tokenizer = sub.add_parser("tokenizer", help="tokenizer for the trainer").add_subparsers(dest="action", required=True)
    tok_train = tokenizer.add_parser("train", help="train SentencePiece on a language-balanced sample of the shards")
    tok_train.add_argument("--data", required=True, help="a corpus root or one shard set")
    tok_train.add_argument("--out", default=None, help="where tokenizer.model and fertility.json go (default DATA/tokenizer)")
    tok_train.add_argument("--vocab-size", type=_positive_int, default=None,
                           help="pieces in the vocabulary (default: tokenizer.vocab_size)")
    tok_train.add_argument("--config", default=None, metavar="TOML", help=CONFIG_HELP)
    tok_train.set_defaults(func=cmd_tokenizer_train)

    train = sub.add_parser("train", help="train the language model on published shards (JAX; resumes)")
    train.add_argument("--data", required=True, help="a corpus root or one shard set")
    train.add_argument("--out", required=True, help="checkpoints and metrics.jsonl")
    train.add_argument("--tokenizer", default=None, help="tokenizer.model (default DATA/tokenizer/tokenizer.model)")
    train.add_argument("--config", default=None, metavar="TOML", help="[train] section: model, optimiser, mesh")
    train.add_argument("--steps", type=int, default=None, help="train until this step (default: train.steps)")
    train.add_argument("--global-batch", type=int, default=None,
                       help="sequences per step over all hosts (default: train.global_batch)")
    train.add_argument("--seq-len", type=int, default=None, help="tokens per sequence (default: train.seq_len)")
    train.add_argument("--distributed", action="store_true", help="jax.distributed.initialize() (TPU pods)")
    train.add_argument("--coordinator", default=None, help="host:port of process 0 (multi-process without a pod)")
    train.add_argument("--num-processes", type=_positive_int, default=None, help="processes in all (with --coordinator)")
    train.add_argument("--process-id", type=int, default=None, help="this process's number, 0-based (with --coordinator)")
    train.set_defaults(func=cmd_train)

    sample = sub.add_parser("sample", help="write the synthetic sample crawl (WARC files)")
    sample.add_argument("output", help="directory to write the WARC files and sample.json into")
    sample.add_argument("--pages-per-language", type=_positive_int, default=6, help="pages per language")
    sample.add_argument("--files", type=_positive_int, default=4, help="WARC files to spread the pages over")
    sample.add_argument("--seed", type=int, default=7, help="seed of the generator (the same seed, the same files)")
    sample.set_defaults(func=cmd_sample)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as error:  # one line per problem: the file (or flag), the key, the allowed range
        for problem in error.problems:
            _log(f"error: {problem}")
        return EXIT_USAGE
    except KeyboardInterrupt:  # Spark's jobs are cancelled and its session stopped on the way out
        _log("interrupted: what was staged is kept; run the same command again to resume")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
