"""The dataset card and the record of processing, as a reader of them would check them: the card's front matter
read by a YAML parser, the shards loaded through the configs it declares (pyarrow and Hugging Face `datasets`),
every number equal to the manifests and stats, before and after an erasure, and no personal value anywhere."""

import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
import yaml

from corpus.cli import main
from pii.fingerprints import fingerprint
from tests.conftest import publish_two_nights

KEY = "card-test key"
CONTROLLER = {"name": "Example Research Institute", "contact": "Example Street 1, 1000 Brussels",
              "purposes": ["training language models"], "dataset_license": "odc-by"}
UNSET = ["controller.dpo_contact", "controller.joint_controllers", "controller.representative", "legal_basis",
         "recipients", "retention.controller", "technical_and_organisational_measures.access_control",
         "third_country_transfers"]


@pytest.fixture(scope="module")
def root(sample_crawl, spark, tmp_path_factory):
    controller = "\n".join(f"{k} = {json.dumps(v)}" for k, v in CONTROLLER.items())
    root, config_file, _, _ = publish_two_nights(sample_crawl, spark, tmp_path_factory.mktemp("card"),
                                                 f"[controller]\n{controller}\n", KEY)
    return root, config_file


def _front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("\n---\n", 1)[0][4:])


def _rows(set_dir: Path, columns=None) -> list[dict]:
    return [r for f in sorted(set_dir.glob("shards/lang=*/*.parquet")) for r in pq.read_table(f, columns=columns).to_pylist()]


def _first_table(text: str, after: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the first Markdown table after ``after`` (thousands separators removed)."""
    lines = text.split(after, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| "))
    block = list(itertools.takewhile(lambda line: line.startswith("|"), lines[start:]))
    cells = lambda line: [c.strip().replace(",", "") for c in line.strip().strip("|").split("|")]  # noqa: E731
    return cells(block[0]), [cells(line) for line in block[2:]]


def _check_card(folder: Path, set_dirs: list[Path], planted: list[str]) -> dict:
    card = (folder / "README.md").read_text("utf-8")
    meta = _front_matter(card)
    manifests = [json.loads((s / "manifest.json").read_text()) for s in set_dirs]
    stats = [json.loads((s / "stats.json").read_text()) for s in set_dirs]
    languages: dict[str, Counter] = {}
    for m in manifests:
        for lang, t in m["languages"].items():
            languages.setdefault(lang, Counter()).update({k: t[k] for k in ("documents", "characters", "words")})
    documents = sum(m["totals"]["documents"] for m in manifests)

    # front matter: what the Hugging Face hub reads
    assert meta["language"] == sorted(lang for lang, t in languages.items() if t["documents"])
    if len(set_dirs) > 1:  # the root: the sample crawl has every official language
        assert len(meta["language"]) == 24
    assert meta["license"] == "odc-by" and meta["size_categories"] == ["n<1K"]
    assert meta["task_categories"] == ["text-generation"]
    infos = {i["config_name"]: i for i in meta["dataset_info"]}
    for config in meta["configs"]:
        name = config["config_name"]
        expected = documents if name == "all" else languages[name]["documents"]
        [files_spec] = config["data_files"]
        files = sorted({p for pattern in files_spec["path"] for p in folder.glob(pattern)})
        assert files and all(str(f).startswith(str(folder)) for f in files)
        dataset = pads.dataset([str(f) for f in files], format="parquet")
        assert dataset.count_rows() == expected == infos[name]["splits"][0]["num_examples"]
        assert set(config["columns"]) <= set(dataset.schema.names)
        if name != "all":
            assert set(dataset.to_table(columns=["lang"])["lang"].to_pylist()) <= {name}
    assert {c["config_name"] for c in meta["configs"]} == {"all", *languages}
    assert [c["config_name"] for c in meta["configs"] if c.get("default")] == ["all"]

    # the body: composition, records, personal data, domains
    composition = {r[0]: r for r in _first_table(card, "## Composition by language")[1]}
    assert set(composition) == set(languages)
    for lang, t in languages.items():
        assert [int(x) for x in composition[lang][1:4]] == [t["documents"], t["characters"], t["words"]]
    records = Counter()
    for s in stats:
        records.update(s["records"])
    assert f"**{documents:,} documents**" in card
    assert (f"Of {records['read']:,} records read, {records['kept']:,} were kept, {records['dropped']:,} dropped, "
            f"{records['quarantined']:,} quarantined and {records['erased']:,} erased on request") in card
    assert records["kept"] == documents
    pii = Counter()
    for s in stats:
        for types in s["pii"].values():
            pii.update(types)
    header, rows = _first_table(card, "Values replaced, by type and language:")
    all_row = next(r for r in rows if r[0] == "all")
    assert dict(zip(header[1:-1], map(int, all_row[1:-1]))) == dict(pii) and int(all_row[-1]) == sum(pii.values())
    domains = Counter(r["domain"] for s in set_dirs for r in _rows(s, ["domain"]))
    _, shown = _first_table(card, "with most documents:")
    assert len(shown) == min(20, len([d for d in domains if d]))
    for domain, n in shown:
        assert domains[domain] == int(n)
    assert f"Domains: {len([d for d in domains if d]):,} distinct" in card

    # nothing personal, and the record of processing beside it
    for name in ("README.md", "record_of_processing.md", "record_of_processing.json"):
        text = (folder / name).read_text("utf-8")
        leaked = [v for v in planted if v in text]
        assert not leaked, f"{name} holds {len(leaked)} planted personal value(s)"
    record = json.loads((folder / "record_of_processing.json").read_text())
    assert record["controller"]["name"] == CONTROLLER["name"] and record["purposes"] == CONTROLLER["purposes"]
    assert record["to_be_completed"] == UNSET
    assert "to be completed by the controller" in (folder / "record_of_processing.md").read_text()
    assert record["categories_of_personal_data"]["found_and_replaced"] == dict(sorted(pii.items()))
    assert record["source_of_the_data"]["documents_published_now"] == documents
    assert record["erasure"]["documents_removed"] == records["erased"]
    return {"card": card, "meta": meta, "record": record}


def test_cards_agree_with_the_records_and_load_as_declared_before_and_after_an_erasure(
        root, sample_crawl, spark, capsys, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    root, config_file = root
    sets = [root / "sets" / "2026-11-01", root / "sets" / "2026-11-02"]
    planted = sample_crawl.planted_pii
    for s in sets:
        _check_card(s, [s], planted)
        report = (s / "report.html").read_text()
        assert 'href="README.md"' in report and 'href="record_of_processing.md"' in report
    before = _check_card(root, sets, planted)
    assert "Erasure requests honoured (GDPR Art. 17): 0;" in before["card"]
    compliance = (root / "compliance.html").read_text()
    assert all(f'href="sets/{s.name}/README.md"' in compliance for s in sets)
    assert 'href="record_of_processing.md"' in compliance

    # Hugging Face reads the folder without code, offline, and checks the card's example counts itself
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    loaded = datasets.load_dataset(str(sets[1]), "de", cache_dir=str(tmp_path / "hf"))
    assert loaded["train"].num_rows == json.loads((sets[1] / "manifest.json").read_text())["languages"]["de"]["documents"]
    assert set(loaded["train"][0]) == {c["name"] for c in before["meta"]["dataset_info"][0]["features"]}

    # an erasure rewrites every card and record it touches
    indexed = {r["fingerprint"]: (s, r["doc_id"]) for s in sets for f in sorted(s.glob("pii_index/*.parquet"))
               for r in pq.read_table(f).to_pylist()}
    email = next(v for v in planted if "@" in v and fingerprint(KEY.encode(), "EMAIL", v) in indexed)
    capsys.readouterr()
    assert main(["forget", "--root", str(root), "--config", str(config_file), "--email", email,
                 "--reason", "ticket 7"]) == 0
    erased = sum(json.loads((s / "manifest.json").read_text())["totals"].get("erased", 0) for s in sets)
    assert erased >= 1
    for s in sets:
        _check_card(s, [s], planted + [email])
    after = _check_card(root, sets, planted + [email])
    assert "Erasure requests honoured (GDPR Art. 17): 1 (email 1)" in after["card"]
    assert f"documents removed from the shards described here: {erased:,}" in after["card"]
    assert after["record"]["erasure"]["requests"] == after["record"]["erasure"]["applied"] == 1
    assert after["record"]["erasure"]["by_kind"] == {"email": 1}
    loaded = datasets.load_dataset(str(root), "all", cache_dir=str(tmp_path / "hf-after"))
    assert loaded["train"].num_rows == before["meta"]["dataset_info"][0]["splits"][0]["num_examples"] - erased


def test_corpus_card_rewrites_them_on_demand_with_the_controller_given(root, capsys, tmp_path):
    root, _ = root
    (root / "README.md").unlink()
    capsys.readouterr()
    assert main(["card", "--root", str(root)]) == 0  # no --config: the newest set's [controller]
    out = json.loads(capsys.readouterr().out)
    assert Path(out["card"]) == root / "README.md"
    assert _front_matter((root / "README.md").read_text())["pretty_name"].startswith(CONTROLLER["name"])

    other = tmp_path / "other.toml"
    other.write_text('[controller]\nname = "Another Lab"\nlegal_basis = "legitimate interests"\n')
    assert main(["card", "--root", str(root), "--set", "2026-11-01", "--config", str(other)]) == 0
    record = json.loads((root / "sets" / "2026-11-01" / "record_of_processing.json").read_text())
    assert record["controller"]["name"] == "Another Lab" and record["legal_basis"] == "legitimate interests"
    assert "purposes" in record["to_be_completed"]  # what this file leaves unset is not taken from elsewhere
    meta = _front_matter((root / "sets" / "2026-11-01" / "README.md").read_text())
    assert meta["license"] == "unknown"

    # tokens where the root has a tokenizer: characters x its tokens per character, per language
    (root / "tokenizer").mkdir()
    (root / "tokenizer" / "fertility.json").write_text(json.dumps({"languages": {"de": {"tokens_per_char": 0.25}}}))
    assert main(["card", "--root", str(root)]) == 0
    header, rows = _first_table((root / "README.md").read_text(), "## Composition by language")
    tokens = {r[0]: r[header.index("tokens (est.)")] for r in rows}
    characters = {r[0]: int(r[header.index("characters")]) for r in rows}
    assert tokens.pop("de") == str(round(characters["de"] * 0.25)) and set(tokens.values()) == {"-"}

    # a set written before domains.parquet: its domains are counted from its shards
    (root / "sets" / "2026-11-02" / "domains.parquet").unlink()
    assert main(["card", "--root", str(root), "--set", "2026-11-02"]) == 0
    _, shown = _first_table((root / "sets" / "2026-11-02" / "README.md").read_text(), "with most documents:")
    domains = Counter(r["domain"] for r in _rows(root / "sets" / "2026-11-02", ["domain"]))
    assert shown and all(domains[d] == int(n) for d, n in shown)

    assert main(["card", "--root", str(root), "--set", "2026-12-31"]) == 2
    assert main(["card", "--root", str(root), "--set", "../x"]) == 2
    assert main(["card", "--root", str(tmp_path)]) == 2
    assert re.search(r"no published set 2026-12-31", capsys.readouterr().err)
