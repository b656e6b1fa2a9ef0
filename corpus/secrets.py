"""Secrets never leave in what a run writes: the fingerprint key, and credentials an operator passes through
the Spark configuration (``spark.executorEnv.CORPUS_PII_KEY`` is how a cluster hands executors the key).

``config.json`` and the hash of the configuration in the provenance record are made from a redacted copy;
Spark itself is told to redact the same names (``spark.redaction.regex``) in its UI, event logs and
environment reports.
"""

from __future__ import annotations

import json
import re

REDACTED = "*********(redacted)"
#: Spark's own default redaction pattern, and ours: the key's variable and anything named like a secret
SPARK_DEFAULT_REDACTION = r"(?i)secret|password|token|access[.]?key"
SECRET_NAMES = r"(?i)secret|password|passwd|token|access[._-]?key|credential|pii[._-]?key|fingerprint[._-]?key"


def redaction_regex(key_env: str) -> str:
    """The pattern given to ``spark.redaction.regex``: Spark's default, ours, and the key's variable name."""
    return f"{SPARK_DEFAULT_REDACTION}|{SECRET_NAMES[4:]}|{re.escape(key_env)}"


def redact(data, key_env: str):
    """A copy of a configuration tree with every value under a secret-looking name replaced."""
    pattern = re.compile(redaction_regex(key_env))
    if isinstance(data, dict):
        return {k: REDACTED if pattern.search(str(k)) and v not in (None, "") else redact(v, key_env)
                for k, v in data.items()}
    if isinstance(data, list):
        return [redact(v, key_env) for v in data]
    return data


def redacted_config_json(config_json: str) -> str:
    """The resolved configuration as written next to the output: secrets replaced. The key's file path
    (``pii.fingerprint_key_file``) is kept: it says where the key lives, not what it is."""
    data = json.loads(config_json)
    key_env = data.get("pii", {}).get("fingerprint_key_env", "CORPUS_PII_KEY")
    redacted = redact({k: v for k, v in data.items()}, key_env)
    # the key's own settings are named like secrets but hold a variable name and a path, not the key
    redacted["pii"]["fingerprint_key_env"] = data["pii"]["fingerprint_key_env"]
    redacted["pii"]["fingerprint_key_file"] = data["pii"]["fingerprint_key_file"]
    return json.dumps(redacted, sort_keys=True)
