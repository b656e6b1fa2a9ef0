"""Scrub: find personal data with Presidio and replace each value with a typed placeholder.

Fail closed: any error here propagates, and the stage chain quarantines the document, so nothing leaves
this stage unscrubbed. Only types and offsets are kept, never the values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from corpus.config import EU_LANGUAGES, PiiConfig
from corpus.document import Document, Drop
from corpus.stages import Stage

#: Presidio entity -> the short type name used in placeholders, counts and reports.
TYPE_NAMES = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "CREDIT_CARD",
    "IP_ADDRESS": "IP_ADDRESS",
    "NATIONAL_ID": "NATIONAL_ID",  # personal identifiers of the member states (pii/identifiers.py)
    "TAX_ID": "TAX_ID",
    "SOCIAL_SECURITY": "SOCIAL_SECURITY",
    "VAT_ID": "VAT_ID",
}


@dataclass(frozen=True, slots=True)
class PiiSpan:
    type: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ScrubResult:
    text: str
    spans: list[PiiSpan]  # offsets into the original text

    @property
    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(span.type for span in self.spans).items()))


def resolve_overlaps(results) -> list:
    """Keep the most confident, then longest, of overlapping findings (an IBAN beats the phone inside it)."""
    kept: list = []
    for r in sorted(results, key=lambda r: (-r.score, -(r.end - r.start), r.start)):
        if all(r.end <= k.start or r.start >= k.end for k in kept):
            kept.append(r)
    return sorted(kept, key=lambda r: r.start)


class PiiScrubber(Stage):
    name = "pii"

    def __init__(self, config: PiiConfig, languages: tuple[str, ...] = EU_LANGUAGES):
        self.config = config
        self.languages = languages

    def setup(self) -> None:
        from pii.engine import build_analyzer

        self._analyzer = build_analyzer(self.languages)

    def scrub(self, text: str, lang: str | None, url: str = "") -> ScrubResult:
        """Scrub ``text``; the page's language and its domain's country choose the phone regions and the
        national identifiers looked for."""
        from pii.engine import domain_recognizers
        from pii.identifiers import country_of_url

        if not self._ready:
            self.setup()
            self._ready = True
        language = lang if lang in self.languages else "en"
        findings = self._analyzer.analyze(
            text=text,
            language=language,
            entities=list(self.config.entities),
            score_threshold=self.config.score_threshold,
            ad_hoc_recognizers=domain_recognizers(language, country_of_url(url)) or None,
        )
        spans, pieces, cursor = [], [], 0
        for r in resolve_overlaps(findings):
            type_name = TYPE_NAMES.get(r.entity_type, r.entity_type)
            spans.append(PiiSpan(type_name, r.start, r.end))
            pieces += [text[cursor:r.start], self.config.placeholder.format(type=type_name)]
            cursor = r.end
        pieces.append(text[cursor:])
        return ScrubResult("".join(pieces), spans)

    def process(self, doc: Document) -> Document | Drop:
        result = self.scrub(doc.text, doc.lang, doc.url)
        doc.text, doc.pii_counts = result.text, result.counts
        return doc
