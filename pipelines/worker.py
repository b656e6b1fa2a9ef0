"""What runs inside a Spark task: one WARC file in, its staged documents and outcomes out.

Stages are built once per Python worker and reused across tasks (models load once); counters are fresh
per input and travel back as data (the staged ``_DONE.json``), so the driver adds them up without
accumulators.
"""

from __future__ import annotations

import hashlib
import json
import signal
import threading
import time
from datetime import datetime, timezone
from functools import lru_cache

import pyarrow as pa

from corpus.config import PiiConfig, PipelineConfig
from corpus.document import Document, Outcome
from corpus.extract import build_extractor
from corpus.ingest import WarcIngest
from corpus.inputs import InputUnreadable, open_input
from corpus.staging import LIST_COLUMNS, InputStaging, write_failure
from corpus.storage import STORAGE_ERRNOS, Store
from corpus.stages import NEVER_CAUGHT, Stage, StageChain
from corpus.urls import registered_domain
from dedup.stage import DedupSignature
from filters.langid import FastTextLangId
from filters.optout import OptOutFilter
from filters.quality import QualityFilter
from corpus.erasure import ErasedContent, ErasedUrls, ErasureList
from pii.fingerprints import key_id, load_key
from pii.scrub import PiiScrubber

_STAGES: dict[tuple[str, str], list[Stage]] = {}
#: written by the driver into the staging directory when the root's erasure log is not empty
ERASURES_FILE = "erasures.json"


class ExecutorKeyMismatch(RuntimeError):
    """This executor's fingerprint key is not the driver's (missing, or another one). Its message names the
    host and the two key identities, never the key."""


class ExecutorCanaryFailed(RuntimeError):
    """This executor's scrubber left planted canary values in the text. Its message names the host and the
    types and languages that failed, never a value."""


def _ignore_interrupts() -> None:
    """In a Python worker: Ctrl-C in a terminal reaches the whole process group; the driver cancels the jobs
    and stops cleanly, so workers ignore it instead of each printing a traceback. (Not at import: the driver
    imports this module too and must keep its own handler.)"""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def executor_report(config_json: str) -> dict:
    """What the driver checks on every executor before anything is staged: the host, the identity of the
    fingerprint key this Python worker sees, and the verdict of the PII canary run by this worker's own
    scrubber (JSON; None when ``pii.canary`` is off)."""
    import socket

    _ignore_interrupts()  # the first task each worker runs
    config = PipelineConfig.model_validate_json(config_json)
    verdict = canary_verdict(config)
    return {"host": socket.gethostname(), "key": key_id(load_key(config.pii)),
            "canary": None if verdict is None else json.dumps(verdict, sort_keys=True)}


def executor_report_partition(config_json: str, batches):
    """mapInArrow body: this worker's ``executor_report``, once per partition."""
    for _ in batches:
        pass
    yield pa.RecordBatch.from_pylist([executor_report(config_json)], schema=EXECUTOR_REPORT_SCHEMA)


def stage_partition(config_json: str, store: Store, staging_dir: str, inputs: list[tuple[int, str]],
                    key_identity: str | None, batches):
    """mapInArrow body: the rows are indexes into ``inputs`` ((file_index, location) pairs); each input is staged
    (``stage_input``) and its record count returned. The per-document stages run in the same kind of Python
    worker as every later step of the job (Spark keeps RDD and Arrow workers in separate pools), so the
    dedup phase finds its workers started and its modules imported."""
    for batch in batches:
        for i in batch.column(0).to_pylist():
            file_index, location = inputs[i]
            records = stage_input(config_json, store, staging_dir, file_index, location, key_identity)["records"]
            yield pa.RecordBatch.from_pylist([{"records": records}], schema=STAGED_SCHEMA)


EXECUTOR_REPORT_SCHEMA = pa.schema([("host", pa.string()), ("key", pa.string()), ("canary", pa.string())])
STAGED_SCHEMA = pa.schema([("records", pa.int64())])


def check_executor_key(config: PipelineConfig, expected: str | None) -> None:
    import socket

    actual = key_id(load_key(config.pii))
    if actual != expected:
        raise ExecutorKeyMismatch(
            f"executor on {socket.gethostname()} has {'no fingerprint key' if actual is None else 'key ' + actual}, "
            f"the driver {'none' if expected is None else 'key ' + expected}")


@lru_cache(maxsize=8)
def pii_scrubber(pii_json: str, languages: tuple[str, ...]) -> PiiScrubber:
    """This worker's scrubber for a PII configuration: the stages and the canary share it, and its models."""
    return PiiScrubber(PiiConfig.model_validate_json(pii_json), languages)


@lru_cache(maxsize=8)
def _canary_verdict(pii_json: str, languages: tuple[str, ...]) -> dict:
    from pii.canary import run_canary

    scrubber = pii_scrubber(pii_json, languages)
    return run_canary(scrubber, scrubber.config.canary_min_recall)


def canary_verdict(config: PipelineConfig) -> dict | None:
    """The PII canary (pii/canary.py) scrubbed by the same scrubber this worker's documents go through, once per
    worker and configuration; None when ``pii.canary`` is off."""
    if not config.pii.canary:
        return None
    return _canary_verdict(config.pii.model_dump_json(), tuple(config.langid.languages))


def check_executor_canary(config: PipelineConfig) -> None:
    """A worker whose scrubber fails the canary scrubs nothing (an executor that joined after the driver's check,
    with another library or model installed)."""
    import socket

    verdict = canary_verdict(config)
    if verdict is not None and not verdict["passed"]:
        raise ExecutorCanaryFailed(f"executor on {socket.gethostname()} left values unreplaced for "
                                   f"{', '.join(verdict['failures'])} (recall below {verdict['min_recall']})")


def build_stages(config: PipelineConfig, erasures: ErasureList | None = None) -> list[Stage]:
    """The per-document stages in order (ingest is the source, not a stage). With erasures on record,
    erased URLs and domains are dropped first, erased values and copies of erased documents last (the
    driver has checked that this executor holds the key the erased values were fingerprinted with)."""
    erased = erasures or None
    return [
        OptOutFilter(config.optout),
        *([ErasedUrls(erased)] if erased else []),
        build_extractor(config.extract),
        FastTextLangId(config.langid),
        QualityFilter(config.quality),
        pii_scrubber(config.pii.model_dump_json(), tuple(config.langid.languages)),
        DedupSignature(config.dedup),
        *([ErasedContent(erased)] if erased else []),
    ]


def stages_for(config_json: str, erasures_json: str = "") -> list[Stage]:
    if (config_json, erasures_json) not in _STAGES:
        erasures = ErasureList.from_json(json.loads(erasures_json)) if erasures_json else None
        _STAGES[config_json, erasures_json] = build_stages(PipelineConfig.model_validate_json(config_json), erasures)
    return _STAGES[config_json, erasures_json]


def doc_row(doc: Document, file_index: int) -> dict:
    """A document that passed every stage, as a row of ``corpus.staging.DOC_SCHEMA``."""
    return {
        "doc_id": doc.doc_id, "file_index": file_index, "offset": doc.offset, "warc_file": doc.warc_file,
        "warc_record_id": doc.record_id, "url": doc.url,
        "url_fingerprint": doc.url_fingerprint or None, "domain": registered_domain(doc.url),
        "fetch_date": doc.fetch_date or None, "text": doc.text, "lang": doc.lang, "lang_score": doc.lang_score,
        "lang_top": [{"label": label, "score": score} for label, score in doc.lang_top],
        "lang_shares": doc.lang_shares,
        "n_chars": len(doc.text), "n_words": doc.n_words, "pii_counts": doc.pii_counts,
        "pii_kept": doc.pii_kept, "pii_fingerprints": doc.pii_fingerprints,
        "pii_recognizers": doc.pii_recognizers,
        "quality_score": doc.quality_score, "text_hash": doc.text_hash, "band_hashes": doc.band_hashes,
        "minhash": doc.minhash, "shingle_hashes": doc.shingle_hashes,
    }


def outcome_row(outcome: Outcome) -> dict:
    """An outcome as a row of ``corpus.staging.OUTCOME_SCHEMA``."""
    return {"doc_id": outcome.doc_id, "warc_file": outcome.warc_file, "offset": outcome.offset,
            "record_id": outcome.record_id, "status": outcome.status, "stage": outcome.stage,
            "reason": outcome.reason, "detail": outcome.detail}


class HashingReader:
    """Passes reads through, counting bytes and hashing them: the ledger's size and sha256 of an input. A read
    that fails (after the stream's own retries) raises InputUnreadable, which the WARC reader lets through:
    the input fails as a whole instead of its tail being taken for damage."""

    def __init__(self, raw, location: str = ""):
        self.raw, self.location, self.size, self.digest = raw, location, 0, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        try:
            data = self.raw.read(n)
        except NEVER_CAUGHT:
            raise
        except Exception as error:
            raise InputUnreadable(self.location, error, getattr(self.raw, "attempts", 1)) from None
        self.size += len(data)
        self.digest.update(data)
        return data

    def tell(self) -> int:
        return self.size

    def close(self) -> None:
        self.raw.close()

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


class StagingFailed(RuntimeError):
    """An input could not be staged. Carries the error's type only: messages of libraries (pyarrow's
    conversion errors, for one) may quote document text, and this one travels to Spark's logs and the CLI."""


def stage_input(config_json: str, store: Store, staging_dir: str, file_index: int, location: str,
                key_identity: str | None = None) -> dict:
    """Run one input file through every per-document stage and stage the results (see corpus/staging.py).
    ``key_identity``: the driver's fingerprint key; an executor holding another (or none) refuses. An input
    that cannot be read leaves ``_FAILED.json`` instead of ``_DONE.json`` and the task succeeds: the input
    fails alone. Returns the summary (``records`` read; ``failed`` set when the input failed)."""
    _ignore_interrupts()
    config = PipelineConfig.model_validate_json(config_json)
    check_executor_key(config, key_identity)
    check_executor_canary(config)
    try:
        return _stage_input(config, config_json, store, staging_dir, file_index, location)
    except InputUnreadable as error:
        failure = {"location": location, "file_index": file_index, "error": error.error, "detail": error.detail,
                   "attempts": error.attempts, "failed_at": datetime.now(timezone.utc).isoformat()}
        write_failure(store, staging_dir, location, failure)
        return {"records": 0, "failed": failure}
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as error:  # a permission or full disk writing the staging area keeps its path
        storage = isinstance(error, OSError) and error.errno in STORAGE_ERRNOS
        raise StagingFailed(f"input #{file_index}: {type(error).__name__}" + (f": {error}" if storage else "")) \
            from None


def _stage_input(config: PipelineConfig, config_json: str, store: Store, staging_dir: str, file_index: int,
                 location: str) -> dict:
    ingest = WarcIngest(config.ingest)
    erasures_path = store.join(staging_dir, ERASURES_FILE)
    erasures_json = store.read_bytes(erasures_path).decode("utf-8") if store.exists(erasures_path) else ""
    chain = StageChain(stages_for(config_json, erasures_json))
    started = time.perf_counter()
    try:
        raw = open_input(location, config.remote.options())
    except NEVER_CAUGHT:
        raise
    except Exception as error:  # missing, forbidden, unreachable: the input fails, not the night
        raise InputUnreadable(location, error) from None
    reader = HashingReader(raw, location)
    # results are written out in batches as they come: memory holds one batch, whatever the input's size
    try:
        with InputStaging(store, staging_dir, location) as staged:
            for item in ingest.read(reader, location):
                result = chain.run(item) if isinstance(item, Document) else item
                if isinstance(result, Document):
                    staged.add_doc(doc_row(result, file_index))
                else:
                    staged.add_outcome(outcome_row(result))
            reader.drain()
    finally:
        raw.close()
    summary = {
        "location": location,
        "file_index": file_index,
        "size": reader.size,
        "sha256": reader.digest.hexdigest(),
        "records": ingest.stats.docs_in,
        "documents": staged.documents,
        "list_values": {column: staged.list_values[column] for column in LIST_COLUMNS},
        "seconds": round(time.perf_counter() - started, 3),
        "stages": {ingest.name: ingest.stats.to_dict(), **{name: st.to_dict() for name, st in chain.stats.items()}},
    }
    staged.finish(summary)
    return summary
