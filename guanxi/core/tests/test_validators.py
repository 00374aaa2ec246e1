import pytest
from django.core.exceptions import ValidationError

from guanxi.core.validators import (
    validate_cn_id_card,
    validate_cn_mobile,
    validate_uscc,
)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_valid_unified_social_credit_codes(code):
    validate_uscc(code)


@pytest.mark.parametrize("code", ["91350100M000100Y44", "9135010OM000100Y43", "123", ""])
def test_invalid_unified_social_credit_codes(code):
    with pytest.raises(ValidationError):
        validate_uscc(code)


@pytest.mark.parametrize("number", ["13800138000", "+8613800138000", "199 1234 5678"])
def test_valid_mobiles(number):
    validate_cn_mobile(number)


@pytest.mark.parametrize("number", ["12800138000", "1380013800", "021-12345678"])
def test_invalid_mobiles(number):
    with pytest.raises(ValidationError):
        validate_cn_mobile(number)


def test_identity_card_check_digit():
    validate_cn_id_card("11010519491231002X")
    with pytest.raises(ValidationError):
        validate_cn_id_card("110105194912310021")
