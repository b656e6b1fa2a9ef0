"""Every real WARC/ARC file of the shared evaluation set, whole and damaged: ingest never raises and
accounts for every record. (../shared/eval/warc is beside the checkout in CI; elsewhere point
CORPUS_EVAL_WARC at a copy.)"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.config import IngestConfig
from corpus.document import Document, Outcome
from corpus.ingest import WarcIngest

EVAL = Path(os.environ.get("CORPUS_EVAL_WARC", Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "warc"))
FILES = sorted(p for p in EVAL.rglob("*") if p.name.endswith((".warc", ".warc.gz", ".arc", ".arc.gz"))) \
    if EVAL.is_dir() else []
needs_eval = pytest.mark.skipif(not FILES, reason=f"evaluation WARCs not found at {EVAL}")


def _read(data: bytes, name: str) -> tuple[list, WarcIngest]:
    ingest = WarcIngest(IngestConfig())
    return list(ingest.read(io.BytesIO(data), name)), ingest


@needs_eval
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_real_file_is_read_and_accounted(path):
    items, ingest = _read(path.read_bytes(), path.name)
    assert items and all(isinstance(i, (Document, Outcome)) for i in items)
    s = ingest.stats
    assert s.docs_in == len(items) == s.docs_out + sum(s.dropped.values()) + sum(s.quarantined.values())


@needs_eval
def test_html_responses_of_the_inventory_become_documents():
    inventory = [json.loads(line) for line in (EVAL / "warc_inventory.jsonl").read_text().splitlines()]
    for entry in inventory:
        path = EVAL / entry["file"]
        if entry["error"] or not path.exists() or path.name.startswith("clipped"):
            continue
        items, _ = _read(path.read_bytes(), path.name)
        docs = [i for i in items if isinstance(i, Document)]
        expected = [h for h in entry["html"] if str(h["status"]) == "200"]
        assert len(docs) >= len(expected) * 0.9, entry["file"]


@needs_eval
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FILES or [Path("none")]), st.floats(min_value=0.0, max_value=1.0),
       st.lists(st.tuples(st.floats(0.0, 0.999), st.integers(0, 255)), max_size=6))
def test_damaged_copies_never_raise(path, cut, flips):
    data = bytearray(path.read_bytes())
    for where, value in flips:
        data[int(where * len(data))] = value
    data = bytes(data[: int(cut * len(data))])
    items, ingest = _read(data, path.name)
    assert all(isinstance(i, (Document, Outcome)) for i in items)
    assert ingest.stats.docs_in == len(items)
