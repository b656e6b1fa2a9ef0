"""The configuration refuses nonsense before any work, naming the file (or the flag), the key and what is allowed;
every number has a range; the documented example is exactly the defaults; docs/configuration.md is generated."""

import importlib.util
import math
import operator
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.config import ConfigError, PipelineConfig, bounds, sections

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "docs" / "config.example.toml"
ROWS_FLAG = {"--rows-per-file": ("shards", "rows_per_file")}

#: (section, key) of a number deliberately without a range, with the reason; empty: every number has one.
UNBOUNDED: dict[tuple[str, str], str] = {}


def _write(tmp_path, text: str, name: str = "my.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _refusal(path, **overrides) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        PipelineConfig.load(path, **overrides)
    return caught.value


# --- the example file and the docs ------------------------------------------------------------------------

def test_documented_example_equals_defaults():
    assert PipelineConfig.load(EXAMPLE) == PipelineConfig()


def test_example_names_every_key():
    """Each key appears in docs/config.example.toml, set to its default or commented out (defaults left unset)."""
    named, section = set(), None
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if header := re.match(r"^\[([\w.]+)\]", line):
            section, _, table = header.group(1).partition(".")
            if table:
                named.add((section, table))
        elif key := re.match(r"^#?\s*(\w+)\s*=", line):
            named.add((section, key.group(1)))
    every = {(name, key) for name, model in sections().items() for key in model.model_fields}
    assert not every - named, f"add these keys to {EXAMPLE.name}: {sorted(every - named)}"


def _config_docs():
    spec = importlib.util.spec_from_file_location("config_docs", ROOT / "scripts" / "config_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_configuration_reference_is_generated_from_the_models():
    docs = _config_docs()
    committed = docs.DOC.read_text(encoding="utf-8")
    assert docs.MARKER in committed
    assert committed == docs.render(docs.current_intro()), (
        "docs/configuration.md is out of date: run .venv/bin/python scripts/config_docs.py and commit it")
    for name, model in sections().items():
        assert f"## `[{name}]`" in committed
        for key in model.model_fields:
            assert f"| `{key}` |" in committed


def test_every_key_is_described():
    missing = [f"{name}.{key}" for name, model in sections().items()
               for key, field in model.model_fields.items() if not (field.description or "").strip()]
    assert not missing, f"give these fields a description= (it is their line in docs/configuration.md): {missing}"


# --- every number has a range -----------------------------------------------------------------------------

def _numbers(schema: dict):
    """(schema of a number, where) for a property's schema: itself, an optional's, or a table's values."""
    for option in schema.get("anyOf", [schema]):
        if option.get("type") in ("integer", "number"):
            yield option, ""
        values = option.get("additionalProperties")
        if isinstance(values, dict) and values.get("type") in ("integer", "number"):
            yield values, " (each value)"


def test_every_number_has_a_range():
    """Read from pydantic's JSON schema, independently of the helpers that write the docs and messages."""
    schema = PipelineConfig.model_json_schema()
    unbounded = []
    for name, ref in schema["properties"].items():
        section = schema["$defs"][ref["$ref"].rsplit("/", 1)[1]]
        for key, prop in section["properties"].items():
            for number, where in _numbers(prop):
                if not {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"} & set(number):
                    if (name, key) not in UNBOUNDED:
                        unbounded.append(f"{name}.{key}{where}")
    assert not unbounded, f"numbers without ge/gt/le/lt (or list them in UNBOUNDED with a reason): {unbounded}"
    assert all(reason for reason in UNBOUNDED.values())


def test_defaults_are_within_their_ranges():
    assert PipelineConfig.model_validate(PipelineConfig().model_dump()) == PipelineConfig()


# --- the issue's examples -----------------------------------------------------------------------------------

def test_a_negative_payload_limit_is_refused(tmp_path):
    path = _write(tmp_path, "[ingest]\nmax_payload_bytes = -5\n")
    error = _refusal(path)
    assert isinstance(error, ValueError)
    assert str(error) == f"{path}: ingest.max_payload_bytes = -5: must be >= 1"
    assert error.problems == (str(error),)
    assert PipelineConfig.load(_write(tmp_path, "[ingest]\nmax_payload_bytes = 1\n")).ingest.max_payload_bytes == 1


def test_zero_rows_per_file_is_refused_before_any_work(tmp_path):
    path = _write(tmp_path, "[shards]\nrows_per_file = 0\n")
    assert str(_refusal(path)) == f"{path}: shards.rows_per_file = 0: must be >= 1"


def test_a_bad_flag_is_named_by_its_flag_not_the_file(tmp_path):
    path = _write(tmp_path, "[shards]\nrows_per_file = 10\n[spark]\nmaster = \"local[2]\"\n")
    error = _refusal(path, flags=ROWS_FLAG, shards={"rows_per_file": -3})
    assert str(error) == "--rows-per-file (shards.rows_per_file) = -3: must be >= 1"
    # an override without a flag is still not blamed on the file
    assert str(_refusal(path, shards={"rows_per_file": -3})) == "command line: shards.rows_per_file = -3: must be >= 1"
    # and a bad value in the file is the file's, whatever the flags
    error = _refusal(_write(tmp_path, "[shards]\nrows_per_file = 0\n", "other.toml"), flags=ROWS_FLAG,
                     spark={"master": "local[1]"})
    assert str(error).startswith(f"{tmp_path / 'other.toml'}: shards.rows_per_file = 0")


def test_the_cli_call_works_and_ignores_unset_flags(tmp_path):
    """How corpus/cli.py calls it: every flag mapped, overrides of flags not given are None."""
    flags = {"--master": ("spark", "master"), "--rows-per-file": ("shards", "rows_per_file"),
             "--blocklist": ("optout", "blocklist_files"), "--optout-list": ("optout", "optout_files")}
    path = _write(tmp_path, "[shards]\nrows_per_file = 10\n")
    config = PipelineConfig.load(str(path), flags=flags, spark={"master": None}, shards={"rows_per_file": None},
                                 optout={"blocklist_files": None, "optout_files": ("opt.txt",)})
    assert config.shards.rows_per_file == 10 and config.spark.master == "local[*]"
    assert config.optout.optout_files == ("opt.txt",)
    assert PipelineConfig.load(None, flags=flags, shards={"rows_per_file": 7}).shards.rows_per_file == 7
    cfg = PipelineConfig.load(None, spark={"master": "spark://127.0.0.1:7077"}, shards={"rows_per_file": None})
    assert cfg.spark.master == "spark://127.0.0.1:7077" and cfg.shards.rows_per_file == 50_000


def test_a_toml_syntax_error_names_the_file_and_line(tmp_path):
    path = _write(tmp_path, "[shards]\nrows_per_file = 10\nrow_group_size = \n")
    message = str(_refusal(path))
    assert message.startswith(f"{path}: not valid TOML") and "line 3" in message
    assert "\n" not in message


def test_an_unknown_key_lists_the_allowed_ones(tmp_path):
    path = _write(tmp_path, "[ingest]\nmax_payload = 5\n[dedup]\nnum_band = 3\n[shard]\nrows_per_file = 1\n")
    lines = _refusal(path).problems
    assert lines[0] == f"{path}: ingest.max_payload: unknown key (allowed: max_payload_bytes, html_mime_types)"
    assert lines[1].startswith(f"{path}: dedup.num_band: unknown key (allowed: exact, near, ngram, num_bands,")
    assert lines[2].startswith(f"{path}: shard: unknown section (allowed: remote, inputs, ingest,")
    assert len(lines) == 3


def test_a_missing_or_unreadable_file_is_named(tmp_path):
    missing = tmp_path / "nope.toml"
    assert str(_refusal(missing)) == f"{missing}: cannot read the configuration file: No such file or directory"
    assert str(_refusal(tmp_path)).startswith(f"{tmp_path}: cannot read the configuration file")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe[shards]")
    assert str(_refusal(binary)) == f"{binary}: not a UTF-8 text file"


def test_every_problem_is_one_plain_line(tmp_path):
    path = _write(tmp_path, "ingest = 5\n[remote]\nretries = 0\ntimeout_seconds = -1.5\n"
                            "[langid]\nmixed_share = 1.5\nlanguages = [\"en\", 3]\n[pii.drop_density]\nEMAIL = 0\n")
    error = _refusal(path)
    assert error.problems == (
        f"{path}: remote.retries = 0: must be >= 1",
        f"{path}: remote.timeout_seconds = -1.5: must be > 0",
        f"{path}: ingest = 5: must be a table ([ingest])",
        f"{path}: langid.languages[1] = 3: must be a string",
        f"{path}: langid.mixed_share = 1.5: must be >= 0 and <= 1",
        f"{path}: pii.drop_density.EMAIL = 0: must be > 0",
    )
    assert str(error) == "\n".join(error.problems)
    assert error.__cause__ is None and error.__suppress_context__  # no pydantic dump chained under it
    assert "pydantic" not in str(error) and "Input should" not in str(error)


def test_secrets_are_never_echoed(tmp_path):
    path = _write(tmp_path, "[pii]\nfingerprint_key_file = 123456\n[spark.extra_conf]\n"
                            "\"spark.hadoop.fs.s3a.secret.key\" = 987654\n\"spark.app.tag\" = 42\n")
    message = str(_refusal(path))
    assert "123456" not in message and "987654" not in message
    assert f"{path}: pii.fingerprint_key_file = <redacted>: must be a string" in message
    assert f'{path}: spark.extra_conf."spark.hadoop.fs.s3a.secret.key" = <redacted>: must be a string' in message
    assert f'{path}: spark.extra_conf."spark.app.tag" = 42: must be a string' in message
    flagged = str(_refusal(None, flags={"--api-token": ("spark", "extra_conf")},
                           spark={"extra_conf": {"access_token": 31337}}))
    assert "31337" not in flagged and flagged.startswith("--api-token (spark.extra_conf.access_token) = <redacted>")


def test_a_number_must_be_a_finite_number_not_a_boolean(tmp_path):
    path = _write(tmp_path, "[shards]\nrows_per_file = true\n[train]\nlearning_rate = inf\nseq_len = 1.5\n"
                            "[extract]\ntimeout_seconds = nan\n")
    assert _refusal(path).problems == (
        f"{path}: extract.timeout_seconds = nan: must be a finite number >= 0",
        f"{path}: shards.rows_per_file = true: must be a number, not true or false",
        f"{path}: train.seq_len = 1.5: must be a whole number >= 2",
        f"{path}: train.learning_rate = inf: must be a finite number > 0",
    )


def test_choices_and_patterns_say_what_is_allowed(tmp_path):
    path = _write(tmp_path, "[spark]\ndriver_memory = \"2\"\nexecutor_memory = \"2gb\"\n[tokenizer]\n"
                            "model_type = \"wordpiece\"\n[pii.actions]\nVAT_ID = \"drop\"\n")
    assert _refusal(path).problems == (
        f'{path}: pii.actions.VAT_ID = "drop": must be "mask" or "keep"',
        f'{path}: spark.driver_memory = "2": must be a whole number with a unit k, m, g or t (512m, 2g)',
        f'{path}: spark.executor_memory = "2gb": must be a whole number with a unit k, m, g or t (512m, 2g)',
        f'{path}: tokenizer.model_type = "wordpiece": must be "unigram" or "bpe"',
    )
    for good in ("512m", "4G", "1t", "1024k"):
        assert PipelineConfig.load(None, spark={"driver_memory": good}).spark.driver_memory == good
    for bad in ("0g", "-1g", "1.5g", "g", "2 g"):
        assert "spark.driver_memory" in str(_refusal(None, spark={"driver_memory": bad}))


def test_values_that_only_fail_together(tmp_path):
    """Ranges that depend on another key: heads of the model's width, the codec's levels, the mesh's -1."""
    path = _write(tmp_path, "[train]\nd_model = 100\nn_heads = 8\nmesh_data = 0\n"
                            "[shards]\ncompression = \"gzip\"\ncompression_level = 12\n")
    assert _refusal(path).problems == (
        f'{path}: shards.compression_level = 12: must be >= 1 and <= 9 for shards.compression = "gzip"',
        f"{path}: train.n_heads = 8: must divide train.d_model = 100 into heads of an even size",
        f"{path}: train.mesh_data = 0: must be -1 or >= 1",
    )
    assert "train.n_heads" in str(_refusal(None, train={"d_model": 24, "n_heads": 8}))  # heads of 3: odd
    config = PipelineConfig.load(None, train={"d_model": 48, "n_heads": 6, "mesh_data": 4},
                                 shards={"compression": "gzip", "compression_level": 9})
    assert (config.train.n_heads, config.train.mesh_data, config.shards.compression_level) == (6, 4, 9)
    # snappy and none take no level, and pyarrow refuses one after a whole run: refused here instead
    assert "shards.compression" in str(_refusal(None, shards={"compression": "snappy"}))


def test_the_codec_levels_are_pyarrows():
    pa = pytest.importorskip("pyarrow")
    from corpus.config import COMPRESSION_LEVELS

    for codec, (low, high) in COMPRESSION_LEVELS.items():
        assert (pa.Codec.minimum_compression_level(codec), pa.Codec.maximum_compression_level(codec)) == (low, high)


# --- property: load succeeds exactly within the documented range --------------------------------------------

def _numeric_fields():
    schema = PipelineConfig.model_json_schema()
    found = []
    for name, ref in schema["properties"].items():
        section = schema["$defs"][ref["$ref"].rsplit("/", 1)[1]]
        model = sections()[name]
        for key, prop in section["properties"].items():
            kinds = {o.get("type") for o in prop.get("anyOf", [prop])}
            if kinds & {"integer", "number"}:
                found.append((name, key, "integer" in kinds, bounds(model.model_fields[key].metadata)))
    return found


NUMERIC = _numeric_fields()
#: ranges that also depend on another key's value (checked in test_values_that_only_fail_together)
DEPENDENT = {("train", "d_model"), ("train", "n_heads"), ("train", "mesh_data")}


def _within(value, whole: bool, limits: dict) -> bool:
    if not math.isfinite(value) or (whole and not float(value).is_integer()):
        return False
    checks = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}
    return all(checks[name](value, bound) for name, bound in limits.items())


def _candidates(limits: dict):
    edges = [b + d for b in limits.values() for d in (-1, -0.5, -1e-9, 0, 1e-9, 0.5, 1)]
    return st.one_of(st.sampled_from(edges), st.integers(-(2**40), 2**40), st.floats(-10, 10),
                     st.floats(allow_nan=True, allow_infinity=True))


def _toml(value) -> str:
    return repr(value) if isinstance(value, float) and math.isfinite(value) else str(value).lower()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_load_succeeds_exactly_within_the_documented_range(tmp_path, data):
    name, key, whole, limits = data.draw(st.sampled_from(NUMERIC), label="field")
    value = data.draw(_candidates(limits), label="value")
    via_flag = data.draw(st.booleans(), label="via_flag")
    path = _write(tmp_path, f"[{name}]\n{key} = {_toml(value)}\n")
    assert tomllib.loads(path.read_text())[name][key] == value or math.isnan(value)
    try:
        if via_flag:
            config = PipelineConfig.load(None, flags={"--the-flag": (name, key)}, **{name: {key: value}})
        else:
            config = PipelineConfig.load(path)
    except ConfigError as error:
        assert (name, key) in DEPENDENT or not _within(value, whole, limits), f"{value} refused: {error}"
        assert len(error.problems) == 1 and ": must " in str(error)
        where = f"--the-flag ({name}.{key}) = " if via_flag else f"{path}: {name}.{key} = "
        # a d_model that n_heads does not divide is reported on n_heads, naming d_model and its value
        assert str(error).startswith(where) or f"train.d_model = {int(value)}" in str(error)
    else:
        assert _within(value, whole, limits), f"{name}.{key} = {value} accepted outside {limits}"
        assert getattr(getattr(config, name), key) == value
