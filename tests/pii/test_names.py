"""Person names: the multilingual tagger in every language, whole names masked, rules and optional spaCy NER."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.config import EU_LANGUAGES, PiiConfig
from pii.names import NameFinder, NameSpan, fallback_names, first_names, whole_names
from pii.scrub import PiiScrubber
from pii.tagger import NameTagger, model_info, tokenize

SCRUBBER = PiiScrubber(PiiConfig())

#: one sentence per language, written for this test (names of people, not of the lists the detector uses as
#: features alone: surnames, particles, inflected forms), and the name that must leave no word behind
NAME_IN_EVERY_LANGUAGE = {
    "bg": ("Вчера министър Христо Стоичков откри новата болница в Пловдив.", "Христо Стоичков"),
    "hr": ("Predsjednik Zoran Milanović sastao se jučer s ministrima.", "Zoran Milanović"),
    "cs": ("Na konferenci promluvila profesorka Jana Dvořáková z Brna.", "Jana Dvořáková"),
    "da": ("Statsminister Mette Frederiksen holdt tale i Folketinget i går.", "Mette Frederiksen"),
    "nl": ("Gisteren sprak burgemeester Femke Halsema met de bewoners.", "Femke Halsema"),
    "en": ("The report was written by Margaret Thornbury, a nurse from Leeds.", "Margaret Thornbury"),
    "et": ("Eile kohtus peaminister Kaja Kallas Tallinnas ettevõtjatega.", "Kaja Kallas"),
    "fi": ("Presidentti Sauli Niinistö vieraili eilen Tampereella.", "Sauli Niinistö"),
    "fr": ("Selon Jean-Baptiste Moreau, le projet sera terminé en mai.", "Jean-Baptiste Moreau"),
    "de": ("Die Bürgermeisterin Katharina Schulze eröffnete gestern das neue Schwimmbad.", "Katharina Schulze"),
    "el": ("Ο δήμαρχος Κώστας Μπακογιάννης εγκαινίασε χθες το νέο πάρκο.", "Κώστας Μπακογιάννης"),
    "hu": ("Tegnap Kovács Péter polgármester átadta az új iskolát.", "Kovács Péter"),
    "ga": ("Labhair Seán Ó Riordáin leis na daoine ar an mbaile inné.", "Seán Ó Riordáin"),
    "it": ("Secondo Giuseppe Verdelli, il progetto sarà pronto a maggio.", "Giuseppe Verdelli"),
    "lv": ("Vakar Rīgā uzstājās komponists Raimonds Pauls.", "Raimonds Pauls"),
    "lt": ("Vakar prezidentas Gitanas Nausėda susitiko su ūkininkais.", "Gitanas Nausėda"),
    "mt": ("Il-Prim Ministru Robert Abela tkellem mal-ġurnalisti llum.", "Robert Abela"),
    "pl": ("Wczoraj prezydent Andrzej Duda spotkał się z rolnikami.", "Andrzej Duda"),
    "pt": ("O treinador José Mourinho chegou ontem a Lisboa.", "José Mourinho"),
    "ro": ("Ieri, primarul Nicușor Dan a inaugurat noul parc.", "Nicușor Dan"),
    "sk": ("Včera prezidentka Zuzana Čaputová navštívila Košice.", "Zuzana Čaputová"),
    "sl": ("Včeraj je predsednica Nataša Pirc Musar obiskala Maribor.", "Nataša Pirc Musar"),
    "es": ("Ayer la alcaldesa Ada Colau inauguró la nueva biblioteca.", "Ada Colau"),
    "sv": ("Igår besökte statsminister Ulf Kristersson Göteborg.", "Ulf Kristersson"),
}


def survivors(scrubbed: str, name: str) -> list[str]:
    """The words of ``name`` still in ``scrubbed`` as whole words."""
    return [w for w in name.split() if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", scrubbed)]


def test_every_language_has_a_case():
    assert set(NAME_IN_EVERY_LANGUAGE) == set(EU_LANGUAGES)


@pytest.mark.parametrize("lang", sorted(NAME_IN_EVERY_LANGUAGE))
def test_a_name_is_masked_whole_in_every_language(lang):
    text, name = NAME_IN_EVERY_LANGUAGE[lang]
    result = SCRUBBER.scrub(text, lang)
    assert survivors(result.text, name) == [] and "<PERSON>" in result.text, result.text
    assert all(s.recognizer for s in result.spans if s.type == "PERSON")


@pytest.mark.parametrize("lang, text, name", [
    ("nl", "Gisteren belde meneer van den Berg over de rekening.", "van den Berg"),
    ("nl", "Het boek van Jan de Vries verscheen in 1998.", "Jan de Vries"),
    ("de", "Der Vortrag von Ursula von der Leyen begann pünktlich.", "Ursula von der Leyen"),
    ("ga", "Bhí Máire Ní Bhriain agus Seán Mac Giolla ann.", "Máire Ní Bhriain"),
    ("en", "Yesterday General Joseph Burgoyne surrendered at Saratoga.", "Joseph Burgoyne"),
    ("en", "We met Patrick O'Brien and his sister at the station.", "Patrick O'Brien"),
    ("it", "Il quadro di Leonardo da Vinci è tornato al museo.", "Leonardo da Vinci"),
    ("pt", "A obra de Maria dos Santos foi premiada ontem.", "Maria dos Santos"),
])
def test_particles_belong_to_the_name(lang, text, name):
    scrubbed = SCRUBBER.scrub(text, lang).text
    assert survivors(scrubbed, name) == [], scrubbed


@pytest.mark.parametrize("text, found, whole", [
    ("Gisteren belde meneer van den Berg over de rekening.", "Berg", "van den Berg"),
    ("We spoke to Anna Maria Kowalska-Nowak yesterday.", "Maria", "Anna Maria Kowalska-Nowak"),
    ("Leonardo da Vinci painted it.", "Vinci", "Leonardo da Vinci"),  # a listed first name at a sentence start
    ("Het boek van Jan de Vries verscheen.", "Jan de Vries", "Jan de Vries"),  # "van" is the sentence's word
    ("Yesterday Tom Griffin came.", "Tom Griffin", "Tom Griffin"),  # a capital at a sentence start says nothing
    ("Thanks to Smith. Paris is lovely,\nBerlin too.", "Smith", "Smith"),  # punctuation and lines stop it
    ("Paris. Smith wrote it.", "Smith", "Smith"),
])
def test_a_part_found_grows_to_the_whole_name_and_no_further(text, found, whole):
    start = text.index(found)
    [span] = whole_names(text, [NameSpan(start, start + len(found), 0.8, "test")])
    assert text[span.start:span.end] == whole


def test_a_person_named_in_full_is_masked_where_only_the_surname_follows():
    text = "Yesterday Kaja Kallas met the mayor. Later, Kallas said no. Kallase sõnul oli see hea. A Kalla is a flower."
    start = text.index("Kaja Kallas")
    found = whole_names(text, [NameSpan(start, start + 11, 0.8, "t")])
    from pii.names import repeated_mentions

    repeated = {text[s.start:s.end] for s in repeated_mentions(text, found)}
    assert repeated == {"Kallas", "Kallase"}  # inflected forms of long words, not other words ("Kalla")


def test_a_single_name_the_tagger_is_sure_of_is_masked_where_the_text_repeats_it():
    from pii.names import repeated_mentions

    text = "Chirac a déclaré hier. Selon Chirac, c'est fini. Chiracs amis. Dr was here. Le was there."
    found = [NameSpan(0, 6, 0.8, "t")]
    repeated = {text[s.start:s.end] for s in repeated_mentions(text, found, sure={"Chirac", "Dr", "Le"})}
    assert repeated == {"Chirac", "Chiracs"}  # the other mentions; titles, particles and short words never spread
    assert repeated_mentions(text, found) == []  # a single word found, not sure: nothing spreads


def test_the_finder_spreads_only_the_single_names_it_is_sure_of(monkeypatch):
    """A single word the tagger tags (with the shipped model) in one place and not in another: masked in both only
    when the tagger's probability reaches SURE_SINGLE_NAME."""
    import pii.names

    finder = NameFinder()
    text = "Ontem, Balladur disse que tudo estava bem. Balladur riu."
    first, second = text.index("Balladur"), text.rindex("Balladur")
    tagged = finder.tagger.scored_spans(text, "pt")
    [probability] = [p for a, b, p in tagged if (a, b) == (first, first + 8)]  # the tagger finds the first
    assert not any(a <= second < b for a, b, _ in tagged)  # and not the second, at a sentence start

    def masked(at: int) -> bool:
        return any(s.start <= at and at + 8 <= s.end for s in finder.find(text, "pt"))

    monkeypatch.setattr(pii.names, "SURE_SINGLE_NAME", probability)
    assert masked(first) and masked(second)
    monkeypatch.setattr(pii.names, "SURE_SINGLE_NAME", probability + 1e-6)
    assert masked(first) and not masked(second)


def _repeated_mentions_by_pattern(text, spans, sure=()):
    """The plain form of pii.names.repeated_mentions (every text through the compiled pattern, containment tested
    span by span): what the quick path must equal."""
    import re

    from pii.names import NameSpan, full_name_words

    words = full_name_words(text, spans, sure)
    if not words:
        return []
    alternatives = "|".join(re.escape(w) + (r"[^\W\d_]{0,4}" if len(w) >= 5 else r"(?:['’]s)?")
                            for w in sorted(words, key=len, reverse=True))
    return [NameSpan(m.start(), m.end(), 0.6, "rule:repeated")
            for m in re.finditer(rf"(?<![^\W\d_])(?:{alternatives})(?![^\W\d_])", text)
            if not any(s.start <= m.start() and m.end() <= s.end for s in spans)]


_MENTION_WORDS = ["Kallas", "Kallase", "Tom", "Griffin", "Griffins", "O'Brien", "Jean-Luc", "Ní", "van", "Dr.", "Ab",
                  "Tomás", "Kallas²", "²", "_", "é", "ǅ"]  # a superscript digit is a letter to ``[^\W\d_]``


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_MENTION_WORDS + ["said", "x", "y", ".", "3", "'s", "’s", "-", "ab"]), max_size=30)
       .map(lambda ws: "".join(w + (" " if i % 3 else "") for i, w in enumerate(ws))), st.data())
def test_repeated_mentions_equal_the_plain_pattern_scan(text, data):
    """Property: the scan without a compiled pattern (and its quick exit when every occurrence lies inside a span)
    finds exactly what the plain pattern finds, for spans anywhere: overlapping, nested, cutting words, touching
    mentions, words that start one another ("Griffin", "Griffins"), letters ``\w`` counts that are not ASCII."""
    from pii.names import NameSpan, repeated_mentions

    spans = []
    for _ in range(data.draw(st.integers(0, 4))):
        a = data.draw(st.integers(0, len(text)))
        b = data.draw(st.integers(a, len(text)))
        spans.append(NameSpan(a, b, 0.8, "t"))
    sure = data.draw(st.sets(st.sampled_from(_MENTION_WORDS), max_size=3))
    assert repeated_mentions(text, spans, sure) == _repeated_mentions_by_pattern(text, spans, sure)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc XYZ.-'\n,ÓéΑα")), max_size=60), st.data())
def test_whole_names_only_ever_grow_and_merge(text, data):
    """Property: every span found stays covered, spans come out sorted and disjoint, inside the text."""
    spans = []
    for _ in range(data.draw(st.integers(0, 3))):
        a = data.draw(st.integers(0, len(text)))
        b = data.draw(st.integers(a, len(text)))
        spans.append(NameSpan(a, b, 0.5, "test"))
    out = whole_names(text, spans)
    assert all(0 <= s.start <= s.end <= len(text) for s in out)
    assert all(x.end < y.start or (x.end <= y.start) for x, y in zip(out, out[1:]))
    assert all(any(o.start <= s.start and s.end <= o.end for o in out) for s in spans)


@pytest.mark.parametrize("lang, text", [
    ("de", "Die Europäische Union hat das Gesetz am Montag beschlossen."),
    ("de", "Der Bundestag stimmte der Reform in Berlin zu."),
    ("pl", "Unia Europejska przyjęła nowe przepisy w Brukseli."),
    ("it", "La Banca Centrale Europea ha alzato i tassi a Francoforte."),
    ("en", "The European Central Bank raised rates in Frankfurt on Thursday."),
    ("fr", "La Commission européenne a présenté son budget à Bruxelles."),
])
def test_institutions_and_places_are_not_names(lang, text):
    assert [s for s in SCRUBBER.scrub(text, lang).spans if s.type == "PERSON"] == []


def test_the_tagger_model_is_licensed_and_sourced():
    info = model_info()
    assert info.licence == "CC-BY-SA-4.0" and info.sources and 0 < info.threshold < 1
    assert "+rules" in SCRUBBER.name_method("de") and SCRUBBER.name_method("de").startswith("crf:")


def test_tokens_keep_apostrophes_and_hyphens_inside_names():
    assert [t for t, _, _ in tokenize("O'Brien met Jean-Luc, Ó Súilleabháin.")] == [
        "O'Brien", "met", "Jean-Luc", ",", "Ó", "Súilleabháin", "."]


def test_probabilities_are_probabilities_and_lines_without_capitals_are_skipped():
    tagger = NameTagger()
    probabilities = tagger.person_probabilities(["Yesterday", "Anna", "Schmidt", "arrived", "."], "en")
    assert all(0 <= p <= 1 for p in probabilities) and probabilities[1] > probabilities[3]
    assert tagger.spans("nothing capitalised here at all\nnor here", "en") == []


def test_rules_find_a_title_and_a_listed_first_name():
    assert fallback_names("Sehr geehrter Herr Müller, wir danken Ihnen.", "de")
    assert fallback_names("Jakub Wójcik mieszka w Krakowie od lat.", "pl")


def test_every_language_has_first_names_or_says_so():
    assert all(len(first_names(lang)) > 100 for lang in ("de", "pl", "it", "es", "nl", "sv", "hr", "bg", "ga", "mt"))


def test_a_configured_spacy_pipeline_adds_to_the_tagger_and_a_missing_one_is_named_nowhere(spacy_person_pipeline):
    finder = NameFinder({"de": "de_core_news_lg_not_installed", "fr": spacy_person_pipeline})
    assert "+ner:" not in finder.method("de")
    assert finder.method("fr").endswith(f"+ner:{spacy_person_pipeline}+rules")
    from corpus.provenance import name_models

    kinds = {m["kind"]: m for m in name_models({"ner_models": finder.ner_models})}
    assert kinds["crf"]["licence"] == "CC-BY-SA-4.0" and kinds["spacy"]["licence"] == "Apache-2.0"
    # only windows around capitalised runs reach the pipeline; what it finds is masked
    text = "il pleut depuis ce matin et le train est en retard. " * 10 + "Hier, Marie Dupont est arrivée."
    assert "Marie Dupont" in {text[s.start:s.end] for s in finder.find(text, "fr")}
    [ner] = finder._ner(text, "fr")
    assert text[ner.start:ner.end] == "Marie Dupont" and ner.method == f"ner:{spacy_person_pipeline}"
    from pii.names import name_methods

    assert name_methods({"fr": spacy_person_pipeline, "de": "missing"})["fr"] == finder.method("fr")
    assert name_methods({"fr": spacy_person_pipeline, "de": "missing"})["de"] == finder.method("de")


@pytest.mark.parametrize("lang", ["de", "en", "fi", "el", "pl"])
def test_tagging_windows_decide_as_whole_lines(lang, monkeypatch):
    """Only words around capitalised words are tagged; on real-looking prose the decisions are those of whole lines."""
    from corpus.sample.generate import load_texts
    import pii.tagger

    tagger = SCRUBBER._names.tagger if SCRUBBER._ready else NameTagger()
    text = " ".join(load_texts(lang)["sentences"]) + " " + NAME_IN_EVERY_LANGUAGE[lang][0]
    windowed = tagger.spans(text, lang)
    monkeypatch.setattr(pii.tagger, "WINDOW", 10**6)
    assert tagger.spans(text, lang) == windowed
