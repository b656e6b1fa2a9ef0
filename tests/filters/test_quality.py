"""Quality filters per language: clean text passes in all 24 languages, junk is dropped with a named reason."""

import random

import pytest

from corpus.config import EU_LANGUAGES, QualityConfig
from corpus.document import Document, Drop
from corpus.sample.generate import load_texts
from filters.quality import QualityFilter, count_words, stop_words, word_tokenizer

STAGE = QualityFilter(QualityConfig())


def _article(lang: str, seed: int = 0) -> str:
    sentences = random.Random(seed).sample(load_texts(lang)["sentences"], 12)
    return "\n".join(" ".join(sentences[i:i + 3]) for i in range(0, 12, 3))


@pytest.mark.parametrize("lang", EU_LANGUAGES)
def test_clean_article_passes_in_every_language(lang):
    doc = STAGE(Document("f", 0, "r", text=_article(lang), lang=lang))
    assert isinstance(doc, Document), doc
    assert doc.n_words > 100


@pytest.mark.parametrize("lang", EU_LANGUAGES)
def test_every_language_has_stop_words(lang):
    words = stop_words(lang)
    assert len(words) >= 30
    tokens = {t.lower() for t in word_tokenizer(lang).word_tokenize(_article(lang))}
    assert len(words & tokens) >= 2


def test_repetitive_spam_is_dropped_with_reason():
    spam = "\n".join(["Buy cheap watches now, best price, buy now."] * 30)
    result = STAGE(Document("f", 0, "r", text=spam, lang="en"))
    assert isinstance(result, Drop) and result.reason.startswith("gopher_rep_")


def test_short_page_is_dropped():
    result = STAGE(Document("f", 0, "r", text="Log in to continue reading this article.", lang="en"))
    assert isinstance(result, Drop) and result.reason.startswith(("gopher", "fineweb"))


def test_maltese_keeps_article_clitics_in_words():
    tokens = word_tokenizer("mt").word_tokenize("Il-Gvern ħabbar li l-iskejjel ta' Malta se jibqgħu magħluqa.")
    assert tokens[:4] == ["Il-Gvern", "ħabbar", "li", "l-iskejjel"] and "ta'" in tokens
    assert count_words("Il-Gvern ħabbar li l-iskejjel ta' Malta.", "mt") == 6


def test_punctuation_is_not_counted_as_words():
    # Gopher's 80%-alphabetic rule is about words; spaCy returns every comma and bracket as a token.
    words = word_tokenizer("en").word_tokenize("Facts (in no order): one, two - three; 42 / 7.")
    assert words == ["Facts", "in", "no", "order", "one", "two", "three", "42", "7"]
    sentences = load_texts("en")["sentences"][:12]
    listy = "\n".join(f"{'- ' if i % 3 == 0 else ''}{s.replace(' ', ', ', 3)} (see: [1], [2]; p. 3)."
                      for i, s in enumerate(sentences))
    assert isinstance(STAGE(Document("f", 0, "r", text=listy, lang="en")), Document)


def test_tokenizer_vocabulary_is_rebuilt_so_memory_stays_bounded():
    from filters.tokenizers import WordsOnly
    from datatrove.utils.word_tokenizers import SpaCyTokenizer

    tokenizer = WordsOnly(SpaCyTokenizer("de"))
    tokenizer.REBUILD_AFTER = 2
    first = tokenizer.inner.tokenizer
    results = [tokenizer.word_tokenize(f"Das ist Satz Nummer {i}, nicht mehr.") for i in range(3)]
    assert results[2] == ["Das", "ist", "Satz", "Nummer", "2", "nicht", "mehr"]
    assert tokenizer.inner.tokenizer is not first
