"""Ingest: WARC file -> one ``Document`` per HTML response, one ``Outcome`` for every other record.

FastWARC streams the file. Each record is accounted for: non-response records, non-200 responses and
non-HTML payloads are dropped with a reason; a record or a file tail that cannot be parsed is quarantined
with its offset, and the records before the damage are kept.
"""

from __future__ import annotations

import gzip
import re
import time
import zlib
from typing import BinaryIO, Iterator

from fastwarc.warc import ArchiveIterator, WarcRecordType
from resiliparse.parse.encoding import bytes_to_str, detect_encoding

from corpus.config import IngestConfig
from corpus.document import DROPPED, QUARANTINED, Document, Outcome
from corpus.stages import NEVER_CAUGHT, StageStats

STAGE = "ingest"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.-]+)""", re.IGNORECASE)


def sniff_charset(http_charset: str | None, payload: bytes) -> str:
    """Charset from the HTTP header, then ``<meta>``, then statistical detection."""
    if http_charset:
        return http_charset.strip().lower()
    match = _META_CHARSET.search(payload[:4096])
    if match:
        return match.group(1).decode("ascii", "replace").lower()
    return detect_encoding(payload[:65536])


def normalize_http_head(block: bytes) -> bytes:
    """Old crawls (e.g. ClueWeb09) end HTTP header lines with a bare LF; the parser expects CRLF."""
    crlf, lf = block.find(b"\r\n\r\n"), block.find(b"\n\n")
    if lf != -1 and (crlf == -1 or lf < crlf) and block.startswith(b"HTTP/"):
        head, body = block[:lf], block[lf + 2:]
        return head.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + b"\r\n\r\n" + body
    return block


def decode_content_encoding(payload: bytes, content_encoding: str | None) -> bytes:
    """Undo HTTP compression some crawlers keep in the payload. Many archives store the body already
    decoded while keeping the header, so the payload is only decompressed when it really is compressed."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return gzip.decompress(payload) if payload[:2] == b"\x1f\x8b" else payload
    if encoding in ("deflate", "br"):
        try:
            if encoding == "deflate":
                return zlib.decompress(payload, zlib.MAX_WBITS if payload[:1] == b"\x78" else -zlib.MAX_WBITS)
            import brotli

            return brotli.decompress(payload)
        except Exception:  # no magic bytes to check: a failed decode means it was stored decoded
            return payload
    return payload


class TruncatedRecord(ValueError):
    """A record's block is shorter than its Content-Length: the file was cut."""


class MalformedRecord(ValueError):
    """A record whose WARC headers are incomplete or unparseable."""


#: FastWARC 2 is Rust: a panic on hostile bytes surfaces as pyo3's PanicException, a BaseException;
#: everything but NEVER_CAUGHT is damage to quarantine.
_REQUIRED_HEADERS = ("WARC-Type", "WARC-Record-ID", "Content-Length")
#: HTTP response headers kept on the document, lower-cased: the opt-out signals.
KEPT_HTTP_HEADERS = ("tdm-reservation", "tdm-policy", "x-robots-tag")


class WarcIngest:
    """Reads WARC files into documents; keeps its own stage counters."""

    name = STAGE

    def __init__(self, config: IngestConfig):
        self.config = config
        self.stats = StageStats()

    def read(self, stream: BinaryIO, warc_file: str) -> Iterator[Document | Outcome]:
        if warc_file.endswith((".arc", ".arc.gz")):
            yield from self._read_arc(stream, warc_file)
            return
        start = time.perf_counter()
        damage_offset = 0  # where unreadable bytes start at the earliest: just past the last good record start
        try:
            for record in ArchiveIterator(stream, parse_http=False):
                damage_offset = record.stream_pos + 1
                self.stats.seconds += time.perf_counter() - start
                yield self._record(record, warc_file)
                start = time.perf_counter()
        except NEVER_CAUGHT:
            raise
        except BaseException as error:  # damage past the last good record (Rust panics included)
            yield self.quarantine(warc_file, damage_offset, error)
        self.stats.seconds += time.perf_counter() - start

    def read_file(self, path: str, warc_file: str | None = None) -> Iterator[Document | Outcome]:
        name = warc_file or path
        try:
            stream = open(path, "rb")
        except OSError as error:
            yield self.quarantine(name, 0, error)
            return
        with stream:
            yield from self.read(stream, name)

    # -- per record --------------------------------------------------------------------------------------
    def _record(self, record, warc_file: str) -> Document | Outcome:
        self.stats.docs_in += 1
        offset, record_id = record.stream_pos, record.record_id or ""
        try:
            missing = [h for h in _REQUIRED_HEADERS if not record.headers.get(h)]
            if missing:  # typically a record cut inside its header block
                raise MalformedRecord(f"missing WARC header(s): {', '.join(missing)}")
            if record.record_type != WarcRecordType.response:
                return self._drop(warc_file, offset, record_id, f"record_type_{record.record_type}")
            declared = record.content_length
            if declared > self.config.max_payload_bytes:
                return self._drop(warc_file, offset, record_id, "payload_too_large", str(declared))
            block = record.reader.read()
            if len(block) < declared:  # the file ends inside this record: damage, not content
                raise TruncatedRecord(f"record declares {declared} bytes, file holds {len(block)}")
            record.set_bytes_content(normalize_http_head(block))
            record.parse_http()
            if not record.is_http or record.http_headers is None:
                return self._drop(warc_file, offset, record_id, "not_http")
            headers = record.http_headers
            date = record.record_date
            result = self._html_response(
                warc_file, offset, record_id,
                url=record.headers.get("WARC-Target-URI", "") or "",
                fetch_date=date.strftime("%Y-%m-%dT%H:%M:%SZ") if date else "",
                status=headers.status_code, mime=record.http_content_type or "", charset=record.http_charset,
                header=lambda name: ", ".join(headers.get_multiple(name)) if headers.get(name) is not None else None,
                read_payload=lambda: decode_content_encoding(record.reader.read(), headers.get("Content-Encoding")),
            )
        except NEVER_CAUGHT:
            raise
        except BaseException as error:  # e.g. TruncatedRecord, a broken gzip member, a parser panic
            return self.quarantine(warc_file, offset, error, record_id, count_in=False)
        return result

    def _html_response(self, warc_file: str, offset: int, record_id: str, url: str, fetch_date: str, status: int,
                       mime: str, charset: str | None, header, read_payload) -> Document | Outcome:
        """The checks and decoding shared by WARC and ARC responses."""
        if status != 200:
            return self._drop(warc_file, offset, record_id, "http_status", str(status))
        mime = mime.split(";")[0].strip().lower()
        if mime not in self.config.html_mime_types:
            return self._drop(warc_file, offset, record_id, "not_html", mime[:60])
        payload = read_payload()
        if len(payload) > self.config.max_payload_bytes:
            return self._drop(warc_file, offset, record_id, "payload_too_large", str(len(payload)))
        doc = Document(
            warc_file=warc_file, offset=offset, record_id=record_id, url=url, fetch_date=fetch_date,
            http_headers={name: value for name in KEPT_HTTP_HEADERS if (value := header(name)) is not None},
            html=bytes_to_str(payload, sniff_charset(charset, payload)),
        )
        self.stats.docs_out += 1
        return doc

    # -- ARC files (pre-2009 crawls): warcio reads them, FastWARC does not ----------------------------------
    def _read_arc(self, stream: BinaryIO, warc_file: str) -> Iterator[Document | Outcome]:
        from warcio.archiveiterator import ArchiveIterator as WarcioIterator

        iterator = WarcioIterator(stream, arc2warc=True)
        offset = 0
        try:
            for record in iterator:
                offset = iterator.offset  # start of this record (get_record_offset() would consume it)
                self.stats.docs_in += 1
                # ARC records carry no id (warcio would invent a random one): the doc id uses file@offset
                try:
                    if record.rec_type != "response" or record.http_headers is None:
                        yield self._drop(warc_file, offset, "", f"record_type_{record.rec_type}")
                        continue
                    headers = record.http_headers
                    content_type = headers.get_header("Content-Type") or ""
                    charset = content_type.lower().partition("charset=")[2].strip(" \"';") or None
                    yield self._html_response(
                        warc_file, offset, "", url=record.rec_headers.get_header("WARC-Target-URI") or "",
                        fetch_date=record.rec_headers.get_header("WARC-Date") or "",
                        status=int(headers.get_statuscode() or 0), mime=content_type, charset=charset,
                        header=headers.get_header, read_payload=record.content_stream().read,
                    )
                except NEVER_CAUGHT:
                    raise
                except BaseException as error:
                    yield self.quarantine(warc_file, offset, error, count_in=False)
        except NEVER_CAUGHT:
            raise
        except BaseException as error:
            yield self.quarantine(warc_file, offset + 1, error)

    def _drop(self, warc_file: str, offset: int, record_id: str, reason: str, detail: str = "") -> Outcome:
        self.stats.dropped[reason] += 1
        return Outcome(warc_file, offset, record_id, DROPPED, STAGE, reason, detail)

    def quarantine(self, warc_file: str, offset: int, error: BaseException, record_id: str = "",
                    count_in: bool = True) -> Outcome:
        if count_in:
            self.stats.docs_in += 1
        self.stats.quarantined[type(error).__name__] += 1
        # Our own structural errors and file errors (an input's path) are safe to keep; any other library's
        # message may quote the bytes it choked on, page content included, so only its type is kept.
        safe = isinstance(error, (TruncatedRecord, MalformedRecord, OSError))
        detail = f"{type(error).__name__}: {str(error)[:200]}" if safe else type(error).__name__
        reason = {TruncatedRecord: "truncated_record", MalformedRecord: "malformed_record"}.get(type(error), "unreadable")
        return Outcome(warc_file, offset, record_id, QUARANTINED, STAGE, reason, detail)
