"""benchmarks/names.py scores sentences scrubbed in passages as if each had been scrubbed alone: every sentence gets
exactly the spans that fall on it, cut to it and made relative to it."""

import importlib.util
import re
from pathlib import Path
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

spec = importlib.util.spec_from_file_location("names_benchmark", Path(__file__).parents[1] / "benchmarks" / "names.py")
names_benchmark = importlib.util.module_from_spec(spec)
spec.loader.exec_module(names_benchmark)


class CapitalsScrubber:
    """Tags every capitalised word: what each sentence gets is then known without the real scrubber."""

    def scrub(self, text, lang):
        return SimpleNamespace(spans=[SimpleNamespace(start=m.start(), end=m.end(), type="PERSON")
                                      for m in re.finditer(r"\b[A-Z]\w*", text)])


sentences = st.lists(st.text(alphabet="Ab .", min_size=1, max_size=40), min_size=1, max_size=30)


@given(sentences, st.integers(1, 120))
def test_passages_keep_every_sentence_once_and_in_order(texts, chars):
    examples = [("fi", text, []) for text in texts]
    passages = names_benchmark.passages(examples, chars)
    members = [member for _, _, group in passages for member in group]
    assert [text for _, text, _, _ in members] == texts
    for _, passage, group in passages:
        assert len(group) == 1 or len(passage) <= chars  # a sentence longer than a passage stands alone
        for _, text, _, offset in group:
            assert passage[offset:offset + len(text)] == text


@given(sentences, st.integers(1, 120))
def test_each_sentence_gets_in_a_passage_what_it_gets_alone(texts, chars):
    examples = [("fi", text, []) for text in texts]
    scrubber = CapitalsScrubber()
    alone = list(names_benchmark.person_spans(scrubber, examples))
    together = list(names_benchmark.person_spans(scrubber, examples, chars))
    assert together == alone
