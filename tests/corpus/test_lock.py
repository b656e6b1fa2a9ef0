"""One writer per corpus root (corpus/lock.py), set ids that cannot leave sets/, and roots whose entries
cannot lead outside them (corpus/ledger.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.config import LockConfig, PipelineConfig
from corpus.ledger import CorpusRoot, NotACorpusRoot, UnsafePath, validate_night
from corpus.lock import LOCK_FILE, RootLock, RootLocked
from tests.conftest import S3_CREDENTIALS as CREDENTIALS

REPO = Path(__file__).parents[2]
HOST = socket.gethostname()


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _lock_json(pid: int, host: str = HOST, started: datetime | None = None, token: str = "feedfeed",
               owner: str = "bob", command: str = "run") -> bytes:
    started = started or datetime.now(timezone.utc)
    return json.dumps({"owner": owner, "host": host, "pid": pid, "started": _iso(started), "command": command,
                       "token": token}).encode()


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    for _ in range(20):
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        try:
            os.kill(child.pid, 0)
        except ProcessLookupError:
            return child.pid
    pytest.skip("could not find a free pid")


def _local_root(tmp_path) -> CorpusRoot:
    return CorpusRoot(str(tmp_path / "root")).open()


def _read_lock(root: CorpusRoot) -> dict:
    return json.loads(root.store.read_bytes(root.lock_path))


# -- taking the lock -----------------------------------------------------------------------------------------
def test_second_acquire_is_refused_and_names_the_holder(tmp_path):
    root = _local_root(tmp_path)
    first = RootLock(root, command="run").acquire()
    held = _read_lock(root)
    assert held["pid"] == os.getpid() and held["host"] == HOST and held["command"] == "run"
    assert set(held) == {"owner", "host", "pid", "started", "command", "token"} and len(held["token"]) >= 16
    datetime.strptime(held["started"], "%Y-%m-%dT%H:%M:%SZ")

    for break_stale in (False, True):  # ours is alive and fresh: not even --break-lock breaks it
        with pytest.raises(RootLocked) as refused:
            RootLock(root, command="forget").acquire(break_stale=break_stale)
        message = str(refused.value)
        assert f"pid {os.getpid()}" in message and HOST in message and root.path in message
        assert held["started"] in message and "(run," in message and held["owner"] in message
        assert refused.value.holder.token == held["token"] and refused.value.stale is None
    assert "not stale" in message
    assert _read_lock(root) == held  # untouched

    assert first.release() is True
    assert not os.path.exists(root.lock_path)
    second = RootLock(root, command="forget").acquire()
    assert _read_lock(root)["command"] == "forget" and _read_lock(root)["token"] != held["token"]
    second.release()


def test_lock_on_a_new_root_then_open(tmp_path):
    """The lock may be taken before the root is opened: the lock file alone does not make a directory
    'not a corpus root', nor does it make any directory one."""
    root = CorpusRoot(str(tmp_path / "fresh"))
    with RootLock(root).acquire():
        root.open()
        assert os.path.isdir(root.sets_dir)
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff")
    foreign = CorpusRoot(str(other))
    with RootLock(foreign).acquire():
        with pytest.raises(NotACorpusRoot):
            foreign.open()
    assert sorted(os.listdir(other)) == ["cat.jpg"]


def test_lock_of_a_dead_process_on_this_host_is_broken_only_when_asked(tmp_path):
    root = _local_root(tmp_path)
    pid = _dead_pid()
    Path(root.lock_path).write_bytes(_lock_json(pid, owner="alice"))
    before = Path(root.lock_path).read_bytes()

    with pytest.raises(RootLocked) as refused:
        RootLock(root).acquire()
    assert refused.value.stale and f"process {pid} is no longer running" in str(refused.value)
    assert f"alice@{HOST} pid {pid}" in str(refused.value) and "--break-lock" in str(refused.value)
    assert Path(root.lock_path).read_bytes() == before

    logged: list[str] = []
    lock = RootLock(root, log=logged.append).acquire(break_stale=True)
    assert _read_lock(root)["pid"] == os.getpid() and _read_lock(root)["token"] == lock.info.token
    assert len(logged) == 1 and "broke" in logged[0] and f"alice@{HOST} pid {pid}" in logged[0]
    assert sorted(os.listdir(root.store.root)) == [LOCK_FILE, "sets", "staging"]  # nothing set aside left
    lock.release()


def test_old_lock_is_stale_even_when_its_process_lives(tmp_path):
    root = _local_root(tmp_path)
    hours = LockConfig().stale_after_hours
    # another host: its pid cannot be checked, only the lock's age counts
    Path(root.lock_path).write_bytes(_lock_json(4242, host="elsewhere",
                                                started=datetime.now(timezone.utc) - timedelta(hours=hours + 1)))
    with pytest.raises(RootLocked) as refused:
        RootLock(root).acquire()
    assert refused.value.stale and "old" in refused.value.stale
    RootLock(root).acquire(break_stale=True).release()

    # the same lock, fresh: refused, even with the flag
    Path(root.lock_path).write_bytes(_lock_json(4242, host="elsewhere", started=datetime.now(timezone.utc)))
    with pytest.raises(RootLocked) as refused:
        RootLock(root).acquire(break_stale=True)
    assert "not stale" in str(refused.value) and "elsewhere" in str(refused.value)
    assert _read_lock(root)["pid"] == 4242
    # ... until it is older than the limit the caller sets
    time.sleep(1.1)
    RootLock(root, stale_after_seconds=0.5).acquire(break_stale=True).release()

    # this host, a live process (pid 1 lives as long as the machine), taken long ago: stale by age
    Path(root.lock_path).write_bytes(_lock_json(1, started=datetime.now(timezone.utc) - timedelta(hours=hours * 3)))
    with pytest.raises(RootLocked) as refused:
        RootLock(root).acquire()
    assert refused.value.stale
    RootLock(root).acquire(break_stale=True).release()


def test_corrupt_lock_is_judged_by_its_age(tmp_path):
    root = _local_root(tmp_path)
    Path(root.lock_path).write_bytes(b'{"owner": "bob", "pid": ')
    for break_stale in (False, True):
        with pytest.raises(RootLocked) as refused:
            RootLock(root).acquire(break_stale=break_stale)
        assert "unreadable" in str(refused.value) and refused.value.stale is None
    old = time.time() - (LockConfig().stale_after_hours + 1) * 3600
    os.utime(root.lock_path, (old, old))
    with pytest.raises(RootLocked) as refused:
        RootLock(root).acquire()
    assert refused.value.stale
    lock = RootLock(root).acquire(break_stale=True)
    assert _read_lock(root)["token"] == lock.info.token
    lock.release()


def test_lock_taken_over_while_being_broken_is_left_alone(tmp_path, monkeypatch):
    """Between our judging a lock stale and our breaking it, another writer broke it and took it: what we
    would remove is no longer what we judged, so theirs stays and we are refused."""
    root = _local_root(tmp_path)
    Path(root.lock_path).write_bytes(_lock_json(_dead_pid()))
    theirs = _lock_json(4242, host="elsewhere", token="0123abcd")
    judge = RootLock._stale_reason

    def judged_then_taken_over(self, found):
        reason = judge(self, found)
        Path(root.lock_path).write_bytes(theirs)
        return reason

    monkeypatch.setattr(RootLock, "_stale_reason", judged_then_taken_over)
    with pytest.raises(RootLocked):
        RootLock(root).acquire(break_stale=True)
    assert Path(root.lock_path).read_bytes() == theirs
    assert sorted(os.listdir(root.store.root)) == [LOCK_FILE, "sets", "staging"]


def test_reused_pid_does_not_keep_a_lock_alive(tmp_path):
    """A pid that is alive but started after the lock was taken belongs to another process."""
    if not os.path.exists("/proc/self/stat"):
        pytest.skip("needs /proc")
    root = _local_root(tmp_path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        Path(root.lock_path).write_bytes(
            _lock_json(sleeper.pid, started=datetime.now(timezone.utc) - timedelta(hours=1)))
        with pytest.raises(RootLocked) as refused:
            RootLock(root).acquire()
        assert refused.value.stale and f"process {sleeper.pid} is no longer running" in refused.value.stale
    finally:
        sleeper.kill()
        sleeper.wait()


HOLDER = """
import sys, time
from corpus.ledger import CorpusRoot
from corpus.lock import RootLock
lock = RootLock(CorpusRoot(sys.argv[1]), command="run").acquire()
print("locked", flush=True)
time.sleep(120)
"""


def test_live_lock_of_another_process_is_never_broken(tmp_path):
    root = _local_root(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, root.path], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        held = _read_lock(root)
        assert held["pid"] == holder.pid
        with pytest.raises(RootLocked) as refused:
            RootLock(root).acquire(break_stale=True)
        assert f"pid {holder.pid}" in str(refused.value) and "not stale" in str(refused.value)
        with pytest.raises(RootLocked) as refused:
            RootLock(root).acquire()
        assert "still running" in str(refused.value) and refused.value.stale is None
        assert _read_lock(root) == held
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # killed without releasing: its lock is now stale
    with pytest.raises(RootLocked) as refused:
        RootLock(root).acquire()
    assert refused.value.stale and str(holder.pid) in refused.value.stale
    RootLock(root).acquire(break_stale=True).release()
    assert not os.path.exists(root.lock_path)


RACER = """
import os, sys, time
from corpus.ledger import CorpusRoot
from corpus.lock import RootLock, RootLocked
root, signals, i, break_stale = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
lock = RootLock(CorpusRoot(root))
open(os.path.join(signals, f"ready-{i}"), "w").close()
while not os.path.exists(os.path.join(signals, "go")):
    time.sleep(0.001)
try:
    lock.acquire(break_stale=break_stale)
    print("won", lock.info.token, flush=True)
except RootLocked as e:
    print("lost", flush=True)
# The winner stays alive until every racer has tried: a winner that exited would leave a lock of a dead
# process, which a slower breaker would then rightly break.
open(os.path.join(signals, f"tried-{i}"), "w").close()
while not os.path.exists(os.path.join(signals, "done")):
    time.sleep(0.001)
"""


def _race(root: CorpusRoot, tmp_path, n: int, break_stale: bool) -> list[tuple[int, list[str]]]:
    """n processes take the lock at the same moment; none releases it, and all live until every one has tried."""
    signals = tmp_path / f"signals-{break_stale}"
    signals.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", RACER, root.path, str(signals), str(i),
                               "1" if break_stale else "0"], cwd=REPO, stdout=subprocess.PIPE, text=True)
             for i in range(n)]
    try:
        for stage in ("ready", "tried"):
            deadline = time.time() + 60
            while len(list(signals.glob(f"{stage}-*"))) < n and time.time() < deadline:
                time.sleep(0.01)
            (signals / ("go" if stage == "ready" else "done")).touch()
        results = [(p.pid, p.communicate(timeout=60)[0].split()) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert all(p.returncode == 0 for p in procs)
    return results


def test_racing_writers_exactly_one_wins(tmp_path):
    root = _local_root(tmp_path)
    results = _race(root, tmp_path, 8, break_stale=False)
    winners = [(pid, out) for pid, out in results if out[0] == "won"]
    assert len(winners) == 1, results
    assert sum(out == ["lost"] for _, out in results) == 7
    held = _read_lock(root)
    assert (held["pid"], held["token"]) == (winners[0][0], winners[0][1][1])


def test_racing_breakers_of_a_stale_lock_exactly_one_wins(tmp_path):
    root = _local_root(tmp_path)
    Path(root.lock_path).write_bytes(_lock_json(_dead_pid()))
    results = _race(root, tmp_path, 8, break_stale=True)
    winners = [(pid, out) for pid, out in results if out[0] == "won"]
    assert len(winners) == 1, results
    held = _read_lock(root)
    assert (held["pid"], held["token"]) == (winners[0][0], winners[0][1][1])
    assert sorted(os.listdir(root.store.root)) == [LOCK_FILE, "sets", "staging"]


def test_release_removes_only_our_own_lock(tmp_path):
    root = _local_root(tmp_path)
    assert RootLock(root).release() is False  # never taken
    lock = RootLock(root).acquire()
    theirs = _lock_json(os.getpid(), token="0123abcd")  # our lock was broken and taken by someone else
    Path(root.lock_path).write_bytes(theirs)
    logged: list[str] = []
    lock.log = logged.append
    assert lock.release() is False
    assert Path(root.lock_path).read_bytes() == theirs and logged and "no longer ours" in logged[0]
    assert lock.release() is False and not lock.held


def test_context_manager_releases_on_any_exception(tmp_path):
    root = _local_root(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        with RootLock(root).acquire() as lock:
            assert lock.held and os.path.exists(root.lock_path)
            raise KeyboardInterrupt
    assert not os.path.exists(root.lock_path) and not lock.held
    with pytest.raises(ValueError):
        with RootLock(root) as lock:  # __enter__ takes it when acquire() was not called
            assert _read_lock(root)["token"] == lock.info.token
            raise ValueError("boom")
    assert not os.path.exists(root.lock_path)


def test_staleness_limit_comes_from_the_typed_config(tmp_path):
    root = _local_root(tmp_path)
    assert RootLock(root).stale_after_seconds == 24 * 3600 == PipelineConfig().lock.stale_after_hours * 3600
    config = PipelineConfig.load(None, lock={"stale_after_hours": 0.5})
    assert RootLock.for_config(root, config, "forget").stale_after_seconds == 1800
    with pytest.raises(ValueError):
        PipelineConfig.load(None, lock={"stale_after_hours": 0})
    with pytest.raises(ValueError):
        RootLock(root, stale_after_seconds=0)


# -- on S3 (moto on the loopback) ----------------------------------------------------------------------------

@pytest.fixture
def s3_root(s3_endpoint, monkeypatch, request):
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    bucket = f"lock-{request.node.name.replace('_', '-')[:40].lower()}"
    root = CorpusRoot(f"s3://{bucket}/corpus", s3_endpoint)
    root.store.fs.mkdir(bucket)
    return root.open()


def test_s3_conditional_create_is_honoured(s3_root):
    """The server answers 412 to a second create: what RootLock relies on."""
    fs = s3_root.store.fs
    fs.pipe_file(s3_root.lock_path, b"first", mode="create")
    with pytest.raises(FileExistsError):
        fs.pipe_file(s3_root.lock_path, b"second", mode="create")
    assert fs.cat_file(s3_root.lock_path) == b"first"


def test_s3_second_acquire_refused_then_released(s3_root):
    first = RootLock(s3_root, command="run").acquire()
    fs = s3_root.store.fs
    held = json.loads(fs.cat_file(s3_root.lock_path))
    assert held["pid"] == os.getpid() and held["token"] == first.info.token
    for break_stale in (False, True):
        with pytest.raises(RootLocked) as refused:
            RootLock(s3_root, command="forget").acquire(break_stale=break_stale)
        assert f"pid {os.getpid()}" in str(refused.value) and HOST in str(refused.value)
        assert str(refused.value).startswith(f"corpus root {s3_root.path} is locked")
    assert first.release() is True and not fs.exists(s3_root.lock_path)
    RootLock(s3_root).acquire().release()


def test_s3_create_is_conditional_not_only_checked(s3_root, monkeypatch):
    """Two writers that both find no lock (their look came before either PUT): the store's conditional
    create refuses the second, which must neither win nor overwrite the first's lock."""
    first = RootLock(s3_root).acquire()
    late = CorpusRoot(s3_root.path, s3_root.store.s3_endpoint_url)
    monkeypatch.setattr(late.store.fs, "exists", lambda path, **kw: False)
    with pytest.raises(RootLocked):
        RootLock(late).acquire()
    assert json.loads(s3_root.store.fs.cat_file(s3_root.lock_path))["token"] == first.info.token
    first.release()


def test_s3_stale_lock_and_release_of_our_own_only(s3_root):
    fs = s3_root.store.fs
    pid = _dead_pid()
    fs.pipe_file(s3_root.lock_path, _lock_json(pid, owner="alice"))
    with pytest.raises(RootLocked) as refused:
        RootLock(s3_root).acquire()
    assert refused.value.stale and f"alice@{HOST} pid {pid}" in str(refused.value)
    logged: list[str] = []
    lock = RootLock(s3_root, log=logged.append).acquire(break_stale=True)
    assert json.loads(fs.cat_file(s3_root.lock_path))["token"] == lock.info.token
    assert logged and f"pid {pid}" in logged[0]

    theirs = _lock_json(pid, host="elsewhere", token="0123abcd")
    fs.pipe_file(s3_root.lock_path, theirs)
    assert lock.release() is False
    assert fs.cat_file(s3_root.lock_path) == theirs
    with pytest.raises(RootLocked) as refused:  # fresh, from another host: not stale
        RootLock(s3_root).acquire(break_stale=True)
    assert "not stale" in str(refused.value)
    fs.pipe_file(s3_root.lock_path, _lock_json(7, host="elsewhere",
                                               started=datetime.now(timezone.utc) - timedelta(days=3)))
    RootLock(s3_root).acquire(break_stale=True).release()
    assert not fs.exists(s3_root.lock_path)


def test_s3_lock_taken_over_while_being_broken_is_left_alone(s3_root, monkeypatch):
    """The delete of a stale lock is conditional on the version judged (If-Match: its ETag)."""
    fs = s3_root.store.fs
    fs.pipe_file(s3_root.lock_path, _lock_json(_dead_pid()))
    theirs = _lock_json(4242, host="elsewhere", token="0123abcd")
    judge = RootLock._stale_reason

    def judged_then_taken_over(self, found):
        reason = judge(self, found)
        fs.pipe_file(s3_root.lock_path, theirs)
        return reason

    monkeypatch.setattr(RootLock, "_stale_reason", judged_then_taken_over)
    with pytest.raises(RootLocked):
        RootLock(s3_root).acquire(break_stale=True)
    assert fs.cat_file(s3_root.lock_path) == theirs


def test_s3_racing_writers_exactly_one_wins(s3_root):
    roots = [CorpusRoot(s3_root.path, s3_root.store.s3_endpoint_url) for _ in range(8)]
    locks = [RootLock(r) for r in roots]
    for r in roots:  # each its own client, connected beforehand: the PUTs meet within milliseconds
        r.store.fs.exists(r.lock_path)
    start = threading.Barrier(len(locks))
    outcome: dict[int, str] = {}

    def take(i: int) -> None:
        start.wait()
        try:
            locks[i].acquire()
            outcome[i] = "won"
        except RootLocked:
            outcome[i] = "lost"

    threads = [threading.Thread(target=take, args=(i,)) for i in range(len(locks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [i for i, o in outcome.items() if o == "won"]
    assert len(outcome) == 8 and len(winners) == 1, outcome
    assert json.loads(s3_root.store.fs.cat_file(s3_root.lock_path))["token"] == locks[winners[0]].info.token
    locks[winners[0]].release()


# -- set ids -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("good", ["2026-11-01", "2026-11-01.2", "2024-02-29", "2026-11-01.10", "2026-11-01.1"])
def test_validate_night_accepts(good):
    assert validate_night(good) == good


@pytest.mark.parametrize("bad", ["../x", "/etc", "2026-13-01", "2026-11-01/..", "2026-11-01.0", "", "2026-11-01.02",
                                 "2025-02-29", "2026-11-1", "2026-11-01\n", " 2026-11-01", "2026-11-01.-1",
                                 "2026-11-01.2.2", "２０２６-11-01", "2026-11-01/../../x", "..", "."])
def test_validate_night_refuses(bad):
    with pytest.raises(ValueError) as refused:
        validate_night(bad)
    assert str(refused.value) == f"--night must be a date YYYY-MM-DD, optionally .N; got {bad!r}"


def test_validate_night_message():
    with pytest.raises(ValueError, match=r"^--night must be a date YYYY-MM-DD, optionally \.N; got '\.\./x'$"):
        validate_night("../x")
    with pytest.raises(ValueError):
        validate_night(None)  # type: ignore[arg-type]


@given(st.dates(), st.one_of(st.none(), st.integers(min_value=1, max_value=10**6)))
def test_validate_night_accepts_every_date(day, n):
    value = day.isoformat() + ("" if n is None else f".{n}")  # isoformat: a four-digit year, always
    assert validate_night(value) == value


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from("0123456789-./\\:a \n"), max_size=16) | st.text(max_size=12))
def test_set_paths_never_leave_sets(tmp_path_factory, value):
    root = CorpusRoot(str(tmp_path_factory.getbasetemp() / "prop-root"))
    try:
        path = root.set_dir(value)
    except ValueError:
        with pytest.raises(ValueError):
            root.staging_dir(value)
        return
    assert os.path.dirname(path) == root.sets_dir and os.path.basename(path) == value
    assert os.path.dirname(root.staging_dir(value)) == root.staging_root
    assert "/" not in value and "\\" not in value and ".." not in value


def test_set_dir_refuses_tampered_ids(tmp_path):
    root = _local_root(tmp_path)
    for bad in ("../../etc", "/etc", "2026-11-01/../../x"):
        with pytest.raises(ValueError):
            root.set_dir(bad)
        with pytest.raises(ValueError):
            root.staging_dir(bad)
    with pytest.raises(ValueError):
        root.new_set_id("../x")
    root.store.write_json(root.index_path, {"format": "eu-corpus index", "schema_version": 1,
                                            "sets": [{"id": "../../etc"}]})
    with pytest.raises(ValueError):
        root.is_published(root.index()["sets"][0]["id"])


def test_new_set_id_counts_on(tmp_path):
    root = _local_root(tmp_path)
    assert root.new_set_id("2026-11-01") == "2026-11-01"
    os.makedirs(root.set_dir("2026-11-01"))
    assert root.new_set_id("2026-11-01") == "2026-11-01.2"
    os.makedirs(root.staging_dir("2026-11-01.2"))
    assert root.new_set_id("2026-11-01") == "2026-11-01.3"
    assert root.new_set_id("2026-11-01.2") == "2026-11-01.3"
    assert root.new_set_id("2026-11-01.7") == "2026-11-01.7"
    assert validate_night(root.new_set_id()) == datetime.now(timezone.utc).strftime("%Y-%m-%d")


# -- containment ---------------------------------------------------------------------------------------------
def _files(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def test_staging_symlinked_outside_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root_dir = tmp_path / "root"
    root_dir.mkdir()
    (root_dir / "index.json").write_text('{"sets": []}')
    (root_dir / "staging").symlink_to(outside, target_is_directory=True)
    root = CorpusRoot(str(root_dir))
    with pytest.raises(UnsafePath, match="staging"):
        root.open()
    assert _files(outside) == []
    assert sorted(os.listdir(root_dir)) == ["index.json", "staging"]  # nothing made, not even sets/


@pytest.mark.parametrize("entry", ["sets", "index.json", "ledger.jsonl", "erasures.jsonl", "dedup_index", LOCK_FILE])
def test_any_symlinked_root_entry_is_refused(tmp_path, entry):
    outside = tmp_path / "outside"
    outside.mkdir()
    root_dir = tmp_path / "root"
    (root_dir / "staging").mkdir(parents=True)
    (root_dir / entry).symlink_to(outside / "target")  # dangling or not: refused
    with pytest.raises(UnsafePath):
        CorpusRoot(str(root_dir)).open()
    assert _files(outside) == []


def test_symlink_inside_the_root_is_refused_too(tmp_path):
    root = _local_root(tmp_path)
    os.rmdir(root.staging_root)
    os.symlink(root.sets_dir, root.staging_root)  # staging would write into sets/
    with pytest.raises(UnsafePath, match="symbolic link"):
        CorpusRoot(root.path).open()


def test_symlinked_set_or_staging_entry_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = _local_root(tmp_path)
    os.symlink(outside, root.set_dir("2026-11-01"))
    with pytest.raises(UnsafePath, match="2026-11-01"):
        CorpusRoot(root.path).open()
    os.unlink(root.set_dir("2026-11-01"))
    os.symlink(outside, root.staging_dir("2026-11-02"))
    with pytest.raises(UnsafePath, match="2026-11-02"):
        CorpusRoot(root.path).check_paths()
    os.unlink(root.staging_dir("2026-11-02"))
    CorpusRoot(root.path).open()  # clean again


def test_root_itself_may_be_a_symlink(tmp_path):
    real = tmp_path / "real"
    (real / "sets" / "2026-11-01").mkdir(parents=True)
    (real / "staging").mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    root = CorpusRoot(str(link)).open()
    with RootLock(root).acquire():
        assert (real / LOCK_FILE).exists()
    assert root.new_set_id("2026-11-01") == "2026-11-01.2"
