"""The scheduler examples (docs/cron/, docs/airflow/) and docs/scheduling.md still match the CLI: every
`corpus ...` command they run parses with the real parser, the crontab line is valid and starts a script of
this repository, exit code 3 is a warning and not a failure in both, and the exit codes documented are the
ones `corpus run` returns. Fast: no Spark, no Airflow (the DAG is read with ast, never imported)."""

from __future__ import annotations

import ast
import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.cli import build_parser
from corpus.ledger import validate_night

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
CRONTAB = DOCS / "cron" / "eu-corpus.cron"
WRAPPER = DOCS / "cron" / "nightly.sh"
DAG = DOCS / "airflow" / "eu_corpus_nightly.py"
SCHEDULING = DOCS / "scheduling.md"

EXIT_CODES = {0: "published", 1: "failed, resume", 2: "refused", 3: "published, inputs failed", 130: "interrupted"}
SAMPLE_ENV = {"INPUT": "/data/crawl/incoming", "OUTPUT": "/data/corpus", "CONFIG": "/etc/eu-corpus/corpus.toml",
              "CORPUS_VENV": "/opt/eu-corpus/.venv", "CORPUS_HOME": "/opt/eu-corpus", "LOG_DIR": "/var/log/eu-corpus"}
SAMPLE_MACROS = {"ds": "2026-11-03", "ds_nodash": "20261103"}  # Airflow's template variables, as rendered


# -- reading shell commands --------------------------------------------------------------------------------------
def _substitute(token: str, env: dict[str, str]) -> str:
    token = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: SAMPLE_MACROS[m[1]], token)  # unknown macro: KeyError
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m[1], m[0]), token)


def _corpus_commands(shell: str, env: dict[str, str]) -> list[list[str]]:
    """The argument lists of every `corpus ...` command that ``shell`` runs (not of words in quoted text),
    placeholders substituted: the words after `corpus` up to the next operator or redirection."""
    commands = []
    for line in shell.replace("\\\n", " ").splitlines():
        if line.lstrip().startswith("#") or not re.search(r"(^|[;&|(]|\bexec)\s*corpus\s", line.strip()):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        for i, token in enumerate(tokens):
            before = tokens[i - 1] if i else None
            if token != "corpus" or not (before is None or before == "exec" or set(before) <= set("();<>|&")):
                continue
            args = []
            for word in tokens[i + 1:]:
                if set(word) <= set("();<>|&"):
                    if word[0] in "<>" and args and args[-1].isdigit():
                        args.pop()  # 2>file
                    break
                args.append(_substitute(word, env))
            commands.append(args)
    return commands


def _strict_parser():
    """The CLI's parser, taking only whole option names: `--conf` would otherwise still parse as `--config`,
    and `--config` as a renamed `--config-file`."""
    import argparse

    parser = build_parser()
    pending = [parser]
    while pending:
        current = pending.pop()
        current.allow_abbrev = False
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending.extend(action.choices.values())
    return parser


def _parse(args: list[str]):
    assert not [a for a in args if "$" in a or "{{" in a], f"a placeholder was left in {args}"
    try:
        return _strict_parser().parse_args(args)
    except SystemExit:  # argparse said why on stderr
        pytest.fail(f"the CLI no longer accepts: corpus {shlex.join(args)}")


def _check_run(args: list[str]):
    parsed = _parse(args)
    assert parsed.command == "run"
    assert parsed.input == [SAMPLE_ENV["INPUT"]] and parsed.output == SAMPLE_ENV["OUTPUT"]
    assert parsed.config == SAMPLE_ENV["CONFIG"]
    return parsed


# -- docs/scheduling.md ----------------------------------------------------------------------------------------
def _documented_exit_codes() -> set[int]:
    text = SCHEDULING.read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return {int(m[1]) for m in re.finditer(r"^\|\s*`(\d+)`\s*\|", section, re.M)}


def test_the_exit_codes_documented_are_the_ones_corpus_run_returns():
    import corpus.cli as cli

    assert _documented_exit_codes() == set(EXIT_CODES)
    defined = {value for name, value in vars(cli).items() if name.startswith("EXIT_") and isinstance(value, int)}
    if defined:  # the CLI names its codes
        assert defined == set(EXIT_CODES)
    text = SCHEDULING.read_text(encoding="utf-8")
    for example in ("cron/nightly.sh", "cron/eu-corpus.cron", "airflow/eu_corpus_nightly.py"):
        assert f"]({example})" in text and (DOCS / example).is_file()
    for flag in ("--break-lock", "retry_failed_nights", "failed_inputs", "abandoned_inputs"):
        assert flag in text


# -- cron ------------------------------------------------------------------------------------------------------
CRON_FIELDS = [("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}),
               ("month", 1, 12, {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}),
               ("day of week", 0, 7, {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())})]


def _valid_cron_field(field: str, low: int, high: int, names: dict[str, int]) -> bool:
    def value(text: str) -> int | None:
        number = names.get(text.lower()) if text.isalpha() else int(text) if text.isdigit() else None
        return number if number is not None and low <= number <= high else None

    for item in field.split(","):
        span, _, step = item.partition("/")
        if step and not (step.isdigit() and int(step) >= 1):
            return False
        if span == "*":
            continue
        start, _, end = span.partition("-")
        if value(start) is None or (end and (value(end) is None or value(end) < value(start))):
            return False
    return True


def _crontab() -> tuple[dict[str, str], list[tuple[list[str], str]]]:
    env, jobs = {}, []
    for line in CRONTAB.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if assignment := re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", line):
            env[assignment[1]] = assignment[2].strip("'\"")
            continue
        fields = line.split(None, 5)
        assert len(fields) == 6, f"not 5 time fields and a command: {line!r}"
        jobs.append((fields[:5], fields[5]))
    return env, jobs


def test_the_crontab_line_is_valid_and_starts_the_wrapper_of_this_repository():
    env, jobs = _crontab()
    assert len(jobs) == 1
    (fields, command), = jobs
    for text, (name, low, high, names) in zip(fields, CRON_FIELDS):
        assert _valid_cron_field(text, low, high, names), f"crontab {name} field {text!r} is not valid"
    assert fields[2:] == ["*", "*", "*"], "the job runs every night"
    script = _substitute(shlex.split(command)[0], env)
    home = env["CORPUS_HOME"].rstrip("/") + "/"
    assert script.startswith(home), f"{script} is not under CORPUS_HOME ({home})"
    in_repo = REPO / script[len(home):]
    assert in_repo == WRAPPER and os.access(in_repo, os.X_OK), f"{in_repo} is not this repository's executable wrapper"
    for name in ("INPUT", "OUTPUT", "CONFIG", "LOG_DIR"):
        assert env.get(name), f"the crontab does not set {name}"


def test_the_wrapper_is_valid_bash_and_runs_commands_the_cli_accepts():
    subprocess.run(["bash", "-n", str(WRAPPER)], check=True)
    text = WRAPPER.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text and "flock" in text
    commands = _corpus_commands(text, SAMPLE_ENV)
    runs = [c for c in commands if c[0] == "run"]
    assert len(runs) == 1, commands
    assert _check_run(runs[0]).break_lock
    for other in (c for c in commands if c[0] != "run"):
        assert _parse(other).command == "compliance"
    assert re.search(r"^\s*3\)", text, re.M) and 'exit "$rc"' in text


def _fake_install(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A virtualenv whose `corpus` records its arguments, prints a summary line and exits with $FAKE_RC."""
    venv, bin_dir = tmp_path / "venv", tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "activate").write_text(f'export PATH="{bin_dir}:$PATH"\n')
    calls = tmp_path / "calls.jsonl"
    fake = bin_dir / "corpus"
    fake.write_text(f"""#!/usr/bin/env bash
"{sys.executable}" -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >>"{calls}"
if [[ $1 == run ]]; then
    echo "[corpus] progress" >&2
    echo '{{"root": "/data/corpus", "set": "2026-11-03", "failed_inputs": 0, "abandoned_inputs": 0}}'
    exit "$FAKE_RC"
fi
""")
    fake.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "CORPUS_HOME": str(tmp_path), "VENV": str(venv),
           "INPUT": SAMPLE_ENV["INPUT"], "OUTPUT": SAMPLE_ENV["OUTPUT"], "CONFIG": SAMPLE_ENV["CONFIG"],
           "LOG_DIR": str(tmp_path / "logs")}
    return env, calls


@pytest.mark.skipif(shutil.which("flock") is None, reason="util-linux flock is not installed")
@pytest.mark.parametrize("rc, outcome", [(0, "ok"), (1, "error"), (2, "error"), (3, "warning"), (130, "error"),
                                         (137, "error")])
def test_the_wrapper_keeps_the_exit_code_and_alerts_on_all_but_success(tmp_path, rc, outcome):
    env, calls = _fake_install(tmp_path)
    alerts = tmp_path / "alerts.txt"
    env.update(FAKE_RC=str(rc), ALERT_CMD=f"cat >>{alerts}")
    done = subprocess.run(["bash", str(WRAPPER)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == rc, done.stderr
    logs = tmp_path / "logs"
    last = (logs / "nightly.log").read_text().splitlines()[-1]
    assert last.split(" ", 1)[1].startswith(outcome), last
    argvs = [json.loads(line) for line in calls.read_text().splitlines()]
    assert _check_run(argvs[0]).break_lock
    if rc == 0:
        assert done.stderr == "" and not alerts.exists()  # cron mails nothing on a good night
    else:
        assert f"exit {rc}" in done.stderr and f"exit {rc}" in alerts.read_text()
    if rc in (0, 3):  # the summary is kept, and the compliance report is refreshed
        assert json.loads((logs / "summary.jsonl").read_text())["set"] == "2026-11-03"
        assert _parse(argvs[1]).command == "compliance" and len(argvs) == 2
    else:
        assert len(argvs) == 1
    assert "[corpus] progress" in next(logs.glob("run-*.log")).read_text()


@pytest.mark.skipif(shutil.which("flock") is None, reason="util-linux flock is not installed")
def test_the_wrapper_refuses_to_start_while_the_previous_night_runs(tmp_path):
    env, calls = _fake_install(tmp_path)
    env["FAKE_RC"] = "0"
    (tmp_path / "logs").mkdir()
    with open(tmp_path / "logs" / "nightly.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        done = subprocess.run(["bash", str(WRAPPER)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "still going" in done.stderr and not calls.exists()


def test_the_wrapper_refuses_without_its_settings(tmp_path):
    env, calls = _fake_install(tmp_path)
    del env["CONFIG"]
    done = subprocess.run(["bash", str(WRAPPER)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "CONFIG is not set" in done.stderr and not calls.exists()


# -- Airflow ---------------------------------------------------------------------------------------------------
def _dag() -> tuple[dict, list[dict]]:
    """The DAG file's module-level constants, and each operator call's keywords (values: constants resolved,
    anything else as its source text)."""
    source = DAG.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(DAG))
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                constants[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass

    def value(node):
        if isinstance(node, ast.Name) and node.id in constants:
            return constants[node.id]
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return [value(e) for e in node.elts]
        try:
            return ast.literal_eval(node)
        except ValueError:
            return ast.get_source_segment(source, node)

    operators = [{"operator": node.func.id, **{k.arg: value(k.value) for k in node.keywords if k.arg}}
                 for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.endswith("Operator")]
    return constants, operators


def _dag_env(constants: dict) -> dict[str, str]:
    return {**SAMPLE_ENV, **{k: SAMPLE_ENV.get(k, v) for k, v in constants.get("CORPUS_ENV", {}).items()}}


def test_the_dag_runs_commands_the_cli_accepts_with_a_valid_night():
    constants, operators = _dag()
    bash = [op for op in operators if op["operator"] == "BashOperator"]
    assert bash and all(isinstance(op["bash_command"], str) for op in bash)
    runs, others = [], []
    for op in bash:
        for args in _corpus_commands(op["bash_command"], _dag_env(constants)):
            (runs if args[0] == "run" else others).append((op, args))
    assert len(runs) == 1, runs
    op, args = runs[0]
    parsed = _check_run(args)
    assert parsed.night is not None and validate_night(parsed.night) == SAMPLE_MACROS["ds"]
    assert "{{ ds }}" in op["bash_command"]
    assert others and all(_parse(args).command == "compliance" for _, args in others)


def test_the_dag_treats_exit_3_as_a_warning_and_retries_failures():
    constants, operators = _dag()
    run = next(op for op in operators if op["operator"] == "BashOperator" and "corpus run" in op["bash_command"])
    skip = run["skip_on_exit_code"]
    skip = set(skip) if isinstance(skip, list) else {skip}
    assert skip == {3}, "exit 3 (published, some inputs failed) must leave the task skipped, not failed"
    assert run["retries"] >= 1 and run.get("append_env") is True
    rules = {op["task_id"]: str(op.get("trigger_rule", "")) for op in operators if "task_id" in op}
    alert = [t for t, rule in rules.items() if rule.lower().endswith("all_skipped")]
    after = [t for t, rule in rules.items() if rule.lower().endswith("none_failed")]
    assert alert and after, "a task alerts on exit 3, and the rest of the DAG still runs after it"
    assert next(op for op in operators if op.get("task_id") == alert[0]).get("on_success_callback")


def test_the_commented_spark_submit_variant_runs_the_same_command():
    constants, _ = _dag()
    text = DAG.read_text(encoding="utf-8")
    block = text.split("# from airflow.providers.apache.spark", 1)[1].split("# --- end", 1)[0]
    code = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in block.splitlines()[1:])
    call = next(n for n in ast.walk(ast.parse(code.strip())) if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name) and n.func.id == "SparkSubmitOperator")
    env = _dag_env(constants)
    args = []
    for element in next(k.value for k in call.keywords if k.arg == "application_args").elts:
        if isinstance(element, ast.Subscript):  # CORPUS_ENV["INPUT"]
            args.append(env[ast.literal_eval(element.slice)])
        else:
            args.append(_substitute(ast.literal_eval(element), env))
    parsed = _check_run(args)
    assert validate_night(parsed.night) and parsed.break_lock
