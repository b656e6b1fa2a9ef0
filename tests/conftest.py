"""Shared fixtures: the generated sample crawl, one local Spark session, and one pipeline run over the crawl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.config import PipelineConfig
from corpus.sample.generate import generate

SAMPLE_PAGES_PER_LANGUAGE = 6
NIGHT = "2026-11-01"
PII_TEST_KEY = "test-only fingerprint key"
#: what boto3 needs to talk to the loopback S3 server (moto accepts anything)
S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def sample_crawl(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample-crawl")
    crawl = generate(out, pages_per_language=SAMPLE_PAGES_PER_LANGUAGE)
    crawl.meta = json.loads((out / "sample.json").read_text())
    return crawl


@pytest.fixture(scope="session")
def spark():
    from pipelines.spark import build_session

    # one JVM serves the whole suite and gathers every test's cached blocks and broadcasts: its heap peaked at
    # 1.95 of 2 GB (G1 log, humongous Arrow batches) and one CI run lost the JVM mid-suite; a run's own is fresh
    session = build_session(PipelineConfig.load(spark={"master": "local[2]", "shuffle_partitions": 4,
                                                       "driver_memory": "3g"}).spark)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def sample_run(sample_crawl, spark, tmp_path_factory):
    """The pipeline over the sample crawl (shared by the end-to-end tests)."""
    from pipelines.job import run_pipeline

    out = tmp_path_factory.mktemp("run") / "out"
    key = tmp_path_factory.mktemp("secrets") / "pii.key"  # outside the output, as in production
    key.write_text(PII_TEST_KEY)
    config = PipelineConfig.load(pii={"fingerprint_key_file": str(key)})
    return run_pipeline(sample_crawl.files, str(out), config, spark=spark, log=lambda m: None, night=NIGHT)


def publish_two_nights(sample_crawl, spark, work: Path, config_toml: str, key: str):
    """A corpus root of two nights over the sample crawl (its first two files, then the rest), fingerprinted with
    ``key``; ``config_toml`` is added to the configuration. Returns (root, config file, config, files)."""
    from pipelines.job import run_pipeline

    key_file = work / "pii.key"
    key_file.write_text(key)
    config_file = work / "corpus.toml"
    config_file.write_text(f'[pii]\nfingerprint_key_file = "{key_file}"\n{config_toml}')
    config = PipelineConfig.load(str(config_file))
    root = work / "corpus"
    files = sorted(sample_crawl.files)
    for night, part in (("2026-11-01", files[:2]), ("2026-11-02", files[2:])):
        run_pipeline(part, str(root), config, spark=spark, log=lambda m: None, night=night)
    return root, config_file, config, files


@pytest.fixture(scope="module")
def s3_endpoint():
    """An S3-compatible server (moto) on the loopback, one per test module."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def spacy_person_pipeline(tmp_path_factory):
    """A real spaCy pipeline on disk that marks "Marie Dupont" and "Jean Martin" as PER (an entity ruler: no
    weights to download), to test the optional [pii.ner_models] path without a licence-encumbered model."""
    import spacy

    nlp = spacy.blank("fr")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "PER", "pattern": "Marie Dupont"},
                                               {"label": "PER", "pattern": "Jean Martin"}])
    nlp.meta.update({"name": "test_person_ruler", "version": "0.0.1", "license": "Apache-2.0"})
    path = tmp_path_factory.mktemp("spacy") / "fr_person_ruler"
    nlp.to_disk(path)
    return str(path)
