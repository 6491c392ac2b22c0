"""Django-side wrappers of the pure checks in :mod:`rasad.iran`, in the reader's language."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from rasad.errors import RasadInputError
from rasad.iran.ids import validate_legal_id
from rasad.platform.language import current


def as_validation_error(error: RasadInputError) -> ValidationError:
    return ValidationError(error.message(current()), code="invalid")


def validate_national_id(value: str) -> None:
    """The stored form is 11 Latin digits with a valid check digit; forms normalise before."""
    try:
        normalised = validate_legal_id(value)
    except RasadInputError as error:
        raise as_validation_error(error) from error
    if normalised != value:
        raise as_validation_error(
            RasadInputError(
                "Store the national ID as 11 Latin digits.",
                "شناسهٔ ملی را با ۱۱ رقم لاتین ذخیره کنید.",
                field="national_id",
                value=value,
            )
        )
