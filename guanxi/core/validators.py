"""Validators for Chinese identifiers and phone numbers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(rf"^[{USCC_CHARS}]{{18}}$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_RE = re.compile(r"^\+?[\d\s\-()]{5,30}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def uscc_check_char(first17: str) -> str:
    """Check character of a unified social credit code (GB 32100-2015, mod 31)."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    """统一社会信用代码: 18 characters from the GB 32100 alphabet with a valid check character."""
    code = (value or "").strip().upper()
    if not _USCC_RE.match(code):
        raise ValidationError(
            _("A unified social credit code has 18 digits or capital letters (no I, O, S, V, Z)."),
            code="uscc_format",
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("This unified social credit code has a wrong check character."), code="uscc_check"
        )


def normalise_mobile(value: str) -> str:
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def validate_cn_mobile(value: str) -> None:
    """A mainland China mobile number: 11 digits starting 13–19 (optionally +86)."""
    if not _MOBILE_RE.match(normalise_mobile(value)):
        raise ValidationError(
            _("Enter a mainland China mobile number: 11 digits starting with 13 to 19."),
            code="cn_mobile",
        )


def validate_phone(value: str) -> None:
    """Any phone number: digits with the usual separators and an optional +."""
    if not _PHONE_RE.match(value or "") or sum(c.isdigit() for c in value) < 5:
        raise ValidationError(_("Enter a valid phone number."), code="phone")


def id_card_check_char(first17: str) -> str:
    """Check character of an 18-digit resident identity card number (GB 11643, ISO 7064)."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_cn_id_card(value: str) -> None:
    """居民身份证号码: 17 digits and a check digit or X."""
    code = (value or "").strip().upper()
    if not re.match(r"^\d{17}[\dX]$", code) or id_card_check_char(code[:17]) != code[17]:
        raise ValidationError(_("Enter a valid 18-digit identity card number."), code="id_card")
