"""What the README, the Dockerfile and docker-compose.yml tell an operator to run, checked without a Docker
engine: every `corpus` command they give parses with the real CLI (a renamed flag breaks this test), the
image holds every package and data file the job needs, the services and paths they name exist, and `--help`
is complete and points to documents that exist. The compose services' commands themselves are executed in
tests/pipelines/test_cluster.py."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml

from corpus.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
IMAGE_HOME = "/opt/eu-corpus"  # the Dockerfile's WORKDIR


def _strict_parser() -> argparse.ArgumentParser:
    """The CLI's parser without prefix matching: `--conf` must not pass for `--config`."""
    parser = build_parser()
    for p in [parser, *[a for action in parser._actions if isinstance(action, argparse._SubParsersAction)
                        for a in action.choices.values()]]:
        p.allow_abbrev = False
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    sub.allow_abbrev = False
    return parser


def _code_blocks(markdown: str) -> list[str]:
    """The shell code blocks (fenced as bash, sh or nothing); blocks in other languages are skipped whole."""
    return [body for lang, body in re.findall(r"```(\w*)\n(.*?)```", markdown, re.S) if lang in ("", "bash", "sh")]


def _commands(block: str) -> list[str]:
    """Shell lines of a code block: continuations joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    lines = []
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if line:
            lines.append(line)
    return lines


def _corpus_arguments(command: str) -> list[str] | None:
    """The arguments given to the corpus CLI by a shell command line (``corpus ...``, ``... corpus/cli.py ...``,
    ``docker compose run --rm corpus corpus ...``), or None."""
    words = shlex.split(command.replace("$(", "").replace(")\"", "\""))
    for i, word in enumerate(words):
        if (word == "corpus" and i + 1 < len(words) and words[i + 1] in _subcommands()) or word.endswith("cli.py"):
            return words[i + 1:]
    return None


def _subcommands() -> set[str]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


README_COMMANDS = [c for block in _code_blocks(README) for c in _commands(block) if _corpus_arguments(c)]


def test_the_readme_gives_corpus_commands():
    assert len(README_COMMANDS) >= 15, README_COMMANDS


@pytest.mark.parametrize("command", README_COMMANDS)
def test_every_corpus_command_in_the_readme_parses_with_the_real_cli(command):
    args = _corpus_arguments(command)
    try:
        parsed = _strict_parser().parse_args(args)
    except SystemExit as exit:
        pytest.fail(f"README command does not parse (exit {exit.code}): {command}")
    assert callable(parsed.func)
    config = getattr(parsed, "config", None)
    if config and not config.startswith(IMAGE_HOME) and "my.toml" not in config:
        assert (REPO / config).is_file(), f"{command}: no {config} in the repository"
    if config and config.startswith(IMAGE_HOME):
        assert (REPO / config[len(IMAGE_HOME) + 1:]).is_file(), f"{command}: the image has no {config}"


def test_the_readme_cluster_section_names_existing_services_and_the_job():
    services = set(COMPOSE["services"])
    commands = [c for block in _code_blocks(README) for c in _commands(block) if c.startswith("docker compose")]
    assert commands, "the README shows how to start the compose stack"
    for command in commands:
        words = shlex.split(command)
        if words[2] == "up":
            named = [w for w in words[3:] if not w.startswith("-")]
            assert named and set(named) <= services, command
            assert not any(COMPOSE["services"][s].get("profiles") for s in named), "`up` starts no job service"
        elif words[2] == "run":
            name = next(w for w in words[3:] if not w.startswith("-"))
            assert name in services and COMPOSE["services"][name].get("profiles") == ["job"], command
    job = COMPOSE["services"]["corpus"]["command"]
    parsed = _strict_parser().parse_args(job[1:])
    assert parsed.func.__name__ == "cmd_run" and parsed.output.startswith("s3://")
    config = tomllib.loads((REPO / parsed.config[len(IMAGE_HOME) + 1:]).read_text())
    assert config["remote"]["s3_endpoint_url"] == "http://minio:9000" and config["remote"]["s3_create_bucket"]
    assert config["spark"]["master"] == "spark://spark-master:7077"


def test_the_image_holds_every_package_its_data_and_the_files_the_services_name():
    dockerfile = (REPO / "Dockerfile").read_text()
    copied = {source for line in dockerfile.splitlines() if line.startswith("COPY ")
              for source in line.split()[1:-1]}  # COPY <sources...> <destination>
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    for package in packages:
        assert package in copied, f"the image lacks the package {package}/ (Dockerfile COPY)"
    for needed in ("requirements.lock", "pyproject.toml", "docker", "docs"):
        assert needed in copied, f"the image lacks {needed}"
    ignored = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for package, patterns in project["tool"]["setuptools"]["package-data"].items():
        for pattern in patterns:
            files = list((REPO / package.replace(".", "/")).glob(pattern))
            assert files, f"package data {package}:{pattern} matches nothing"
            for f in files:
                relative = f.relative_to(REPO).as_posix()
                assert not any(fnmatch(relative, i) or relative.startswith(i.rstrip("/") + "/") for i in ignored), \
                    f".dockerignore keeps {relative} out of the image"
    for name, spec in COMPOSE["services"].items():
        for word in [*spec.get("command", []), *map(str, (spec.get("environment") or {}).values())]:
            for path in re.findall(rf"{IMAGE_HOME}/[\w./-]+", str(word)):
                assert (REPO / path[len(IMAGE_HOME) + 1:]).exists(), f"service {name} names {path}: not in the image"


def test_the_images_default_command_runs_and_help_points_to_existing_documents():
    cmd = re.search(r'^CMD \[(.*)\]', (REPO / "Dockerfile").read_text(), re.M)[1]
    words = [w.strip().strip('"') for w in cmd.split(",")]
    assert words[0] == "corpus"
    executable = Path(sys.executable).with_name("corpus")
    done = subprocess.run([str(executable), *words[1:]], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "corpus" in done.stdout, done.stderr
    texts = [done.stdout]
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                texts.append(sub.format_help())
                for inner in sub._actions:
                    if isinstance(inner, argparse._SubParsersAction):
                        texts.extend(s.format_help() for s in inner.choices.values())
                        continue
                    if inner.dest != "help":
                        assert inner.help, f"corpus {name} {inner.option_strings or inner.dest}: no --help text"
    documents = set(re.findall(r"docs/[\w./-]+\.(?:md|toml|py)", " ".join(texts)))
    assert {"docs/configuration.md", "docs/scheduling.md"} <= documents
    for document in documents:
        assert (REPO / document).is_file(), f"--help points to {document}, which does not exist"
