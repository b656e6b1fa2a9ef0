"""Resolve ``--input`` arguments (files, globs, directories) into a sorted list of WARC locations."""

from __future__ import annotations

import glob
import os

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


class InputError(ValueError):
    """An input argument matched nothing usable."""


def resolve_inputs(patterns: list[str]) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            matches = [os.path.join(root, name) for root, _, names in os.walk(pattern) for name in names
                       if name.endswith(WARC_SUFFIXES)]
        elif glob.has_magic(pattern):
            matches = [m for m in glob.glob(pattern, recursive=True) if os.path.isfile(m)]
        elif os.path.isfile(pattern):
            matches = [pattern]
        else:
            raise InputError(f"input not found: {pattern}")
        if not matches:
            raise InputError(f"no WARC files ({', '.join(WARC_SUFFIXES)}) under: {pattern}")
        found.extend(os.path.abspath(m) for m in matches)
    return sorted(set(found))
