"""Where WARC files come from: local paths, globs and directories; ``https://`` URLs; ``s3://`` objects and
globs; Common Crawl path listings (``warc.paths.gz``), optionally limited or sampled.

``resolve_inputs`` turns arguments into a sorted list of locations (the driver does this); ``open_input``
opens one location as a binary stream (each Spark task does this), with retries where the network is
involved: HTTP downloads resume from the last byte received when a connection drops, S3 reads use botocore's
adaptive retry mode, and tasks start with a small random delay so a cluster does not hit a store at once.
"""

from __future__ import annotations

import glob
import gzip
import io
import os
import random
import time
from dataclasses import dataclass
from typing import BinaryIO

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
LISTING_SUFFIXES = (".paths", ".paths.gz")
COMMON_CRAWL_BASE = "https://data.commoncrawl.org/"


class InputError(ValueError):
    """An input argument matched nothing usable."""


class InputUnreadable(Exception):
    """An input could not be opened or read to its end after its retries. It fails alone: the night publishes
    the other inputs and records this one as failed (see pipelines/job.py), never as a damaged record."""

    def __init__(self, location: str, cause: BaseException, attempts: int = 1):
        self.location, self.error, self.attempts = location, type(cause).__name__, attempts
        self.detail = safe_detail(cause)
        super().__init__(f"{location}: {self.error} after {attempts} attempt(s): {self.detail}")


def safe_detail(error: BaseException) -> str:
    """What an input error says, where it is ours or the system's (paths, HTTP status, attempts); only the type
    for any other library's, whose message could quote bytes of the file."""
    if isinstance(error, OSError) or type(error).__module__.startswith(("botocore", "aiobotocore", "requests")):
        return str(error)[:300]
    return type(error).__name__


def is_remote(location: str) -> bool:
    return location.startswith(("http://", "https://", "s3://"))


@dataclass(frozen=True)
class RemoteOptions:
    retries: int = 8  # attempts per request
    backoff_seconds: float = 0.5  # first wait; doubles, with jitter, up to max_backoff_seconds
    max_backoff_seconds: float = 30.0
    start_jitter_seconds: float = 0.0  # random delay before a task's first request (spreads a cluster's start)
    timeout_seconds: float = 60.0
    s3_endpoint_url: str | None = None  # e.g. a MinIO or other S3-compatible store
    s3_profile: str | None = None  # a named profile (~/.aws/credentials); None: the environment's chain
    s3_region: str | None = None
    s3_path_style: bool = False  # path-style addressing (MinIO, on-premise stores)
    s3_create_bucket: bool = False  # an output bucket that does not exist is created (corpus.storage)


# -- resolving -------------------------------------------------------------------------------------------
def _read_listing(location: str, base_url: str, options: RemoteOptions) -> list[str]:
    with open_input(location, options) as stream:
        data = stream.read()
    if location.endswith(".gz"):
        data = gzip.decompress(data)
    lines = [line.strip() for line in data.decode("utf-8").splitlines() if line.strip()]
    return [line if is_remote(line) or os.path.isabs(line) else base_url.rstrip("/") + "/" + line.lstrip("/")
            for line in lines]


def _s3_glob(pattern: str, options: RemoteOptions) -> list[str]:
    fs = s3_filesystem(options)
    return ["s3://" + path for path in fs.glob(pattern[len("s3://"):]) if path.endswith(WARC_SUFFIXES)]


def resolve_inputs(patterns: list[str], limit: int | None = None, sample: int | None = None, seed: int = 0,
                   base_url: str = COMMON_CRAWL_BASE, options: RemoteOptions = RemoteOptions()) -> list[str]:
    """Sorted, de-duplicated WARC locations. ``sample`` draws that many at random (seeded) from listings
    and globs; ``limit`` then keeps the first N."""
    found: list[str] = []
    for pattern in patterns:
        if pattern.endswith(LISTING_SUFFIXES):
            matches = _read_listing(pattern, base_url, options)
        elif pattern.startswith("s3://") and glob.has_magic(pattern):
            matches = _s3_glob(pattern, options)
        elif is_remote(pattern):
            matches = [pattern]
        elif os.path.isdir(pattern):
            matches = [os.path.join(root, name) for root, _, names in os.walk(pattern) for name in names
                       if name.endswith(WARC_SUFFIXES)]
        elif glob.has_magic(pattern):
            matches = [m for m in glob.glob(pattern, recursive=True) if os.path.isfile(m)]
        elif os.path.isfile(pattern):
            matches = [pattern]
        else:
            raise InputError(f"input not found: {pattern}")
        if not matches:
            raise InputError(f"no WARC files ({', '.join(WARC_SUFFIXES)}) under: {pattern}")
        found.extend(m if is_remote(m) else os.path.abspath(m) for m in matches)
    locations = sorted(set(found))
    if sample is not None and sample < len(locations):
        locations = sorted(random.Random(seed).sample(locations, sample))
    if limit is not None:
        locations = locations[:limit]
    return locations


# -- opening ---------------------------------------------------------------------------------------------
def s3_filesystem(options: RemoteOptions = RemoteOptions()):
    import s3fs

    client_kwargs = {"endpoint_url": options.s3_endpoint_url} if options.s3_endpoint_url else {}
    if options.s3_region:
        client_kwargs["region_name"] = options.s3_region
    config_kwargs = {"retries": {"max_attempts": options.retries, "mode": "adaptive"},
                     "connect_timeout": options.timeout_seconds, "read_timeout": options.timeout_seconds}
    if options.s3_path_style:
        config_kwargs["s3"] = {"addressing_style": "path"}
    return s3fs.S3FileSystem(
        profile=options.s3_profile, client_kwargs=client_kwargs, config_kwargs=config_kwargs,
        skip_instance_cache=True,
    )


def input_size(location: str, options: RemoteOptions = RemoteOptions()) -> int | None:
    """Size in bytes without reading the file (None when it cannot be known)."""
    import requests
    from botocore.exceptions import BotoCoreError

    try:
        if location.startswith("s3://"):
            return int(s3_filesystem(options).info(location[len("s3://"):])["size"])
        if location.startswith(("http://", "https://")):
            response = requests.head(location, allow_redirects=True, timeout=options.timeout_seconds)
            length = response.headers.get("Content-Length")
            return int(length) if response.ok and length else None
        return os.path.getsize(location)
    except (OSError, ValueError, KeyError, requests.RequestException, BotoCoreError):
        return None


def open_input(location: str, options: RemoteOptions = RemoteOptions()) -> BinaryIO:
    if options.start_jitter_seconds and is_remote(location):
        time.sleep(random.uniform(0, options.start_jitter_seconds))
    if location.startswith(("http://", "https://")):
        return ResumableHttpReader(location, options)
    if location.startswith("s3://"):
        return s3_filesystem(options).open(location[len("s3://"):], "rb", block_size=8 << 20)
    return open(location, "rb")


class HttpDownloadError(OSError):
    pass


class ResumableHttpReader(io.RawIOBase):
    """A streamed HTTP GET that survives dropped connections: it re-requests ``Range: bytes=<pos>-`` and
    goes on where it stopped, with exponential backoff and jitter, up to ``options.retries`` attempts in a
    row. A server that ignores ranges is read again from the start and the bytes already delivered are
    skipped. Written by hand because fsspec's HTTP filesystem reads by random-access blocks (needing
    aiohttp) and does not resume a streamed body."""

    def __init__(self, url: str, options: RemoteOptions = RemoteOptions()):
        import requests

        super().__init__()
        self.url, self.options = url, options
        self.position = 0
        self.total: int | None = None
        self._session = requests.Session()
        self._response = None
        self._chunks = None
        self._buffer = b""
        self._pending = b""
        self.reconnects = 0
        self.attempts = 0  # requests made, for the ledger of a failed input
        self._stalls, self._last_drop = 0, -1

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def _connect(self) -> None:
        import requests

        failures = 0
        while True:
            headers = {"Range": f"bytes={self.position}-"} if self.position else {}
            self.attempts += 1
            try:
                response = self._session.get(self.url, headers=headers, stream=True, timeout=self.options.timeout_seconds)
                if response.status_code in (200, 206):
                    break
                retriable = response.status_code in (408, 425, 429) or response.status_code >= 500
                response.close()
                if not retriable:
                    raise HttpDownloadError(f"HTTP {response.status_code} for {self.url}")
            except (requests.ConnectionError, requests.Timeout):
                pass
            failures += 1
            if failures >= self.options.retries:
                raise HttpDownloadError(f"gave up on {self.url} after {failures} attempts at byte {self.position}")
            wait = min(self.options.max_backoff_seconds, self.options.backoff_seconds * 2 ** (failures - 1))
            time.sleep(random.uniform(wait / 2, wait))
        skip = self.position if (self.position and response.status_code == 200) else 0
        if response.status_code == 200 and self.total is None and response.headers.get("Content-Length"):
            self.total = int(response.headers["Content-Length"])
        elif response.status_code == 206 and "/" in response.headers.get("Content-Range", ""):
            size = response.headers["Content-Range"].rsplit("/", 1)[1]
            self.total = int(size) if size.isdigit() else self.total
        self._response = response
        self._chunks = response.iter_content(chunk_size=1 << 16)
        while skip:  # the server ignored the range: discard what was already delivered
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._buffer = chunk[skip:] if len(chunk) > skip else b""
            skip = max(0, skip - len(chunk))

    def _next_chunk(self) -> bytes:
        import requests

        while True:
            if self._chunks is None:
                self._connect()
            if self._buffer:
                chunk, self._buffer = self._buffer, b""
                return chunk
            try:
                chunk = next(self._chunks, b"")
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout):
                chunk = b""
            if chunk:
                return chunk
            if self.total is not None and self.position >= self.total:
                return b""  # the whole body arrived
            if self.total is None:
                return b""  # no length to check against: the server's end is the end
            self._response.close()  # dropped early: reconnect from self.position
            self._chunks = None
            self.reconnects += 1
            self._stalls = self._stalls + 1 if self.position == self._last_drop else 0
            self._last_drop = self.position
            if self._stalls >= self.options.retries:
                raise HttpDownloadError(f"{self.url}: connection keeps dropping at byte {self.position}")

    def readinto(self, buffer) -> int:
        chunk = self._pending or self._next_chunk()
        n = min(len(buffer), len(chunk))
        buffer[:n] = chunk[:n]
        self._pending = chunk[n:]
        self.position += n
        return n

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
        self._session.close()
        super().close()
