"""Extract: trafilatura main text from the decoded HTML (menus, cookie banners and footers removed)."""

from __future__ import annotations

from corpus.config import ExtractConfig
from corpus.document import Document, Drop
from corpus.stages import Stage


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
        text = self._extract(
            html,
            url=doc.url or None,
            favor_precision=self.config.favor_precision,
            fast=self.config.fast,
            include_tables=self.config.include_tables,
            include_comments=self.config.include_comments,
            include_images=False,
            include_links=False,
            deduplicate=False,
            with_metadata=False,
            output_format="txt",
        )
        if not text or len(text.strip()) < self.config.min_chars:
            return Drop("no_main_text")
        doc.text = text.strip()
        return doc
