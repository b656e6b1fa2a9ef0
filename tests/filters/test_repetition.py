"""Hashed n-gram statistics and duplicate lines equal datatrove's string-based Gopher repetition helpers."""

from hypothesis import given, settings
from hypothesis import strategies as st
from datatrove.pipeline.filters.gopher_repetition_filter import find_all_duplicate, find_top_duplicate, get_n_grams
from datatrove.pipeline.filters.gopher_repetition_filter import find_duplicates as datatrove_find_duplicates

from corpus.sample.generate import load_texts
from corpus.config import EU_LANGUAGES
from filters.quality import word_tokenizer
from filters.repetition import NGrams, find_duplicates


def _assert_same_as_datatrove(words: list[str]) -> None:
    grams = NGrams(words)
    for n in range(1, 11):
        if len(words) >= n:
            assert grams.top_duplicate_chars(n) == find_top_duplicate(get_n_grams(words, n)), n
        assert grams.duplicated_chars(n) == find_all_duplicate(words, n), n


# words of one length: datatrove joins a duplicated n-gram's words without a separator, so ("ab", "c") and
# ("a", "bc") are one n-gram to it; with equal lengths that ambiguity cannot arise (see filters/repetition.py)
@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["aa", "bb", "cc", "dd", "ee", "ff"]), max_size=80))
def test_statistics_equal_datatrove_on_repetitive_word_lists(words):
    _assert_same_as_datatrove(words)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abcdé", min_size=1, max_size=6), max_size=60))
def test_top_n_grams_equal_datatrove_on_any_words(words):
    grams = NGrams(words)
    for n in range(1, 6):
        if len(words) >= n:
            assert grams.top_duplicate_chars(n) == find_top_duplicate(get_n_grams(words, n))


def test_statistics_equal_datatrove_on_real_text_in_every_language():
    for lang in EU_LANGUAGES:
        sentences = load_texts(lang)["sentences"]
        # real prose, and the same prose with a boilerplate line repeated through it
        text = "\n".join(sentences) + "\n" + "\n".join(f"{s}\nShare this article on Facebook" for s in sentences[:8])
        _assert_same_as_datatrove(word_tokenizer(lang).word_tokenize(text))


def test_a_page_without_repeats_costs_no_scan():
    grams = NGrams([f"w{i}" for i in range(1000)])
    assert all(grams.duplicated_chars(n) == 0 for n in range(5, 11))
    assert grams.top_duplicate_chars(2) == len("w0 w1")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["", "a", "ab", "Share this", "Share this ", "é\u00a0x"]) | st.text(max_size=8),
                max_size=40))
def test_duplicate_elements_equal_datatrove(elements):
    assert find_duplicates(elements) == datatrove_find_duplicates(elements)


def test_quality_does_not_import_datatrove_filters():
    """The quality stage runs in every Python worker: datatrove's filters package (its I/O layer and
    huggingface_hub, ~0.6 s) must not come with it."""
    import subprocess
    import sys

    code = "import sys, filters.quality; print(sorted(m for m in sys.modules if m.startswith(('datatrove.pipeline', 'huggingface_hub'))))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
