"""The name tagger's scorer: its marginals are CRFsuite's, on the shipped model, for any windows of words."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.config import EU_LANGUAGES
from pii.tagger import (
    MODEL_DIR,
    SENTENCE_END,
    NameTagger,
    TOKEN,
    _attribute_keys,
    _capitalised,
    _windows,
    read_crfsuite_model,
    tokenize,
    word_spans,
)

TAGGER = NameTagger()


def crfsuite_marginals(windows, lang):
    return np.concatenate([TAGGER.crfsuite_probabilities(words, lang, initial) for words, initial in windows])


def line_windows(text):
    windows = []
    for line in text.split("\n"):
        words = [w for w, _, _ in tokenize(line)]
        capitals = [i for i, w in enumerate(words) if any(c.isupper() for c in w)]
        windows += [(words[a:b], a == 0 or words[a - 1] in SENTENCE_END) for a, b in _windows(capitals, len(words))]
    return windows


def test_the_model_file_reads_as_crfsuite_reads_it():
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(MODEL_DIR / "model.crfsuite"))
    info = tagger.info()
    weights = read_crfsuite_model(MODEL_DIR / "model.crfsuite")
    assert weights.labels == tuple(tagger.labels())
    assert set(weights.state) == set(info.state_features)  # the dump rounds weights to six decimals
    assert all(abs(weights.state[k] - v) < 1e-6 for k, v in info.state_features.items())
    assert all(abs(weights.transitions[k] - v) < 1e-6 for k, v in info.transitions.items())


@pytest.mark.parametrize("lang", EU_LANGUAGES)
def test_scores_equal_crfsuite_on_each_languages_text(lang):
    from corpus.sample.generate import load_texts

    texts = load_texts(lang)
    text = "\n".join([" ".join(texts["sentences"]), " | ".join(texts["nav"]), " ".join(texts["footer_links"]),
                      "Dr. J. Smith | Home | Contact • Kontakt: Anna-Maria O'Brien (CEO)"])
    windows = line_windows(text)
    fast = TAGGER._scorer.name_probabilities(windows, lang)
    assert np.allclose(fast, crfsuite_marginals(windows, lang), rtol=0, atol=1e-9)


WORD = st.one_of(
    st.sampled_from(["Anna", "Müller", "van", "der", "Dr", "Mr", ".", "J", "|", "||", "-", ",", "said", "the",
                     "Κώστας", "Христо", "O'Brien", "Jean-Luc", "2024", "USA", "é", ":", "»", "McDonald"]),
    st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=12),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(WORD, min_size=1, max_size=14), st.booleans()), min_size=1, max_size=6),
       st.sampled_from([None, "en", "de", "el", "ga"]))
def test_scores_equal_crfsuite_on_any_windows(windows, lang):
    """Any words (punctuation, shapes holding "|", one-letter initials, titles before dots, any script), any window
    lengths, sentence start or not: each window's marginals equal CRFsuite's on the same features."""
    fast = TAGGER._scorer.name_probabilities(windows, lang)
    assert np.allclose(fast, crfsuite_marginals(windows, lang), rtol=0, atol=1e-9)


def test_a_shape_pair_that_reads_two_ways_counts_for_both():
    """ "sh&+1:X|||x" is the pair ("X|", "|x") and ("X||", "x") and ("X", "||x"): CRFsuite fires it for each."""
    assert {key for _, key in _attribute_keys("sh&+1:X|||x")} == {("X", "||x"), ("X|", "|x"), ("X||", "x")}
    assert _attribute_keys("2:w=anna") == [("2:", "w=anna")] and _attribute_keys("w=2:1") == [("word", "w=2:1")]


def test_a_full_vocabulary_is_forgotten_and_scores_stay_the_same(monkeypatch):
    from pii.tagger import CrfScorer

    windows = line_windows("Yesterday Anna Schmidt met Dr. Jan de Vries in Berlin.\nKontakt: Maria Rossi")
    expected = TAGGER._scorer.name_probabilities(windows, "de")
    small = NameTagger()
    monkeypatch.setattr(CrfScorer, "CAPACITY", 12)
    small._scorer._forget()
    for _ in range(3):
        assert np.allclose(small._scorer.name_probabilities(windows[:1], "de"), expected[:len(windows[0][0])])
        assert len(small._scorer._rows) <= 12


#: pieces that make tokenisation hard: apostrophes and hyphens inside and beside words, capitals inside words,
#: titlecase and caseless letters, punctuation stuck to words, repeated words, several kinds of space
_PIECES = st.sampled_from(["Jean-Luc", "O'Brien", "d'Artagnan", "iPhone", "McDonald", "ǅemal", "Ab", "ab", "AB",
                           "a", "A", "-", "'", "’", "`", "--", "(", ")", ".", "Ó", "Ní", "Bhriain", "x-Ab", "ab'",
                           "Ab-Ab", "aB-aB", "Καλημέρα", "ΚΑΙ", "Иван", "日本", "123", "3D", "_", "Ab_c", "Ab‐cd"])
_GAPS = st.sampled_from(["", "", " ", "  ", "\t", "\u00a0", "\u2009"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_PIECES, _GAPS), max_size=25))
def test_capitalised_words_are_located_where_the_tokenizer_puts_them(parts):
    """word_spans finds each capitalised token with str.find after the previous one: the same offsets as the
    tokenizer's own, however the words touch (the name tagger's candidates depend on it)."""
    line = "".join(piece + gap for piece, gap in parts)
    tokens = tokenize(line)
    words = TOKEN.findall(line)
    assert words == [t for t, _, _ in tokens]
    capitals = [i for i, w in enumerate(words) if _capitalised(w)]
    assert word_spans(line, words, capitals) == [(tokens[i][1], tokens[i][2]) for i in capitals]
