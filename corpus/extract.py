"""Extract: the main text of the decoded HTML (menus, cookie banners and footers removed).

trafilatura by default (the best main text measured on real pages, benchmarks/extract.py); resiliparse as a
configured option (``extract.engine``), ~50x faster and with more boilerplate left in, for runs where the
extractor's cost matters more than its precision (the quality filters then remove more lines).
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

from corpus.config import ExtractConfig
from corpus.document import Document, Drop
from corpus.stages import Stage


class ExtractionTimeout(TimeoutError):
    pass


@contextmanager
def time_limit(seconds: float | None):
    """Interrupt the block after ``seconds`` (SIGALRM timer; a no-op off the main thread or when None).
    A page that sends the extractor into a very long loop is then quarantined instead of stalling a task."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise ExtractionTimeout(f"extraction took longer than {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class MainTextExtract(Stage):
    """One extractor: ``_extract_text`` (HTML, URL) -> text or None; the rest is shared."""

    name = "extract"

    def __init__(self, config: ExtractConfig):
        self.config = config

    def _extract_text(self, html: str, url: str) -> str | None:
        raise NotImplementedError

    def process(self, doc: Document) -> Document | Drop:
        html, doc.html = doc.html, None  # the HTML is not needed downstream: free it early
        if not html or not html.strip():
            return Drop("empty_html")
        with time_limit(self.config.timeout_seconds):
            text = self._extract_text(html, doc.url)
        if not text or len(text.strip()) < self.config.min_chars:
            return Drop("no_main_text")
        doc.text = text.strip()
        return doc


class TrafilaturaExtract(MainTextExtract):
    def setup(self) -> None:
        import trafilatura  # heavy import, once per worker

        self._extract = trafilatura.extract

    def _extract_text(self, html: str, url: str) -> str | None:
        return self._extract(
            html,
            url=url or None,
            favor_precision=self.config.favor_precision,
            favor_recall=self.config.favor_recall,
            fast=self.config.fast,
            include_tables=self.config.include_tables,
            include_comments=self.config.include_comments,
            include_images=False,
            include_links=False,
            deduplicate=False,
            with_metadata=False,
            output_format="txt",
        )


#: resiliparse's main-content pass is quadratic in the nesting depth of the page (10,000 nested elements: 2 s;
#: 200,000: minutes, in C code that no timer interrupts); a page nested deeper than this goes to trafilatura,
#: whose parser (lxml) caps the depth. Real pages stay far below: none of the 712 evaluation pages reaches 1,000.
MAX_DEPTH = 1000
_DEEPER_THAN_MAX = " > ".join(["*"] * MAX_DEPTH)  # an element with MAX_DEPTH - 1 ancestors


class ResiliparseExtract(MainTextExtract):
    """Resiliparse's main-content heuristics (as Dolma uses them): block structure kept as line breaks, no
    bullets, alt texts, links or form fields; comment sections only when ``include_comments``."""

    def setup(self) -> None:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree

        self._parse, self._extract = HTMLTree.parse, extract_plain_text
        self._deep_pages = TrafilaturaExtract(self.config)

    def _extract_text(self, html: str, url: str) -> str | None:
        tree = self._parse(html)  # parsed once: the depth check and the extraction share it
        if tree.document is None:
            return None
        if tree.document.query_selector(_DEEPER_THAN_MAX) is not None:  # ~1 ms on a real page, C only
            self._deep_pages.ensure_ready()
            return self._deep_pages._extract_text(html, url)
        return self._extract(tree, preserve_formatting=True, main_content=True, list_bullets=False,
                             alt_texts=False, links=False, form_fields=False, noscript=False,
                             comments=self.config.include_comments)


def build_extractor(config: ExtractConfig) -> MainTextExtract:
    return ResiliparseExtract(config) if config.engine == "resiliparse" else TrafilaturaExtract(config)
