"""End to end on real pages, side by side with datatrove: whole-command wall time, documents/s/core.

    .venv/bin/python benchmarks/end_to_end.py                       # x1 and x4, 1 and 2 cores, both pipelines
    .venv/bin/python benchmarks/end_to_end.py --scales 1 4 16 --cores 1 2
    .venv/bin/python benchmarks/end_to_end.py --stages              # + per-stage ms/doc, one core, no Spark
    .venv/bin/python benchmarks/end_to_end.py --heldout             # + held-out quality figures (heldout.py)
    .venv/bin/python benchmarks/end_to_end.py --input 'crawl/*.warc.gz' --cores 2   # your own WARCs

Input: the 712 real pages of ``../shared/eval/webpages`` packed as Common Crawl-like WARCs by
benchmarks/realpages.py (x1; xN adds N-1 perturbed near-duplicate copies of every page; max(2, N) files),
built once into the work directory and reused. For each scale and core count, one after the other on an
otherwise idle machine, both commands run as child processes pinned to that many CPUs:

* datatrove: ``benchmarks/datatrove_baseline.py --workers C`` (its FineWeb-style pipeline: WarcReader,
  trafilatura, lid.176, Gopher repetition and quality, FineWeb, PII formatter, Parquet writer; one task per
  file, C workers; datatrove's extras from benchmarks/requirements-baseline.txt);
* ours: ``corpus run --master local[C]`` into a fresh corpus root (every stage, dedup, shards, reports).

The clock is the whole command, interpreter and JVM start-up included: what a data engineer pays for. Both
rates divide the same number of HTML documents in the input (pages x copies). Printed per run: wall
seconds, documents/s/core, the ratio ours/datatrove, ms per document per stage (each pipeline's own stage
clocks, summed over its workers), our fixed costs (start-up before the first stage, dedup, write, and the
rest) and peak resident memory per process kind. A Markdown table at the end sums it up.
"""

from __future__ import annotations

import os
import sys

# this folder off the path when run as a script: benchmarks/pii.py must not shadow the pii package
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse
import glob
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from pipelines.memory import PeakMemory

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable


def _sibling(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _pinned(cores: int):
    cpus = sorted(os.sched_getaffinity(0))[:cores]
    return lambda: os.sched_setaffinity(0, set(cpus))


def run_datatrove(files: list[str], cores: int, documents: int) -> dict:
    start = time.perf_counter()
    done = subprocess.run([PYTHON, str(HERE / "datatrove_baseline.py"), "--input", *files, "--workers", str(cores),
                           "--no-pin"], capture_output=True, text=True, preexec_fn=_pinned(cores))
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"datatrove baseline failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout)
    return {"pipeline": "datatrove", "cores": cores, "wall_seconds": round(wall, 1),
            "docs_per_s_per_core": round(documents / wall / cores, 2),
            "html_documents_seen": result["html_documents"], "kept": result["kept"]["FineWebQualityFilter"],
            "ms_per_doc": {k: v for k, v in result["ms_per_doc_in"].items() if v is not None}}


#: our configurations compared: the default, and resiliparse as the extractor (extract.engine)
VARIANTS = {"default": "", "resiliparse": "[extract]\nengine = \"resiliparse\"\n"}


def run_ours(files: list[str], cores: int, documents: int, work: Path, variant: str = "default") -> dict:
    root = work / f"root-{variant}-{cores}"
    shutil.rmtree(root, ignore_errors=True)
    config = work / f"{variant}.toml"
    config.write_text(VARIANTS[variant])
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    start = time.perf_counter()
    with PeakMemory() as memory:
        done = subprocess.run([str(Path(PYTHON).with_name("corpus")), "run", "--input", *files, "--output", str(root),
                               "--master", f"local[{cores}]", "--config", str(config)], capture_output=True, text=True, env=env,
                              preexec_fn=_pinned(cores))
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"corpus run failed:\n{done.stderr[-3000:]}")
    stats = json.loads(Path(glob.glob(str(root / "sets" / "*" / "stats.json"))[0]).read_text())
    timings = stats["timings"]
    return {"pipeline": f"corpus run ({variant})", "cores": cores, "wall_seconds": round(wall, 1),
            "docs_per_s_per_core": round(documents / wall / cores, 2),
            "html_documents_seen": stats["stages"]["extract"]["docs_in"], "kept": stats["records"]["kept"],
            "ms_per_doc": {k: round(1000 * v["seconds"] / max(1, v["docs_in"]), 2) for k, v in stats["stages"].items()},
            # before the clock of stats.json starts: interpreter, imports, canary, Spark session
            "fixed_seconds": {"start-up": round(wall - stats["wall_seconds"], 1),
                              **{k: round(v, 1) for k, v in timings.items() if k != "documents"},
                              "rest": round(stats["wall_seconds"] - sum(timings.values()), 1)},
            "documents_phase_seconds": round(timings["documents"], 1),
            "peak_memory": memory.report()}


def single_core_stages(files: list[str]) -> dict:
    """Every per-document stage in this process, models warm, no Spark: ms per document reaching each stage."""
    from corpus.config import PipelineConfig
    from corpus.document import Document
    from corpus.ingest import WarcIngest
    from corpus.stages import StageChain
    from pipelines.worker import build_stages

    config = PipelineConfig()
    stages = build_stages(config)
    warm, ingest = StageChain(stages), WarcIngest(config.ingest)
    for item, _ in zip(ingest.read_file(files[0]), range(200)):  # every model and vocabulary loaded first
        if isinstance(item, Document):
            warm.run(item)
    ingest, chain = WarcIngest(config.ingest), StageChain(stages)
    start = time.perf_counter()
    for f in files:
        for item in ingest.read_file(f):
            if isinstance(item, Document):
                chain.run(item)
    elapsed = time.perf_counter() - start
    per_stage = {"ingest": ingest.stats, **chain.stats}
    return {"documents": ingest.stats.docs_out, "seconds": round(elapsed, 1),
            "ms_per_input_doc": round(1000 * elapsed / ingest.stats.docs_out, 1),
            "ms_per_doc": {name: round(1000 * s.seconds / max(1, s.docs_in), 2) for name, s in per_stage.items()},
            "docs_in": {name: s.docs_in for name, s in per_stage.items()}}


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (the faster of the middle two for an even number)."""
    return sorted(runs, key=lambda r: r["wall_seconds"])[(len(runs) - 1) // 2]


def table(rows: list[dict]) -> str:
    lines = ["| input | cores | datatrove s | docs/s/core | ours | s | docs/s/core | ratio | our fixed costs (s) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        d, o = r.get("datatrove"), r.get("ours")
        ratio = f"{o['docs_per_s_per_core'] / d['docs_per_s_per_core']:.2f}x" if d and o else "-"
        fixed = ", ".join(f"{k} {v}" for k, v in o["fixed_seconds"].items()) if o else ""
        cells = [r["input"], r["cores"], d["wall_seconds"] if d else "-", d["docs_per_s_per_core"] if d else "-",
                 o["pipeline"].removeprefix("corpus run ") if o else "-", o["wall_seconds"] if o else "-", o["docs_per_s_per_core"] if o else "-", ratio, fixed]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--webpages", default=str(ROOT.parent / "shared" / "eval" / "webpages"))
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4], help="copies of every page: x1, x4, x16")
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--input", nargs="+", help="your own WARC files or globs instead of the real pages")
    parser.add_argument("--skip-datatrove", action="store_true")
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--variants", nargs="+", default=["default"], choices=list(VARIANTS),
                        help="our configurations to run (resiliparse: extract.engine = resiliparse)")
    parser.add_argument("--stages", action="store_true", help="also per-stage ms/doc on one core without Spark (x1)")
    parser.add_argument("--rounds", type=int, default=1, help="run each pipeline this many times, interleaved, and "
                        "report its median run (the machine's speed drifts within minutes)")
    parser.add_argument("--work", help="work directory (default: a temp dir; WARCs are reused when it is given)")
    parser.add_argument("--heldout", action="store_true", help="also the held-out quality figures beside the speed "
                        "(benchmarks/heldout.py: language ID, extraction, quality, PII against the reference)")
    args = parser.parse_args()

    work = Path(args.work or tempfile.mkdtemp(prefix="bench-e2e-"))
    work.mkdir(parents=True, exist_ok=True)
    realpages = _sibling("realpages")
    inputs = []
    if args.input:
        files = sorted(f for pattern in args.input for f in glob.glob(pattern, recursive=True))
        inputs.append(("given", files, None))
    else:
        n_pages = len(realpages.load_pages(args.webpages))
        for scale in args.scales:
            files = realpages.build(args.webpages, work / f"warc-x{scale}", scale)
            inputs.append((f"x{scale}", files, n_pages * scale))
    if args.stages:
        x1 = inputs[0][1]
        print(json.dumps({"stages_one_core_no_spark": single_core_stages(x1)}), flush=True)

    rows = []
    for name, files, documents in inputs:
        if documents is None:  # own files: count the HTML responses as our ingest does
            from corpus.config import IngestConfig
            from corpus.document import Document
            from corpus.ingest import WarcIngest

            documents = sum(isinstance(d, Document) for f in files for d in WarcIngest(IngestConfig()).read_file(f))
        size = sum(os.path.getsize(f) for f in files)
        for cores in args.cores:
            row = {"input": f"{name} ({documents} pages, {len(files)} files, {size / 1e6:.0f} MB)", "cores": cores}
            variants = [] if args.skip_ours else args.variants
            runs: dict[str, list[dict]] = {"datatrove": [], **{variant: [] for variant in variants}}
            for _ in range(args.rounds):  # interleaved: a drift of the machine's speed hits both pipelines
                if not args.skip_datatrove:
                    runs["datatrove"].append(run_datatrove(files, cores, documents))
                    print(json.dumps(runs["datatrove"][-1]), flush=True)
                for variant in variants:
                    runs[variant].append(run_ours(files, cores, documents, work, variant))
                    print(json.dumps(runs[variant][-1]), flush=True)
            if args.rounds > 1:
                print(json.dumps({"input": row["input"], "cores": cores, "wall_seconds_per_round":
                                  {k: [r["wall_seconds"] for r in v] for k, v in runs.items() if v}}), flush=True)
            if not args.skip_datatrove:
                row["datatrove"] = median_run(runs["datatrove"])
            for variant in variants:
                rows.append({**row, "ours": median_run(runs[variant])})
            if args.skip_ours:
                rows.append(row)
    print()
    print(table(rows))
    print(f"\n(work directory: {work})")
    if args.heldout:  # the speed must not have been bought with quality: same checkout, same configuration
        eval_dir = Path(args.webpages).parent
        subprocess.run([PYTHON, str(HERE / "heldout.py"), "--eval", str(eval_dir)], check=False)


if __name__ == "__main__":
    main()
