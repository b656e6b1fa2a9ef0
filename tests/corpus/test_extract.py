"""Extraction: main text without boilerplate; hostile HTML never escapes the stage chain."""

import random

from corpus.config import ExtractConfig
from corpus.document import Document, Outcome
from corpus.extract import TrafilaturaExtract
from corpus.sample.generate import Page, load_texts, render_html
from corpus.stages import StageChain

STAGE = TrafilaturaExtract(ExtractConfig())


def test_main_text_without_menus_banners_and_footers():
    texts = load_texts("de")
    page = Page("de", "https://www.beispiel.de/a", "Titel", [" ".join(texts["sentences"][i:i + 3]) for i in (0, 3, 6)],
                "www.beispiel.de")
    doc = STAGE(Document("f", 0, "r", url=page.url, html=render_html(page, texts, random.Random(1))))
    assert texts["sentences"][0] in doc.text
    assert texts["cookie_banner"] not in doc.text and texts["copyright"] not in doc.text
    assert doc.html is None  # freed after extraction


def test_hostile_html_is_dropped_or_quarantined_never_raised():
    chain = StageChain([TrafilaturaExtract(ExtractConfig())])
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
