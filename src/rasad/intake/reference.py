"""Reference data a file is checked against: estates and the enterprises' earlier returns.

Both live in the database, but intake is pure: the platform passes them in as plain
data (DataFrames or tuples), and these small classes check that data once, on
entry, so a malformed reference table fails loudly instead of making every row of
an upload look wrong.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from rasad.errors import RasadInputError
from rasad.iran.geo import find_province
from rasad.iran.periods import Period
from rasad.iran.text import normalize_text, to_latin_digits

from .fields import header_key


def _province_code(value, where: str) -> int:
    try:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return int(find_province(value)["code"])
    except RasadInputError as error:
        raise RasadInputError(
            f"{where}: {error.message_en}", f"{where}: {error.message_fa}", field=where, value=value
        ) from None


def _text(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return normalize_text(str(value))


@dataclass(frozen=True, eq=False)
class Estates:
    """The industrial estates a file may name, each with its province.

    Build it with :meth:`from_data` from a DataFrame with ``code``, a name
    (``name_fa`` and/or ``name_en``, or ``name``) and a province (``province_code``
    or ``province``: a code or a name), or from ``(code, name, province)`` tuples.
    A cell matches an estate by its code or either name, whatever the spelling
    (Arabic ي/ك, ZWNJ, spaces, case), or by the template's "code — name" choice.
    """

    table: pd.DataFrame  # code, name_fa, name_en, province_code

    @classmethod
    def from_data(cls, data) -> Estates:
        if isinstance(data, Estates):
            return data
        if isinstance(data, pd.DataFrame):
            frame = data
        else:
            rows = [tuple(row) for row in (data or ())]
            for i, row in enumerate(rows):
                if len(row) not in (3, 4):
                    raise RasadInputError(
                        f"estates[{i}]: give (code, name, province) or (code, name_fa, name_en, "
                        f"province), not {row!r}.",
                        f"estates[{i}]: (کد، نام، استان) یا (کد، نام فارسی، نام لاتین، استان) "
                        f"بدهید، نه «{row}».",
                        field=f"estates[{i}]",
                        value=row,
                    )
            frame = pd.DataFrame(
                [(r[0], r[1], "", r[2]) if len(r) == 3 else r for r in rows],
                columns=["code", "name_fa", "name_en", "province"],
            )
        if "name_fa" not in frame and "name" in frame:
            frame = frame.rename(columns={"name": "name_fa"})
        province_column = "province_code" if "province_code" in frame else "province"
        missing = [c for c in ("code", "name_fa", province_column) if c not in frame]
        if missing:
            raise RasadInputError(
                f"The estates table lacks the columns {missing}; it needs code, name_fa (or "
                "name) and province_code (or province).",
                f"جدول شهرک‌ها ستون‌های {missing} را ندارد؛ ستون‌های code، name_fa (یا name) و "
                "province_code (یا province) لازم است.",
                field="estates",
                value=list(frame.columns),
            )
        codes = [to_latin_digits(_text(c)) for c in frame["code"]]
        if any(not c for c in codes) or len(set(codes)) != len(codes):
            raise RasadInputError(
                "Every estate needs a code, and codes must be unique.",
                "هر شهرک باید کدی یکتا داشته باشد.",
                field="estates.code",
                value=codes,
            )
        table = pd.DataFrame(
            {
                "code": codes,
                "name_fa": [_text(v) for v in frame["name_fa"]],
                "name_en": [_text(v) for v in frame.get("name_en", [""] * len(frame))],
                "province_code": [
                    _province_code(v, f"estates[{code}].province")
                    for v, code in zip(frame[province_column], codes, strict=True)
                ],
            }
        )
        return cls(table)

    def __len__(self) -> int:
        return len(self.table)

    def __post_init__(self):
        object.__setattr__(self, "_keys", self._build_keys())

    def _build_keys(self) -> dict[str, int]:
        keys: dict[str, int] = {}
        for column in ("name_en", "name_fa", "code"):  # codes win over names
            for i, value in enumerate(self.table[column]):
                key = header_key(value)
                if key:
                    keys[key] = i
        return keys

    def find(self, value) -> pd.Series | None:
        """The estate row (code, name_fa, name_en, province_code) a cell names, or None."""
        if value is None:
            return None
        if isinstance(value, numbers.Integral | float) and not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else str(value)
        text = str(value)
        candidates = [text]
        for separator in ("—", " - ", "|"):
            if separator in text:
                candidates.append(text.split(separator, 1)[0])
        for candidate in candidates:
            index = self._keys.get(header_key(candidate))  # type: ignore[attr-defined]
            if index is not None:
                return self.table.iloc[index]
        return None

    def choices(self) -> list[str]:
        """The template's drop-down entries: "code — Persian name"."""
        return [
            f"{c} — {n}" for c, n in zip(self.table["code"], self.table["name_fa"], strict=True)
        ]


def period_key(period: Period) -> tuple[str, int]:
    """(granularity, index) so that periods of one granularity sort and differ by one per step."""
    if period.quarter is not None:
        return "quarter", period.year * 4 + period.quarter - 1
    if period.month is not None:
        return "month", period.year * 12 + period.month - 1
    return "year", period.year


def national_id_text(value) -> str:
    """An ID as Latin-digit text, whether stored as a number or as Persian digits."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return to_latin_digits(_text(value))


def previous_returns(data: pd.DataFrame | None, indicator_codes: Iterable[str]) -> pd.DataFrame:
    """Earlier returns, reduced to national_id, period, granularity, order and values.

    ``data`` has ``national_id`` and either ``period`` (codes such as "1402" or
    "1402-Q3") or ``year`` (and optionally ``quarter``), plus any catalogue indicator
    columns, in the catalogue's units. The demo population's returns frame fits.
    """
    codes = list(indicator_codes)
    columns = ["national_id", "period", "granularity", "order", *codes]
    if data is None or len(data) == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype=object if c in columns[:3] else float) for c in columns}
        )
    if not isinstance(data, pd.DataFrame):
        raise RasadInputError(
            "Previous returns must be a DataFrame.",
            "اظهارنامه‌های پیشین باید یک DataFrame باشد.",
            field="previous",
            value=type(data).__name__,
        )
    if "national_id" not in data or not ("period" in data or "year" in data):
        raise RasadInputError(
            "Previous returns need a national_id column and a period (or year) column.",
            "اظهارنامه‌های پیشین ستون national_id و ستون period (یا year) لازم دارند.",
            field="previous",
            value=list(data.columns),
        )
    if "period" in data:
        periods = [Period.parse(p if not isinstance(p, float) else int(p)) for p in data["period"]]
    else:
        quarters = data["quarter"] if "quarter" in data else [None] * len(data)
        periods = [
            Period(int(y), quarter=None if q is None or q != q else int(q))
            for y, q in zip(data["year"], quarters, strict=True)
        ]
    keys = [period_key(p) for p in periods]
    frame = pd.DataFrame(
        {
            "national_id": [national_id_text(v) for v in data["national_id"]],
            "period": [p.code for p in periods],
            "granularity": [k[0] for k in keys],
            "order": [k[1] for k in keys],
        }
    )
    for code in codes:
        frame[code] = (
            pd.to_numeric(data[code], errors="coerce").to_numpy(float)
            if code in data
            else float("nan")
        )
    return frame
