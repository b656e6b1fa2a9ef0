"""Scrub: find personal data with Presidio and replace each value with a typed placeholder.

Fail closed: any error here propagates, and the stage chain quarantines the document, so nothing leaves
this stage unscrubbed. Only types and offsets are kept, never the values.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus

from corpus.config import EU_LANGUAGES, PiiConfig
from corpus.document import Document, Drop
from corpus.stages import Stage
from pii.engine import domain_recognizers
from pii.fingerprints import fingerprint, url_fingerprint
from pii.obfuscated import at_markers
from pii.identifiers import country_of_url
from pii.types import TYPE_NAMES


@dataclass(frozen=True, slots=True)
class PiiSpan:
    type: str
    start: int
    end: int
    recognizer: str = ""  # what found it: a Presidio recognizer, a stdnum module, crf:<model>, rule:<rule>, ner:<model>


@dataclass(frozen=True, slots=True)
class ScrubResult:
    text: str
    spans: list[PiiSpan]  # every finding, offsets into the original text
    kept: tuple[str, ...] = ()  # types left in the text by policy ("keep")

    @property
    def counts(self) -> dict[str, int]:
        """Values found per type (replaced, or left in the text where the policy keeps the type)."""
        return dict(sorted(Counter(span.type for span in self.spans).items()))

    @property
    def replaced(self) -> bool:
        return any(span.type not in self.kept for span in self.spans)

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
    """Keep the most confident, then longest, of overlapping findings (an IBAN beats the phone inside it).

    The kept findings never overlap, so in (start, end) order their ends never decrease: the one kept finding
    that can overlap a candidate is the last one starting before the candidate ends (a binary search instead of
    a scan of every kept finding; a page naming hundreds of people has hundreds of findings)."""
    kept: list = []
    spans: list[tuple[int, int]] = []  # the kept findings' (start, end), sorted
    for r in sorted(results, key=lambda r: (-r.score, -(r.end - r.start), r.start)):
        before = bisect.bisect_left(spans, (r.end,))  # kept findings starting before r ends
        if before == 0 or spans[before - 1][1] <= r.start:
            bisect.insort(spans, (r.start, r.end))
            kept.append(r)
    return sorted(kept, key=lambda r: r.start)


#: path and query separators read as line breaks: an address in a query string is not one long e-mail address
#: with the path before it, and a date path (/2024/05/12/) does not run together into a phone number
_URL_SEPARATORS_AS_LINES = str.maketrans({c: "\n" for c in "/?&=#;"})


#: six digits in a row, maybe with spaces, dots, dashes, brackets or "+" between them: phone numbers, IP
#: addresses, identifiers, IBANs and cards all have them; dates in paths (/2024/05/12/) do not
_SIX_DIGITS = re.compile(r"\d(?:[ .()+\-]*\d){5}|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|://\[")  # ... and IP hosts


#: what at least one pattern recognizer needs before it can find anything (besides ``at_markers``): separate
#: patterns, each with a literal or a character class first, which the regular expression engine scans for quickly
#: (a word boundary first would make it try every position: "\b[A-Z]{2}" is written "[A-Z](?<!\w[A-Z])[A-Z]",
#: the boundary checked once the first letter is found; same matches, ~3x faster)
ANALYSIS_TRIGGERS = tuple(re.compile(pattern) for pattern in (
    r"\d(?:[\s.()+\-/]{0,3}[A-Za-z]?\d){4}",  # five digits: phones, cards, IBANs, identifiers, "1X23456X", "14 020"
    r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",  # IPv4
    r":[0-9A-Fa-f]{0,4}:",  # IPv6: "::" or "db8:85a3:"
    r"[A-Z]{6}\d\d",  # codice fiscale
    r"[A-Z](?<!\w[A-Z])[A-Z]\s?[-:.]?\s?[0-9U]",  # VAT: \b[A-Z]{2}\s?[-:.]?\s?[0-9U]
    r"\d(?<!\w\d)\d{0,6}[MGAPLHBZ]\b",  # Maltese ID: \b\d{1,7}[MGAPLHBZ]\b
))
#: characters around a trigger that the recognizers see: the longest values (a 64-character e-mail local part, a
#: 34-character IBAN) and the context words Presidio looks for before a value fit inside with room to spare
ANALYSIS_CONTEXT = 160


def analysis_windows(text: str) -> list[tuple[int, int]]:
    """The stretches of ``text`` worth the pattern recognizers: merged windows around every trigger, cut at
    whitespace. Findings are the same as on the whole text (tests/pii/test_scrub.py), at a fraction of the cost."""
    triggers = at_markers(text)
    for pattern in ANALYSIS_TRIGGERS:
        triggers += [m.span() for m in pattern.finditer(text)]
    windows: list[list[int]] = []
    for start, end in sorted(triggers):
        a, b = max(0, start - ANALYSIS_CONTEXT), min(len(text), end + ANALYSIS_CONTEXT)
        if a > 0:
            a = max(text.rfind(" ", 0, a), text.rfind("\n", 0, a)) + 1
        if b < len(text):
            b = min((i for i in (text.find(" ", b), text.find("\n", b)) if i != -1), default=len(text))
        if windows and a <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], b)
        else:
            windows.append([a, b])
    return [(a, b) for a, b in windows]


def url_may_hold_personal_data(decoded: str) -> bool:
    """A cheap test before the recognizers: an '@', six digits, or a capitalised word after the host."""
    if "@" in decoded or _SIX_DIGITS.search(decoded):
        return True
    rest = decoded.split("://", 1)[-1].partition("/")[2]
    return any(a.isupper() and b.islower() for a, b in zip(rest, rest[1:]))


def url_for_scrubbing(url: str) -> str:
    """A URL as text: percent-escapes decoded (``jane%40example.eu``), '+' in the query read as a space, so the
    recognizers see the values people put in paths and query strings."""
    path, sep, query = url.partition("?")
    return unquote(path) + sep + unquote_plus(query)


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
        self._names = NameFinder(self.config.ner_models, self.config.ner_prefilter, self.config.name_tagger,
                                 self.config.name_threshold)
        self._key = load_key(self.config)
        self._supported_entities: dict[str, set[str]] = {}

    def scrub(self, text: str, lang: str | None, url: str = "") -> ScrubResult:
        """Scrub ``text``; the page's language and its domain's country choose the phone regions and the
        national identifiers looked for."""
        self.ensure_ready()
        language = lang if lang in self.languages else "en"
        findings = self.pattern_findings(text, language, url)
        # a bare run of digits with no phone word near it is more likely an order or customer number
        findings = [r for r in findings if not (r.entity_type == "PHONE_NUMBER" and text[r.start:r.end].isdigit()
                                                 and r.score < BARE_DIGITS_PHONE_SCORE)
                    # a Luhn-valid run right after "+" is an international phone number, never a card
                    and not (r.entity_type == "CREDIT_CARD" and text[max(r.start - 1, 0):r.start] == "+")]
        if "PERSON" in self.config.entities:
            findings = list(findings) + self._names.find(text, language)
        spans = [PiiSpan(TYPE_NAMES.get(r.entity_type, r.entity_type), r.start, r.end, recognizer_of(r))
                 for r in resolve_overlaps(findings)]
        return self.replace(text, spans)

    def pattern_findings(self, text: str, language: str, url: str = "", whole_text: bool = False) -> list:
        """Presidio's findings (pattern and validator recognizers) in ``text``: on the windows around triggers
        (``analysis_windows``), or on the whole text, which finds the same at several times the cost."""
        self.ensure_ready()
        extra = domain_recognizers(language, country_of_url(url))
        # only entities some recognizer of this language (or domain) finds: Presidio warns on the others
        supported = self._supported(language) | {e for r in extra for e in r.supported_entities}
        entities = [e for e in self.config.entities if e in supported]
        findings = []
        for a, b in [(0, len(text))] if whole_text else analysis_windows(text):
            for result in self._analyzer.analyze(text=text[a:b], language=language, entities=entities,
                                                 score_threshold=self.config.score_threshold,
                                                 ad_hoc_recognizers=extra or None):
                result.start, result.end = result.start + a, result.end + a
                findings.append(result)
        return findings

    def replace(self, text: str, spans: list[PiiSpan]) -> ScrubResult:
        """``text`` with each span replaced by its placeholder, except types the policy keeps."""
        pieces, cursor, kept = [], 0, set()
        for span in spans:
            if self.config.actions.get(span.type, "mask") == "keep":
                kept.add(span.type)
                continue
            pieces += [text[cursor:span.start], self.config.placeholder.format(type=span.type)]
            cursor = span.end
        pieces.append(text[cursor:])
        return ScrubResult("".join(pieces), spans, tuple(sorted(kept)))

    def scrub_url(self, url: str, lang: str | None) -> ScrubResult:
        """A URL scrubbed like text: read with escapes decoded and its separators as line breaks, each value found
        replaced in the decoded URL (same offsets)."""
        decoded = url_for_scrubbing(url)
        if not url_may_hold_personal_data(decoded):  # most URLs: no analyzer call at all
            return ScrubResult(decoded, [])
        view = decoded.translate(_URL_SEPARATORS_AS_LINES)
        return self.replace(decoded, self.scrub(view, lang, url).spans)

    def name_method(self, lang: str) -> str:
        """How person names are found in ``lang``: "crf:<model>@<version>[+ner:<pipeline>]+rules"."""
        self.ensure_ready()
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
                # the page goes with every value in it: counted as dropped with the page, per type
                return Drop("pii_density", f"{type_name} {density:.2f} per 1000 chars > {limit:g}", result.counts)
        return None

    def process(self, doc: Document) -> Document | Drop:
        result = self.scrub(doc.text, doc.lang, doc.url)
        if drop := self.too_dense(result, len(doc.text)):
            return drop
        # the URL is published too: e-mail addresses, numbers and names in its path or query are scrubbed
        # like text; the original URL's keyed fingerprint is kept so an erasure by URL still finds the page
        url_result = self.scrub_url(doc.url, doc.lang)
        found = [(doc.text, s) for s in result.spans]
        if url_result.spans:  # (rare: most URLs never reach the recognizers)
            url_text = url_for_scrubbing(doc.url)
            found += [(url_text, s) for s in url_result.spans]
        if self._key is not None:
            doc.pii_fingerprints = sorted({fingerprint(self._key, s.type, text[s.start:s.end], doc.lang)
                                           for text, s in found})
        if url_result.replaced:
            if self._key is not None:
                doc.url_fingerprint = url_fingerprint(self._key, doc.url)
            doc.url = url_result.text
        doc.text, doc.pii_kept = result.text, sorted(set(result.kept) | set(url_result.kept))
        doc.pii_counts = dict(sorted(Counter(s.type for _, s in found).items()))
        doc.pii_recognizers = dict(sorted((Counter(result.recognizer_counts)
                                           + Counter(url_result.recognizer_counts)).items()))
        return doc
