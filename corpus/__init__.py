"""eu-corpus: a GDPR-compliant multilingual web-corpus pipeline (CLI, configuration, schema, shards, reports)."""

__version__ = "0.1.0"
