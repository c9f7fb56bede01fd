"""`--as-of` read without pandas (core/as_of.py) equals the full parser (core/instants.py) on
every value it reads, and leaves every other value to it."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from segcli import api
from segcli.core.as_of import END_OF_DAY_MS, parse_common
from segcli.core.instants import parse_instant

DIGITS = st.integers(0, 99).map(lambda n: f"{n:02d}")
YEARS = st.one_of(st.integers(0, 9999), st.sampled_from([999, 1000, 1970, 2025, 8999, 9000]))
OFFSETS = st.one_of(
    st.just(""),
    st.just("Z"),
    st.builds(lambda s, h, m: f"{s}{h}:{m}", st.sampled_from("+-"), DIGITS, DIGITS),
    st.builds(lambda s, h, m: f"{s}{h}{m}", st.sampled_from("+-"), DIGITS, DIGITS),  # left over
)
FRACTIONS = st.one_of(st.just(""), st.integers(1, 10).flatmap(
    lambda n: st.text("0123456789", min_size=n, max_size=n).map(lambda d: "." + d)
))  # fmt: skip


@st.composite
def as_of_texts(draw: st.DrawFn) -> str:
    """Dates and datetimes near the forms read here: valid, impossible (month 13, day 31 of a
    short month, hour 24, second 60), other separators and surrounding spaces."""
    year = f"{draw(YEARS):04d}"
    month = draw(st.one_of(st.integers(1, 12), st.integers(0, 13)).map(lambda n: f"{n:02d}"))
    day = draw(st.one_of(st.integers(1, 28), st.integers(0, 32)).map(lambda n: f"{n:02d}"))
    date = f"{year}-{month}-{day}"
    if draw(st.booleans()):
        text = date
    else:
        hour = draw(st.one_of(st.integers(0, 23), st.integers(0, 25)).map(lambda n: f"{n:02d}"))
        minute, second = draw(DIGITS), draw(DIGITS)
        sep = draw(st.sampled_from(["T", "T", " "]))
        text = f"{date}{sep}{hour}:{minute}:{second}{draw(FRACTIONS)}{draw(OFFSETS)}"
    return draw(st.sampled_from(["", "", " "])) + text


@given(as_of_texts())
@example("2025-10-23")
@example("2025-10-23T18:00:00Z")
@example("2025-10-23T18:00:00.123456+13:00")
@example("2024-02-29T23:59:59.999-09:30")
@example("2025-02-29")
@example("2025-10-23T24:00:00Z")
@example("2025-10-23T10:00:60Z")
@example("2025-10-23T10:00:00+24:00")
@example("1000-01-01T00:00:00+01:00")
@example("١000-01-01")  # digits of another script: not a date
@example("2025-10-23T10:00:0٠Z")
def test_the_common_forms_read_as_the_full_parser_reads_them(text: str):
    full = parse_instant(text, date_end_ms=END_OF_DAY_MS)
    common = parse_common(text)
    if common is not None:  # read here: exactly the full parser's value
        assert common == full, text
    assert api.as_of_ms(text) == full if full is not None else common is None


def test_the_common_forms_are_read_here_and_the_rest_is_left():
    assert parse_common("2025-10-23") == 1761263999999
    assert parse_common("2025-10-23T10:00:00+13:00") == 1761166800000
    for other in (
        "2025-10-23 10:00",
        "2025-10-23T10:00",
        " 2025-10-23",
        "2025-02-29",
        "0999-01-01",
    ):
        assert parse_common(other) is None, other
