"""E-mail addresses as people hide them from harvesters: ``max(at)example.de``, ``max [at] example [dot] de``,
``max at example dot de``, ``max{at}example.de``, ``max @ example . de``, ``jan (małpa) firma (kropka) pl``.

Forms, from safest to riskiest:

* the at-sign or its word in brackets (``(at)``, ``[at]``, ``{ät}``, ``<arobase>``, ``(@)``), or ``@`` with a space
  beside it: any dots (``.``, `` . ``, ``(dot)``, ``punkt``) may follow;
* ``@`` written plainly with an obfuscated dot after it (``max@example(dot)de``); a plain address with only
  literal dots is left to Presidio's e-mail recognizer;
* the at-word written as a plain word (``max at example dot de``): only the words of the page's language (and
  English "at"/"dot"), at least one dot written as a word or in brackets (``find us at example.com`` is a
  website), and a local part that is not a stop word or a word that announces a website ("visit us at ...").

Every form needs a de-obfuscated domain whose top-level domain is on the Public Suffix List (tldextract's
bundled snapshot, offline), so "meet me at home dot" never fires. A domain followed by ``/`` or "slash" is a
URL read aloud, not an address.
"""

from __future__ import annotations

import re
from functools import lru_cache

from corpus.config import EU_LANGUAGES
from corpus.urls import offline_tld_extractor

#: the words people write for "@" in each language, besides the sign itself. English "at" is understood in
#: every language. Plain (unbracketed) words are looked for only in their own language.
AT_WORDS: dict[str, tuple[str, ...]] = {
    "bg": ("маймунка", "кльомба"), "cs": ("zavináč", "zavinac"), "da": ("snabel-a", "snabela"), "de": ("ät",),
    "el": ("παπάκι", "παπακι"), "en": (), "es": ("arroba",), "et": ("ät",), "fi": ("ät", "miukumauku"),
    "fr": ("arobase", "arobas", "arrobase", "arobace"), "ga": ("ag",), "hr": ("afna",), "hu": ("kukac",),
    "it": ("chiocciola", "chiocciolina"), "lt": ("eta",), "lv": ("et",), "mt": (), "nl": ("apenstaartje", "apestaartje"),
    "pl": ("małpa", "małpka", "malpa", "malpka"), "pt": ("arroba",), "ro": ("arond", "a-rond"),
    "sk": ("zavináč", "zavinac"), "sl": ("afna",), "sv": ("snabel-a", "snabela"),
}
#: the words for "." (in an address) in each language; English "dot" is understood in every language
DOT_WORDS: dict[str, tuple[str, ...]] = {
    "bg": ("точка",), "cs": ("tečka", "tecka"), "da": ("punktum", "prik"), "de": ("punkt",), "el": ("τελεία", "τελεια"),
    "en": (), "es": ("punto",), "et": ("punkt",), "fi": ("piste",), "fr": ("point",), "ga": ("ponc",),
    "hr": ("točka", "tocka"), "hu": ("pont",), "it": ("punto",), "lt": ("taškas", "taskas"), "lv": ("punkts",),
    "mt": ("punt", "tikka"), "nl": ("punt",), "pl": ("kropka",), "pt": ("ponto",), "ro": ("punct",),
    "sk": ("bodka",), "sl": ("pika",), "sv": ("punkt",),
}
ALL_AT_WORDS = ("at",) + tuple(sorted({w for words in AT_WORDS.values() for w in words}))
ALL_DOT_WORDS = ("dot",) + tuple(sorted({w for words in DOT_WORDS.values() for w in words}))

#: any at-marker of any language, "@" or an at-word, plain or bracketed (what ``at_markers`` looks for quickly)
AT_MARKER_PATTERN = r"@|(?<!\w)(?i:" + "|".join(re.escape(w) for w in sorted(ALL_AT_WORDS, key=len, reverse=True)) + r")(?!\w)"

#: words before a plain " at " that announce a website, not an address ("available at example dot com");
#: stop words of the page's language and of English are refused too ("contact us at ...", "email me at ...",
#: and as domain labels: "rendez-vous at the point de")
WEBSITE_WORDS = frozenset({
    "available", "online", "website", "site", "page", "homepage", "visit", "visiting", "found", "located", "listed",
    "published", "posted", "hosted", "live", "store", "shop", "blog", "podcast", "offer", "deal", "details",
    "information", "download", "stream", "streaming", "watch", "read", "apply", "register", "book", "buy",
    "order", "tickets", "subscribe", "look", "looking", "go", "check", "click", "login", "sign",
})

#: score of a finding: a bracketed or spaced at-sign with a valid top-level domain is as sure as a plain address
#: (Presidio scores those 1.0), a plain "at" a little less; both above a name found inside the address ("eva")
STRONG_SCORE, PLAIN_SCORE = 1.0, 0.9
ENTITY = "EMAIL_ADDRESS"

_SP = r"[ \t\u00a0\u202f]"
_OPEN, _CLOSE = r"[(\[{<]", r"[)\]}>]"
_LOCAL_LABEL = r"[\w+%'-]+"  # the local part's pieces between dots (RFC 5322 atoms people use)
_LABEL = r"[^\W_](?:[\w-]{0,62}[^\W_])?"  # a domain label (internationalised letters allowed)


def _words(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _at(lang: str) -> str:
    return (rf"(?P<at_bracket>{_SP}*{_OPEN}{_SP}*(?:@|{_words(ALL_AT_WORDS)}){_SP}*{_CLOSE}{_SP}*)"
            rf"|(?P<at_spaced>{_SP}+@{_SP}*|@{_SP}+)"
            rf"|(?P<at_sign>@)"
            rf"|(?P<at_word>{_SP}+(?:{_words(('at',) + AT_WORDS.get(lang, ()))}){_SP}+)")


def _dot(lang: str, named: bool) -> str:
    g = (lambda name: f"?P<{name}>") if named else (lambda name: "?:")
    return (rf"({g('dot_bracket')}{_SP}*{_OPEN}{_SP}*(?:\.|{_words(ALL_DOT_WORDS)}){_SP}*{_CLOSE}{_SP}*)"
            rf"|({g('dot_literal')}\.)"
            rf"|({g('dot_spaced')}{_SP}+\.{_SP}+)"
            rf"|({g('dot_word')}{_SP}+(?:{_words(('dot',) + DOT_WORDS.get(lang, ()))}){_SP}+)")


@lru_cache(maxsize=None)
def _patterns(lang: str) -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    """(the at-marker, the local part ending where the marker starts, the domain, one domain piece) for ``lang``."""
    dot = _dot(lang, named=False)
    marker = re.compile(_at(lang), re.IGNORECASE)
    local = re.compile(rf"(?<![\w.+%'@-]){_LOCAL_LABEL}(?:(?:{dot}){_LOCAL_LABEL})*\Z", re.IGNORECASE)
    domain = re.compile(rf"{_LABEL}(?:(?:{dot}){_LABEL})+", re.IGNORECASE)
    piece = re.compile(rf"(?P<label>{_LABEL})(?:{_dot(lang, named=True)})?", re.IGNORECASE)
    return marker, local, domain, piece


@lru_cache(maxsize=None)
def _refused_local_parts(lang: str) -> frozenset[str]:
    """Words that are never the local part of a plainly written address: stop words and website words."""
    from filters.stopwords import spacy_stop_words

    words = set(WEBSITE_WORDS)
    for code in {lang, "en"}:  # a language spaCy lacks (Maltese) has none: not needed to stay safe
        words |= spacy_stop_words(code)
    return frozenset(w.lower() for w in words)


_URL_TAIL = re.compile(rf"/|{_SP}+(?:slash|schrägstrich|barra|barre|lomítko|ukośnik)\b", re.IGNORECASE)


#: what follows an at-word that may start an address: a closing bracket ("(at)"), or a domain label then a dot of
#: some kind (a bracket, ".", or a dot-word of any language)
_AFTER_AT_WORD = re.compile(rf"{_SP}*{_CLOSE}|{_SP}+{_LABEL}(?:{_SP}*[(\[{{<.]|{_SP}+(?:{_words(ALL_DOT_WORDS)})(?!\w))",
                            re.IGNORECASE)
_AT_MARKER = re.compile(AT_MARKER_PATTERN)


def at_markers(text: str) -> list[tuple[int, int]]:
    """Spans of the at-markers in ``text`` that may start an obfuscated address in any language: every "@", and
    every at-word (any case) followed by a closing bracket or by a domain label and a dot of some kind. Every
    address ``find_obfuscated_emails`` finds has one. The scrubber's cheap test before analysis (pii/scrub.py):
    plain string searches on the lower-cased text, several times faster than the at-word pattern, which also
    stops at every "at" and "et" of prose."""
    low = text.lower()
    if len(low) != len(text):  # a character that lower-cases to two ("İ"): offsets would shift
        candidates = [m.span() for m in _AT_MARKER.finditer(text)]
    else:
        candidates = []
        for word in ("@", *ALL_AT_WORDS):
            at = low.find(word)
            while at != -1:
                end = at + len(word)
                if word == "@" or ((at == 0 or not _word_character(low[at - 1]))
                                   and (end == len(low) or not _word_character(low[end]))):
                    candidates.append((at, end))
                at = low.find(word, at + 1)
    return sorted((a, b) for a, b in candidates if text[a] == "@" or _AFTER_AT_WORD.match(text, b))


def _word_character(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what "\w" matches


def find_obfuscated_emails(text: str, lang: str) -> list[tuple[int, int, float, str]]:
    """(start, end, score, address) of every obfuscated address in ``text``: the span covers the whole written
    form, brackets included; ``address`` is the de-obfuscated ``local@domain``.

    Each at-marker is looked at in turn (most pages have a few "at"s and no address): the local part must end
    right before it and the domain start right after it."""
    lang = lang if lang in DOT_WORDS else "en"
    marker_re, local_re, domain_re, piece_re = _patterns(lang)
    found: list = []
    for marker in marker_re.finditer(text):
        if found and marker.start() < found[-1][1]:
            continue
        local = local_re.search(text, max(0, marker.start() - _MAX_LOCAL), marker.start())
        domain = domain_re.match(text, marker.end()) if local else None
        if domain is None:
            continue
        at_kind = next(k for k in ("at_bracket", "at_spaced", "at_sign", "at_word") if marker.group(k) is not None)
        hit = _validate(text, local, at_kind, domain, piece_re, lang)
        if hit is not None:
            found.append(hit)
    return found


_MAX_LOCAL = 96  # characters: a 64-character local part, with room for obfuscated dots


def _validate(text: str, local_match: re.Match, at_kind: str, domain_match: re.Match, piece: re.Pattern, lang: str):
    labels, seps, pos, end = [], [], domain_match.start(), domain_match.end()
    while pos < end:
        p = piece.match(text, pos, end)
        if p is None:  # cannot happen: the domain matched the same grammar
            return None
        labels.append((p.start("label"), p.end("label")))
        kind = next((k for k in ("dot_bracket", "dot_literal", "dot_spaced", "dot_word") if p.group(k) is not None), None)
        if kind is not None:
            seps.append(kind)
        pos = p.end()
    local = local_match.group()
    refused = _refused_local_parts(lang) if at_kind == "at_word" else frozenset()
    if local.lower() in refused:
        return None
    extract = offline_tld_extractor()
    # the longest run of labels that ends in a public suffix ("example.de." at a sentence's end: "example.de")
    for k in range(len(labels), 1, -1):
        used = seps[:k - 1]
        if at_kind == "at_sign" and all(s == "dot_literal" for s in used):
            return None  # a plain address: Presidio's e-mail recognizer reports it
        if at_kind == "at_word" and not any(s in ("dot_word", "dot_bracket") for s in used):
            continue  # "find us at example.com": a website
        span_end = labels[k - 1][1]
        domain = ".".join(text[a:b] for a, b in labels[:k]).lower()
        parts = extract(domain)
        if not parts.suffix:  # ("mail.pl" is itself a public suffix: an address there is still one)
            continue
        # "rendez-vous at the point de": in a plainly written address no label before the suffix is a stop word
        if refused and any(label in refused for label in domain.split(".")[:k - 1 - parts.suffix.count(".")]):
            return None
        if at_kind in ("at_word", "at_spaced") or "dot_word" in used:
            if _URL_TAIL.match(text, span_end):  # "example dot com slash offer": a URL read aloud
                return None
        address = f"{_clean_local(local, lang)}@{domain}"
        return local_match.start(), span_end, PLAIN_SCORE if at_kind == "at_word" else STRONG_SCORE, address
    return None


def _clean_local(local: str, lang: str) -> str:
    """The local part with its obfuscated dots written as dots."""
    return _local_dot(lang).sub(".", local).lower()


@lru_cache(maxsize=None)
def _local_dot(lang: str) -> re.Pattern:
    return re.compile(_dot(lang, named=False), re.IGNORECASE)


def deobfuscate(value: str, lang: str | None = None) -> str | None:
    """``max (at) example (dot) de`` -> ``max@example.de``; None when ``value`` is not one obfuscated address.
    For keyed fingerprints: an erasure request names the plain address."""
    hits = find_obfuscated_emails(value.strip(), lang or "en")
    return hits[0][3] if len(hits) == 1 and hits[0][0] == 0 and hits[0][1] == len(value.strip()) else None


def obfuscated_email_recognizer(language: str):
    """A Presidio recognizer reporting obfuscated addresses as EMAIL_ADDRESS in ``language``."""
    from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult

    class ObfuscatedEmailRecognizer(EntityRecognizer):
        def load(self) -> None:
            offline_tld_extractor()
            _patterns(language)

        def analyze(self, text: str, entities, nlp_artifacts=None):
            if ENTITY not in entities:
                return []
            return [RecognizerResult(
                ENTITY, start, end, score,
                analysis_explanation=AnalysisExplanation("ObfuscatedEmailRecognizer", score),
                recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                      RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
                for start, end, score, _ in find_obfuscated_emails(text, language)]

    return ObfuscatedEmailRecognizer(supported_entities=[ENTITY], name=f"OBFUSCATED_EMAIL_{language}",
                                     supported_language=language)


assert set(AT_WORDS) == set(DOT_WORDS) == set(EU_LANGUAGES)
