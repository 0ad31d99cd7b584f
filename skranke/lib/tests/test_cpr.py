"""CPR detection: real CPR numbers in any common spelling are found; phone numbers, dates,
times, impossible birth dates and longer numbers are not."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from skranke.lib.cpr import (
    _CANDIDATE,
    _century,
    _is_cpr,
    contains_cpr_number,
    find_cpr_numbers,
    normalise,
)

DATE_SEPARATORS = ["", ".", "-", "\u2013", "/", " ", "\u00a0"]
SERIAL_SEPARATORS = [
    "",
    "-",
    "\u2013",
    "\u2014",
    "\u2212",
    "\u2011",
    " ",
    "\u00a0",
    "\t",
    "/",
    ".",
    " - ",
    " \u2013 ",
    " / ",
    "- ",
    " -",
]


def _holds_no_digit(character: str) -> bool:
    """Return True for a character that the detector does not read as (or as holding) a digit."""
    normal_form = unicodedata.normalize("NFKC", character)
    return all(unicodedata.decimal(part, None) is None for part in normal_form)


# Text around a CPR number in the tests holds nothing the detector reads as a digit (no ASCII
# digit, no other script's digit, no full-width or superscript one), so nothing but the number
# itself can be found in it.
NO_DIGITS = st.text(
    alphabet=st.characters(exclude_characters="0123456789").filter(_holds_no_digit), max_size=20
)


def seventh_digits_for(year: int) -> set[int]:
    """Return the seventh digits the CPR office gives people born in ``year``.

    Written as the office publishes it, a table by birth year, so that it checks the
    implementation's rule by digit rather than repeating it.
    """
    if 1858 <= year <= 1899:
        return {5, 6, 7, 8}
    if 1900 <= year <= 1936:
        return {0, 1, 2, 3}
    if 1937 <= year <= 1999:
        return {0, 1, 2, 3, 4, 9}
    if 2000 <= year <= 2036:
        return {4, 5, 6, 7, 8, 9}
    if 2037 <= year <= 2057:
        return {5, 6, 7, 8}
    return set()


def is_real_cpr(digits: str) -> bool:
    """Return True when ten digits are a birth date that exists plus a fitting serial."""
    day, month, short_year, seventh = (
        int(digits[0:2]),
        int(digits[2:4]),
        int(digits[4:6]),
        int(digits[6]),
    )
    for year in range(1858 + (short_year - 58) % 100, 2058, 100):
        if seventh in seventh_digits_for(year):
            try:
                dt.date(year, month, day)
            except ValueError:
                return False
            return True
    return False


def spell(digits: str, date_separator: str = "", serial_separator: str = "") -> str:
    """Return ten digits written as dd<sep>mm<sep>yy<serial sep>xxxx."""
    return (
        f"{digits[0:2]}{date_separator}{digits[2:4]}{date_separator}{digits[4:6]}"
        f"{serial_separator}{digits[6:10]}"
    )


@st.composite
def real_cpr_digits(draw: st.DrawFn) -> str:
    birth = draw(st.dates(min_value=dt.date(1858, 1, 1), max_value=dt.date(2057, 12, 31)))
    seventh = draw(st.sampled_from(sorted(seventh_digits_for(birth.year))))
    rest = draw(st.integers(min_value=0, max_value=999))
    return f"{birth:%d%m}{birth.year % 100:02d}{seventh}{rest:03d}"


@st.composite
def date_shaped_digits(draw: st.DrawFn) -> str:
    """Ten digits whose first six look roughly like a date, real or impossible."""
    day = draw(st.integers(min_value=0, max_value=39))
    month = draw(st.integers(min_value=0, max_value=19))
    short_year = draw(st.integers(min_value=0, max_value=99))
    serial = draw(st.integers(min_value=0, max_value=9999))
    return f"{day:02d}{month:02d}{short_year:02d}{serial:04d}"


# Explicit examples


@pytest.mark.parametrize(
    "text",
    [
        "0101901234",
        "010190-1234",
        "010190 1234",
        "010190\u20131234",
        "010190/1234",
        "010190.1234",
        "010190 - 1234",
        "01.01.90-1234",
        "01-01-90 1234",
        "01 01 90 1234",
        "01/01/90-1234",
        "CPR:0101901234",
    ],
)
def test_finds_a_cpr_number_in_each_spelling(text: str) -> None:
    assert find_cpr_numbers(text) == [text.removeprefix("CPR:")]


def test_finds_a_cpr_number_inside_a_sentence() -> None:
    assert find_cpr_numbers("Borger 010190-1234 ringede om pas") == ["010190-1234"]
    assert contains_cpr_number("Borger 010190-1234 ringede om pas")


def test_finds_every_cpr_number_in_order() -> None:
    text = "Mor 010190-1234, barn 24.12.15 4321 og far 311299\u20135678."
    assert find_cpr_numbers(text) == ["010190-1234", "24.12.15 4321", "311299\u20135678"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("310422-1234", "April has 30 days"),
        ("300223-1234", "February never has 30 days"),
        ("290223-1234", "1923 was no leap year"),
        ("290200-1234", "seventh digit 1 puts it in 1900, which was no leap year"),
        ("290237-4234", "seventh digit 4 with year 37 puts it in 1937"),
        ("290258-5234", "seventh digit 5 with year 58 puts it in 1858"),
        ("001090-1234", "day 0"),
        ("011390-1234", "month 13"),
        ("320190-1234", "day 32"),
    ],
)
def test_an_impossible_birth_date_is_not_a_cpr_number(text: str, why: str) -> None:
    assert not contains_cpr_number(text), why


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("290200-4234", "seventh digit 4 with year 00 is 2000, a leap year"),
        ("290200-9234", "seventh digit 9 with year 00 is 2000"),
        ("290200-5234", "seventh digit 5 with year 00 is 2000"),
        ("290236-4234", "2036 is a leap year"),
        ("290256-1234", "1956 is a leap year"),
        ("290264-6234", "seventh digit 6 with year 64 is 1864, a leap year"),
        ("291296-0234", "an ordinary date"),
    ],
)
def test_a_real_leap_day_is_a_cpr_number(text: str, why: str) -> None:
    assert contains_cpr_number(text), why


def test_the_century_follows_the_cpr_office_table_for_every_birth_year() -> None:
    # Calendar validity alone only tells 1900 from 2000 (29 February 00), so the rule itself is
    # checked against the published table for every year and seventh digit.
    for year in range(1858, 2058):
        for seventh in seventh_digits_for(year):
            assert _century(year % 100, seventh) + year % 100 == year, (year, seventh)


def test_a_number_issued_since_2007_is_found_without_the_modulus_11_check() -> None:
    # 010190-1230 gives weighted sum 4*0+3*1+2*0+7*1+6*9+5*0+4*1+3*2+2*3+1*0 = 80, not a multiple
    # of 11; the CPR office has issued such numbers since 2007.
    assert contains_cpr_number("010190-1230")


@pytest.mark.parametrize(
    "text",
    [
        "12345678",
        "12 34 56 78",
        "1234 5678",
        "12-34-56-78",
        "12.34.56.78",
        "+45 12345678",
        "+45 12 34 56 78",
        "+45 1234 5678",
        "+4512345678",
        "(+45) 12 34 56 78",
        "0045 12345678",
        "0045 12 34 56 78",
        "004512345678",
        "4512345678",
        "45 12 34 56 78",
        "+45 31 12 90 12",
        "Ring på 20 01 01 90 eller 2212 1990",
        "Tlf. 20 01 01 90 / 1234 5678",
        "Tlf. 20.01.01.90 1234 5678",
    ],
)
def test_a_danish_phone_number_is_not_a_cpr_number(text: str) -> None:
    assert find_cpr_numbers(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "24-12-2026",
        "24.12.2026 kl. 14.30",
        "24.12.2026 14:30",
        "24/12/2026 1430",
        "2026-12-24",
        "2026-12-24 14:30:00",
        "2026-12-24 1430",
        "24.12.2026-31.12.2026",
        "kl. 08.00-12.00",
        "08:00\u201316:00",
        "den 24.12.26 kl. 14.30",
    ],
)
def test_a_date_or_time_is_not_a_cpr_number(text: str) -> None:
    assert find_cpr_numbers(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Ref. 010190123456",
        "Ref. 9010190123",
        "Sag 10101901234",
        "01019012345",
        "1010190-1234",
        "010190-12345",
        "01.01.90-12345",
        "01.01-90-1234",
        "01 01 90 12 34",
        "0101 90 1234",
    ],
)
def test_digits_glued_on_or_a_broken_shape_is_not_a_cpr_number(text: str) -> None:
    assert find_cpr_numbers(text) == []


def test_a_cpr_number_starting_inside_a_rejected_candidate_is_found() -> None:
    # 01 29 01 is no date, but its year and serial begin 01.12.34 with serial 0101.
    assert find_cpr_numbers("01 29 011234 0101") == ["011234 0101"]
    assert contains_cpr_number("01 29 011234 0101")


def test_empty_text_holds_no_cpr_number() -> None:
    assert find_cpr_numbers("") == []
    assert not contains_cpr_number("")


# Properties


@given(
    digits=real_cpr_digits(),
    date_separator=st.sampled_from(DATE_SEPARATORS),
    serial_separator=st.sampled_from(SERIAL_SEPARATORS),
    before=NO_DIGITS,
    after=NO_DIGITS,
)
@example(digits="2902004000", date_separator="", serial_separator="-", before="", after="")
@example(digits="0101585000", date_separator=".", serial_separator=" ", before="", after="")
@example(digits="3112578999", date_separator=" ", serial_separator=" ", before="", after="")
def test_a_real_cpr_number_is_found_in_any_spelling_and_text(
    digits: str, date_separator: str, serial_separator: str, before: str, after: str
) -> None:
    written = spell(digits, date_separator, serial_separator)
    assert find_cpr_numbers(before + written + after) == [written]


@given(
    digits=date_shaped_digits(),
    date_separator=st.sampled_from(DATE_SEPARATORS),
    serial_separator=st.sampled_from(SERIAL_SEPARATORS),
)
@example(digits="2902231234", date_separator="", serial_separator="-")
@example(digits="2902004234", date_separator="", serial_separator="-")
def test_found_exactly_when_the_birth_date_exists_in_its_century(
    digits: str, date_separator: str, serial_separator: str
) -> None:
    assert contains_cpr_number(spell(digits, date_separator, serial_separator)) == is_real_cpr(
        digits
    )


@given(
    digits=real_cpr_digits(),
    date_separator=st.sampled_from(DATE_SEPARATORS),
    serial_separator=st.sampled_from(SERIAL_SEPARATORS),
    glued_before=st.text(alphabet="0123456789", max_size=3),
    glued_after=st.text(alphabet="0123456789", max_size=3),
)
def test_digits_glued_on_either_side_hide_a_cpr_number(
    digits: str, date_separator: str, serial_separator: str, glued_before: str, glued_after: str
) -> None:
    if not glued_before and not glued_after:
        glued_after = "0"
    text = glued_before + spell(digits, date_separator, serial_separator) + glued_after
    assert find_cpr_numbers(text) == []


def _phone_spellings(digits: str) -> list[str]:
    pairs = " ".join(digits[i : i + 2] for i in range(0, 8, 2))
    halves = f"{digits[:4]} {digits[4:]}"
    local = [digits, pairs, halves, pairs.replace(" ", "-"), pairs.replace(" ", ".")]
    prefixes = ["", "+45 ", "+45", "0045 ", "0045", "45", "45 ", "(+45) "]
    return [prefix + number for prefix in prefixes for number in local]


PHONE_DIGITS = st.text(alphabet="0123456789", min_size=8, max_size=8)


@given(
    digits=PHONE_DIGITS,
    spelling=st.integers(min_value=0, max_value=39),
    before=NO_DIGITS,
    after=NO_DIGITS,
)
def test_a_danish_phone_number_in_any_common_spelling_is_not_found(
    digits: str, spelling: int, before: str, after: str
) -> None:
    phone = _phone_spellings(digits)[spelling]
    assert find_cpr_numbers(before + phone + after) == []


@given(
    first=PHONE_DIGITS,
    second=PHONE_DIGITS,
    first_spelling=st.integers(min_value=0, max_value=39),
    second_spelling=st.integers(min_value=0, max_value=39),
    between=st.sampled_from([" / ", "/", " - ", ", ", " eller ", " ", "\n"]),
)
@example(
    first="20010190",
    second="12345678",
    first_spelling=1,
    second_spelling=2,
    between=" / ",
)
def test_two_phone_numbers_side_by_side_are_not_found(
    first: str, second: str, first_spelling: int, second_spelling: int, between: str
) -> None:
    text = _phone_spellings(first)[first_spelling] + between
    text += _phone_spellings(second)[second_spelling]
    assert find_cpr_numbers(text) == []


@given(
    moment=st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2099, 12, 31)),
    spelling=st.sampled_from(
        [
            "%d-%m-%Y",
            "%d.%m.%Y",
            "%d/%m/%Y",
            "%d%m%Y",
            "%Y-%m-%d",
            "%Y%m%d",
            "%d.%m.%Y kl. %H.%M",
            "%d-%m-%Y %H:%M",
            "%d.%m.%Y %H%M",
            "%d%m%Y %H%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H%M",
            "%d.%m.%y kl. %H:%M",
            "%H:%M-%H:%M",
            "%H.%M\u2013%H.%M",
        ]
    ),
)
def test_a_date_with_a_four_digit_year_or_a_time_is_not_found(
    moment: dt.datetime, spelling: str
) -> None:
    assert find_cpr_numbers(moment.strftime(spelling)) == []


# Runs of digits cut from dates and serials, joined by separators, so that candidates overlap
# and real CPR numbers sit next to impossible ones.
DIGIT_RUNS = st.sampled_from(
    ["01", "29", "31", "02", "00", "90", "5", "12", "1234", "4123", "0101", "2902", "290200"]
)
JOINS = st.sampled_from(["", " ", ".", "-", "/", " - ", "\u2013", "x", "_", "  ", "\u200b", "-/"])


@settings(max_examples=300)
@given(st.lists(st.tuples(DIGIT_RUNS, JOINS).map("".join), max_size=12).map("".join))
@example("01 29 011234 0101")
def test_scanning_past_a_rejected_candidate_misses_nothing(written: str) -> None:
    # Trying every position of the normalised text in turn is the slow, obviously complete way
    # to scan; normalised text is its own normal form, so what is found is written the same.
    text = normalise(written)
    expected: list[str] = []
    position = 0
    while position < len(text):
        match = _CANDIDATE.match(text, position)
        if match and _is_cpr(match):
            expected.append(match[0])
            position = match.end()
        else:
            position += 1
    assert find_cpr_numbers(text) == expected


# Walk-rounds: the same number typed so that a plain pattern on the raw text would miss it


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("010190  1234", "two spaces"),
        ("010190 \t\n 1234", "a run of mixed whitespace"),
        ("01  01  90  1234", "runs of spaces inside the date"),
        ("010190 -- 1234", "a run of dashes"),
        ("010190 - / 1234", "a run of several kinds of separator"),
        ("010190_1234", "an underscore"),
        ("010190___1234", "a run of underscores"),
        ("01_01_90_1234", "underscores inside the date"),
        ("0101\u200b901234", "zero-width space U+200B"),
        ("010190-12\u206034", "word joiner U+2060"),
        ("01\u00ad01\u00ad90\u00ad1234", "soft hyphens U+00AD"),
        ("01\u206601\u2069901234", "bidi isolates"),
        ("0\u200c1\u200d0190\ufeff-1234", "zero-width (non-)joiner and byte order mark"),
        ("0\u03011\u03010190-1234", "combining accents on the digits"),
        ("0101\x01901234", "a control character"),
        ("010190\u31641234", "a Hangul filler"),
        ("\u0660\u0661\u0660\u0661\u0669\u0660\u0661\u0662\u0663\u0664", "Arabic-Indic"),
        ("\u0660\u0661\u0660\u0661\u0669\u0660-\u0661\u0662\u0663\u0664", "Arabic-Indic, dash"),
        ("\u06f0\u06f1\u06f0\u06f1\u06f9\u06f0\u06f1\u06f2\u06f3\u06f4", "Persian digits"),
        ("\u0966\u0967\u0966\u0967\u096f\u0966\u0967\u0968\u0969\u096a", "Devanagari"),
        ("\uff10\uff11\uff10\uff11\uff19\uff10\uff0d\uff11\uff12\uff13\uff14", "full-width"),
        (
            "\uff10\uff11\uff0e\uff10\uff11\uff0e\uff19\uff10\u3000\uff11\uff12\uff13\uff14",
            "full-width dots and ideographic space",
        ),
        ("\U0001d7ce\U0001d7cf\U0001d7ce\U0001d7cf\U0001d7d7\U0001d7ce1234", "maths bold"),
        ("010190\u22121234", "minus sign"),
        ("010190\u20441234", "fraction slash"),
        ("01\u00b701\u00b790 1234", "middle dots"),
        ("\u06601\u0660\uff11\u200b9\u0660 \u00a0_\u2060 1\uff12\u0663\u0664", "mixed"),
    ],
)
def test_a_cpr_number_typed_to_walk_round_the_guard_is_found(text: str, kind: str) -> None:
    assert find_cpr_numbers(f"Borger {text} ringede") == [text], kind
    assert contains_cpr_number(text), kind


@pytest.mark.parametrize(
    "text",
    [
        "Tlf. 20  01  01  90 / 1234  5678",
        "Tlf. 20 01 01 90 \u2014 1234 5678",
        "Tlf. 20\u00a001\u00a001\u00a090\u00a0/\u00a01234\u00a05678",
        "Tlf. \u0662\u0660 \u0660\u0661 \u0660\u0661 \u0669\u0660 / 1234 5678",
        "\uff0b\uff14\uff15 \uff11\uff12 \uff13\uff14 \uff15\uff16 \uff17\uff18",
        "+45  12  34  56  78",
        "12_34_56_78",
        "12 34\u200b 56 78",
        "1234\u20605678",
        "Ring på 20 01 01 90  eller  2212 1990",
        "Ref. 01019012\u200b3456",
        "01 01 90 12\u00a034",
    ],
)
def test_a_phone_number_or_longer_number_typed_the_same_ways_is_not_found(text: str) -> None:
    assert find_cpr_numbers(text) == []


@pytest.mark.parametrize(
    ("text", "normal_form"),
    [
        ("010190  \t 1234", "010190 1234"),
        ("010190 - 1234", "010190-1234"),
        ("010190 -/ 1234", "010190-1234"),
        ("01. .01 90", "01.01 90"),
        ("0101\u200b90\u00ad1234", "0101901234"),
        ("\u0660\u0661\uff10\u0968", "0102"),
        ("Øl og \ufb01sk", "Øl og fisk"),
        ("2\u2013\u20143 og 4\uff3f5", "2-3 og 4_5"),
    ],
)
def test_normalise_gives_one_spelling(text: str, normal_form: str) -> None:
    assert normalise(text) == normal_form


@given(st.text(max_size=40))
def test_normalising_twice_changes_nothing(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


INVISIBLE = st.sampled_from(
    [
        "\u200b",  # zero-width space
        "\u200c",  # zero-width non-joiner
        "\u200d",  # zero-width joiner
        "\u2060",  # word joiner
        "\u00ad",  # soft hyphen
        "\ufeff",  # byte order mark
        "\u200e",  # left-to-right mark
        "\u202e",  # right-to-left override
        "\u2066",  # left-to-right isolate
        "\u034f",  # combining grapheme joiner
        "\ufe0f",  # variation selector
        "\u0301",  # combining acute accent
        "\x07",  # bell
        "\u3164",  # Hangul filler
        "\U000e0041",  # tag letter A
    ]
)
WHITESPACE = st.sampled_from([" ", "\t", "\n", "\u00a0", "\u202f", "\u2003", "\u3000"])
# The zero of each script's digits: the digit d is chr(zero + d).
DIGIT_ZEROS = [0x30, 0x660, 0x6F0, 0x966, 0x9E6, 0xFF10, 0x1D7CE, 0x1D7EC]


@st.composite
def separator_run(draw: st.DrawFn, separator: str) -> str:
    """Return a run of separators that reads as ``separator``: the same marks, repeated, with
    whitespace around them; or more whitespace where ``separator`` is whitespace."""
    marks = separator.strip()
    if not marks:
        return "".join(draw(st.lists(WHITESPACE, min_size=1, max_size=4)))
    before = "".join(draw(st.lists(WHITESPACE, max_size=3)))
    after = "".join(draw(st.lists(WHITESPACE, max_size=3)))
    return before + marks * draw(st.integers(min_value=1, max_value=3)) + after


@st.composite
def disguised(draw: st.DrawFn, written: str) -> str:
    """Return ``written`` with its digits in other scripts, its separators widened into runs,
    and invisible characters put between any two of its characters."""
    digits = iter(
        chr(draw(st.sampled_from(DIGIT_ZEROS)) + int(character))
        for character in written
        if character.isdigit()
    )
    pieces: list[str] = []
    index = 0
    while index < len(written):
        if written[index].isdigit():
            pieces.append(next(digits))
            index += 1
            continue
        end = index
        while end < len(written) and not written[end].isdigit():
            end += 1
        pieces.append(draw(separator_run(written[index:end])))
        index = end
    text = pieces[0]
    for piece in pieces[1:]:
        text += "".join(draw(st.lists(INVISIBLE, max_size=2))) + piece
    return text


@given(
    digits=real_cpr_digits(),
    date_separator=st.sampled_from(DATE_SEPARATORS),
    serial_separator=st.sampled_from(SERIAL_SEPARATORS),
    data=st.data(),
    before=NO_DIGITS,
    after=NO_DIGITS,
)
def test_a_cpr_number_stays_found_with_invisible_characters_separator_runs_and_other_digits(
    digits: str,
    date_separator: str,
    serial_separator: str,
    data: st.DataObject,
    before: str,
    after: str,
) -> None:
    written = spell(digits, date_separator, serial_separator)
    text = data.draw(disguised(written), label="disguised")
    assert find_cpr_numbers(before + text + after) == [text]


@given(
    digits=PHONE_DIGITS,
    spelling=st.integers(min_value=0, max_value=39),
    data=st.data(),
)
def test_a_phone_number_stays_unfound_with_invisible_characters_space_runs_and_other_digits(
    digits: str, spelling: int, data: st.DataObject
) -> None:
    phone = _phone_spellings(digits)[spelling]
    text = data.draw(disguised(phone), label="disguised")
    assert find_cpr_numbers(text) == []
