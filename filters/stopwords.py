"""Stop words of the EU languages, without importing spaCy's language classes.

spaCy's lists (MIT) are plain Python files, ``spacy/lang/<lang>/stop_words.py``, but importing one imports its
language package too, which compiles the language's tokenizer exceptions: ~2.5 s for French, ~10 s for all
24 languages, paid by every Python worker of every run for a few hundred words per language. The files are
read here as data instead. Maltese, which spaCy lacks, has its own list in ``filters/data/stopwords_mt.txt``.
"""

from __future__ import annotations

import importlib.util
import runpy
from functools import lru_cache
from importlib import resources
from pathlib import Path


@lru_cache(maxsize=None)
def spacy_stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop words of ``lang`` as spaCy has them (empty for a language it has no list for)."""
    spacy_dir = Path(importlib.util.find_spec("spacy").origin).parent
    path = spacy_dir / "lang" / lang / "stop_words.py"
    if not path.is_file():
        return frozenset()
    return frozenset(runpy.run_path(str(path))["STOP_WORDS"])


@lru_cache(maxsize=None)
def stop_words(lang: str) -> frozenset[str]:
    """The stop words of a language, lower-cased: spaCy's, or the project's own list (Maltese)."""
    data = resources.files("filters") / "data" / f"stopwords_{lang}.txt"
    if data.is_file():
        lines = data.read_text(encoding="utf-8").splitlines()
        words = [w for line in lines if not line.startswith("#") for w in line.split()]
    else:
        words = spacy_stop_words(lang)
    return frozenset(w.lower() for w in words)
