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
from pii.engine import domain_recognizers
from pii.fingerprints import fingerprint
from pii.identifiers import country_of_url

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
    "PERSON": "PERSON",  # pii/names.py
}


@dataclass(frozen=True, slots=True)
class PiiSpan:
    type: str
    start: int
    end: int
    recognizer: str = ""  # which recognizer found it (Presidio's name, a stdnum module, ner:<model>, fallback)


@dataclass(frozen=True, slots=True)
class ScrubResult:
    text: str
    spans: list[PiiSpan]  # every finding, offsets into the original text
    kept: tuple[str, ...] = ()  # types left in the text by policy ("keep")

    @property
    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(span.type for span in self.spans).items()))

    @property
    def recognizer_counts(self) -> dict[str, int]:
        """"TYPE/recognizer" -> findings: which recognizer earns its keep, per type (compliance report)."""
        return dict(sorted(Counter(f"{span.type}/{span.recognizer}" for span in self.spans).items()))


def recognizer_of(result) -> str:
    """A finding's recognizer, without the per-language suffix our recognizers carry."""
    if hasattr(result, "method"):  # a name (pii/names.py)
        return result.method
    name = (result.recognition_metadata or {}).get("recognizer_name", "") if hasattr(result, "recognition_metadata") else ""
    return name.rsplit("_", 1)[0] if name.rsplit("_", 1)[-1] in _LANGUAGE_SUFFIXES else name


_LANGUAGE_SUFFIXES = frozenset(EU_LANGUAGES)

#: Presidio scores every phone match 0.4, and 0.75 with a context word; bare digits need the context
BARE_DIGITS_PHONE_SCORE = 0.5


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

        from pii.fingerprints import load_key

        from pii.names import NameFinder

        self._analyzer = build_analyzer(self.languages)
        self._names = NameFinder(self.config.ner_models, self.config.ner_prefilter)
        self._key = load_key(self.config)
        self._supported_entities: dict[str, set[str]] = {}

    def scrub(self, text: str, lang: str | None, url: str = "") -> ScrubResult:
        """Scrub ``text``; the page's language and its domain's country choose the phone regions and the
        national identifiers looked for."""
        if not self._ready:
            self.setup()
            self._ready = True
        language = lang if lang in self.languages else "en"
        extra = domain_recognizers(language, country_of_url(url))
        # only entities some recognizer of this language (or domain) finds: Presidio warns on the others
        supported = self._supported(language) | {e for r in extra for e in r.supported_entities}
        findings = self._analyzer.analyze(
            text=text,
            language=language,
            entities=[e for e in self.config.entities if e in supported],
            score_threshold=self.config.score_threshold,
            ad_hoc_recognizers=extra or None,
        )
        # a bare run of digits with no phone word near it is more likely an order or customer number
        findings = [r for r in findings if not (r.entity_type == "PHONE_NUMBER" and text[r.start:r.end].isdigit()
                                                 and r.score < BARE_DIGITS_PHONE_SCORE)
                    # a Luhn-valid run right after "+" is an international phone number, never a card
                    and not (r.entity_type == "CREDIT_CARD" and text[max(r.start - 1, 0):r.start] == "+")]
        if "PERSON" in self.config.entities:
            findings = list(findings) + self._names.find(text, language)
        spans, pieces, cursor, kept = [], [], 0, set()
        for r in resolve_overlaps(findings):
            type_name = TYPE_NAMES.get(r.entity_type, r.entity_type)
            spans.append(PiiSpan(type_name, r.start, r.end, recognizer_of(r)))
            if self.config.actions.get(type_name, "mask") == "keep":
                kept.add(type_name)
                continue
            pieces += [text[cursor:r.start], self.config.placeholder.format(type=type_name)]
            cursor = r.end
        pieces.append(text[cursor:])
        return ScrubResult("".join(pieces), spans, tuple(sorted(kept)))

    def name_method(self, lang: str) -> str:
        """How person names are found in ``lang``: "ner:<pipeline>" or "fallback"."""
        if not self._ready:
            self.setup()
            self._ready = True
        return self._names.method(lang)

    def _supported(self, language: str) -> set[str]:
        if language not in self._supported_entities:
            self._supported_entities[language] = set(self._analyzer.get_supported_entities(language))
        return self._supported_entities[language]

    def too_dense(self, result: ScrubResult, n_chars: int) -> Drop | None:
        """A page that is mostly personal data (a staff directory, a leaked list) is dropped, not masked."""
        for type_name, n in result.counts.items():
            limit = self.config.drop_density.get(type_name)
            density = 1000 * n / max(n_chars, 1)
            if limit is not None and n >= self.config.drop_min_findings and density > limit:
                return Drop("pii_density", f"{type_name} {density:.2f} per 1000 chars > {limit:g}")
        return None

    def process(self, doc: Document) -> Document | Drop:
        result = self.scrub(doc.text, doc.lang, doc.url)
        if drop := self.too_dense(result, len(doc.text)):
            return drop
        if self._key is not None:
            doc.pii_fingerprints = sorted({fingerprint(self._key, s.type, doc.text[s.start:s.end], doc.lang)
                                           for s in result.spans})
        doc.text, doc.pii_counts, doc.pii_kept = result.text, result.counts, list(result.kept)
        doc.pii_recognizers = result.recognizer_counts
        return doc
