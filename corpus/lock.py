"""One writer per corpus root: ``ROOT/_LOCK.json``.

A run (and ``corpus forget``) takes the lock before writing into a root and removes it when done::

    with RootLock(root, command="run").acquire(break_stale=args.break_lock):
        ...

The lock object holds who took it (``owner``, ``host``, ``pid``, ``started``, ``command``) and a random
``token`` that tells our lock from anybody else's. It is created so that exactly one of several racing
writers succeeds: ``O_CREAT | O_EXCL`` on a local disk; on an object store a conditional PUT
(``If-None-Match: *``, answered 412 when the object exists), checked by reading the object back.

A lock left behind by a writer that died is *stale* when its host is this host and its pid is not running
(or is running but started after the lock was taken: the pid was reused), or when it is older than
``stale_after_seconds`` (``[lock] stale_after_hours``); an unreadable lock file is judged by its age alone
(its modification time). A stale lock is broken only when asked (``acquire(break_stale=True)``, the CLI's
``--break-lock``); a lock that is not stale is never broken.

Pure logic: no Spark.
"""

from __future__ import annotations

import errno
import getpass
import json
import logging
import os
import secrets
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Callable

from corpus.storage import Store

LOCK_FILE = "_LOCK.json"

logger = logging.getLogger(__name__)

#: a pid on this host that started more than this long after the lock was taken is another process (the
#: holder's pid was reused); generous, so that a clock step can never make a live holder look dead
_PID_REUSE_SLACK_SECONDS = 60.0
#: a lock file another writer has just created may be read before its content is written
_PARTIAL_READ_RETRIES, _PARTIAL_READ_WAIT = 20, 0.05
_ACQUIRE_ATTEMPTS = 5


class RootLocked(RuntimeError):
    """The root is locked by another writer. ``holder`` is its lock (None when the lock file is
    unreadable); ``stale`` the reason the lock is stale, or None when it is not."""

    def __init__(self, message: str, holder: "LockInfo | None" = None, stale: str | None = None):
        super().__init__(message)
        self.holder = holder
        self.stale = stale


@dataclass(frozen=True)
class LockInfo:
    owner: str
    host: str
    pid: int
    started: str  # ISO-8601 UTC, e.g. 2026-12-01T22:00:00Z
    command: str
    token: str

    @classmethod
    def new(cls, command: str) -> "LockInfo":
        return cls(owner=_user(), host=socket.gethostname(), pid=os.getpid(),
                   started=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), command=command,
                   token=secrets.token_hex(16))

    @classmethod
    def from_bytes(cls, data: bytes) -> "LockInfo":
        """Parse a lock file; ValueError for anything that is not a complete lock."""
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"not JSON: {e}") from None
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        fields = {"owner": str, "host": str, "pid": int, "started": str, "command": str, "token": str}
        for name, kind in fields.items():
            value = raw.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"field {name!r} missing or not a {kind.__name__}")
        info = cls(**{name: raw[name] for name in fields})
        if info.pid <= 0 or not info.token:
            raise ValueError("bad pid or token")
        info.started_at()
        return info

    def to_bytes(self) -> bytes:
        return (json.dumps(asdict(self), indent=2) + "\n").encode("utf-8")

    def started_at(self) -> float:
        """``started`` as a POSIX timestamp (ValueError when it is not an ISO-8601 time)."""
        when = datetime.fromisoformat(self.started.replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.timestamp()

    def describe(self) -> str:
        return f"{self.owner}@{self.host} pid {self.pid} ({self.command}, since {self.started})"


@dataclass(frozen=True)
class _Found:
    """The lock file as read: its bytes, its parsed content (None if unreadable, ``error`` says why) and
    its modification time."""

    raw: bytes
    info: LockInfo | None
    error: str | None
    mtime: float | None
    etag: str | None = None  # object stores: the version read, for a conditional delete

    def describe(self) -> str:
        if self.info is not None:
            return self.info.describe()
        written = _iso(self.mtime) if self.mtime is not None else "unknown time"
        return f"an unreadable lock file ({self.error}; written {written})"


class RootLock:
    """The lock on one corpus root. ``root`` is a CorpusRoot or a Store (its ``store`` is used)."""

    def __init__(self, root, command: str = "run", stale_after_seconds: float | None = None,
                 log: Callable[[str], None] | None = None):
        self.store: Store = getattr(root, "store", root)
        self.path = self.store.join(self.store.root, LOCK_FILE)
        self.where = self.store.url(self.store.root)
        self.command = command
        if stale_after_seconds is None:
            from corpus.config import LockConfig

            stale_after_seconds = LockConfig().stale_after_hours * 3600.0
        if not stale_after_seconds > 0:
            raise ValueError(f"stale_after_seconds must be > 0, got {stale_after_seconds!r}")
        self.stale_after_seconds = float(stale_after_seconds)
        self.log = log or logger.warning
        self.info: LockInfo | None = None  # our lock, while we hold it

    @classmethod
    def for_config(cls, root, config, command: str = "run", log: Callable[[str], None] | None = None) -> "RootLock":
        """With the staleness limit of a PipelineConfig (``[lock] stale_after_hours``)."""
        return cls(root, command, config.lock.stale_after_hours * 3600.0, log)

    @property
    def held(self) -> bool:
        return self.info is not None

    # -- taking and giving back ----------------------------------------------------------------------------
    def acquire(self, break_stale: bool = False) -> "RootLock":
        """Take the lock, or raise RootLocked naming its holder. With ``break_stale`` a stale lock is
        removed (logged) and taken; a lock that is not stale is never broken. Returns self."""
        if self.info is not None:
            return self
        mine = LockInfo.new(self.command)
        for _ in range(_ACQUIRE_ATTEMPTS):
            if self._create(mine):
                self.info = mine
                return self
            found = self._read()
            if found is None:  # released between our attempt and our look: try again
                continue
            if found.info is not None and found.info.token == mine.token:
                self.info = mine  # ours after all: a retried PUT whose first try had gone through
                return self
            stale = self._stale_reason(found)
            holder = found.describe()
            if stale is None:
                raise RootLocked(self._busy_message(found, break_stale), found.info, None)
            if not break_stale:
                raise RootLocked(f"corpus root {self.where} is locked by {holder}; the lock is stale ({stale}): "
                                 f"run again with --break-lock to break it", found.info, stale)
            if self._remove_if_unchanged(found):
                self.log(f"broke the stale lock on {self.where} held by {holder}: {stale}")
            # then try to create ours again: another writer breaking it at the same time may win
        raise RootLocked(f"corpus root {self.where}: could not take the lock, it keeps changing hands")

    def release(self) -> bool:
        """Remove the lock if it is still ours (True); a lock that is no longer ours is left alone."""
        mine, self.info = self.info, None
        if mine is None:
            return False
        found = self._read()
        if found is None or found.info is None or found.info.token != mine.token:
            now = found.describe() if found is not None else "nobody"
            self.log(f"the lock on {self.where} is no longer ours (now held by {now}); leaving it")
            return False
        if self.store.is_local:
            os.unlink(self.path)
            return True
        return self._delete_remote(found)

    def __enter__(self) -> "RootLock":
        return self.acquire()  # a no-op when already taken: ``with RootLock(...).acquire(True):``

    def __exit__(self, exc_type, exc, tb) -> None:
        # runs for every exception, KeyboardInterrupt and SystemExit included
        try:
            self.release()
        except Exception as e:
            if exc_type is None:
                raise
            self.log(f"could not release the lock on {self.where}: {e}")

    # -- staleness ---------------------------------------------------------------------------------------
    def _stale_reason(self, found: _Found) -> str | None:
        """Why the lock is stale, or None when it is not."""
        started = None
        if found.info is not None:
            started = found.info.started_at()
            if found.info.host == socket.gethostname() and not _pid_alive(found.info.pid, started):
                return f"process {found.info.pid} is no longer running on {found.info.host}"
        when = started if started is not None else found.mtime
        if when is None:
            return None
        age = time.time() - when
        if age > self.stale_after_seconds:
            return f"it is {_hours(age)} old, older than the {_hours(self.stale_after_seconds)} limit"
        return None

    def _busy_message(self, found: _Found, break_stale: bool) -> str:
        head = f"corpus root {self.where} is locked by {found.describe()}"
        info = found.info
        here = info is not None and info.host == socket.gethostname()
        when = info.started_at() if info is not None else found.mtime
        age = f"{_hours(time.time() - when)} old" if when is not None else "of unknown age"
        limit = f"{_hours(self.stale_after_seconds)} (lock.stale_after_hours)"
        if break_stale:
            why = (f"process {info.pid} is running on this host" if here
                   else f"it is {age}; a lock is presumed dead after {limit}")
            return f"{head}; the lock is not stale ({why}), so --break-lock leaves it"
        if here:
            return f"{head}; that process is still running"
        return (f"{head}; if that process is gone, run again with --break-lock (which breaks a lock from "
                f"another host once it is older than {limit})")

    # -- storage -----------------------------------------------------------------------------------------
    def _create(self, info: LockInfo) -> bool:
        """Create the lock object unless one exists; True when the lock is now ours."""
        data = info.to_bytes()
        if self.store.is_local:
            return self._create_local(data)
        return self._create_remote(info, data)

    def _create_local(self, data: bytes) -> bool:
        os.makedirs(self.store.root, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            _fsync_dir(self.store.root)
        except BaseException:  # a half-written lock must not outlive us
            try:
                os.unlink(self.path)
            except OSError:
                pass
            raise
        return True

    def _create_remote(self, info: LockInfo, data: bytes) -> bool:
        """A conditional PUT, ``PutObject`` with ``If-None-Match: *``: S3 (and moto, MinIO) answers 412
        Precondition Failed when the object exists, 409 ConditionalRequestConflict while another conditional
        PUT of it is in flight. s3fs's ``pipe_file(..., mode="create")`` sends exactly that header and turns
        the 412 into FileExistsError. A store that ignored the header would overwrite silently, so the lock is
        also looked for first and read back afterwards: the writer whose token is there holds it."""
        fs = self.store.fs
        fs.invalidate_cache(self.path)
        if fs.exists(self.path):
            return False
        try:
            fs.pipe_file(self.path, data, mode="create")
        except FileExistsError:
            return False
        except OSError as e:  # s3fs maps 409 (a concurrent conditional PUT) to a plain OSError
            if _s3_error_code(e) in {"ConditionalRequestConflict", "PreconditionFailed"}:
                return False
            raise
        found = self._read()
        return found is not None and found.info is not None and found.info.token == info.token

    def _read(self) -> _Found | None:
        """The lock file as it is now, or None when there is none. A lock another writer has just created
        may still be empty: read again for a moment before calling it unreadable."""
        for attempt in range(_PARTIAL_READ_RETRIES):
            try:
                raw, mtime, etag = self._read_raw()
            except FileNotFoundError:
                return None
            try:
                return _Found(raw, LockInfo.from_bytes(raw), None, mtime, etag)
            except ValueError as e:
                fresh = mtime is None or time.time() - mtime < 2.0
                if not fresh or attempt == _PARTIAL_READ_RETRIES - 1:
                    return _Found(raw, None, str(e) if raw else "empty", mtime, etag)
            time.sleep(_PARTIAL_READ_WAIT)
        return None  # unreachable

    def _read_raw(self) -> tuple[bytes, float | None, str | None]:
        """The lock's bytes, modification time and (object stores) ETag; FileNotFoundError if none."""
        if self.store.is_local:
            with open(self.path, "rb") as f:
                return f.read(), os.fstat(f.fileno()).st_mtime, None
        raw, etag, modified = self._get_remote()
        return raw, modified.timestamp() if isinstance(modified, datetime) else None, etag

    def _get_remote(self) -> tuple[bytes, str | None, datetime | None]:
        """One GET: the lock's bytes with the ETag and time of exactly that version."""
        from fsspec.asyn import sync

        fs = self.store.fs
        bucket, key, _ = fs.split_path(self.path)

        async def get():
            response = await fs._call_s3("get_object", Bucket=bucket, Key=key)
            try:
                body = await response["Body"].read()
            finally:
                response["Body"].close()
            return body, response.get("ETag"), response.get("LastModified")

        fs.invalidate_cache(self.path)
        return sync(fs.loop, get)

    def _delete_remote(self, found: _Found) -> bool:
        """Delete the lock version ``found`` (``DeleteObject`` with ``If-Match: <etag>``); False when the
        lock has changed since. A store without conditional deletes gets a fresh read compared just before
        a plain delete (a small window remains there)."""
        fs = self.store.fs
        bucket, key, _ = fs.split_path(self.path)
        try:
            if found.etag is None:
                raise NotImplementedError
            fs.call_s3("delete_object", Bucket=bucket, Key=key, IfMatch=found.etag)
            return True
        except FileNotFoundError:
            return False
        except OSError as e:
            code = _s3_error_code(e)
            if code == "PreconditionFailed":
                return False
            if code not in {"NotImplemented", "InvalidArgument", "InvalidRequest"}:
                raise
        except NotImplementedError:
            pass
        finally:
            fs.invalidate_cache(self.path)
        now = self._read()
        if now is None or now.raw != found.raw:
            return False
        fs.rm_file(self.path)
        fs.invalidate_cache(self.path)
        return True

    def _remove_if_unchanged(self, found: _Found) -> bool:
        """Remove the lock we judged stale, unless it has changed since (another writer broke it and took it
        meanwhile). Locally the lock is first renamed aside, so what we remove is exactly what we checked;
        on an object store the delete is conditional on the ETag of the version we checked."""
        if self.store.is_local:
            aside = f"{self.path}.broken-{secrets.token_hex(8)}"
            try:
                os.rename(self.path, aside)
            except FileNotFoundError:
                return False
            try:
                with open(aside, "rb") as f:
                    moved = f.read()
                if moved != found.raw:  # not the lock we judged: put it back, unless a newer one is there
                    try:
                        os.link(aside, self.path)
                    except FileExistsError:
                        self.log(f"the lock on {self.where} changed hands while being broken")
                    return False
            finally:
                os.unlink(aside)
            _fsync_dir(self.store.root)
            return True
        return self._delete_remote(found)


def _pid_alive(pid: int, lock_started: float | None) -> bool:
    """Whether ``pid`` on this host can still be the process that took the lock at ``lock_started``."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, and belongs to another user
    except OSError:
        return True
    started = _process_start_time(pid)
    if started is not None and lock_started is not None and started > lock_started + _PID_REUSE_SLACK_SECONDS:
        return False  # this pid began after the lock was taken: the holder died and its pid was reused
    return True


def _process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (POSIX time), on Linux; None elsewhere or when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
        ticks = int(stat[stat.rindex(")") + 2:].split()[19])  # field 22, counted after "(comm)"
        with open("/proc/stat", "rb") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith(b"btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _s3_error_code(error: BaseException) -> str | None:
    while error is not None:
        response = getattr(error, "response", None)
        if isinstance(response, dict):
            return response.get("Error", {}).get("Code")
        error = error.__cause__ or error.__context__
    return None


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hours(seconds: float) -> str:
    hours = seconds / 3600.0
    return f"{hours:.1f} h" if hours >= 0.1 else f"{seconds:.0f} s"
