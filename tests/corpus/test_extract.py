"""Extraction: main text without boilerplate; hostile HTML never escapes the stage chain."""

import random

import pytest

from corpus.config import ExtractConfig
from corpus.document import Document, Drop, Outcome
from corpus.extract import ResiliparseExtract, TrafilaturaExtract, build_extractor
from corpus.sample.generate import Page, load_texts, render_html
from corpus.stages import StageChain



@pytest.mark.parametrize("engine", ["trafilatura", "resiliparse"])
def test_main_text_without_menus_banners_and_footers(engine):
    stage = build_extractor(ExtractConfig(engine=engine))
    texts = load_texts("de")
    page = Page("de", "https://www.beispiel.de/a", "Titel", [" ".join(texts["sentences"][i:i + 3]) for i in (0, 3, 6)],
                "www.beispiel.de")
    doc = stage(Document("f", 0, "r", url=page.url, html=render_html(page, texts, random.Random(1))))
    assert texts["sentences"][0] in doc.text
    assert texts["cookie_banner"] not in doc.text and texts["copyright"] not in doc.text
    assert doc.html is None  # freed after extraction


@pytest.mark.parametrize("engine", ["trafilatura", "resiliparse"])
def test_hostile_html_is_dropped_or_quarantined_never_raised(engine):
    chain = StageChain([build_extractor(ExtractConfig(engine=engine))])
    hostile = [
        "<div>" * 200_000 + "deep" + "</div>" * 200_000,
        "\x00\x01\x02<html><body>" + "\ud7ff" * 10 + "</body>",
        "<html><body><p>" + "a" * 5_000_000 + "</p></body></html>",
        "",
        "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'>]><x>&a;&a;&a;</x>",
    ]
    for i, html in enumerate(hostile):
        result = chain.run(Document("f", i, str(i), html=html))
        assert isinstance(result, (Document, Outcome))
    assert chain.stats["extract"].docs_in == len(hostile)


def test_a_page_that_stalls_the_extractor_is_quarantined_on_time():
    import time

    class Stalling(TrafilaturaExtract):
        def _extract_text(self, html, url):
            time.sleep(30)  # stands in for a pathological page

    chain = StageChain([Stalling(ExtractConfig(timeout_seconds=0.5))])
    started = time.monotonic()
    outcome = chain.run(Document("f", 0, "r", html="<p>x</p>"))
    assert time.monotonic() - started < 5
    assert outcome.status == "quarantined" and outcome.detail == "ExtractionTimeout"


def test_the_configured_engine_is_the_one_that_runs():
    assert isinstance(build_extractor(ExtractConfig()), TrafilaturaExtract)
    assert isinstance(build_extractor(ExtractConfig(engine="resiliparse")), ResiliparseExtract)


def test_a_deeply_nested_page_does_not_stall_resiliparse():
    """resiliparse's main-content pass is quadratic in nesting depth and cannot be interrupted: such a page
    goes to trafilatura, whose parser gives up on it: the page is dropped (no main text) in time."""
    import time

    stage = build_extractor(ExtractConfig(engine="resiliparse"))
    text = " ".join(load_texts("en")["sentences"][:5])
    started = time.monotonic()
    doc = stage(Document("f", 0, "r", html="<div>" * 100_000 + f"<p>{text}</p>" + "</div>" * 100_000))
    assert time.monotonic() - started < 10
    assert isinstance(doc, Drop) and doc.reason == "no_main_text"
