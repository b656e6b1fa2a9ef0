"""benchmarks/heldout.py says "WORSE" exactly when a held-out figure moved the wrong way by more than rounding."""

import importlib.util
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

spec = importlib.util.spec_from_file_location("heldout", Path(__file__).parents[1] / "benchmarks" / "heldout.py")
heldout = importlib.util.module_from_spec(spec)
spec.loader.exec_module(heldout)

HIGHER = ["langid.macro_f1", "extract.readability_f1", "quality.sentences_kept", "pii.PERSON.recall"]
LOWER = ["extract.boilerplate_leaked", "extract.empty_pages", "pii.negative_rows_flagged",
         "quality.sentences_over_twice_english"]
values = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(st.sampled_from(HIGHER + LOWER), values, values)
def test_the_verdict_follows_the_figure_s_direction(name, before, now):
    (_, reference, measured, verdict), = heldout.compare({name: now}, {name: before})
    assert (reference, measured) == (before, now)
    gain = (before - now) if name in LOWER else (now - before)
    if abs(gain) <= heldout.TOLERANCE:
        assert verdict == "same"
    else:
        assert verdict == ("better" if gain > 0 else "WORSE")


def test_examples_and_figures_missing_from_the_reference():
    rows = heldout.compare({"langid.macro_f1": 0.97, "extract.boilerplate_leaked": 0.2, "pii.X.recall": 1.0},
                           {"langid.macro_f1": 0.9738, "extract.boilerplate_leaked": 0.1186})
    assert [verdict for *_, verdict in rows] == ["WORSE", "WORSE", "new"]
    assert heldout.compare({"extract.empty_pages": 0}, {"extract.empty_pages": 3})[0][3] == "better"
