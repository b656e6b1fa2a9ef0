"""Remote inputs against real servers on loopback: an HTTP server that drops connections mid-file and fails
with 503s, and an S3-compatible server (moto in server mode). Listings, limits and samples."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import random
import threading
from pathlib import Path

import pytest

from corpus.config import PipelineConfig
from corpus.inputs import InputError, RemoteOptions, ResumableHttpReader, input_size, open_input, resolve_inputs
from corpus.storage import Store
from pipelines.worker import stage_input

FAST = RemoteOptions(retries=6, backoff_seconds=0.01, max_backoff_seconds=0.05, timeout_seconds=10)


class FlakyHandler(http.server.BaseHTTPRequestHandler):
    """Serves files from ``directory`` with Range support. For each path: the first GET answers 503, the
    second sends half the body and drops the connection; later requests behave."""

    directory: Path
    seen: dict
    honour_ranges = True

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def _serve(self, head: bool):
        path = self.directory / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        if head:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return
        count = self.seen[self.path] = self.seen.get(self.path, 0) + 1
        if count == 1:
            self.send_error(503)
            return
        start = 0
        if self.honour_ranges and self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if count == 2:  # drop the connection halfway through the body
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


def _serve(directory: Path, honour_ranges: bool = True):
    handler = type("Handler", (FlakyHandler,), {"directory": directory, "seen": {}, "honour_ranges": honour_ranges})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture()
def http_crawl(sample_crawl):
    directory = Path(sample_crawl.files[0]).parent
    server, base = _serve(directory)
    yield base, directory
    server.shutdown()


@pytest.mark.parametrize("honour_ranges", [True, False])
def test_http_download_survives_503_and_a_dropped_connection(sample_crawl, honour_ranges):
    path = Path(sample_crawl.files[0])
    server, base = _serve(path.parent, honour_ranges)
    try:
        reader = ResumableHttpReader(f"{base}/{path.name}", FAST)
        data = reader.read()
        reader.close()
    finally:
        server.shutdown()
    assert hashlib.sha256(data).digest() == hashlib.sha256(path.read_bytes()).digest()
    assert reader.reconnects == 1


def test_http_gives_up_with_a_clear_error_on_404(http_crawl):
    base, _ = http_crawl
    with pytest.raises(OSError, match="404"):
        ResumableHttpReader(f"{base}/missing.warc.gz", FAST).read()


def test_http_input_gives_the_same_staged_results_as_the_local_file(http_crawl, sample_crawl, tmp_path):
    base, directory = http_crawl
    name = Path(sample_crawl.files[1]).name
    config = PipelineConfig.load(remote={"retries": 6, "backoff_seconds": 0.01, "start_jitter_seconds": 0.0})
    store = Store(str(tmp_path))
    remote = stage_input(config.model_dump_json(), store, str(tmp_path / "remote"), 0, f"{base}/{name}")
    local = stage_input(config.model_dump_json(), store, str(tmp_path / "local"), 0, str(directory / name))
    for key in ("size", "sha256", "records", "documents"):
        assert remote[key] == local[key], key
    assert input_size(f"{base}/{name}", FAST) == (directory / name).stat().st_size


def test_common_crawl_listing_with_limit_and_sample(http_crawl, sample_crawl, tmp_path):
    base, _ = http_crawl
    names = sorted(Path(f).name for f in sample_crawl.files)
    listing = tmp_path / "warc.paths.gz"
    listing.write_bytes(gzip.compress("\n".join(names).encode()))
    everything = resolve_inputs([str(listing)], base_url=base + "/", options=FAST)
    assert everything == [f"{base}/{n}" for n in names]
    assert resolve_inputs([str(listing)], limit=2, base_url=base, options=FAST) == everything[:2]
    sampled = resolve_inputs([str(listing)], sample=3, seed=7, base_url=base, options=FAST)
    assert sampled == sorted(random.Random(7).sample(everything, 3))
    assert sampled == resolve_inputs([str(listing)], sample=3, seed=7, base_url=base, options=FAST)


def test_local_inputs_and_errors(sample_crawl, tmp_path):
    directory = str(Path(sample_crawl.files[0]).parent)
    assert resolve_inputs([directory]) == sorted(sample_crawl.files)
    assert resolve_inputs([directory + "/*.warc.gz"], limit=1) == sorted(sample_crawl.files)[:1]
    with pytest.raises(InputError, match="not found"):
        resolve_inputs([str(tmp_path / "nope.warc.gz")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no WARC files"):
        resolve_inputs([str(tmp_path / "empty")])


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    yield f"http://{host}:{port}"
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_s3_inputs_through_a_real_s3_server(s3_server, sample_crawl, tmp_path):
    from corpus.inputs import s3_filesystem

    options = RemoteOptions(retries=3, backoff_seconds=0.01, s3_endpoint_url=s3_server)
    fs = s3_filesystem(options)
    fs.mkdir("inputs-test")  # moto keeps its buckets per process: one name per test module
    for f in sample_crawl.files[:2]:
        fs.put_file(f, f"inputs-test/2026/{Path(f).name}")
    found = resolve_inputs(["s3://inputs-test/2026/*.warc.gz"], options=options)
    assert found == sorted(f"s3://inputs-test/2026/{Path(f).name}" for f in sample_crawl.files[:2])
    with open_input(found[0], options) as stream:
        assert stream.read() == Path(sample_crawl.files[0]).read_bytes()
    assert input_size(found[1], options) == Path(sample_crawl.files[1]).stat().st_size
    config = PipelineConfig.load(remote={"s3_endpoint_url": s3_server, "start_jitter_seconds": 0.0})
    store = Store(str(tmp_path))
    summary = stage_input(config.model_dump_json(), store, str(tmp_path / "s3"), 0, found[0])
    local = stage_input(config.model_dump_json(), store, str(tmp_path / "local"), 0, sample_crawl.files[0])
    assert (summary["sha256"], summary["records"], summary["documents"]) == (
        local["sha256"], local["records"], local["documents"])


def test_s3_options_profile_path_style_and_bucket_creation(s3_server, tmp_path, monkeypatch):
    """[remote]'s S3 settings reach the store: credentials from a named profile (none in the environment),
    path-style addressing, and the output bucket created only when asked."""
    from botocore.exceptions import NoCredentialsError

    from corpus.storage import Store

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    credentials = tmp_path / "credentials"
    credentials.write_text("[corpus-night]\naws_access_key_id = night\naws_secret_access_key = night-secret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))

    plain = RemoteOptions(retries=1, s3_endpoint_url=s3_server)
    with pytest.raises(NoCredentialsError):  # nothing in the environment: the profile is what makes it work
        Store("s3://profile-bucket/root", plain).fs.ls("profile-bucket")
    options = RemoteOptions(retries=1, s3_endpoint_url=s3_server, s3_profile="corpus-night", s3_region="eu-west-1",
                            s3_path_style=True)
    store = Store("s3://profile-bucket/root", options)
    assert store.ensure_bucket() is False and not store.fs.exists("profile-bucket"), "created without being asked"
    creating = Store("s3://profile-bucket/root", RemoteOptions(**{**options.__dict__, "s3_create_bucket": True}))
    assert creating.ensure_bucket() is True and creating.ensure_bucket() is False
    creating.write_json(creating.join(creating.root, "index.json"), {"sets": []})
    assert store.read_json("profile-bucket/root/index.json") == {"sets": []}
    client_config = store.fs.client_kwargs, store.fs.config_kwargs
    assert client_config[0]["region_name"] == "eu-west-1"
    assert client_config[1]["s3"] == {"addressing_style": "path"}
