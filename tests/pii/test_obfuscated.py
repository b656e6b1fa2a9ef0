"""E-mail addresses written to fool harvesters ("max (at) example (dot) de") are found whole in every language;
prose with "at"/"dot" words and no valid top-level domain is not."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from corpus.config import EU_LANGUAGES, PiiConfig
from corpus.sample.generate import load_texts
from corpus.urls import offline_tld_extractor
from pii.obfuscated import (
    ALL_AT_WORDS,
    ALL_DOT_WORDS,
    AT_WORDS,
    DOT_WORDS,
    _refused_local_parts,
    at_markers,
    deobfuscate,
    find_obfuscated_emails,
)
from pii.scrub import PiiScrubber

SCRUBBER = PiiScrubber(PiiConfig())
SCRUBBER.scrub("warm up", "en")
ANALYZER = SCRUBBER._analyzer  # the scrubber's own engine (pii.engine.build_analyzer): built once for the module
SENTENCE = {lang: load_texts(lang)["sentences"][0] for lang in EU_LANGUAGES}
SUFFIXES = ("de", "fr", "com", "eu", "pl", "co.uk", "com.mt", "org", "it", "ie", "gr", "net", "cz", "info")
RESERVED = set(ALL_AT_WORDS) | set(ALL_DOT_WORDS)


def _emails(text: str, lang: str) -> list[tuple[int, int]]:
    return [(r.start, r.end) for r in ANALYZER.analyze(text=text, language=lang, entities=["EMAIL_ADDRESS"],
                                                        score_threshold=0.4)]


@pytest.mark.parametrize("address", ["max(at)example.de", "max [at] example [dot] de", "max at example dot de",
                                     "max{at}example.de", "max @ example . de", "max@example(dot)de",
                                     "max.mustermann (at) mail (punkt) example (punkt) de", "MAX AT EXAMPLE DOT DE"])
@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_forms_people_write_are_masked_whole(address, lang):
    text = f"Fragen? Schreiben Sie an {address} oder kommen Sie vorbei."
    result = SCRUBBER.scrub(text, lang)
    assert result.text == "Fragen? Schreiben Sie an <EMAIL> oder kommen Sie vorbei.", result.text
    assert [s.recognizer for s in result.spans] == ["OBFUSCATED_EMAIL"]
    assert deobfuscate(address, lang) in ("max@example.de", "max.mustermann@mail.example.de")


@pytest.mark.parametrize("lang", EU_LANGUAGES)
def test_each_language_s_own_words_for_at_and_dot(lang):
    at = (AT_WORDS[lang] or ("at",))[0]
    dot = (DOT_WORDS[lang] or ("dot",))[0]
    for address in (f"anna.novak {at} firma {dot} eu", f"anna.novak ({at}) firma ({dot}) eu"):
        text = f"{SENTENCE[lang]} {address}."
        start = len(SENTENCE[lang]) + 1
        assert _emails(text, lang) == [(start, start + len(address))], (lang, address)
        assert deobfuscate(address, lang) == "anna.novak@firma.eu"


def test_a_plain_address_is_left_to_presidio_and_reported_once():
    result = SCRUBBER.scrub("Mail anna@example.org today.", "en")
    assert [(s.type, s.recognizer) for s in result.spans] == [("EMAIL", "EmailRecognizer")]


def test_a_name_inside_an_obfuscated_address_does_not_split_it():
    text = "Írjon nekünk: eva.jansen AT studio DOT hu."
    result = SCRUBBER.scrub(text, "hu")
    assert result.text == "Írjon nekünk: <EMAIL>." and result.counts == {"EMAIL": 1}


@pytest.mark.parametrize("text, lang", [
    ("Meet me at home dot", "en"),  # no top-level domain
    ("We arrived at noon on the dot.", "en"),
    ("Contact us at example dot com for details.", "en"),  # "us": a website, not an address
    ("More information available at example dot org.", "en"),
    ("Find us at example.com or at shop.example.de.", "en"),  # plain "at" and literal dots: websites
    ("Go to max at example dot com slash offer.", "en"),  # a URL read aloud
    ("Rendez-vous at the point de départ.", "fr"),  # "the" is no domain label
    ("Hij at brood punt nl.", "nl"),  # Dutch "at" (ate) after a stop word
    ("Bhí sé ag obair ponc a haon.", "ga"),
    ("Małpa siedziała na drzewie, kropka.", "pl"),
])
def test_prose_with_at_and_dot_words_is_not_an_address(text, lang):
    assert _emails(text, lang) == []


_LABEL = st.from_regex(r"[a-z][a-z0-9]{2,9}", fullmatch=True)
_LOCAL = st.from_regex(r"[a-z][a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8})?", fullmatch=True)
_FORMS = [("(at)", "."), (" (at) ", " (dot) "), (" [at] ", " [dot] "), ("{at}", "."), (" @ ", " . "), ("@", "(dot)"),
          (" at ", " dot "), (" AT ", " DOT "), ("[ät]", "[punkt]"), (" (arobase) ", " (point) ")]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(EU_LANGUAGES), _LOCAL, st.lists(_LABEL, min_size=1, max_size=2), st.sampled_from(SUFFIXES),
       st.sampled_from(_FORMS))
def test_property_random_obfuscated_addresses_are_found_whole(lang, local, labels, suffix, form):
    at, dot = form
    refused = _refused_local_parts(lang)
    assume(local not in refused and not RESERVED & {local, *labels} and not refused & set(labels))
    address = local + at + dot.join(labels + suffix.split("."))
    text = f"{SENTENCE[lang]} {address}; {SENTENCE[lang]}"
    start = len(SENTENCE[lang]) + 1
    assert _emails(text, lang) == [(start, start + len(address))], address
    assert deobfuscate(address, lang) == f"{local}@{'.'.join(labels)}.{suffix}"
    # the scrubber's cheap test before analysis sees its at-marker, in any case
    for variant in (text, text.upper(), text.title()):
        assert any(start <= a < start + len(address) for a, _ in at_markers(variant)), variant


def _not_a_suffix(word: str) -> bool:
    return not offline_tld_extractor()(f"example.{word}").suffix


_WORD = st.from_regex(r"[a-z]{2,8}", fullmatch=True).filter(_not_a_suffix)
_SEPARATOR = st.sampled_from([" at ", " dot ", " (at) ", " [dot] ", " @ ", " . ", ".", " punkt ", " point ", " ", " "])


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["en", "de", "fr", "nl", "pl"]), st.lists(st.tuples(_WORD, _SEPARATOR), min_size=2, max_size=9),
       _WORD)
def test_property_prose_with_at_and_dot_words_and_no_valid_suffix_is_left_alone(lang, pieces, last):
    text = "".join(word + sep for word, sep in pieces) + last
    assert find_obfuscated_emails(text, lang) == []
    assert _emails(text, lang) == []


def test_at_markers_find_every_at_word_for_the_scrubber_s_prefilter():
    for word in ALL_AT_WORDS:
        assert at_markers(f"max {word} example dot com"), word
        assert at_markers(f"max {word} example.com"), word
        assert at_markers(f"max({word.upper()})example"), word
        assert at_markers(f"İstanbul: max ({word}) example"), word  # a character that lower-cases to two
    assert not at_markers("a cat sat on the mat, at home at last")  # no address can start at these
    assert at_markers("write to jane@example") == [(13, 14)]


def test_the_scrubber_analyses_every_language_s_obfuscated_address():
    for lang in EU_LANGUAGES:
        at, dot = (AT_WORDS[lang] or ("at",))[0], (DOT_WORDS[lang] or ("dot",))[0]
        result = SCRUBBER.scrub(f"{SENTENCE[lang]} anna.novak {at} firma {dot} eu.", lang)
        assert result.counts.get("EMAIL") == 1, lang
        assert "novak" not in result.text and "firma" not in result.text, lang


def test_an_obfuscated_address_has_the_fingerprint_of_the_plain_one():
    from pii.fingerprints import fingerprint

    key = b"k" * 32
    plain = fingerprint(key, "EMAIL", "Max@Example.de", "de")
    assert fingerprint(key, "EMAIL", "max (at) example (dot) de", "de") == plain
    assert fingerprint(key, "EMAIL", "max [ät] example [punkt] de", "de") == plain
    assert fingerprint(key, "EMAIL", "someone@example.de", "de") != plain
