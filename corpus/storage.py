"""Where outputs go: a local directory or an ``s3://`` prefix, through fsspec, with one small interface.

The differences that matter are handled here: a local directory is published by an atomic rename; an object
store has no rename, so a set is written in place with its manifest last (readers trust a set only when its
manifest exists) and the index, a single object, is replaced in one PUT.
"""

from __future__ import annotations

import errno
import json
import os
import posixpath
import uuid
from contextlib import contextmanager

from typing import TYPE_CHECKING

import fsspec

if TYPE_CHECKING:
    from corpus.inputs import RemoteOptions

#: errors an operator must fix (permissions, a full disk or quota, a read-only mount): the CLI names the path
#: and exits 2, since running again would fail the same way
STORAGE_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EROFS, errno.EDQUOT})


def s3_options(s3: "RemoteOptions | str | None"):
    """The S3 settings of a store: [remote]'s options, or only an endpoint URL (None: AWS defaults)."""
    from corpus.inputs import RemoteOptions

    return s3 if isinstance(s3, RemoteOptions) else RemoteOptions(s3_endpoint_url=s3)


def _filesystem(url: str, s3):
    if url.startswith("s3://"):
        from corpus.inputs import s3_filesystem

        return s3_filesystem(s3), url[len("s3://"):].rstrip("/")
    return fsspec.filesystem("file"), os.path.abspath(url)


class Store:
    """Paths are plain strings inside the store; ``url(path)`` gives what other processes can open. ``s3``:
    the S3 options (endpoint, profile, region, path-style addressing), or just an endpoint URL."""

    def __init__(self, url: str, s3: "RemoteOptions | str | None" = None):
        self.is_local = not url.startswith("s3://")
        self.s3 = s3_options(s3)
        self.s3_endpoint_url = self.s3.s3_endpoint_url
        self.fs, self.root = _filesystem(url, self.s3)

    def __reduce__(self):  # travels to Spark executors as its URL and options, the filesystem is rebuilt there
        return (Store, (self.url(self.root), self.s3))

    def ensure_bucket(self) -> bool:
        """Create the root's bucket when it does not exist (``s3_create_bucket``, e.g. a fresh MinIO); True
        when it was created. Never on AWS by default: a bucket is an account-level decision there."""
        if self.is_local or not self.s3.s3_create_bucket:
            return False
        bucket = self.root.split("/", 1)[0]
        if self.fs.exists(bucket):
            return False
        self.fs.mkdir(bucket)
        return True

    def join(self, *parts: str) -> str:
        return (os.path.join if self.is_local else posixpath.join)(*parts)

    def url(self, path: str) -> str:
        return path if self.is_local else f"s3://{path}"

    # -- reading -----------------------------------------------------------------------------------------
    def exists(self, path: str) -> bool:
        return self.fs.exists(path)

    def listdir(self, path: str) -> list[str]:
        """Names directly below ``path`` (empty when it does not exist)."""
        if not self.fs.exists(path):
            return []
        return sorted(posixpath.basename(p.rstrip("/")) for p in self.fs.ls(path, detail=False))

    def read_bytes(self, path: str) -> bytes:
        return self.fs.cat_file(path)

    def open_read(self, path: str):
        """A file to read from (ranged reads on an object store: a Parquet reader fetches only what it reads)."""
        return self.fs.open(path, "rb")

    def read_json(self, path: str):
        return json.loads(self.read_bytes(path))

    # -- writing -----------------------------------------------------------------------------------------
    def makedirs(self, path: str) -> None:
        if self.is_local:
            os.makedirs(path, exist_ok=True)  # object stores have no directories to make

    def write_bytes(self, path: str, data: bytes) -> None:
        """Replace ``path`` whole: a temporary file renamed over it locally, one PUT on an object store."""
        if self.is_local:
            with self.open_write(path) as f:
                f.write(data)
        else:
            self.fs.pipe_file(path, data)

    @contextmanager
    def open_write(self, path: str):
        """A file to stream into, replacing ``path`` only when the block ends without an error: a temporary file
        renamed over it locally, a (multipart) upload completed on close on an object store, discarded on error."""
        if self.is_local:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
            try:
                with open(tmp, "wb") as f:
                    yield f
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
        else:
            f = self.fs.open(path, "wb")
            try:
                yield f
            except BaseException:
                f.discard()  # the upload is aborted: no object, and nothing left to close
                f.closed = True
                raise
            f.close()

    def write_json(self, path: str, data) -> None:
        self.write_bytes(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    def append_line(self, path: str, line: str) -> None:
        """Append-only logs: a real append locally; read-modify-write on an object store (one writer: the driver)."""
        if self.is_local:
            with open(path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
                f.flush()
                os.fsync(f.fileno())
        else:
            old = self.read_bytes(path) if self.exists(path) else b""
            self.fs.pipe_file(path, old + (line + "\n").encode("utf-8"))

    def remove_tree(self, path: str) -> None:
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)

    def rename_dir(self, source: str, target: str) -> None:
        """Atomic on a local filesystem. Object stores cannot; callers write in place there instead."""
        if not self.is_local:
            raise NotImplementedError("object stores have no atomic rename")
        os.rename(source, target)
