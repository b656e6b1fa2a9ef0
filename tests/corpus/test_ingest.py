"""Ingest without Spark: record types, HTTP status, MIME, charsets, damage."""

from __future__ import annotations

import gzip
import io

from corpus.config import IngestConfig
from corpus.document import Document, Outcome
from corpus.ingest import WarcIngest, sniff_charset
from corpus.sample.generate import Record, http_response, warc_bytes
from datetime import datetime, timezone

DATE = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
PAGE = "<html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"


def _warc(*records: Record) -> bytes:
    return b"".join(warc_bytes(r, f"00000000-0000-4000-8000-{i:012d}", DATE) for i, r in enumerate(records))


def _read(data: bytes, config: IngestConfig = IngestConfig()) -> tuple[list, WarcIngest]:
    ingest = WarcIngest(config)
    return list(ingest.read(io.BytesIO(data), "test.warc.gz")), ingest


def _page(text: str, charset: str, header: bool, meta: bool) -> Record:
    body = PAGE.format(meta=f'<meta charset="{charset}">' if meta else "", text=text).encode(charset)
    ctype = f"text/html; charset={charset}" if header else "text/html"
    return Record("response", "https://example.cz/a", http_response(body, content_type=ctype))


def test_html_response_becomes_a_document_with_provenance():
    items, ingest = _read(_warc(_page("Ahoj světe", "utf-8", True, True)))
    [doc] = items
    assert isinstance(doc, Document)
    assert doc.url == "https://example.cz/a" and doc.fetch_date == "2026-01-02T03:04:05Z"
    assert doc.record_id == "<urn:uuid:00000000-0000-4000-8000-000000000000>" and doc.offset == 0
    assert "Ahoj světe" in doc.html
    assert ingest.stats.docs_in == ingest.stats.docs_out == 1


def test_charset_from_header_then_meta_then_detection():
    text = "Příliš žluťoučký kůň úpěl ďábelské ódy. " * 20
    for header, meta in [(True, False), (False, True), (False, False)]:
        [doc], _ = _read(_warc(_page(text, "windows-1250", header, meta)))
        assert text.strip() in doc.html, (header, meta)


def test_sniff_charset_prefers_http_header():
    assert sniff_charset("ISO-8859-2", b'<meta charset="utf-8">') == "iso-8859-2"
    assert sniff_charset(None, b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">') == "windows-1251"


def test_every_other_record_is_dropped_with_a_reason():
    records = [
        Record("warcinfo", "", b"software: x\r\n", "application/warc-fields"),
        Record("request", "https://e.eu/", b"GET / HTTP/1.1\r\n\r\n", "application/http; msgtype=request"),
        Record("response", "https://e.eu/404", http_response(b"<p>no</p>", "404 Not Found")),
        Record("response", "https://e.eu/x.png", http_response(b"\x89PNG....", content_type="image/png")),
        Record("response", "https://e.eu/bad", b"\x00\x01 not http at all\r\n\r\n"),
    ]
    items, ingest = _read(_warc(*records))
    assert all(isinstance(i, Outcome) and i.status == "dropped" and i.stage == "ingest" for i in items)
    assert [i.reason for i in items] == ["record_type_warcinfo", "record_type_request", "http_status", "not_html",
                                         "http_status"]
    assert items[2].detail == "404"
    assert sum(ingest.stats.dropped.values()) == ingest.stats.docs_in == 5


def test_payload_cap():
    big = _page("x" * 5000, "utf-8", True, True)
    [item], _ = _read(_warc(big), IngestConfig(max_payload_bytes=1000))
    assert isinstance(item, Outcome) and item.reason == "payload_too_large"


def test_truncated_file_keeps_records_before_the_damage():
    good = _warc(_page("eins", "utf-8", True, True), _page("zwei", "utf-8", True, True))
    last = warc_bytes(_page("drei " * 500, "utf-8", True, True), "00000000-0000-4000-8000-00000000000a", DATE)
    items, ingest = _read(good + last[: len(last) // 2])
    assert [type(i).__name__ for i in items] == ["Document", "Document", "Outcome"]
    assert items[2].status == "quarantined" and items[2].reason in ("truncated_record", "malformed_record")
    assert ingest.stats.docs_in == 3


def test_garbage_file_is_quarantined_not_fatal():
    items, _ = _read(b"this is not a WARC file at all" * 10)
    assert all(isinstance(i, Outcome) for i in items)
    junk_in_gzip, _ = _read(gzip.compress(b"\x00" * 100) + b"\xff" * 50)
    assert all(isinstance(i, Outcome) for i in junk_in_gzip)


def test_missing_file_is_quarantined(tmp_path):
    ingest = WarcIngest(IngestConfig())
    [item] = list(ingest.read_file(str(tmp_path / "nope.warc.gz")))
    assert item.status == "quarantined" and "FileNotFoundError" in item.detail


from hypothesis import given, settings
from hypothesis import strategies as st

_PAGES = [_page(f"Seite {i} " + "Text " * 50, "utf-8", True, True) for i in range(4)]
_MEMBERS = [warc_bytes(r, f"00000000-0000-4000-8000-{i:012d}", DATE) for i, r in enumerate(_PAGES)]
_FILE = b"".join(_MEMBERS)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=len(_FILE)))
def test_any_truncation_keeps_the_complete_records_before_it(cut):
    items, ingest = _read(_FILE[:cut])
    complete = 0
    end = 0
    for member in _MEMBERS:
        end += len(member)
        complete += end <= cut
    docs = [i for i in items if isinstance(i, Document)]
    assert len(docs) >= complete
    assert [d.record_id for d in docs[:complete]] == [f"<urn:uuid:00000000-0000-4000-8000-{i:012d}>" for i in range(complete)]
    assert all(isinstance(i, (Document, Outcome)) for i in items)
    assert ingest.stats.docs_in == len(items)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=len(_FILE) - 1), st.integers(0, 255)), max_size=8))
def test_corrupted_bytes_never_raise_and_every_item_is_accounted(flips):
    data = bytearray(_FILE)
    for position, value in flips:
        data[position] = value
    items, ingest = _read(bytes(data))
    assert all(isinstance(i, (Document, Outcome)) for i in items)
    assert ingest.stats.docs_in == len(items)
    assert ingest.stats.docs_out + sum(ingest.stats.dropped.values()) + sum(ingest.stats.quarantined.values()) == len(items)


def _arc_member(header: str, body: bytes) -> bytes:
    return gzip.compress(header.encode("latin-1") + b"\n" + body + b"\n", mtime=0)


def test_arc_files_are_read_with_warcio(tmp_path):
    version = b"1 0 test\nURL IP-address Archive-date Content-type Archive-length\n"
    html = "<html><head><title>x</title></head><body><p>Grüße aus dem Archiv</p></body></html>".encode("utf-8")
    page = http_response(html, content_type="text/html; charset=utf-8")
    missing = http_response(b"gone", "404 Not Found")
    data = (_arc_member(f"filedesc://t.arc 0.0.0.0 20090101000000 text/plain {len(version)}", version)
            + _arc_member(f"http://example.de/ 127.0.0.1 20090102030405 text/html {len(page)}", page)
            + _arc_member(f"http://example.de/x 127.0.0.1 20090102030406 text/html {len(missing)}", missing))
    path = tmp_path / "old-crawl.arc.gz"
    path.write_bytes(data)
    ingest = WarcIngest(IngestConfig())
    items = list(ingest.read_file(str(path)))
    assert [getattr(i, "reason", "doc") for i in items] == ["record_type_warcinfo", "doc", "http_status"]
    doc = items[1]
    assert doc.url == "http://example.de/" and doc.fetch_date == "2009-01-02T03:04:05Z"
    assert "Grüße aus dem Archiv" in doc.html and doc.record_id == "" and doc.offset > 0
    assert len({i.doc_id for i in items}) == 3  # stable ids from file@offset
