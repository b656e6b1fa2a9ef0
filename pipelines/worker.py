"""What runs inside a Spark task: WARC files in, documents / outcomes / stage counters out.

Stages are built once per Python worker and reused across tasks (models load once); counters are fresh
per task and travel back as data, so the driver can add them up without accumulators.
"""

from __future__ import annotations

import json
from typing import Iterable, Iterator

from corpus.config import PipelineConfig
from corpus.document import Document, Outcome
from corpus.extract import TrafilaturaExtract
from corpus.ingest import WarcIngest
from corpus.stages import Stage, StageChain
from corpus.urls import registered_domain
from dedup.stage import DedupSignature
from filters.langid import FastTextLangId
from filters.optout import OptOutFilter
from filters.quality import QualityFilter
from pii.scrub import PiiScrubber

DOC, OUTCOME, STATS = "D", "O", "S"

_STAGES: dict[str, list[Stage]] = {}


def build_stages(config: PipelineConfig) -> list[Stage]:
    """The per-document stages in order (ingest is the source, not a stage)."""
    return [
        OptOutFilter(config.optout),
        TrafilaturaExtract(config.extract),
        FastTextLangId(config.langid),
        QualityFilter(config.quality),
        PiiScrubber(config.pii, config.langid.languages),
        DedupSignature(config.dedup),
    ]


def stages_for(config_json: str) -> list[Stage]:
    if config_json not in _STAGES:
        _STAGES[config_json] = build_stages(PipelineConfig.model_validate_json(config_json))
    return _STAGES[config_json]


def doc_row(doc: Document, file_index: int) -> tuple:
    """A kept document as a row of ``pipelines.job.DOC_SCHEMA``."""
    return (
        doc.doc_id, file_index, doc.offset, doc.warc_file, doc.record_id, doc.url, registered_domain(doc.url),
        doc.fetch_date or None, doc.text, doc.lang, doc.lang_score, len(doc.text), doc.n_words,
        doc.pii_counts, doc.text_hash, doc.band_hashes,
    )


def outcome_row(outcome: Outcome) -> tuple:
    """An outcome as a row of ``pipelines.job.OUTCOME_SCHEMA``."""
    return (outcome.doc_id, outcome.warc_file, outcome.offset, outcome.record_id, outcome.status, outcome.stage,
            outcome.reason, outcome.detail)


def process_files(config_json: str, files: Iterable[tuple[int, str]]) -> Iterator[tuple[str, object]]:
    """mapPartitions body: for each (index, path), every record becomes a document row or an outcome row."""
    config = PipelineConfig.model_validate_json(config_json)
    ingest = WarcIngest(config.ingest)
    chain = StageChain(stages_for(config_json))
    for file_index, path in files:
        for item in ingest.read_file(path):
            result = chain.run(item) if isinstance(item, Document) else item
            if isinstance(result, Document):
                yield DOC, doc_row(result, file_index)
            else:
                yield OUTCOME, outcome_row(result)
    counters = {ingest.name: ingest.stats.to_dict(), **{name: s.to_dict() for name, s in chain.stats.items()}}
    yield STATS, json.dumps(counters)
