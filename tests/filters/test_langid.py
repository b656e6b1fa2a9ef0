"""Language ID with the real lid.176 model, on text in every EU language."""

import random

import pytest

from corpus.config import EU_LANGUAGES, LangIdConfig
from corpus.document import Document, Drop
from corpus.sample.generate import load_texts
from filters.langid import FastTextLangId

STAGE = FastTextLangId(LangIdConfig())


@pytest.mark.parametrize("lang", EU_LANGUAGES)
def test_paragraphs_in_every_eu_language(lang):
    sentences = load_texts(lang)["sentences"]
    rng = random.Random(lang)
    for _ in range(5):
        result = STAGE.classify(" ".join(rng.sample(sentences, 4)))
        assert result.lang == lang, result.top
        assert result.score >= 0.5 and len(result.top) == 3


@pytest.mark.parametrize("lang", ["ru", "tr"])
def test_other_languages_are_rejected(lang):
    doc = Document("f", 0, "r", text=" ".join(load_texts(lang)["sentences"][:4]))
    result = STAGE(doc)
    assert isinstance(result, Drop) and result.reason == "not_eu_language"
    assert result.detail.startswith(f"{lang}:")


def test_low_confidence_and_empty_text():
    strict = FastTextLangId(LangIdConfig(min_score=0.999))
    assert strict.classify("ok fine").reason in ("low_confidence", "not_eu_language")
    assert STAGE.classify("   \n ").reason == "no_text"


def test_newlines_do_not_break_prediction():
    text = "\n".join(load_texts("de")["sentences"][:3])
    assert STAGE.classify(text).lang == "de"
