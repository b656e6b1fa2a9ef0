"""Opt-outs and blocklists: text-and-data-mining reservations (EU DSM Directive Art. 4(3)) are honoured
before any content is extracted.

A page is dropped, with the reason recorded, when
* its response carries ``tdm-reservation: 1`` (W3C TDMRep header) or its HTML has
  ``<meta name="tdm-reservation" content="1">``  -> ``tdm_reservation``;
* its HTML robots meta or ``X-Robots-Tag`` header says ``noai`` or ``noimageai``  -> ``robots_noai``;
* its domain or URL is on an operator-supplied list: a blocklist (``blocklisted``) or an opt-out list, e.g.
  from removal requests (``opted_out``). The detail says whether the domain or the URL matched.

List files: one entry per line, ``#`` starts a comment. An entry with ``://`` is a URL prefix; anything else
is a domain, which also covers its subdomains. Files are read with fsspec (local, https, s3).
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from corpus.config import OptOutConfig
from corpus.document import Document, Drop
from corpus.stages import Stage

_AI_DIRECTIVES = frozenset({"noai", "noimageai"})
_HEAD_BYTES = 65_536  # meta tags live in <head>; never scan a whole large page


class _MetaCollector(HTMLParser):
    """Collects ``<meta name=... content=...>`` pairs until ``</head>`` or ``<body>``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.done = False

    def handle_starttag(self, tag, attrs):
        if tag == "meta":
            a = {k.lower(): (v or "") for k, v in attrs}
            name = a.get("name") or a.get("http-equiv") or ""
            if name:
                self.meta.append((name.strip().lower(), a.get("content", "").strip().lower()))
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag):
        if tag == "head":
            self.done = True


#: what a head that opts out must contain (lower case), unless character references spell it
_OPT_OUT_WORDS = ("tdm-reservation", "noai", "noimageai")
#: the characters of those words (lower case): a numeric character reference that stands for none of them
#: ("&#8211;", "&#233;", nearly all of them) cannot help spell one. Named references cannot either: the only
#: one that lower-cases to such a character, "&Idot;", brings a combining dot along, and an opt-out must be the
#: exact word
_OPT_OUT_CHARACTERS = frozenset("".join(_OPT_OUT_WORDS))
_NUMERIC_REFERENCE = re.compile(r"&#(?:[0-9]+|[xX][0-9a-fA-F]+);?")  # as html.unescape reads them
_HEAD_END = re.compile("</head>", re.IGNORECASE)


def head_meta(html: str, only_if_marked: bool = False) -> list[tuple[str, str]]:
    """The ``<meta>`` (name, content) pairs of the page's head. ``only_if_marked``: [] without parsing when
    the head cannot hold an opt-out: none of its words, nor a numeric reference that could spell one (nearly
    every page: parsing was ~2 ms of a real page; a third of real heads hold some "&#")."""
    head = html[:_HEAD_BYTES]
    if end := _HEAD_END.search(head):
        head = head[: end.end()]
    if only_if_marked and not may_opt_out(head):
        return []
    parser = _MetaCollector()
    parser.feed(head)
    return parser.meta


def may_opt_out(head: str) -> bool:
    """Whether a meta tag in ``head`` may name an opt-out once its character references are read: an opt-out
    word in any case, or a numeric reference to one of their characters ("n&#111;ai")."""
    lowered = head.lower()
    if any(word in lowered for word in _OPT_OUT_WORDS):
        return True
    return "&#" in head and any(not _OPT_OUT_CHARACTERS.isdisjoint(unescape(ref).lower())
                                for ref in _NUMERIC_REFERENCE.findall(head))


def _directives(value: str) -> set[str]:
    """``"otherbot: noindex, noai"`` -> {"noindex", "noai"} (a user-agent prefix applies to us as well)."""
    return {part.strip().rsplit(":", 1)[-1].strip() for part in value.lower().split(",")}


class UrlList:
    """Domains (with their subdomains) and URL prefixes, from list files."""

    def __init__(self, entries: list[str]):
        self.domains = {e.lower().strip(".") for e in entries if "://" not in e}
        self.prefixes = tuple(sorted({e for e in entries if "://" in e}))

    @classmethod
    def from_files(cls, paths: tuple[str, ...]) -> "UrlList":
        import fsspec

        entries: list[str] = []
        for path in paths:
            with fsspec.open(path, "rt", encoding="utf-8") as f:
                for line in f:
                    entry = line.split("#", 1)[0].strip()
                    if entry:
                        entries.append(entry)
        return cls(entries)

    def __bool__(self) -> bool:
        return bool(self.domains or self.prefixes)

    def match(self, url: str) -> str | None:
        """"domain" or "url" when listed, else None."""
        host = (urlsplit(url).hostname or "").lower().strip(".")
        labels = host.split(".")
        if any(".".join(labels[i:]) in self.domains for i in range(len(labels))):
            return "domain"
        if self.prefixes and url.startswith(self.prefixes):
            return "url"
        return None


class OptOutFilter(Stage):
    name = "optout"

    def __init__(self, config: OptOutConfig):
        self.config = config

    def setup(self) -> None:
        self.blocklist = UrlList.from_files(self.config.blocklist_files)
        self.optouts = UrlList.from_files(self.config.optout_files)

    def process(self, doc: Document) -> Document | Drop:
        for reason, listed in (("blocklisted", self.blocklist), ("opted_out", self.optouts)):
            if listed and (kind := listed.match(doc.url)):
                return Drop(reason, kind)
        headers = doc.http_headers
        if self.config.honour_tdm_reservation and headers.get("tdm-reservation", "").strip() == "1":
            return Drop("tdm_reservation", "header")
        if self.config.honour_robots_noai and _directives(headers.get("x-robots-tag", "")) & _AI_DIRECTIVES:
            return Drop("robots_noai", "header")
        for name, content in head_meta(doc.html or "", only_if_marked=True):
            if self.config.honour_tdm_reservation and name == "tdm-reservation" and content == "1":
                return Drop("tdm_reservation", "meta")
            if self.config.honour_robots_noai and name == "robots" and _directives(content) & _AI_DIRECTIVES:
                return Drop("robots_noai", "meta")
        return doc
