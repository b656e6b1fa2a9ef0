"""The documented example configuration is exactly the defaults, and bad keys are rejected."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from corpus.config import PipelineConfig

EXAMPLE = Path(__file__).parents[2] / "docs" / "config.example.toml"


def test_documented_example_equals_defaults():
    assert PipelineConfig.load(EXAMPLE) == PipelineConfig()


def test_overrides_and_unknown_keys(tmp_path):
    cfg = PipelineConfig.load(None, spark={"master": "spark://127.0.0.1:7077"}, shards={"rows_per_file": None})
    assert cfg.spark.master == "spark://127.0.0.1:7077" and cfg.shards.rows_per_file == 50_000
    bad = tmp_path / "bad.toml"
    bad.write_text("[dedup]\nnum_band = 3\n")
    with pytest.raises(ValidationError):
        PipelineConfig.load(bad)
