"""Extract: trafilatura main text from the decoded HTML (menus, cookie banners and footers removed)."""

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


class TrafilaturaExtract(Stage):
    name = "extract"

    def __init__(self, config: ExtractConfig):
        self.config = config

    def setup(self) -> None:
        import trafilatura  # heavy import, once per worker

        self._extract = trafilatura.extract

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
