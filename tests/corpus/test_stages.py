"""StageChain: every document ends in exactly one way, errors are quarantined without leaking content."""

from corpus.document import Document, Drop
from corpus.stages import Stage, StageChain


class Upper(Stage):
    name = "upper"

    def process(self, doc):
        doc.text = doc.text.upper()
        return doc


class DropShort(Stage):
    name = "short"

    def process(self, doc):
        return Drop("too_short", str(len(doc.text))) if len(doc.text) < 5 else doc


class Explode(Stage):
    name = "explode"

    def process(self, doc):
        raise ValueError(f"cannot handle {doc.text}")


def _doc(text: str, offset: int = 0) -> Document:
    return Document("f.warc.gz", offset, f"<urn:{offset}>", text=text)


def test_chain_returns_document_or_single_outcome():
    chain = StageChain([Upper(), DropShort()])
    kept = chain.run(_doc("hello world"))
    assert isinstance(kept, Document) and kept.text == "HELLO WORLD"
    dropped = chain.run(_doc("hi", 1))
    assert (dropped.status, dropped.stage, dropped.reason, dropped.detail) == ("dropped", "short", "too_short", "2")
    assert chain.stats["upper"].docs_in == 2 and chain.stats["short"].docs_out == 1
    assert dict(chain.stats["short"].dropped) == {"too_short": 1}


def test_errors_are_quarantined_with_the_exception_type_only():
    chain = StageChain([Explode()])
    outcome = chain.run(_doc("secret.person@example.com"))
    assert outcome.status == "quarantined" and outcome.stage == "explode"
    assert outcome.detail == "ValueError"  # the message would contain document text
    assert "secret" not in repr(outcome)


def test_setup_runs_once():
    class Counting(Stage):
        name = "counting"
        setups = 0

        def setup(self):
            Counting.setups += 1

        def process(self, doc):
            return doc

    stage = Counting()
    chain = StageChain([stage])
    for i in range(3):
        chain.run(_doc("abcdef", i))
    assert Counting.setups == 1
