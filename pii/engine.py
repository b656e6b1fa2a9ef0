"""A pattern-only Presidio analyzer for the 24 EU languages, built offline.

Presidio's default engine downloads a spaCy model; here every language gets ``spacy.blank(lang)`` (tokens
for context words, no download) and the same pattern/validator recognizers: e-mail, phone numbers of
the member states (python-phonenumbers, regions chosen by language), IBAN with checksum, payment cards
with Luhn, IPv4/IPv6.
"""

from __future__ import annotations

from functools import lru_cache

from corpus.config import EU_LANGUAGES
from corpus.urls import offline_tld_extractor
from pii.identifiers import COUNTRIES_OF_LANGUAGE, IDENTIFIERS, VAT_CONTEXT, recognizers_for

#: Phone regions searched for national-format numbers in a document of each language. International
#: numbers (+CC ...) are found for every country whatever the region.
PHONE_REGIONS: dict[str, tuple[str, ...]] = {
    "bg": ("BG",), "hr": ("HR",), "cs": ("CZ", "SK"), "da": ("DK",), "nl": ("NL", "BE"),
    # English pages come from everywhere; most numbers on them are British or North American
    "en": ("IE", "MT", "CY", "GB", "US"),
    "et": ("EE",), "fi": ("FI",), "fr": ("FR", "BE", "LU"), "de": ("DE", "AT", "LU", "BE"), "el": ("GR", "CY"),
    "hu": ("HU",), "ga": ("IE",), "it": ("IT",), "lv": ("LV",), "lt": ("LT",), "mt": ("MT",), "pl": ("PL",),
    "pt": ("PT",), "ro": ("RO",), "sk": ("SK", "CZ"), "sl": ("SI",), "es": ("ES",), "sv": ("SE", "FI"),
}

#: words that announce a phone number, in the 24 languages (substring match on lower-cased tokens): they
#: lift a bare digit string to a phone number; without one it is more likely an order or customer number
PHONE_CONTEXT = [
    "phone", "telephone", "tel", "mobile", "cell", "call", "fax", "gsm", "whatsapp",
    "телефон", "тел", "мобилен", "telefon", "mobitel", "mobil", "telefoon", "bel", "puhelin", "puh", "matkapuhelin",
    "téléphone", "portable", "appel", "handy", "ruf", "τηλ", "τηλέφωνο", "κινητό", "guthán", "fón", "telefono",
    "cellulare", "tālr", "tālrunis", "mob", "numurs", "telefonas", "tel.", "numru", "mowbajl", "komórka", "telemóvel",
    "telefone", "telemovel", "móvil", "movil", "teléfono", "llamar", "ring", "mobiltelefon", "puhelinnumero",
]

#: Presidio ignores stop words when it looks for context words, and some are both: "tel" is French for
#: "such" and a Polish stop word too
CONTEXT_WORDS = frozenset(PHONE_CONTEXT) | {w for kind in IDENTIFIERS for w in kind.context} | set(VAT_CONTEXT)

#: spaCy has no Maltese language class: its tokens come from the language-neutral one.
_SPACY_LANG = {"mt": "xx"}


def domain_recognizers(language: str, country: str | None) -> list:
    """Extra recognizers for a page whose domain belongs to a member state its language does not cover
    (an English page on a .pt site: Portuguese phone numbers and identifiers)."""
    if not country or country in COUNTRIES_OF_LANGUAGE.get(language, ()):
        return []
    return _domain_recognizers(language, country)


@lru_cache(maxsize=None)
def _domain_recognizers(language: str, country: str) -> list:
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    return [PhoneRecognizer(supported_language=language, supported_regions=(country,), context=PHONE_CONTEXT),
            *recognizers_for((country,), language, eu_wide=False)]


def build_analyzer(languages: tuple[str, ...] = EU_LANGUAGES):
    """One AnalyzerEngine serving every language; built once per worker (takes ~1 s)."""
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
    )

    class LazyBlankPipelines(dict):
        """language -> spacy.blank(language), built on first use (French alone takes ~2.5 s to build)."""

        def __missing__(self, lang: str):
            self[lang] = spacy.blank(_SPACY_LANG.get(lang, lang))
            return self[lang]

        def keys(self):
            return list(languages)

        def __bool__(self) -> bool:  # Presidio checks "loaded" by truthiness
            return True

    class BlankSpacyNlpEngine(SpacyNlpEngine):
        """Tokenizer-only spaCy pipelines: offline, fast, enough for pattern recognizers and context words.

        spaCy keeps every token string it has seen in a pipeline's vocabulary and workers live for a whole
        night of files, so a language's pipeline is rebuilt after ``REBUILD_AFTER`` documents."""

        REBUILD_AFTER = 20_000

        def load(self) -> None:
            self.nlp = LazyBlankPipelines()
            self.documents: dict[str, int] = {}

        def process_text(self, text: str, language: str):
            self.documents[language] = self.documents.get(language, 0) + 1
            if self.documents[language] > self.REBUILD_AFTER:
                self.documents[language] = 1
                self.nlp.pop(language, None)
            return super().process_text(text, language)

        # Presidio asks these for every token (to find context keywords); answer from plain sets instead
        # of a vocabulary lookup per token, which was most of the PII stage's time.
        def is_stopword(self, word: str, language: str) -> bool:
            word = word.lower()
            return word in self.nlp[language].Defaults.stop_words and word not in CONTEXT_WORDS

        def is_punct(self, word: str, language: str) -> bool:
            return not any(ch.isalnum() for ch in word)

        def _doc_to_nlp_artifact(self, doc, language: str):
            # blank pipelines have no lemmatizer: without this, Presidio's context words never match
            from presidio_analyzer.nlp_engine import NlpArtifacts

            return NlpArtifacts(entities=[], tokens=doc, tokens_indices=[t.idx for t in doc],
                                lemmas=[t.text.lower() for t in doc], nlp_engine=self, language=language, scores=[])

    offline_tld_extractor()  # the e-mail recognizer validates TLDs: use the bundled suffix list
    nlp_engine = BlankSpacyNlpEngine(models=[{"lang_code": lang, "model_name": "blank"} for lang in languages])
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=list(languages))
    for lang in languages:
        registry.add_recognizer(EmailRecognizer(supported_language=lang))
        registry.add_recognizer(IbanRecognizer(supported_language=lang))
        registry.add_recognizer(CreditCardRecognizer(supported_language=lang))
        registry.add_recognizer(IpRecognizer(supported_language=lang))
        registry.add_recognizer(PhoneRecognizer(supported_language=lang, supported_regions=PHONE_REGIONS[lang],
                                                context=PHONE_CONTEXT))
        for recognizer in recognizers_for(COUNTRIES_OF_LANGUAGE[lang], lang):
            registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=list(languages))
