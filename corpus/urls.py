"""URL helpers. tldextract is pinned to the Public Suffix List snapshot it ships: no fetch at run time."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def offline_tld_extractor():
    """tldextract's extractor without network access, also installed as the module default because
    Presidio's e-mail recognizer calls ``tldextract.extract`` (which would otherwise try to download)."""
    import tldextract
    import tldextract.tldextract as impl

    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    impl.TLD_EXTRACTOR = extractor
    return extractor


def host_of(url: str) -> str:
    """``https://jane@Blog.Example.com:8080/a`` -> ``blog.example.com`` (user info and port dropped)."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url if "://" in url else f"//{url}").hostname
    except ValueError:  # e.g. an unbalanced "[" in the host
        host = None
    return (host or "").rstrip(".").lower()


def registered_domain(url: str) -> str:
    """``https://www.news.example.co.uk/a`` -> ``example.co.uk``; the host itself when it has no suffix."""
    parts = offline_tld_extractor()(url)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}".lower()
    return (parts.domain or "").lower()
