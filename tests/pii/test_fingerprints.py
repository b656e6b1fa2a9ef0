"""Keyed fingerprints: spellings of one value meet, keys separate, nothing without a key."""

import pytest

from corpus.config import PiiConfig
from corpus.document import Document
from pii.fingerprints import MissingKey, fingerprint, load_key
from pii.scrub import PiiScrubber

KEY = b"test key"


@pytest.mark.parametrize("value_type, a, b, lang", [
    ("EMAIL", "Jana.Novakova@Example.CZ", "jana.novakova@example.cz", "cs"),
    ("PHONE", "+420 601 123 456", "601 123 456", "cs"),
    ("PHONE", "+49 30 1234567", "030 1234567", "de"),
    ("IBAN", "DE89 3704 0044 0532 0130 00", "de89370400440532013000", None),
    ("NATIONAL_ID", "85.07.30-033.28", "85073003328", "nl"),
    ("IP_ADDRESS", "2001:db8:0:0:0:0:0:1", "2001:db8::1", None),
])
def test_spellings_of_one_value_share_a_fingerprint(value_type, a, b, lang):
    assert fingerprint(KEY, value_type, a, lang) == fingerprint(KEY, value_type, b, lang)


def test_keys_and_types_separate_fingerprints():
    assert fingerprint(KEY, "EMAIL", "a@b.eu") != fingerprint(b"other key", "EMAIL", "a@b.eu")
    assert fingerprint(KEY, "NATIONAL_ID", "123") != fingerprint(KEY, "TAX_ID", "123")


def test_key_from_environment_or_file(tmp_path, monkeypatch):
    monkeypatch.delenv("CORPUS_PII_KEY", raising=False)
    assert load_key(PiiConfig()) is None
    monkeypatch.setenv("CORPUS_PII_KEY", "from-env")
    assert load_key(PiiConfig()) == b"from-env"
    empty = tmp_path / "empty.key"
    empty.write_text("\n")
    with pytest.raises(MissingKey):
        load_key(PiiConfig(fingerprint_key_file=str(empty)))


def test_scrubbed_documents_carry_fingerprints_only_with_a_key(tmp_path, monkeypatch):
    monkeypatch.delenv("CORPUS_PII_KEY", raising=False)
    text = "Write to jana.novakova@example.cz today."
    without = PiiScrubber(PiiConfig())(Document("f", 0, "r", text=text, lang="en"))
    assert without.pii_fingerprints == [] and without.pii_counts == {"EMAIL": 1}
    key = tmp_path / "k"
    key.write_bytes(KEY)
    with_key = PiiScrubber(PiiConfig(fingerprint_key_file=str(key)))(Document("f", 0, "r", text=text, lang="en"))
    assert with_key.pii_fingerprints == [fingerprint(KEY, "EMAIL", "jana.novakova@example.cz")]
    assert "jana" not in with_key.text
