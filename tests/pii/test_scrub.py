"""Scrubbing with the real Presidio recognizers: each type, in several languages; offsets; fail closed."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.config import EU_LANGUAGES, PiiConfig
from corpus.document import Document
from corpus.sample.generate import fake_card, fake_email, fake_iban, fake_ip, fake_phone, load_texts
from corpus.stages import StageChain
from pii.scrub import PiiScrubber

SCRUBBER = PiiScrubber(PiiConfig())
FAKES = {"EMAIL": fake_email, "PHONE": fake_phone, "IBAN": lambda rng, lang: fake_iban(rng),
         "CREDIT_CARD": lambda rng, lang: fake_card(rng), "IP_ADDRESS": lambda rng, lang: fake_ip(rng)}


@pytest.mark.parametrize("lang", EU_LANGUAGES)
def test_planted_values_are_replaced_in_every_language(lang):
    rng = random.Random(lang)
    texts = load_texts(lang)
    for template in texts["pii_templates"]:
        values = {key: FAKES[name](rng, lang) for key, name in
                  [("email", "EMAIL"), ("phone", "PHONE"), ("iban", "IBAN"), ("ip", "IP_ADDRESS"), ("card", "CREDIT_CARD")]}
        text = texts["sentences"][0] + " " + template.format(**values) + " " + texts["sentences"][1]
        result = SCRUBBER.scrub(text, lang)
        for key, value in values.items():
            if "{" + key + "}" in template:
                assert value not in result.text, (lang, key)
        for span in result.spans:  # offsets point into the original text
            assert text[span.start:span.end].strip() and f"<{span.type}>" in result.text


def test_typed_placeholders_and_counts():
    text = "Mail anna@example.org, IBAN DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111, ip 81.2.3.4."
    result = SCRUBBER.scrub(text, "en")
    assert result.text == "Mail <EMAIL>, IBAN <IBAN>, card <CREDIT_CARD>, ip <IP_ADDRESS>."
    assert result.counts == {"CREDIT_CARD": 1, "EMAIL": 1, "IBAN": 1, "IP_ADDRESS": 1}
    assert [text[s.start:s.end] for s in result.spans] == [
        "anna@example.org", "DE89 3704 0044 0532 0130 00", "4111 1111 1111 1111", "81.2.3.4"]


def test_invalid_numbers_are_left_alone():
    text = "Order 4111 1111 1111 1112 and account DE00 3704 0044 0532 0130 00 were mentioned."
    assert SCRUBBER.scrub(text, "en").spans == []


def test_phone_numbers_of_member_states():
    for lang, number in [("de", "030 12345678"), ("fr", "01 42 68 53 00"), ("pl", "+48 601 234 567"),
                         ("mt", "+356 9696 1234"), ("hr", "092 123 4567")]:
        result = SCRUBBER.scrub(f"Call {number} today.", lang)
        assert number not in result.text and "<PHONE>" in result.text, (lang, number)


def test_pii_errors_quarantine_the_document():
    broken = PiiScrubber(PiiConfig(entities=("NOT_A_REAL_ENTITY",)))
    broken._analyzer = None  # simulate an engine failure
    broken._ready = True
    outcome = StageChain([broken]).run(Document("f", 0, "r", text="anna@example.org", lang="en"))
    assert outcome.status == "quarantined" and outcome.stage == "pii"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(load_texts("en")["sentences"][:10]), min_size=1, max_size=6),
       st.lists(st.sampled_from(["EMAIL", "IBAN", "CREDIT_CARD", "IP_ADDRESS"]), min_size=1, max_size=4),
       st.randoms(use_true_random=False))
def test_property_planted_values_never_survive(sentences, kinds, rng):
    values = [FAKES[k](rng, "en") for k in kinds]
    pieces = list(sentences)
    for value in values:
        pieces.insert(rng.randint(0, len(pieces)), f"({value})")
    text = " ".join(pieces)
    result = SCRUBBER.scrub(text, "en")
    assert not [v for v in values if v in result.text]
    spans = sorted(result.spans, key=lambda s: s.start)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))
    assert all(0 <= s.start < s.end <= len(text) for s in spans)


def test_memory_stays_bounded_over_a_night_of_new_words(monkeypatch):
    """Workers live for a whole night of pages: neither the analyzer nor the name tagger keeps every word seen."""
    from pii.tagger import CrfScorer

    scrubber = PiiScrubber(PiiConfig())
    scrubber.scrub("warm up 0301234567 anna@example.de", "de")
    engine = scrubber._analyzer.nlp_engine
    scorer = scrubber._names.tagger._scorer
    monkeypatch.setattr(CrfScorer, "CAPACITY", 40)
    scorer._forget()
    for i in range(50):
        text = f"Schreiben Sie an anna{i}@example.de, Wort{i}x und Zeug{i}y, Telefon 030 1234{i:03d}."
        assert scrubber.scrub(text, "de").counts.get("EMAIL") == 1
    # no spaCy pipeline at all (stop words only): no vocabulary that could grow
    assert isinstance(engine.nlp["de"], frozenset) and "und" in engine.nlp["de"]
    assert 0 < len(scorer._rows) <= 40 and len(scorer._shape_of) == 40


def test_policy_keeps_a_type_with_a_flag_and_masks_the_rest():
    from corpus.config import PiiConfig

    text = "Invoice from BE 0403 019 261, questions to ana.silva@example.pt please."
    keep_vat = PiiScrubber(PiiConfig(actions={"VAT_ID": "keep"}))
    doc = keep_vat(Document("f", 0, "r", text=text, lang="en"))
    assert doc.text == "Invoice from BE 0403 019 261, questions to <EMAIL> please."
    assert doc.pii_kept == ["VAT_ID"] and doc.pii_counts == {"EMAIL": 1, "VAT_ID": 1}
    masked = PiiScrubber(PiiConfig())(Document("f", 0, "r", text=text, lang="en"))
    assert masked.text == "Invoice from <VAT_ID>, questions to <EMAIL> please." and masked.pii_kept == []


def test_a_page_that_is_mostly_personal_data_is_dropped():
    from corpus.document import Drop

    directory = "Staff: " + ", ".join(f"person{i}@example.org" for i in range(12)) + "."
    outcome = SCRUBBER(Document("f", 0, "r", text=directory, lang="en"))
    assert isinstance(outcome, Drop) and outcome.reason == "pii_density"
    assert outcome.detail.startswith("EMAIL ") and outcome.detail.endswith("> 5") and "@" not in outcome.detail


@pytest.mark.parametrize("text, lang", [("Tel.: 512 345 678", "pl"), ("Tel. : 06 12 34 56 78", "fr"),
                                        ("Tel.: 512345678", "pl")])
def test_phone_words_that_are_also_stop_words_still_count_as_context(text, lang):
    # "tel" is a French and Polish stop word; Presidio skips stop words when it looks for context
    result = PiiScrubber(PiiConfig()).scrub(text, lang)
    assert [s.type for s in result.spans] == ["PHONE"]


def test_international_number_is_a_phone_not_a_payment_card():
    # 49177991234567 passes Luhn; after "+" it is a German number
    result = PiiScrubber(PiiConfig()).scrub("Mailbox: +49177991234567", "de")
    assert [s.type for s in result.spans] == ["PHONE"]


#: values of every kind the pattern recognizers look for, some with their context word, and look-alikes
_VALUES = ["jane.doe@example.org", "Tel.: +49 30 901820", "Tel.: 030 901820", "DE89 3704 0044 0532 0130 00",
           "4111 1111 1111 1111", "192.168.10.7", "2001:db8::ff00:42:8329", "PESEL 44051401359",
           "codice fiscale RSSMRA85T10A562S", "VAT FR40303265045", "BSN 111222333", "ATU13585627",
           "ISBN 978-3-16-148410-0", "1.299,00 €", "12.05.2024", "v2.14.3", "Order 4711-2024-0815"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(load_texts("de")["sentences"][:8]), st.sampled_from(_VALUES),
                          st.text(alphabet="ab 0123456789.-:@\n", max_size=30)), min_size=1, max_size=12),
       st.sampled_from(["de", "en", "fr", "it", "pl", "nl"]))
def test_property_windows_find_what_the_whole_text_finds(pieces, lang):
    """The recognizers run only on windows around triggers; they must find exactly what they find on the
    whole text (same types, same offsets, same scores)."""
    text = " ".join(pieces)
    key = lambda rs: sorted((r.entity_type, r.start, r.end, round(r.score, 6)) for r in rs)  # noqa: E731
    assert key(SCRUBBER.pattern_findings(text, lang)) == key(SCRUBBER.pattern_findings(text, lang, whole_text=True))


def test_a_page_without_triggers_is_not_analysed_at_all():
    from pii.scrub import analysis_windows

    assert analysis_windows("Ein ganz gewöhnlicher Satz ohne Nummern, am 3. Mai 2024 geschrieben.") == []
    text = "Bla bla. " * 50 + "Mail me: jane@example.org. " + "Bla bla. " * 50
    [(a, b)] = analysis_windows(text)
    assert text[a:b].count("jane@example.org") == 1 and b - a < 400 < len(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="AZMBU0129 _-:.éÉßxΩ\n", max_size=40))
def test_triggers_written_for_speed_match_their_word_boundary_forms(text):
    """The VAT and Maltese ID triggers check their word boundary after the first character (a fast scan): the
    same matches as the plain forms with a leading \\b."""
    import re

    from pii.scrub import ANALYSIS_TRIGGERS

    plain = [re.compile(r"\b[A-Z]{2}\s?[-:.]?\s?[0-9U]"), re.compile(r"\b\d{1,7}[MGAPLHBZ]\b")]
    for fast, slow in zip(ANALYSIS_TRIGGERS[-2:], plain, strict=True):
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in slow.finditer(text)]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 12), st.sampled_from([0.4, 0.6, 0.85, 1.0])),
                max_size=40))
def test_overlap_resolution_keeps_what_the_plain_pairwise_check_keeps(findings):
    """resolve_overlaps' binary search equals checking every kept finding (zero-length and touching spans too)."""
    from collections import namedtuple

    from pii.scrub import resolve_overlaps

    Finding = namedtuple("Finding", "start end score n")
    results = [Finding(start, start + length, score, i) for i, (start, length, score) in enumerate(findings)]
    kept: list = []
    for r in sorted(results, key=lambda r: (-r.score, -(r.end - r.start), r.start)):
        if all(r.end <= k.start or r.start >= k.end for k in kept):
            kept.append(r)
    assert resolve_overlaps(results) == sorted(kept, key=lambda r: r.start)
