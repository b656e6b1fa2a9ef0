"""Per-document stages: one method to implement, counting and error isolation done once here.

A stage is built once per Python worker (models load lazily in ``setup``) and knows nothing of Spark.
``StageChain`` runs a document through the stages and turns every ending into exactly one ``Outcome``.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from corpus.document import DROPPED, QUARANTINED, Document, Drop, Outcome
from corpus.inputs import InputUnreadable


#: Exceptions that stop the run (or, for an input that cannot be read, that input) rather than quarantine a
#: document: a connection lost for good is not damage in the file.
NEVER_CAUGHT = (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError, InputUnreadable)


@dataclass
class StageStats:
    """Counters of one stage: documents in, out, dropped per reason, quarantined per error, seconds spent."""

    docs_in: int = 0
    docs_out: int = 0
    dropped: Counter = field(default_factory=Counter)
    quarantined: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    values_dropped: Counter = field(default_factory=Counter)  # "lang/TYPE" -> personal values dropped with pages

    def merge(self, other: "StageStats") -> "StageStats":
        self.docs_in += other.docs_in
        self.docs_out += other.docs_out
        self.dropped.update(other.dropped)
        self.quarantined.update(other.quarantined)
        self.seconds += other.seconds
        self.values_dropped.update(other.values_dropped)
        return self

    def to_dict(self) -> dict:
        return {
            "docs_in": self.docs_in,
            "docs_out": self.docs_out,
            "dropped": dict(sorted(self.dropped.items())),
            "quarantined": dict(sorted(self.quarantined.items())),
            "seconds": round(self.seconds, 3),
            **({"values_dropped": dict(sorted(self.values_dropped.items()))} if self.values_dropped else {}),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "StageStats":
        return cls(d["docs_in"], d["docs_out"], Counter(d["dropped"]), Counter(d["quarantined"]), d["seconds"],
                   Counter(d.get("values_dropped", {})))


class Stage:
    """Subclass and implement ``process``; return the (annotated) document or a ``Drop``."""

    name: str = "stage"
    #: Whether an exception's message may be recorded. Stages that see document text keep only the
    #: exception type, so no page content (and no personal data) can leak into outcomes or logs.
    error_messages_are_safe: bool = False

    def setup(self) -> None:
        """Load models once per worker; called lazily before the first document."""

    def process(self, doc: Document) -> Document | Drop:
        raise NotImplementedError

    # -- machinery ---------------------------------------------------------------------------------------
    _ready = False

    def ensure_ready(self) -> None:
        """setup() once: before the first document, or before a stage's own entry points are called directly."""
        if not self._ready:
            self.setup()
            self._ready = True

    def __call__(self, doc: Document) -> Document | Drop:
        self.ensure_ready()
        return self.process(doc)


def describe_error(stage: Stage, error: BaseException) -> str:
    if stage.error_messages_are_safe:
        return f"{type(error).__name__}: {str(error)[:200]}"
    return type(error).__name__


class StageChain:
    """Runs documents through stages in order; yields survivors and records one outcome per ending."""

    def __init__(self, stages: Iterable[Stage]):
        self.stages = list(stages)
        self.stats: dict[str, StageStats] = {s.name: StageStats() for s in self.stages}

    def run(self, doc: Document) -> Document | Outcome:
        """The surviving document, or the outcome that ended it."""
        for stage in self.stages:
            stats = self.stats[stage.name]
            stats.docs_in += 1
            start = time.perf_counter()
            try:
                result = stage(doc)
            except NEVER_CAUGHT:
                raise
            except BaseException as error:  # one bad document must never kill the run (native panics too)
                detail = describe_error(stage, error)
                stats.quarantined[type(error).__name__] += 1
                stats.seconds += time.perf_counter() - start
                return Outcome(doc.warc_file, doc.offset, doc.record_id, QUARANTINED, stage.name, "error", detail)
            stats.seconds += time.perf_counter() - start
            if isinstance(result, Drop):
                stats.dropped[result.reason] += 1
                if result.values:
                    stats.values_dropped.update({f"{doc.lang}/{t}": n for t, n in result.values.items()})
                return Outcome(doc.warc_file, doc.offset, doc.record_id, DROPPED, stage.name, result.reason,
                               result.detail)
            stats.docs_out += 1
            doc = result
        return doc

    def run_all(self, docs: Iterable[Document]) -> Iterator[Document | Outcome]:
        for doc in docs:
            yield self.run(doc)
