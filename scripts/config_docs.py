"""Write the reference part of docs/configuration.md from corpus/config.py, so it cannot drift from the code.

    .venv/bin/python scripts/config_docs.py           # rewrite everything below the marker line
    .venv/bin/python scripts/config_docs.py --check   # exit 1 if the committed file is out of date

The hand-written introduction above the marker line is kept as it is. Every section's docstring, and every
key's type, default, allowed range (the model's ge/gt/le/lt bounds, choices or pattern) and description come
from the pydantic models; tests/corpus/test_config.py fails when the committed file differs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus.config import allowed, sections, value_type  # noqa: E402

DOC = ROOT / "docs" / "configuration.md"
MARKER = ("<!-- Everything below is generated from corpus/config.py by scripts/config_docs.py; "
          "do not edit it by hand. -->")
_NAMES = {int: "integer", float: "number", bool: "boolean", str: "string"}


def type_name(annotation) -> str:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(type_name(a) for a in inner) + " (optional)"
    if typing.get_origin(annotation) is Literal:
        return "string"
    if typing.get_origin(annotation) is tuple:
        return f"list of {type_name(typing.get_args(annotation)[0])}s"
    if typing.get_origin(annotation) is dict:
        return f"table of {type_name(value_type(annotation)[0])}s"
    return _NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def toml_value(value) -> str:
    """A default as it would be written in the TOML file; "unset" for None (leave the key out)."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _cell(text: str) -> str:
    """Text fit for a table cell: pipes escaped, and "<EMAIL>" kept from being read as an HTML tag."""
    if text.startswith("`"):
        return text.replace("|", "\\|")
    return re.sub(r"<(?=[A-Za-z/!?{])", "&lt;", text).replace("|", "\\|").replace("\n", " ")


def reference() -> str:
    """The generated part: one table per section."""
    out = []
    for name, model in sections().items():
        out.append(f"## `[{name}]`\n")
        doc = " ".join((model.__doc__ or "").split())
        if doc:
            out.append(f"{doc}\n")
        out.append("| key | type | default | allowed | what it does |")
        out.append("|---|---|---|---|---|")
        for key, field in model.model_fields.items():
            default = field.get_default(call_default_factory=True)
            value = toml_value(default)
            out.append("| " + " | ".join(_cell(c) for c in (
                f"`{key}`", type_name(field.annotation), value if value == "unset" else f"`{value}`",
                allowed(field) or "any", field.description or "")) + " |")
        out.append("")
    return "\n".join(out)


def render(intro: str) -> str:
    """The whole file: the hand-written ``intro``, the marker line, the generated reference."""
    return f"{intro.rstrip()}\n\n{MARKER}\n\n{reference()}"


def current_intro(path: Path = DOC) -> str:
    """The hand-written part of the file: all of it above the marker line (all of it, without one)."""
    return path.read_text(encoding="utf-8").split(MARKER)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the file is up to date")
    args = parser.parse_args(argv)
    expected = render(current_intro())
    if args.check:
        if DOC.read_text(encoding="utf-8") != expected:
            print(f"{DOC} is out of date: run .venv/bin/python scripts/config_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(expected, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
