"""Write filters/data/quality/<lang>.json: the thresholds that differ per language, FineWeb-2 style.

    .venv/bin/python scripts/calibrate_quality.py --data ../shared/eval/langid/*.jsonl

Gopher's length rules were set on English. The same content takes fewer words in Finnish or Hungarian
(long compound and inflected words) and more in English, and words are longer, so on the 'tune' half of
the sentence data (never the held-out half the benchmark reports on) this measures, per language, words
per character and mean word length, and scales the English values by the language's ratio to English:

* ``min_doc_words`` = 50 x (words per character / English words per character), rounded;
* ``min_avg_word_length`` / ``max_avg_word_length`` = 3 / 10 x (mean word length / English mean).

Cookie, privacy and terms-of-use phrases for C4's line rule are written by hand per language (C4's
English list is kept in every language, as many EU sites show English banners).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.quality import load  # noqa: E402  (the benchmarks' split function)

from corpus.config import EU_LANGUAGES  # noqa: E402
from filters.quality import word_tokenizer  # noqa: E402

VERSION = 1

POLICY_PHRASES = {
    "bg": ["условия за ползване", "политика за поверителност", "политика за бисквитките", "използва бисквитки"],
    "hr": ["uvjeti korištenja", "pravila privatnosti", "politika privatnosti", "kolačiće", "kolačića"],
    "cs": ["podmínky použití", "zásady ochrany osobních údajů", "soubory cookie", "cookies"],
    "da": ["vilkår for brug", "privatlivspolitik", "cookiepolitik", "bruger cookies", "anvender cookies"],
    "nl": ["gebruiksvoorwaarden", "privacybeleid", "cookiebeleid", "gebruikt cookies", "maakt gebruik van cookies"],
    "en": [],
    "et": ["kasutustingimused", "privaatsuspoliitika", "küpsiseid", "küpsiste"],
    "fi": ["käyttöehdot", "tietosuojakäytäntö", "evästekäytäntö", "käyttää evästeitä", "evästeiden"],
    "fr": ["conditions d'utilisation", "politique de confidentialité", "politique de cookies", "utilise des cookies",
           "utilisation des cookies"],
    "de": ["nutzungsbedingungen", "datenschutzerklärung", "cookie-richtlinie", "verwendet cookies",
           "verwendung von cookies", "nutzt cookies"],
    "el": ["όροι χρήσης", "πολιτική απορρήτου", "cookies"],
    "hu": ["felhasználási feltételek", "adatvédelmi nyilatkozat", "sütiket", "sütik"],
    "ga": ["téarmaí úsáide", "polasaí príobháideachta", "fianáin"],
    "it": ["termini di utilizzo", "informativa sulla privacy", "utilizza cookie", "utilizza i cookie", "uso dei cookie"],
    "lv": ["lietošanas noteikumi", "privātuma politika", "sīkdatnes", "sīkdatņu"],
    "lt": ["naudojimo sąlygos", "privatumo politika", "slapukus", "slapukai", "slapukų"],
    "mt": ["termini tal-użu", "politika tal-privatezza", "cookies"],
    "pl": ["warunki korzystania", "polityka prywatności", "pliki cookie", "plików cookie", "używa cookies"],
    "pt": ["termos de uso", "termos de utilização", "política de privacidade", "política de cookies",
           "utiliza cookies", "usa cookies"],
    "ro": ["termeni de utilizare", "politica de confidențialitate", "cookie-uri"],
    "sk": ["podmienky používania", "ochrana osobných údajov", "súbory cookie", "cookies"],
    "sl": ["pogoji uporabe", "politika zasebnosti", "piškotke", "piškotki", "piškotkov"],
    "es": ["términos de uso", "política de privacidad", "política de cookies", "utiliza cookies", "usa cookies",
           "uso de cookies"],
    "sv": ["användarvillkor", "integritetspolicy", "cookiepolicy", "använder cookies", "kakor"],
}


def measure(texts: list[str], lang: str) -> tuple[float, float]:
    """(words per character, mean word length) over a language's sentences."""
    tokenizer = word_tokenizer(lang)
    words = chars = letters = 0
    for text in texts:
        tokens = tokenizer.word_tokenize(text)
        words += len(tokens)
        letters += sum(len(t) for t in tokens)
        chars += len(text)
    return words / chars, letters / words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="+", required=True)
    parser.add_argument("--out", default=str(ROOT / "filters" / "data" / "quality"))
    args = parser.parse_args()
    default = json.loads((Path(args.out) / "default.json").read_text("utf-8"))["thresholds"]
    by_lang: dict[str, list[str]] = {}
    for lang, text in load(args.data, 20, "tune"):
        by_lang.setdefault(lang, []).append(text)
    stats = {lang: measure(by_lang[lang], lang) for lang in EU_LANGUAGES}
    en_density, en_length = stats["en"]
    gq = default["gopher_quality"]
    for lang in EU_LANGUAGES:
        density, length = stats[lang]
        data = {
            "version": VERSION,
            "language": lang,
            "about": f"Overrides of default.json for {lang}; written by scripts/calibrate_quality.py from "
                     f"{len(by_lang[lang])} tune-split sentences: {density * 1000:.1f} words per 1000 characters "
                     f"(en {en_density * 1000:.1f}), mean word length {length:.2f} (en {en_length:.2f}).",
            "thresholds": {
                "gopher_quality": {
                    "min_doc_words": round(gq["min_doc_words"] * density / en_density),
                    "min_avg_word_length": round(gq["min_avg_word_length"] * length / en_length, 2),
                    "max_avg_word_length": round(gq["max_avg_word_length"] * length / en_length, 2),
                },
                "c4": {"policy_phrases": default["c4"]["policy_phrases"] + POLICY_PHRASES[lang]},
            },
        }
        path = Path(args.out) / f"{lang}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{lang}: min_doc_words {data['thresholds']['gopher_quality']['min_doc_words']:3d}, "
              f"avg word length {data['thresholds']['gopher_quality']['min_avg_word_length']:.2f}-"
              f"{data['thresholds']['gopher_quality']['max_avg_word_length']:.2f}")


if __name__ == "__main__":
    main()
