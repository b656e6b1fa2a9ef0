"""Opt-outs: TDMRep header/meta, robots noai, operator blocklists and opt-out lists."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.config import OptOutConfig
from corpus.document import Document, Drop
from filters.optout import OptOutFilter, UrlList, head_meta

HTML = '<html><head><meta charset="utf-8">{meta}<title>t</title></head><body><p>text</p>{body}</body></html>'


def _doc(url="https://www.example.eu/a", headers=None, meta="", body=""):
    return Document("f", 0, "r", url=url, http_headers=headers or {}, html=HTML.format(meta=meta, body=body))


def _stage(**config) -> OptOutFilter:
    return OptOutFilter(OptOutConfig(**config))


@pytest.mark.parametrize("doc, reason, detail", [
    (_doc(headers={"tdm-reservation": "1"}), "tdm_reservation", "header"),
    (_doc(meta='<meta name="tdm-reservation" content="1">'), "tdm_reservation", "meta"),
    (_doc(meta="<META CONTENT='1' NAME='TDM-Reservation'>"), "tdm_reservation", "meta"),
    (_doc(meta='<meta name="robots" content="index, noai">'), "robots_noai", "meta"),
    (_doc(meta='<meta name="robots" content="noimageai">'), "robots_noai", "meta"),
    (_doc(headers={"x-robots-tag": "otherbot: noai, noindex"}), "robots_noai", "header"),
])
def test_reservations_are_honoured(doc, reason, detail):
    result = _stage()(doc)
    assert isinstance(result, Drop) and (result.reason, result.detail) == (reason, detail)


@pytest.mark.parametrize("doc", [
    _doc(headers={"tdm-reservation": "0"}),
    _doc(meta='<meta name="tdm-reservation" content="0">'),
    _doc(meta='<meta name="robots" content="noindex, nofollow">'),
    _doc(body="<p>we say noai here</p>"),
    _doc(body='<meta name="robots" content="noai">'),  # outside <head>: not a page-level directive
    _doc(body='<p>tdm-reservation: 1 is mentioned in the text</p>'),
])
def test_pages_without_a_reservation_pass(doc):
    assert isinstance(_stage()(doc), Document)


def test_honouring_can_be_configured_off():
    doc = _doc(headers={"tdm-reservation": "1"}, meta='<meta name="robots" content="noai">')
    assert isinstance(_stage(honour_tdm_reservation=False, honour_robots_noai=False)(doc), Document)


def test_only_head_meta_is_read():
    html = HTML.format(meta='<meta name="tdm-reservation" content="1">', body='<meta name="robots" content="noai">')
    assert head_meta(html) == [("tdm-reservation", "1")]


def test_operator_lists(tmp_path):
    blocklist = tmp_path / "block.txt"
    blocklist.write_text("# spam farms\nspam.example\nhttps://news.example.org/private/  # one section\n")
    optouts = tmp_path / "optout.txt"
    optouts.write_text("publisher.example.com\n")
    stage = _stage(blocklist_files=(str(blocklist),), optout_files=(str(optouts),))
    cases = {
        "https://spam.example/x": ("blocklisted", "domain"),
        "https://www.SPAM.example./y": ("blocklisted", "domain"),
        "https://news.example.org/private/page": ("blocklisted", "url"),
        "https://shop.publisher.example.com/": ("opted_out", "domain"),
    }
    for url, expected in cases.items():
        result = stage(_doc(url=url))
        assert isinstance(result, Drop) and (result.reason, result.detail) == expected, url
    for url in ["https://news.example.org/public/page", "https://notspam.example/", "https://example.com/"]:
        assert isinstance(stage(_doc(url=url)), Document), url


def test_url_list_domain_matching():
    listed = UrlList(["example.com"])
    assert listed.match("http://a.b.example.com/") == "domain"
    assert listed.match("http://badexample.com/") is None
    assert not UrlList([])


_NAMES = st.sampled_from(["robots", "ROBOTS", "tdm-reservation", "TDM-Reservation", "description", "viewport",
                          "tdm&#45;reservation", "&#x52;obots", "r&#246;bots"])
_CONTENTS = st.sampled_from(["1", "0", "noai", "NoAI, noindex", "otherbot: noimageai", "index, follow",
                             "n&#111;ai", "&#110;oimageai", "&#X4E;OAI", "no&#x61i", "width=device-width",
                             "a &amp; b", "&#8211; &#233;", "no&Idot;ai", "&#49;"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NAMES, _CONTENTS), max_size=4), st.booleans())
def test_skipping_unmarked_heads_never_changes_a_verdict(metas, closed):
    """Heads without an opt-out word are not parsed: the verdict must equal a full parse's, entity-encoded
    opt-outs ("n&#111;ai") included."""
    head = "".join(f'<meta name="{n}" content="{c}">' for n, c in metas)
    html = f"<html><head><title>T &amp; U &#8212;</title>{head}{'</HEAD>' if closed else ''}<body><p>x</p></body></html>"
    from filters.optout import _AI_DIRECTIVES, _directives

    def opts_out(meta):
        return any((n == "tdm-reservation" and c == "1") or (n == "robots" and _directives(c) & _AI_DIRECTIVES)
                   for n, c in meta)

    shortcut = head_meta(html, only_if_marked=True)
    assert shortcut in ([], head_meta(html)) and opts_out(shortcut) == opts_out(head_meta(html))
    result = _stage()(Document("f", 0, "r", url="https://www.example.eu/a", http_headers={}, html=html))
    assert isinstance(result, Drop) == opts_out(head_meta(html))
