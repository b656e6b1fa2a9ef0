"""An input's results are streamed into its staging directory: batches become row groups, the files appear only
when complete, and an input that fails half-way leaves nothing that could be taken for its results."""

import os
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import S3_CREDENTIALS
from corpus.staging import (DONE_MARKER, DOC_SCHEMA, LIST_COLUMNS, OUTCOME_SCHEMA, InputStaging, input_dir, is_done,
                            read_columns)
from corpus.storage import Store
from pipelines.job import read_back_units, read_staged_partition


def _doc(i: int) -> dict:
    row = {name: None for name in DOC_SCHEMA.names}
    row.update(doc_id=f"{i:032x}", file_index=0, offset=i * 100, text=f"document {i} " * (i % 7 + 1), lang="en",
               band_hashes=[i, i + 1], shingle_hashes=list(range(i % 5)))
    return row


def _outcome(i: int) -> dict:
    return {"doc_id": None, "warc_file": "f.warc.gz", "offset": i, "record_id": f"r{i}", "status": "dropped",
            "stage": "quality", "reason": "short", "detail": ""}


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, monkeypatch):
    if request.param == "local":
        return Store(str(tmp_path / "root"))
    for key, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"staging-{uuid.uuid4().hex[:12]}"
    store = Store(f"s3://{bucket}/root", endpoint)
    store.fs.mkdir(bucket)
    return store


def test_rows_are_written_in_batches_and_read_back_whole(store):
    staging = store.join(store.root, "staging", "set")
    docs, outcomes = [_doc(i) for i in range(23)], [_outcome(i) for i in range(5)]
    with InputStaging(store, staging, "in.warc.gz", batch_rows=4) as staged:
        for i, doc in enumerate(docs):
            staged.add_doc(doc)
            if i % 5 == 0:
                staged.add_outcome(outcomes[i // 5])
            assert len(staged.docs.rows) < 4  # never more than a batch held
        assert not is_done(store, staging, "in.warc.gz")
    staged.finish({"documents": staged.documents})
    target = input_dir(store, staging, "in.warc.gz")
    written = pq.ParquetFile(store.fs.open(store.join(target, "docs.parquet"), "rb"))
    assert written.metadata.num_row_groups == 6 and written.schema_arrow == DOC_SCHEMA  # 23 rows, 4 at a time
    assert written.read().to_pylist() == docs
    read_outcomes = pq.read_table(store.fs.open(store.join(target, "outcomes.parquet"), "rb"))
    assert read_outcomes.schema == OUTCOME_SCHEMA and read_outcomes.to_pylist() == outcomes
    assert is_done(store, staging, "in.warc.gz") and store.read_json(store.join(target, DONE_MARKER)) == \
        {"documents": 23}
    # what sizes the dedup plan without reading the rows, and the plan's columns read alone
    assert staged.list_values == {column: sum(len(doc[column] or ()) for doc in docs) for column in LIST_COLUMNS}
    assert staged.list_values["shingle_hashes"] == sum(i % 5 for i in range(23))
    path = store.join(target, "docs.parquet")
    assert read_columns(store, [path, path], ["doc_id", "shingle_hashes"]).to_pylist() == \
        [{"doc_id": d["doc_id"], "shingle_hashes": d["shingle_hashes"]} for d in docs] * 2


@pytest.mark.parametrize("empty", [True, False])
def test_an_input_that_fails_half_way_leaves_no_files(store, empty):
    staging = store.join(store.root, "staging", "set")
    with pytest.raises(ValueError, match="stage failed"):
        with InputStaging(store, staging, "in.warc.gz", batch_rows=3) as staged:
            for i in range(0 if empty else 10):
                staged.add_doc(_doc(i))
            raise ValueError("stage failed")
    target = input_dir(store, staging, "in.warc.gz")
    assert not store.exists(store.join(target, "docs.parquet")) and not is_done(store, staging, "in.warc.gz")
    if store.is_local:  # no temporary file left behind either
        assert not os.path.exists(target) or os.listdir(target) == []


def test_an_input_without_documents_stages_empty_files(tmp_path):
    store = Store(str(tmp_path))
    with InputStaging(store, str(tmp_path / "s"), "in.warc.gz") as staged:
        staged.add_outcome(_outcome(1))
    target = input_dir(store, str(tmp_path / "s"), "in.warc.gz")
    assert pq.read_table(os.path.join(target, "docs.parquet")).num_rows == 0
    assert pq.read_table(os.path.join(target, "outcomes.parquet")).num_rows == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_docs=st.integers(0, 60), batch_rows=st.integers(1, 9), rows_per_unit=st.integers(1, 70),
       tasks=st.integers(1, 5), second=st.integers(0, 20))
def test_staged_files_read_back_in_parts_give_every_row_once_in_order(tmp_path, n_docs, batch_rows, rows_per_unit,
                                                                      tasks, second):
    """The dedup phase reads a large input's rows back in parts, one row group at a time: whatever the split,
    every row comes back exactly once, and each part in the file's order."""
    store = Store(str(tmp_path / f"root-{uuid.uuid4().hex[:8]}"))
    staging = store.join(store.root, "staging", "set")
    files, expected = [], []
    for name, count in (("a.warc.gz", n_docs), ("b.warc.gz", second)):
        with InputStaging(store, staging, name, batch_rows=batch_rows) as staged:
            for i in range(count):
                staged.add_doc(_doc(len(expected) + i))
        expected += [_doc(len(expected) + i) for i in range(count)]
        files.append(store.join(input_dir(store, staging, name), "docs.parquet"))
    units = read_back_units(files, [n_docs, second], rows_per_unit)
    assert len(units) == max(1, -(-n_docs // rows_per_unit)) + max(1, -(-second // rows_per_unit))
    task_numbers = pa.RecordBatch.from_pydict({"id": list(range(tasks))})
    read = [row for batch in read_staged_partition(store, units, tasks, [task_numbers])
            for row in batch.to_pylist()]
    assert sorted(read, key=lambda r: r["offset"]) == sorted(expected, key=lambda r: r["offset"])
    assert len(read) == len(expected)
    for path, part, parts in units:  # a part alone: a contiguous run of its file, in order
        alone = [row for batch in read_staged_partition(store, [(path, part, parts)], 1, [task_numbers.slice(0, 1)])
                 for row in batch.to_pylist()]
        offsets = [row["offset"] for row in alone]
        assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)
