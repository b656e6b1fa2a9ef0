"""Keyed fingerprints of personal values, so an erasure request can find documents without storing values.

For each personal value found in a kept document we store HMAC-SHA256(key, "TYPE:normalised value"),
never the value. The key comes from the environment variable named by ``pii.fingerprint_key_env``
(default ``CORPUS_PII_KEY``) or from ``pii.fingerprint_key_file``; it is never written to any output, so
the index cannot be reversed by guessing values (an unkeyed hash of a phone number can be brute-forced
in seconds). Without a key no fingerprints are made and the run says so.

Normalisation makes the spellings of one value meet: e-mail addresses lower-cased, phone numbers in
E.164 (parsed with the regions of the page's language), identifiers, IBANs and cards without spaces,
dots or dashes, upper-cased; IP addresses in their canonical form.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import unicodedata

from corpus.config import PiiConfig

_SEPARATORS = re.compile(r"[\s./-]+")
#: hex characters of a fingerprint (128 bits: collisions are out of reach, the index stays small)
FINGERPRINT_HEX = 32


class MissingKey(RuntimeError):
    pass


def load_key(config: PiiConfig) -> bytes | None:
    """The fingerprint key, or None when none is configured."""
    if config.fingerprint_key_file:
        with open(config.fingerprint_key_file, "rb") as f:
            key = f.read().strip()
        if not key:
            raise MissingKey(f"fingerprint key file {config.fingerprint_key_file} is empty")
        return key
    value = os.environ.get(config.fingerprint_key_env, "").strip()
    return value.encode("utf-8") if value else None


def normalise(value_type: str, value: str, lang: str | None = None) -> str:
    value = unicodedata.normalize("NFKC", value).strip()
    if value_type == "EMAIL":
        if "@" not in value or " " in value:  # written to fool harvesters: "max (at) example (dot) de"
            from pii.obfuscated import deobfuscate

            value = deobfuscate(value, lang) or value
        return value.lower()
    if value_type == "PHONE":
        return _e164(value, lang) or re.sub(r"\D", "", value)
    if value_type == "IP_ADDRESS":
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return value.lower()
    if value_type == "PERSON":
        return " ".join(value.lower().split())
    return _SEPARATORS.sub("", value).upper()  # identifiers, IBANs, cards, VAT numbers


def _e164(value: str, lang: str | None) -> str | None:
    import phonenumbers

    from pii.engine import PHONE_REGIONS

    for region in (None, *PHONE_REGIONS.get(lang or "", ())):
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def keyed_digest(key: bytes, label: str, normalised: str) -> str:
    """HMAC-SHA256 of "LABEL:normalised", cut to FINGERPRINT_HEX hex characters."""
    return hmac.new(key, f"{label}:{normalised}".encode("utf-8"), hashlib.sha256).hexdigest()[:FINGERPRINT_HEX]


def fingerprint(key: bytes, value_type: str, value: str, lang: str | None = None) -> str:
    return keyed_digest(key, value_type, normalise(value_type, value, lang))


def key_id(key: bytes | None) -> str | None:
    """The key's identity: a keyed check value (HMAC of a fixed label), recorded with every set and erasure
    so that runs and ``corpus forget`` can tell whether they hold the key a set was built with. It reveals
    nothing about the key; None without a key."""
    return None if key is None else keyed_digest(key, "KEY_CHECK", "eu-corpus fingerprint key")[:16]


def normalise_url(url: str) -> str:
    return url.strip().rstrip("/")


def url_fingerprint(key: bytes, url: str) -> str:
    """Keyed fingerprint of a page's original URL, kept in the shards when its published ``url`` had personal
    data replaced, so that ``corpus forget --url`` still finds the page."""
    return keyed_digest(key, "URL", normalise_url(url))
