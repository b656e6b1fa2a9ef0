"""Real web pages packed as Common Crawl-like WARC files, for the end-to-end benchmarks.

    .venv/bin/python benchmarks/realpages.py --webpages ../shared/eval/webpages --copies 4 --out /tmp/real-x4

The 712 pages of ``../shared/eval/webpages`` (mozilla/readability, trafilatura's evaluation pages, scrapinghub's
article benchmark: real HTML, ~180 KB per page) become request + response records with HTTP headers, gzip per
record, behind one warcinfo record per file, as Common Crawl writes them. ``--copies N`` (x1, x4, x16) adds
N-1 near-duplicate copies of every page, each under another host name and with a few words of its visible text
changed (about 2 in 100 words swapped with their neighbour, a different sample per copy), so that
near-duplicate removal has real work to do and every copy is still a distinct document. The (page, copy)
records are shuffled with a fixed seed and dealt round-robin into ``--files`` files (default: max(2, N)),
so every file costs about the same and a copy's duplicates sit in other files. Deterministic: the same
arguments give byte-identical files (the WARC dates and record ids are derived, not taken from the clock).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

#: visible text between tags: a run of characters after '>' up to the next '<' (byte-level, any charset)
_TEXT_RUN = re.compile(rb">([^<>]{40,})<")
_WORD = re.compile(rb"[^\s<>&;]{3,}")
_SCRIPTS = re.compile(rb"<(script|style)\b.*?</\1\s*>", re.S | re.I)


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    html: bytes


def load_pages(webpages: str | Path) -> list[Page]:
    """Every page of the three sets, raw bytes as published (charset left for the readers to sniff)."""
    base, pages = Path(webpages), []
    for row in map(json.loads, (base / "readability_index.jsonl").read_text("utf-8").splitlines()):
        html = (base / "readability" / row["page"] / "source.html").read_bytes()
        pages.append(Page(f"readability/{row['page']}", f"https://readability.example.org/{row['page']}/", html))
    for index in ("trafilatura_index.jsonl", "scrapinghub_index.jsonl"):
        for row in map(json.loads, (base / index).read_text("utf-8").splitlines()):
            raw = (base / row["file"]).read_bytes()
            html = gzip.decompress(raw) if row["file"].endswith(".gz") else raw
            url = row["url"] if row["url"].startswith("http") else \
                f"https://{row['url'].split('::')[-1].removesuffix('.html')}.example.org/"  # "hard::site-x.html"
            pages.append(Page(row["file"], url, html))
    return pages


def perturb(html: bytes, rng: random.Random, rate: float = 0.02) -> bytes:
    """Swap about ``rate`` of the words in the page's visible text runs with their neighbour (scripts and
    styles untouched): the copy stays a near duplicate, but no longer an exact one."""
    protected = [m.span() for m in _SCRIPTS.finditer(html)]
    out, last = [], 0
    for run in _TEXT_RUN.finditer(html):
        start, end = run.span(1)
        if any(a <= start < b for a, b in protected):
            continue
        words = _WORD.findall(html[start:end])
        if len(words) < 2:
            continue
        text = html[start:end]
        for i in range(len(words) - 1):
            if rng.random() < rate:
                a, b = words[i], words[i + 1]
                text = text.replace(a + b" " + b, b + b" " + a, 1)
        out.append(html[last:start])
        out.append(text)
        last = end
    out.append(html[last:])
    return b"".join(out)


def copy_url(url: str, copy: int) -> str:
    """Copy 0 keeps the page's URL; copy k lives on mirror host ``m{k}.<host>`` (another domain per copy)."""
    if copy == 0:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, f"m{copy}.{parts.hostname}", parts.path, parts.query, ""))


def _record_id(*parts: object) -> str:
    return f"<urn:uuid:{uuid.UUID(bytes=hashlib.sha256(repr(parts).encode()).digest()[:16])}>"


def write_warcs(pages: list[Page], out_dir: str | Path, copies: int = 1, files: int | None = None,
                seed: int = 15) -> list[str]:
    """Write ``copies`` versions of every page into ``files`` WARC files; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n_files = files or max(2, copies)
    items = [(p, c) for c in range(copies) for p in range(len(pages))]
    random.Random(seed).shuffle(items)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    paths = []
    for f in range(n_files):
        path = out / f"realpages-x{copies}-{f:05d}.warc.gz"
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        info = writer.create_warcinfo_record(path.name, {"software": "benchmarks/realpages.py",
                                                         "description": f"{len(pages)} real pages x{copies}"})
        info.rec_headers.replace_header("WARC-Record-ID", _record_id("info", copies, f))
        info.rec_headers.replace_header("WARC-Date", start.strftime("%Y-%m-%dT%H:%M:%SZ"))
        writer.write_record(info)
        for n, (p, c) in enumerate(items[f::n_files]):
            page = pages[p]
            html = page.html if c == 0 else perturb(page.html, random.Random(f"{seed}/{p}/{c}"))
            url = copy_url(page.url, c)
            date = (start + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
            host = urlsplit(url).hostname
            request = writer.create_warc_record(
                url, "request", payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders(f"GET {urlsplit(url).path or '/'} HTTP/1.1",
                                              [("Host", host), ("User-Agent", "CCBot/2.0"), ("Accept", "*/*")],
                                              is_http_request=True),
                warc_headers_dict={"WARC-Record-ID": _record_id("req", p, c), "WARC-Date": date})
            response = writer.create_warc_record(
                url, "response", payload=io.BytesIO(html),
                http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                                         ("Content-Length", str(len(html)))], protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Record-ID": _record_id("resp", p, c), "WARC-Date": date,
                                   "WARC-Identified-Payload-Type": "text/html",
                                   "WARC-Concurrent-To": _record_id("req", p, c)})
            writer.write_record(request)
            writer.write_record(response)
        path.write_bytes(buffer.getvalue())
        paths.append(str(path))
    return paths


def build(webpages: str | Path, out_dir: str | Path, copies: int, files: int | None = None) -> list[str]:
    """The WARCs for x``copies`` under ``out_dir``, reused when already built with the same arguments."""
    out = Path(out_dir)
    stamp = out / "BUILT.json"
    wanted = {"copies": copies, "files": files or max(2, copies), "webpages": str(Path(webpages).resolve())}
    if stamp.exists() and json.loads(stamp.read_text()) == {**wanted, "paths": json.loads(stamp.read_text())["paths"]}:
        return json.loads(stamp.read_text())["paths"]
    paths = write_warcs(load_pages(webpages), out, copies, files)
    stamp.write_text(json.dumps({**wanted, "paths": paths}))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--webpages", required=True, help="../shared/eval/webpages")
    parser.add_argument("--copies", type=int, default=1, help="x1, x4, x16 ...")
    parser.add_argument("--files", type=int, help="number of WARC files (default: max(2, copies))")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    paths = build(args.webpages, args.out, args.copies, args.files)
    size = sum(os.path.getsize(p) for p in paths)
    print(json.dumps({"files": paths, "bytes": size}, indent=1))


if __name__ == "__main__":
    main()
