"""Danish phone numbers are accepted in the usual ways of writing them and stored as +45…."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from skranke.messaging.phone import PHONE_MESSAGE, normalise_danish_phone, validate_danish_phone


@pytest.mark.parametrize(
    "written",
    ["12345678", "12 34 56 78", "+45 12 34 56 78", "+4512345678", "004512345678", "1234-5678"],
)
def test_danish_numbers_are_normalised(written: str) -> None:
    assert normalise_danish_phone(written) == "+4512345678"


@pytest.mark.parametrize(
    "written",
    [
        "",
        "1234567",
        "123456789",
        "+46 12345678",
        "4512345678",
        "+45 1234 567",
        "12345678x",
        "١٢٣٤٥٦٧٨",  # Arabic-Indic digits are digits to Python, not to a gateway
        "+45+4512345678",
    ],
)
def test_other_input_is_refused_with_a_clear_message(written: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_danish_phone(written)

    assert refused.value.messages == [str(PHONE_MESSAGE)]
    assert refused.value.error_list[0].code == "phone"
    with translation.override("en"):
        assert "8 digits" in str(PHONE_MESSAGE)
