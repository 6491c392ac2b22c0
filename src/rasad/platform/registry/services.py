"""Registering enterprises from what people type or paste: Persian or Latin digits,
province names in any spelling, ISIC codes as spreadsheets mangle them. Everything is
checked first and every problem reported together; nothing is saved unless all is well."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from rasad.errors import InputProblems, RasadInputError
from rasad.iran.geo import find_isic, find_province
from rasad.iran.ids import validate_legal_id
from rasad.iran.text import normalize_text, parse_number
from rasad.platform.registry.models import Enterprise, IndustrialEstate, Province, Sector


class InvalidEnterprise(InputProblems):
    """An enterprise record refused as a whole; ``problems`` lists each field's error."""


def _field(problems: list, name: str, check, raw):
    try:
        return check(raw)
    except RasadInputError as error:
        error.field = name
        problems.append(error)
        return None


def _estate(raw: str, province: Province | None) -> IndustrialEstate | None:
    estate = (
        IndustrialEstate.objects.filter(code=raw).first()
        or IndustrialEstate.objects.filter(name_fa=normalize_text(raw)).first()
        or IndustrialEstate.objects.filter(name_en__iexact=raw.strip()).first()
    )
    if estate is None:
        raise RasadInputError(
            f"No industrial estate is registered as '{raw}'.",
            f"شهرک صنعتی «{raw}» ثبت نشده است.",
            value=raw,
        )
    if province is not None and estate.province_id != province.pk:
        raise RasadInputError(
            f"The estate {estate.name_en or estate.name_fa} is in {estate.province.name_en}, "
            f"not in {province.name_en}.",
            f"{estate.name_fa} در استان {estate.province.name_fa} است، نه در {province.name_fa}.",
            value=raw,
        )
    return estate


def _year(raw: str) -> int:
    year = parse_number(raw)
    if not year.is_integer() or not 1250 <= year <= 1500:
        raise RasadInputError(
            f"'{raw}' is not a Jalali year (e.g. 1385).",
            f"«{raw}» سال شمسی نیست (مانند ۱۳۸۵).",
            value=raw,
        )
    return int(year)


def register_enterprise(data: Mapping[str, str]) -> Enterprise:
    """Create an enterprise from text fields: ``national_id``, ``name_fa``, ``name_en``,
    ``isic`` (class code), ``province``, optional ``estate`` (code or name) and
    ``founding_year``. Raises :class:`InvalidEnterprise` naming every bad field."""
    problems: list[RasadInputError] = []
    national_id = _field(problems, "national_id", validate_legal_id, data.get("national_id", ""))
    if national_id and Enterprise.objects.filter(national_id=national_id).exists():
        problems.append(
            RasadInputError(
                f"An enterprise with national ID {national_id} is already registered.",
                f"بنگاهی با شناسهٔ ملی {national_id} پیش‌تر ثبت شده است.",
                field="national_id",
                value=national_id,
            )
        )
    name_fa = normalize_text(data.get("name_fa") or "")
    if not name_fa:
        problems.append(
            RasadInputError(
                "The Persian name is required.", "نام فارسی بنگاه لازم است.", field="name_fa"
            )
        )
    row = _field(problems, "province", find_province, data.get("province", ""))
    province = Province.objects.get(code=int(row["code"])) if row is not None else None
    isic_row = _field(problems, "isic", lambda raw: find_isic(raw, "class"), data.get("isic", ""))
    estate = None
    if data.get("estate"):
        estate = _field(problems, "estate", lambda raw: _estate(raw, province), data["estate"])
    founding_year = None
    if data.get("founding_year"):
        founding_year = _field(problems, "founding_year", _year, data["founding_year"])
    if problems:
        raise InvalidEnterprise(problems)
    with transaction.atomic():
        return Enterprise.objects.create(
            national_id=national_id,
            name_fa=name_fa,
            name_en=(data.get("name_en") or "").strip(),
            isic=Sector.objects.get(code=isic_row["code"]),
            province=province,
            estate=estate,
            founding_year=founding_year,
        )
