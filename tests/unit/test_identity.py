import datetime as dt

import pytest

from countyhealth.identity import (
    check_character,
    check_id_number,
    make_id_number,
    sex_agrees,
    upgrade_legacy_id,
)

TODAY = dt.date(2026, 11, 22)


def test_published_example_with_x_check_character():
    result = check_id_number("11010519491231002X", today=TODAY)
    assert result.valid
    assert result.birth_date == dt.date(1949, 12, 31)
    assert result.sex == "2"  # sequence 002: even -> female


def test_lower_case_x_is_normalised():
    assert check_id_number("11010519491231002x", today=TODAY).normalized == "11010519491231002X"


@pytest.mark.parametrize("wrong", "0123456789")
def test_every_wrong_check_character_is_rejected(wrong):
    result = check_id_number("11010519491231002" + wrong, today=TODAY)
    assert not result.valid
    assert result.reason == "bad_check_character"


def test_check_character_formula():
    # S = sum(d_i * W_i) mod 11 indexes "10X98765432"
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"


def test_legacy_15_digit_id():
    result = check_id_number("110105491231002", today=TODAY)
    assert result.valid
    assert result.birth_date == dt.date(1949, 12, 31)
    assert result.sex == "2"


@pytest.mark.parametrize("idn", ["110105194902301234", "110105194913011234", "110105491331002"])
def test_impossible_birth_dates(idn):
    first17 = idn[:17]
    if len(idn) == 18:
        idn = first17 + check_character(first17)
    result = check_id_number(idn, today=TODAY)
    assert result.reason == "impossible_birth_date"


def test_future_birth_date_is_impossible():
    idn = make_id_number("370322", dt.date(2027, 1, 1), 11)
    assert check_id_number(idn, today=TODAY).reason == "impossible_birth_date"
    assert check_id_number(idn, today=dt.date(2027, 6, 1)).valid


@pytest.mark.parametrize("sequence,sex", [(1, "1"), (2, "2"), (999, "1"), (0, "2")])
def test_sex_digit(sequence, sex):
    idn = make_id_number("370322", dt.date(1980, 5, 17), sequence)
    result = check_id_number(idn, today=TODAY)
    assert result.valid and result.sex == sex
    assert sex_agrees(result.sex, sex)
    assert not sex_agrees(result.sex, "2" if sex == "1" else "1")
    assert sex_agrees(result.sex, "0")  # unknown recorded sex never disagrees


@pytest.mark.parametrize("bad,reason", [(None, "missing"), ("  ", "missing"),
                                        ("1101051949123100", "bad_length"),
                                        ("11010519491231002Y", "bad_characters"),
                                        ("1101051949123100A2", "bad_characters")])
def test_malformed(bad, reason):
    assert check_id_number(bad, today=TODAY).reason == reason


def test_abolished_area_codes_are_not_rejected():
    # 370303 style codes that no longer exist must still pass: only the check matters
    idn = make_id_number("379999", dt.date(1960, 1, 1), 123)
    assert check_id_number(idn, today=TODAY).valid


def test_legacy_ids_upgrade_to_the_18_character_form():
    idn = make_id_number("370322", dt.date(1962, 7, 4), 135)
    legacy = idn[:6] + idn[8:17]
    assert upgrade_legacy_id(legacy) == idn
    assert check_id_number(upgrade_legacy_id(legacy), today=dt.date(2026, 1, 1)).valid
    with pytest.raises(ValueError):
        upgrade_legacy_id(idn)
