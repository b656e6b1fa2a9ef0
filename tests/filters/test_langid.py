"""Language ID with the real lid.176 model, on text in every EU language."""

import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

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


def test_per_language_floors_and_the_default_floor(tmp_path):
    text = "This is a short English sentence about the weather today."
    assert STAGE.classify(text).lang == "en"
    own = tmp_path / "floors.json"
    own.write_text('{"thresholds": {"en": 1.01}}')
    assert FastTextLangId(LangIdConfig(thresholds_file=str(own))).classify(text).reason == "low_confidence"
    none = tmp_path / "none.json"
    none.write_text('{"thresholds": {}}')
    assert STAGE.classify(text).score < 1.0  # so a floor of 1.0 (the highest allowed) is out of reach
    assert FastTextLangId(LangIdConfig(thresholds_file=str(none), min_score=1.0)).classify(text).reason == \
        "low_confidence"
    assert STAGE.classify("   \n ").reason == "no_text"


def test_newlines_do_not_break_prediction():
    text = "\n".join(load_texts("de")["sentences"][:3])
    assert STAGE.classify(text).lang == "de"


@pytest.mark.parametrize("text, expected", [
    ("Možda je čeka više nego što je očekivala.", "hr"),  # lid.176: sr 0.65, sh 0.19
    ("Ħafna nies jixtru l-ħobż mill-forn tal-villaġġ kull filgħodu.", "mt"),  # lid.176: mt 0.37 (< 0.5)
    ("L-objettivi tal-EAFRD huma dikjarati fl-Artiklu 4.", "mt"),  # lid.176: it 0.12
])
def test_second_stage_resolves_confusable_languages(text, expected):
    result = STAGE.classify(text)
    assert result.lang == expected and result.score >= 0.5


def test_second_stage_rules_on_given_scores():
    from filters.langid import SecondStage

    second, eu = SecondStage.load(), frozenset(EU_LANGUAGES)
    # letters only Slovak uses outweigh a Czech top label; Czech letters keep it Czech
    assert second.resolve("Ľudia hovoria o pôde a o tom, čo bude ďalej.", [("cs", 0.7), ("sk", 0.2)], eu)[0] == "sk"
    assert second.resolve("Přišli jsme pozdě, ale ještě to stihneme.", [("cs", 0.6), ("sk", 0.3)], eu)[0] == "cs"
    # Estonian õ against a Finnish top label
    assert second.resolve("Täna õhtul on kontsert vanalinnas.", [("fi", 0.6), ("et", 0.3)], eu)[0] == "et"
    # a non-EU top label outside every group is never replaced
    assert second.resolve("Merhaba dünya", [("tr", 0.9), ("az", 0.05)], eu)[0] is None


@pytest.mark.parametrize("text", [
    "Јуче је у Београду одржан концерт у част великог композитора.",  # Serbian, Cyrillic
    "Вчера в Москве прошёл большой концерт в честь известного композитора.",  # Russian
])
def test_non_eu_neighbours_stay_out(text):
    assert STAGE.classify(text).lang is None


def _paragraphs(lang: str, n: int, seed: int) -> list[str]:
    sentences = load_texts(lang)["sentences"]
    rng = random.Random(seed)
    return [" ".join(rng.sample(sentences, 3)) for _ in range(n)]


def test_long_document_is_judged_on_passages_spread_over_it():
    from filters.langid import sample_passages

    paragraphs = [f"paragraph {i} " + "word " * 60 for i in range(40)]
    passages = sample_passages("\n".join(paragraphs), max_passages=8, passage_chars=600)
    assert len(passages) == 8
    assert all(len(p) <= 600 for p, _ in passages)
    numbers = [int(p.split()[1]) for p, _ in passages]
    assert numbers == sorted(numbers) and numbers[0] < 5 and numbers[-1] > 35  # start to end, in order
    # short lines are merged into passages rather than judged one by one
    merged = sample_passages("\n".join(["Ja.", "Nein.", "Vielleicht morgen."] * 30), 8, 600)
    assert all(len(p) >= 150 for p, _ in merged[:-1])


def test_mixed_language_document_is_detected_and_reported():
    text = "\n".join(_paragraphs("de", 6, 1) + _paragraphs("en", 3, 2))
    result = STAGE.classify(text)
    assert result.lang == "de" and result.label == "de"
    assert set(result.shares) == {"de", "en"} and result.shares["de"] > result.shares["en"] >= 0.2
    assert abs(sum(result.shares.values()) - 1) < 1e-3
    assert result.mixed(0.2) == ["en"]
    assert [label for label, _ in result.top][:2] == ["de", "en"]


def test_document_mostly_outside_the_eu_is_rejected_even_with_eu_paragraphs():
    text = "\n".join(_paragraphs("ru", 6, 3) + _paragraphs("fi", 2, 4))
    doc = Document("f", 0, "r", text=text)
    outcome = STAGE(doc)
    assert isinstance(outcome, Drop) and outcome.reason == "not_eu_language" and outcome.detail.startswith("ru:")
    assert doc.lang_shares["ru"] > doc.lang_shares["fi"] > 0


@pytest.mark.parametrize("lang", EU_LANGUAGES)
def test_single_language_documents_are_not_mixed(lang):
    text = "\n".join(_paragraphs(lang, 10, 5))
    result = STAGE.classify(text)
    assert result.lang == lang, result.shares
    assert result.mixed(0.2) == [], result.shares


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ilta-'’għċfmb 1_éx", max_size=30))
def test_marks_found_where_the_plain_word_start_pattern_finds_them(text):
    """Each language's marks pattern checks a clitic's word start after its first character (a fast scan): it
    matches where the plain "(?<![^\\W\\d_])il-" form matches, for every language's marks."""
    import json
    import re
    from importlib import resources

    from filters.langid import _marks_pattern

    data = json.loads((resources.files("filters") / "data" / "langid_second_stage.json").read_text("utf-8"))
    for marks in data["marks"].values():
        plain = re.compile("|".join(re.escape(m) if len(m) == 1 else r"(?<![^\W\d_])" + re.escape(m) for m in marks))
        fast = _marks_pattern(marks)
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


# labels lid.176 puts in its top list on EU text: the EU languages, their look-alikes and a few others
_TOP_LABELS = sorted(set(EU_LANGUAGES) | {"bs", "sr", "sh", "mk", "no", "nb", "nn", "gl", "ca", "ast", "an", "oc", "ar",
                                         "gd", "gv", "cy", "ru", "tr", "id"})


@settings(max_examples=250, deadline=None)
@given(lang=st.sampled_from(EU_LANGUAGES), pick=st.integers(0, 10_000),
       top=st.lists(st.tuples(st.sampled_from(_TOP_LABELS), st.floats(0.001, 1.0)), min_size=1, max_size=5,
                    unique_by=lambda pair: pair[0]))
def test_lingua_is_skipped_only_where_it_could_not_change_the_answer(lang, pick, top):
    """The second stage asks lingua only when its confidences could change the outcome: the same language, score
    and label as when lingua is always asked, on real sentences with any first-stage top list."""
    from filters.langid import SecondStage

    sentences = load_texts(lang)["sentences"]
    text = sentences[pick % len(sentences)]
    total = sum(p for _, p in top)
    top = sorted(((label, p / max(1.0, total)) for label, p in top), key=lambda pair: -pair[1])
    second, eu = SecondStage.load(), frozenset(EU_LANGUAGES)

    def resolved():
        lang, score, label = second.resolve(text, top, eu)
        return lang, min(score, 1.0), label

    answer = resolved()
    with pytest.MonkeyPatch.context() as always:
        always.setattr(SecondStage, "beyond_second_model", lambda *_: False)
        again = resolved()  # (lingua's sums vary in their last bits from one call to the next)
        assert (answer[0], answer[2]) == (again[0], again[2]) and answer[1] == pytest.approx(again[1], abs=1e-9)


def test_an_english_passage_far_ahead_of_irish_is_not_sent_to_lingua(monkeypatch):
    import filters.langid as langid

    asked = []
    monkeypatch.setattr(langid, "second_model_confidences", lambda *a: asked.append(a) or {})
    second, eu = langid.SecondStage.load(), frozenset(EU_LANGUAGES)
    english = "The council said on Tuesday that the new bridge is expected to open in the spring of next year."
    assert second.resolve(english, [("en", 0.92), ("ga", 0.01)], eu)[:2] == ("en", 0.92 + second.evidence(
        "en", set(english.lower()), langid._WORD.findall(english.lower())))
    assert asked == []
    irish = "Tá an chomhairle ag súil go n-osclófar an droichead nua san earrach."
    assert second.resolve(irish, [("en", 0.5), ("ga", 0.3)], eu)[0] == "ga" and len(asked) == 1


def test_passages_of_a_long_page_ask_lingua_in_its_cheap_mode_and_a_short_text_in_its_precise_one(monkeypatch):
    """A passage is one vote among several: lingua's trigram (low-accuracy) mode; a text judged whole keeps the
    high-accuracy mode, whose n-grams of 1-5 letters are what tell short look-alike texts apart."""
    import filters.langid as langid

    asked = []
    real = langid.second_model_confidences
    monkeypatch.setattr(langid, "second_model_confidences", lambda *a: asked.append(a[2]) or real(*a))
    stage = FastTextLangId(LangIdConfig())
    # a score table (names and numbers): fastText is unsure, so lingua is asked
    table = "1 Kyle Busch 5040 5 1 17 27 2 Martin Truex Jr. 5035 7 0 15 24 3 Kevin Harvick 5033 4 6 15 26"
    stage.classify(table)
    assert asked and all(asked)
    asked.clear()
    stage.classify("\n".join([table + f" {i}" * 30 for i in range(12)]))
    assert asked and not any(asked)


@pytest.mark.parametrize("lang", ["en", "ga", "hr", "sl", "cs", "sk", "da", "sv", "et", "fi", "pt", "es", "mt"])
def test_lingua_modes_agree_on_texts_of_120_letters_and_more(lang):
    """Why passages may use the cheap mode: lingua uses only trigrams on a text of 120 letters or more in either
    mode, so both give the same confidences there (on real sentences, with a look-alike group in play)."""
    from filters.langid import second_model_confidences

    in_play = frozenset({"en", "ga", "pt", "es", "hr", "sl", "sr", "bs", "cs", "sk", "da", "sv", "no", "et", "fi",
                         "it", "pl"})
    sentences = load_texts(lang)["sentences"]
    for start in range(0, min(len(sentences), 30), 3):
        text = " ".join(sentences[start:start + 3])
        while sum(c.isalpha() for c in text) < 130:
            text += " " + sentences[(start + 7) % len(sentences)]
        assert second_model_confidences(in_play, text, False) == pytest.approx(
            second_model_confidences(in_play, text, True), abs=1e-9)


_SCORES = st.floats(-1.0, 3.0, allow_nan=False)


@settings(max_examples=2000, deadline=None)
@given(scored=st.dictionaries(st.sampled_from(["en", "ga", "pt", "es", "mt", "hr", "sl"]), _SCORES, min_size=1),
       rivals=st.dictionaries(st.sampled_from(["no", "sr", "gd", "ca"]), st.floats(0.0, 3.0)),
       weights=st.dictionaries(st.sampled_from(["en", "ga", "pt", "es", "hr", "sl", "no", "sr", "gd", "ca"]),
                               st.floats(0.0, 1.0), min_size=1))
@example(scored={"en": 1.5, "ga": 0.55}, rivals={}, weights={"ga": 1.0, "en": 0.0})  # lingua: "Irish", for sure
@example(scored={"en": 1.5}, rivals={"no": 2.2}, weights={"no": 1.0, "en": 0.0})
def test_what_lingua_could_add_never_changes_a_settled_answer(scored, rivals, weights):
    """Wherever ``beyond_second_model`` lets the second stage skip lingua, no confidences lingua could give (any
    distribution over the languages in play, Maltese unknown to it) change the language, the label or the score
    leaving the stage (capped at 1.0)."""
    from filters.langid import SecondStage

    second = SecondStage.load()
    leader = max(sorted(scored), key=scored.get)
    if not second.beyond_second_model(scored, leader, rivals):
        return
    total = sum(weights.values())
    confidences = {lang: w / total for lang, w in weights.items()} if total > 0 else {}
    before = second.decide(dict(scored), dict(rivals))
    after_scored, after_rivals = dict(scored), dict(rivals)
    second.add_second_model(confidences, after_scored, after_rivals, set(scored), {"sr": "hr"})
    after = second.decide(after_scored, after_rivals)
    assert (before[0], min(before[1], 1.0), before[2]) == (after[0], min(after[1], 1.0), after[2])
