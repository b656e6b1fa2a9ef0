"""The bundled sample crawl: WARC files generated reproducibly from texts in ``texts/``."""
