"""Writing returns: the one place that creates versions, so history is kept the same way
whether the figures come from a form, a file, the API or the demo loader.

:func:`record_return` writes one return (a web form, the API); :func:`record_returns`
writes many at once (a file, a panel, the demo) with the same rules: the same figures
again change nothing, different figures become the next version and the old one is
kept. It works in a fixed number of set-based statements per batch (COPY on
PostgreSQL), one row per return and one per version with its figures."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from rasad.errors import InputProblems, RasadInputError
from rasad.iran.periods import Period as JalaliPeriod
from rasad.platform.returns.models import Indicator, Period, Return, ReturnVersion


class InvalidReturn(InputProblems):
    """A return refused as a whole; ``problems`` lists each field's error."""


@dataclass(frozen=True)
class RecordOutcome:
    version: ReturnVersion
    changed: bool


def _clean_values(values: Mapping[str, float | None], catalogue: dict[str, Indicator]) -> dict[str, float]:
    problems: list[RasadInputError] = []
    clean: dict[str, float] = {}
    for code, value in values.items():
        indicator = catalogue.get(code)
        if indicator is None:
            problems.append(RasadInputError(
                f"Unknown indicator '{code}'.", f"شاخص «{code}» در فهرست شاخص‌ها نیست.",
                field=code, value=value))
            continue
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(RasadInputError(
                f"{indicator.name_en}: '{value}' is not a number.",
                f"{indicator.name_fa}: «{value}» عدد نیست.", field=code, value=value))
            continue
        low, high = indicator.min_value, indicator.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"[{'' if low is None else f'{low:g}'}, {'' if high is None else f'{high:g}'}]"
            problems.append(RasadInputError(
                f"{indicator.name_en}: {value:g} is outside the valid range {bounds}.",
                f"{indicator.name_fa}: مقدار {value:g} بیرون از بازهٔ مجاز {bounds} است.",
                field=code, value=value))
            continue
        clean[code] = float(value)
    if problems:
        raise InvalidReturn(problems)
    return clean


def get_period(text: str) -> Period:
    """The stored period for ``1403``, ``۱۴۰۳``, ``1403-Q2``…; a bad label raises bilingually."""
    parsed = JalaliPeriod.parse(text)
    if parsed.month is not None:
        raise RasadInputError(
            f"Returns are yearly or quarterly; '{text}' names a month.",
            f"اظهارنامه سالانه یا فصلی است؛ «{text}» یک ماه است.",
            field="period", value=text,
        )
    period, _ = Period.objects.get_or_create(year=parsed.year, quarter=parsed.quarter)
    return period


def record_return(
    enterprise,
    period: Period,
    values: Mapping[str, float | None],
    *,
    user=None,
    source: str = ReturnVersion.Source.FORM,
    source_file=None,
    note: str = "",
) -> RecordOutcome:
    """Store ``values`` as the enterprise's return for ``period``.

    Sending the same values again changes nothing (``changed`` is False); different
    values become a new version and the earlier one is kept. Blank values (None/NaN)
    mean "not reported". All or nothing: invalid values raise :class:`InvalidReturn`.
    """
    catalogue = {i.code: i for i in Indicator.objects.all()}
    clean = _clean_values(values, catalogue)
    with transaction.atomic():
        record, _ = Return.objects.get_or_create(enterprise=enterprise, period=period)
        record = Return.objects.select_for_update().get(pk=record.pk)
        current = record.current_version
        if current is not None and current.values() == clean:
            return RecordOutcome(current, changed=False)
        number = (record.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = ReturnVersion.objects.create(
            return_record=record, number=number, source=source, source_file=source_file,
            created_by=user, note=note, figures=clean,
        )
        record.current_version = version
        record.save(update_fields=["current_version"])
    return RecordOutcome(version, changed=True)


@dataclass(frozen=True)
class BulkOutcome:
    """What :func:`record_returns` did: ``created`` returns new to the database,
    ``changed`` existing returns given a new version, ``unchanged`` returns whose
    current version already holds exactly these figures."""

    created: int
    changed: int
    unchanged: int

    @property
    def written(self) -> int:
        return self.created + self.changed


# Rows per statement: under SQLite's limit of 32,766 parameters, and few round trips.
BULK_BATCH = 5000


def record_returns(
    rows: pd.DataFrame,
    *,
    user=None,
    source: str = ReturnVersion.Source.FILE,
    source_file=None,
    note: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> BulkOutcome:
    """Store many returns: ``rows`` has ``enterprise_id`` and ``period_id`` (primary
    keys, one row per return, no pair twice), one column per catalogue indicator code
    (NaN = not reported) and optionally ``created_at``. Call it inside a transaction to
    make it all or nothing with what else the caller writes; it opens one otherwise.

    Values are checked against the catalogue's bounds first (every bad cell named,
    nothing written); whoever reads files checks them earlier and more kindly.
    """
    catalogue = {i.code: i for i in Indicator.objects.all()}
    codes = [c for c in rows.columns if c not in ("enterprise_id", "period_id", "created_at")]
    _check_bulk_values(rows, codes, catalogue)
    if rows.duplicated(["enterprise_id", "period_id"]).any():
        raise ValueError("record_returns: a return (enterprise, period) appears twice")
    values = rows[codes].to_numpy(dtype=float) if codes else np.empty((len(rows), 0))
    report = progress or (lambda done, total: None)
    with transaction.atomic():
        existing = _existing_returns(rows)
        position = {(e, p): i for i, (e, p) in enumerate(zip(rows["enterprise_id"], rows["period_id"], strict=True))}
        return_ids = np.zeros(len(rows), dtype=np.int64)
        numbers = np.ones(len(rows), dtype=np.int64)
        current = np.zeros(len(rows), dtype=np.int64)
        for return_id, enterprise_id, period_id, version_id, number in existing:
            i = position[(enterprise_id, period_id)]
            return_ids[i] = return_id
            if version_id is not None:
                current[i], numbers[i] = version_id, number + 1
        unchanged = _unchanged(current, values, codes, catalogue)
        new = np.flatnonzero(return_ids == 0)
        enterprise_ids = rows["enterprise_id"].to_numpy(dtype=np.int64)
        period_ids = rows["period_id"].to_numpy(dtype=np.int64)
        _insert(Return, ("enterprise_id", "period_id"),
                zip(enterprise_ids[new].tolist(), period_ids[new].tolist(), strict=True))
        for return_id, enterprise_id, period_id, _, _ in _existing_returns(rows.iloc[new]):
            return_ids[position[(enterprise_id, period_id)]] = return_id
        write = np.flatnonzero(~unchanged)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        stamps = rows["created_at"] if "created_at" in rows else None
        user_id = getattr(user, "pk", None)
        file_id = getattr(source_file, "pk", None)
        figures = dict(zip(write.tolist(), _figures_json(values[write], codes), strict=True))
        for start in range(0, len(write), BULK_BATCH):
            batch = write[start:start + BULK_BATCH]
            _insert(ReturnVersion, ("return_record_id", "number", "source", "source_file_id", "created_by_id",
                                    "created_at", "note", "figures"),
                    ((int(return_ids[i]), int(numbers[i]), source, file_id, user_id,
                      now if stamps is None else connection.ops.adapt_datetimefield_value(stamps.iat[i]), note,
                      figures[i])
                     for i in batch))
            version_ids = _version_ids(return_ids[batch], numbers[batch])
            _set_current_versions(return_ids[batch], version_ids)
            report(min(start + BULK_BATCH, len(write)), len(write))
    return BulkOutcome(created=len(new), changed=len(write) - len(new), unchanged=int(unchanged.sum()))


def _figures_json(values: np.ndarray, codes: list[str]) -> list[str]:
    """Each row's reported figures as the JSON object a version stores."""
    present = ~np.isnan(values)
    return [json.dumps(dict(zip([codes[j] for j in np.flatnonzero(row_present)], row[row_present].tolist(),
                                strict=True)))
            for row, row_present in zip(values, present, strict=True)]


def _check_bulk_values(rows: pd.DataFrame, codes: list[str], catalogue: dict[str, Indicator]) -> None:
    problems: list[RasadInputError] = []
    for code in codes:
        indicator = catalogue.get(code)
        if indicator is None:
            problems.append(RasadInputError(f"Unknown indicator '{code}'.", f"شاخص «{code}» در فهرست شاخص‌ها نیست.",
                                            field=code))
            continue
        column = rows[code].to_numpy(dtype=float)
        bad = np.isinf(column)
        if indicator.min_value is not None:
            bad |= column < indicator.min_value
        if indicator.max_value is not None:
            bad |= column > indicator.max_value
        for i in np.flatnonzero(bad)[:5]:
            problems.append(RasadInputError(
                f"{indicator.name_en}: {column[i]:g} (row {i + 1}) is outside the valid range.",
                f"{indicator.name_fa}: مقدار {column[i]:g} (ردیف {i + 1}) بیرون از بازهٔ مجاز است.",
                field=code, value=float(column[i])))
    if problems:
        raise InvalidReturn(problems)


def _chunks(values, size: int = BULK_BATCH):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _existing_returns(rows: pd.DataFrame) -> list[tuple]:
    """(return, enterprise, period, current version, its number) of the pairs in ``rows``."""
    found = []
    wanted = set(zip(rows["enterprise_id"].tolist(), rows["period_id"].tolist(), strict=True))
    periods = sorted(set(rows["period_id"].tolist()))
    for enterprises in _chunks(sorted(set(rows["enterprise_id"].tolist()))):
        found.extend(
            r for r in Return.objects.filter(enterprise_id__in=enterprises, period_id__in=periods).values_list(
                "id", "enterprise_id", "period_id", "current_version_id", "current_version__number")
            if (r[1], r[2]) in wanted)
    return found


def _unchanged(current: np.ndarray, values: np.ndarray, codes: list[str], catalogue) -> np.ndarray:
    """Which rows hold exactly the figures of their return's current version (the same
    indicators reported, the same values)."""
    unchanged = np.zeros(len(current), dtype=bool)
    rows = np.flatnonzero(current)
    stored: dict[int, dict] = {}
    for versions in _chunks(current[rows].tolist()):
        stored.update(ReturnVersion.objects.filter(pk__in=versions).values_list("pk", "figures"))
    for i in rows.tolist():
        old = stored[int(current[i])]
        row = values[i]
        new = {codes[j]: row[j] for j in np.flatnonzero(~np.isnan(row))}
        unchanged[i] = new == {code: float(value) for code, value in old.items()}
    return unchanged


def _version_ids(return_ids: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """The ids of the versions just numbered ``numbers`` of these returns, in order."""
    wanted = dict(zip(return_ids.tolist(), numbers.tolist(), strict=True))
    found = {}
    for chunk in _chunks(wanted):
        for version_id, return_id, number in ReturnVersion.objects.filter(return_record_id__in=chunk).values_list(
                "id", "return_record_id", "number"):
            if wanted[return_id] == number:
                found[return_id] = version_id
    return np.array([found[r] for r in return_ids.tolist()], dtype=np.int64)


def _insert(model, columns: tuple[str, ...], rows) -> None:
    """Insert plain rows into ``model``'s table: PostgreSQL's COPY, or SQLite's own
    executemany (Django's wrapper converts every row's parameters on the way)."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elif connection.vendor == "sqlite":
        connection.connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})",
                                          rows)
    else:
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})",
                               list(rows))


def _set_current_versions(return_ids: np.ndarray, version_ids: np.ndarray) -> None:
    table = connection.ops.quote_name(Return._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS r SET current_version_id = v.version FROM unnest(%s::bigint[], %s::bigint[]) "
                "AS v(id, version) WHERE r.id = v.id", [return_ids.tolist(), version_ids.tolist()])
        else:
            connection.connection.executemany(f"UPDATE {table} SET current_version_id = ? WHERE id = ?",
                                              zip(version_ids.tolist(), return_ids.tolist(), strict=True))
