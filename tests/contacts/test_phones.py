"""Phone normalization: the ways people type Georgian numbers, and the numbers SMS cannot reach."""

from __future__ import annotations

import pytest

from contacts.phones import InvalidPhone, PhoneProblem, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("555 12 34 56", id="national-grouped"),
        pytest.param("555-12-34-56", id="national-dashes"),
        pytest.param("555123456", id="national-bare"),
        pytest.param("555.12.34.56", id="national-dots"),
        pytest.param("0555123456", id="national-prefix-0"),
        pytest.param("0 555 12 34 56", id="national-prefix-0-grouped"),
        pytest.param("+995 555 123 456", id="international"),
        pytest.param("+995-555-123-456", id="international-dashes"),
        pytest.param("995555123456", id="country-code-without-plus"),
        pytest.param("(+995) 555 12 34 56", id="country-code-in-brackets"),
        pytest.param("00995555123456", id="idd-00"),
        pytest.param("00 995 555 12 34 56", id="idd-00-grouped"),
        pytest.param("+995 0555 123 456", id="international-with-stray-0"),
        pytest.param("  555 12 34 56\n", id="surrounding-whitespace"),
        pytest.param("٥٥٥١٢٣٤٥٦", id="arabic-indic-digits"),
        pytest.param("５５５ １２ ３４ ５６", id="fullwidth-digits"),
    ],
)
def test_georgian_mobile_in_every_typed_form(raw: str) -> None:
    assert normalize_phone(raw) == "+995555123456"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        pytest.param("599 00 11 22", "+995599001122", id="ge-599"),
        pytest.param("+995 790 123 456", "+995790123456", id="ge-790"),
        pytest.param("+994 50 123 45 67", "+994501234567", id="az-mobile"),
        pytest.param("+374 91 123456", "+37491123456", id="am-mobile"),
        pytest.param("+7 900 123 45 67", "+79001234567", id="ru-mobile"),
        pytest.param("+1 202 555 0123", "+12025550123", id="us-fixed-or-mobile"),
    ],
)
def test_other_sms_capable_numbers(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


def test_default_region_applies_to_numbers_without_country_code() -> None:
    assert normalize_phone("050 123 45 67", default_region="AZ") == "+994501234567"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("", PhoneProblem.EMPTY, id="empty"),
        pytest.param("   ", PhoneProblem.EMPTY, id="blank"),
        pytest.param("+", PhoneProblem.NOT_A_NUMBER, id="plus-only"),
        pytest.param("()-", PhoneProblem.NOT_A_NUMBER, id="punctuation-only"),
        pytest.param("555 ABC DEF", PhoneProblem.NOT_A_NUMBER, id="letters-not-vanity"),
        pytest.param("ნომერი", PhoneProblem.NOT_A_NUMBER, id="georgian-word"),
        pytest.param("5", PhoneProblem.TOO_SHORT, id="one-digit"),
        pytest.param("555", PhoneProblem.TOO_SHORT, id="three-digits"),
        pytest.param("+995 555 12 34 5", PhoneProblem.TOO_SHORT, id="one-digit-short"),
        pytest.param("+995 555 12 34 567", PhoneProblem.TOO_LONG, id="one-digit-long"),
        pytest.param("8 555 12 34 56", PhoneProblem.TOO_LONG, id="trunk-8-is-not-georgian-today"),
        pytest.param("+999 555 123 456", PhoneProblem.INVALID_COUNTRY_CODE, id="no-such-country"),
        pytest.param("+995 100 12 34 56", PhoneProblem.INVALID_FOR_REGION, id="unassigned-range"),
        pytest.param("032 2 12 34 56", PhoneProblem.NOT_MOBILE, id="tbilisi-landline"),
        pytest.param("0422 27 12 34", PhoneProblem.NOT_MOBILE, id="batumi-landline"),
        pytest.param("+995 706 12 34 56", PhoneProblem.NOT_MOBILE, id="voip-range"),
        pytest.param("+995 800 100 100", PhoneProblem.NOT_MOBILE, id="toll-free"),
    ],
)
def test_numbers_sms_cannot_reach_are_refused_with_a_reason(raw: str, reason: PhoneProblem) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    assert caught.value.reason == reason


def test_invalid_phone_is_a_value_error_carrying_its_code() -> None:
    error = InvalidPhone(PhoneProblem.TOO_SHORT)
    assert isinstance(error, ValueError)
    assert str(error) == "too_short"
