"""libphonenumber's matcher parses every number-like run once per region, so the phone recognizer first hides
the runs too short to be a valid phone number for the region (pii/engine.py). The matcher must then find
exactly what it finds in the plain text: same numbers, same offsets."""

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberType

from pii.engine import fewest_phone_digits, hide_short_numbers

REGIONS = ["DE", "AT", "LU", "FR", "IT", "GB", "IE", "NL", "PL", "MT", "FI", "SE", "ES", "GR", "CY"]


def _written_numbers() -> list[str]:
    """Valid numbers of these regions and of a few with short or long national numbers (Niue: 4 digits), as
    people write them: national, international and E.164."""
    written = []
    for region in REGIONS + ["US", "NU", "CH", "VA"]:
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                written += [phonenumbers.format_number(number, f) for f in
                            (PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164)]
    return written


WRITTEN = _written_numbers()
PIECES = st.one_of(
    st.sampled_from(WRITTEN),
    st.from_regex(r"\+?\d{1,7}", fullmatch=True),
    st.sampled_from(["10:30", "12.05.2023", "1.299,00 €", "ext. 12", "x 7", "(0)", "+", "-", "/", "Tel.:", "Seite 3",
                     "2023", "75001 Paris", "#", "~", "Fax", "Nr. 12-4", "(030)", "0049", "00 33"]),
)
SEPARATORS = st.sampled_from([" ", "", ", ", "\n", " - ", ": ", "/", "."])


def _matches(text: str, region: str) -> list[tuple[int, int, str]]:
    return [(m.start, m.end, m.raw_string)
            for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.VALID)]


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(st.tuples(PIECES, SEPARATORS), max_size=10), region=st.sampled_from(REGIONS))
def test_hiding_short_runs_changes_no_match(pieces, region):
    text = "".join(piece + separator for piece, separator in pieces)
    hidden = hide_short_numbers(text, fewest_phone_digits(region))
    assert len(hidden) == len(text)
    assert _matches(hidden, region) == _matches(text, region)


def test_written_numbers_are_found_after_hiding_and_short_runs_are_hidden():
    for region in REGIONS:
        fewest = fewest_phone_digits(region)
        for number in WRITTEN:
            text = f"Tel. {number}, am 12.05. um 10:30, Seite 3"
            assert _matches(hide_short_numbers(text, fewest), region) == _matches(text, region)
    assert (fewest_phone_digits("DE"), fewest_phone_digits("FR"), fewest_phone_digits("NL")) == (4, 6, 5)
    # "12.05." and "3" are hidden, the time's minutes stay (the matcher reads "10:30" as a time stamp)
    assert hide_short_numbers("am 12.05. um 10:30, Seite 3", 6) == "am __.__. um __:30, Seite _"
