"""The enterprise side of a sheet: national IDs and the registry details beside them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasad.iran.geo import find_province
from rasad.iran.text import format_number

from ..problems import ERROR
from . import fallbacks
from .choices import estate
from .codes import isic, national_id, province, scientific
from .dates import founding_year
from .sheet import SheetCheck
from .text import text

REGISTRY_CODES = ("name_fa", "name_en", "isic_class", "province", "estate", "founding_year")


def check_ids(s: SheetCheck, rows: np.ndarray) -> list:
    shown = [value for value in s.raw("national_id") if scientific(value)]
    if shown:
        header = s.sheet.columns["national_id"].header
        s.add(None, "national_id", shown[0], ERROR, "scientific_id",
              f"{len(shown):,} national IDs in the column {header!r} are in scientific notation "
              f"(such as {shown[0]}), which keeps only their first digits. Format the column as "
              "Text (Format Cells, Text), type those IDs again in full and save the file.",
              f"{format_number(len(shown))} شناسهٔ ملی در ستون «{header}» به نماد علمی (مانند "
              f"{shown[0]}) نوشته شده است که فقط چند رقم نخست را نگه می‌دارد. قالب ستون را «متن» "
              "کنید (قالب‌بندی خانه‌ها، متن)، آن شناسه‌ها را کامل دوباره بنویسید و فایل را ذخیره "
              "کنید.")  # fmt: skip
    ids = s.parse(
        "national_id", lambda value: None if scientific(value) else national_id(value),
        s.fast.national_ids, fallbacks.NATIONAL_ID,
    )  # fmt: skip
    for i in rows[s.blank("national_id")[rows]].tolist():
        s.add(i, "national_id", None, ERROR, "required",
              "The national ID is missing; every row needs the enterprise's national ID.",
              "شناسه ملی خالی است؛ هر ردیف شناسه ملی بنگاه را لازم دارد.")  # fmt: skip
    return ids


def enterprise_rows(s: SheetCheck, ids: list, rows: np.ndarray) -> pd.DataFrame:
    this_year = s.checks.this_year
    names_fa = s.parse("name_fa", text, s.fast.texts)
    names_en = s.parse("name_en", text, s.fast.texts)
    isic_classes = s.parse("isic_class", isic)
    provinces = s.parse("province", province)
    years = s.parse("founding_year", lambda v: founding_year(v, this_year))
    estate_codes = _estates(s, provinces, rows)
    for field, values, en, fa in (
        ("name_fa", names_fa, "The enterprise's Persian name is missing.",
         "نام فارسی بنگاه خالی است."),
        ("isic_class", isic_classes, "The ISIC class of the main activity is missing.",
         "کد ISIC فعالیت اصلی خالی است."),
        ("province", provinces, "The province is missing.", "استان خالی است."),
    ):  # fmt: skip
        unread = np.fromiter((v is None for v in values), dtype=bool, count=s.n) & s.blank(field)
        for i in rows[unread[rows]].tolist():
            s.add(i, field, None, ERROR, "required", en, fa)
    take = list(rows)
    return pd.DataFrame(
        {
            "national_id": [ids[i] for i in take],
            "name_fa": [names_fa[i] for i in take],
            "name_en": [names_en[i] for i in take],
            "isic_class": [isic_classes[i] for i in take],
            "province_code": [provinces[i] for i in take],
            "estate_code": [estate_codes[i] for i in take],
            "founding_year": [years[i] for i in take],
            "_sheet": s.sheet.name,
            "_row": s.sheet.rows[rows] if len(rows) else np.empty(0, np.int64),
            "_given": list(
                zip(*((~s.blank(f)[rows]).tolist() for f in REGISTRY_CODES), strict=True)
            ),
        }
    )


def _estates(s: SheetCheck, provinces: list, rows: np.ndarray) -> list:
    """Each row's estate code; a province left blank is taken from the estate, and one
    that contradicts it is an error. ``provinces`` is filled in place."""
    estates = s.checks.estates
    if not s.sheet.has("estate"):
        return [None] * s.n
    if estates is None:
        return s.parse("estate", text, s.fast.texts)
    estate_codes: list = [None] * s.n
    found = s.parse("estate", lambda v: estate(v, estates))
    # One estate row is shared by every cell naming it: read it once.
    rows_named = {id(row): row for row in found if row is not None}
    where = {key: (row["code"], int(row["province_code"])) for key, row in rows_named.items()}
    province_blank = s.blank("province")
    for i in rows.tolist():
        row = found[i]
        if row is None:
            continue
        estate_codes[i], estate_province_code = where[id(row)]
        if provinces[i] is None and province_blank[i]:
            provinces[i] = estate_province_code  # the estate says where it is
        elif provinces[i] is not None and provinces[i] != estate_province_code:
            estate_province = find_province(estate_province_code)
            given = find_province(provinces[i])
            s.add(i, "estate", s.raw("estate")[i], ERROR, "estate_province",
                  f"The estate {row['code']} ({row['name_fa']}) is in "
                  f"{estate_province['name_en']}, not in {given['name_en']}: correct the "
                  "province or the estate.",
                  f"شهرک {row['code']} ({row['name_fa']}) در استان "
                  f"{estate_province['name_fa']} است، نه {given['name_fa']}: استان یا "
                  "شهرک را اصلاح کنید.")  # fmt: skip
    return estate_codes
