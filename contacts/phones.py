"""Phone numbers as people type them in Georgia, normalized to E.164 for SMS.

Accepted: "555 12 34 56", "555-12-34-56", "0555123456" (the national prefix 0, which libphonenumber's
Georgian metadata knows and drops), "+995 555 123 456", "995555123456" (country code without +),
"(+995) 555 12 34 56", "00995555123456" (Georgia's international prefix 00), and digits of any script.

A contact's number exists to receive SMS, so only numbers that can take an SMS are accepted: mobile
numbers, and numbers whose plan does not tell mobile from fixed (FIXED_LINE_OR_MOBILE, e.g. +1).
Georgian landlines (032 2.., 0422 ..), VoIP ranges (706), toll-free and premium numbers are refused
with `not_mobile`. Any mobile number abroad is accepted (+994, +374 and +7 relatives, seasonal work).
Letters are refused rather than read as a vanity number ("555 ABC DEF"): here they mean a wrong field.
"""

from __future__ import annotations

from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult


class PhoneProblem(StrEnum):
    """Stable reason codes: the importer reports them per row, the bot picks a message by them."""

    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    INVALID_COUNTRY_CODE = "invalid_country_code"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    INVALID_FOR_REGION = "invalid_for_region"
    NOT_MOBILE = "not_mobile"


class InvalidPhone(ValueError):
    """A number we cannot send SMS to; `reason` is one of the `PhoneProblem` codes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_SMS_CAPABLE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})

_PARSE_PROBLEMS = {
    NumberParseException.INVALID_COUNTRY_CODE: PhoneProblem.INVALID_COUNTRY_CODE,
    NumberParseException.NOT_A_NUMBER: PhoneProblem.NOT_A_NUMBER,
    NumberParseException.TOO_SHORT_AFTER_IDD: PhoneProblem.TOO_SHORT,
    NumberParseException.TOO_SHORT_NSN: PhoneProblem.TOO_SHORT,
    NumberParseException.TOO_LONG: PhoneProblem.TOO_LONG,
}

_LENGTH_PROBLEMS = {
    ValidationResult.TOO_SHORT: PhoneProblem.TOO_SHORT,
    ValidationResult.TOO_LONG: PhoneProblem.TOO_LONG,
    ValidationResult.INVALID_LENGTH: PhoneProblem.INVALID_FOR_REGION,
    ValidationResult.INVALID_COUNTRY_CODE: PhoneProblem.INVALID_COUNTRY_CODE,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: PhoneProblem.TOO_SHORT,
}


def normalize_phone(raw: str, default_region: str = "GE") -> str:
    """E.164 form ("+995555123456") of a typed number; raises `InvalidPhone` with a reason code.

    `default_region` applies to numbers written without a country code.
    """
    text = raw.strip()
    if not text:
        raise InvalidPhone(PhoneProblem.EMPTY)
    if any(ch.isalpha() for ch in text):
        raise InvalidPhone(PhoneProblem.NOT_A_NUMBER)
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException as exc:
        problem = _PARSE_PROBLEMS.get(exc.error_type, PhoneProblem.NOT_A_NUMBER)
        if problem is PhoneProblem.NOT_A_NUMBER and any(ch.isdigit() for ch in text):
            problem = PhoneProblem.TOO_SHORT  # a lone digit or two is a number cut short
        raise InvalidPhone(problem) from exc
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != ValidationResult.IS_POSSIBLE:
        raise InvalidPhone(_LENGTH_PROBLEMS.get(possible, PhoneProblem.INVALID_FOR_REGION))
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(PhoneProblem.INVALID_FOR_REGION)
    if phonenumbers.number_type(number) not in _SMS_CAPABLE:
        raise InvalidPhone(PhoneProblem.NOT_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
