"""Writing returns: the one place that creates versions, so history is kept the same way
whether the figures come from a form, a file, the API or the demo loader.

:func:`record_return` writes one return (a web form, the API); :func:`record_returns`
writes many at once (a file, a panel, the demo) with the same rules: the same figures
again change nothing, different figures become the next version and the old one is
kept. It works in a fixed number of set-based statements per batch (COPY on
PostgreSQL), one row per return and one per version with its figures, and checks the
references the database no longer checks (see the models) for the whole batch first."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from rasad.errors import InputProblems, RasadInputError
from rasad.iran.periods import Period as JalaliPeriod
from rasad.platform.notifications.tasks import announce_corrections
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Indicator, Period, Return, ReturnVersion, SourceFile
from rasad.platform.returns.state import touch


class InvalidReturn(InputProblems):
    """A return refused as a whole; ``problems`` lists each field's error."""


@dataclass(frozen=True)
class RecordOutcome:
    version: ReturnVersion
    changed: bool


def _clean_values(
    values: Mapping[str, float | None], catalogue: dict[str, Indicator]
) -> dict[str, float]:
    problems: list[RasadInputError] = []
    clean: dict[str, float] = {}
    for code, value in values.items():
        indicator = catalogue.get(code)
        if indicator is None:
            problems.append(
                RasadInputError(
                    f"Unknown indicator '{code}'.",
                    f"شاخص «{code}» در فهرست شاخص‌ها نیست.",
                    field=code,
                    value=value,
                )
            )
            continue
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(
                RasadInputError(
                    f"{indicator.name_en}: '{value}' is not a number.",
                    f"{indicator.name_fa}: «{value}» عدد نیست.",
                    field=code,
                    value=value,
                )
            )
            continue
        low, high = indicator.min_value, indicator.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"[{'' if low is None else f'{low:g}'}, {'' if high is None else f'{high:g}'}]"
            problems.append(
                RasadInputError(
                    f"{indicator.name_en}: {value:g} is outside the valid range {bounds}.",
                    f"{indicator.name_fa}: مقدار {value:g} بیرون از بازهٔ مجاز {bounds} است.",
                    field=code,
                    value=value,
                )
            )
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
            field="period",
            value=text,
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
        # taken first, as every writer of returns takes it: the data state's row, which
        # each write locks until the commit, is then always locked after it (no deadlock
        # with an import writing the same return)
        write_lock()
        record, _ = Return.objects.get_or_create(enterprise=enterprise, period=period)
        record = Return.objects.select_for_update().get(pk=record.pk)
        current = record.current_version
        if current is not None and current.values() == clean:
            return RecordOutcome(current, changed=False)
        touch()  # only when something is written: the same figures again change no cache
        number = (record.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = ReturnVersion.objects.create(
            return_record=record,
            number=number,
            source=source,
            source_file=source_file,
            created_by=user,
            note=note,
            figures=clean,
        )
        record.current_version = version
        record.save(update_fields=["current_version"])
        if current is not None:  # a correction: its users hear of it (issue 18)
            _announce_corrections([version.pk])
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
        write_lock()
        enterprise_ids = rows["enterprise_id"].to_numpy(dtype=np.int64)
        period_ids = rows["period_id"].to_numpy(dtype=np.int64)
        _check_references(enterprise_ids, period_ids, source_file, user)
        return_ids, current, numbers = _existing_returns(enterprise_ids, period_ids)
        unchanged = _unchanged(current, values, codes, catalogue)
        new = np.flatnonzero(return_ids == 0)
        write = np.flatnonzero(~unchanged)  # every new return, and the changed ones
        if len(write):
            touch()
        # Ids are taken before writing, so a return is written already pointing at its
        # version (the foreign key is checked at commit) and nothing is looked up again.
        return_ids[new] = _new_ids(Return, len(new))
        version_ids = np.zeros(len(rows), dtype=np.int64)
        version_ids[write] = _new_ids(ReturnVersion, len(write))
        insert_rows(
            Return,
            ("id", "enterprise_id", "period_id", "current_version_id"),
            zip(
                return_ids[new].tolist(),
                enterprise_ids[new].tolist(),
                period_ids[new].tolist(),
                version_ids[new].tolist(),
                strict=True,
            ),
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        stamps = rows["created_at"] if "created_at" in rows else None
        user_id = getattr(user, "pk", None)
        file_id = getattr(source_file, "pk", None)
        for start in range(0, len(write), BULK_BATCH):
            batch = write[start : start + BULK_BATCH]
            figures = _figures_json(values[batch], codes)
            insert_rows(
                ReturnVersion,
                (
                    "id",
                    "return_record_id",
                    "number",
                    "source",
                    "source_file_id",
                    "created_by_id",
                    "created_at",
                    "note",
                    "figures",
                ),
                (
                    (
                        int(version_ids[i]),
                        int(return_ids[i]),
                        int(numbers[i]),
                        source,
                        file_id,
                        user_id,
                        now
                        if stamps is None
                        else connection.ops.adapt_datetimefield_value(stamps.iat[i]),
                        note,
                        figures[k],
                    )
                    for k, i in enumerate(batch.tolist())
                ),
            )
            report(min(start + BULK_BATCH, len(write)), len(write))
        changed = write[current[write] != 0]
        _set_current_versions(return_ids[changed], version_ids[changed])
        if len(changed):
            _announce_corrections(version_ids[changed].tolist())
    return BulkOutcome(created=len(new), changed=len(changed), unchanged=int(unchanged.sum()))


def _announce_corrections(version_ids: list[int]) -> None:
    """Once the corrections are committed, a worker tells the firms' users
    (:mod:`rasad.platform.notifications`)."""
    transaction.on_commit(lambda: announce_corrections.enqueue(version_ids))


def write_lock() -> None:
    """Take the database's write lock for the rest of the transaction, so what is read
    next (the returns on record, the next free ids) stays true until the commit.

    PostgreSQL: an advisory lock held by every writer of returns, before it writes
    anything (so before it locks the data state's row, see ``returns.state``). SQLite has
    one writer at a time anyway, but a transaction only claims the lock at its first
    write, and one that read before another's commit can no longer write at all: a
    write that changes nothing claims it at once.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        else:
            cursor.execute(
                f"UPDATE {connection.ops.quote_name(Return._meta.db_table)} SET id = id WHERE 0 = 1"
            )


_LOCK_KEY = 0x7261736164  # "rasad": the advisory lock of bulk return writers


def _figures_json(values: np.ndarray, codes: list[str]) -> list[str]:
    """Each row's reported figures as the JSON object a version stores, exactly as
    ``json.dumps`` writes it (a float as its ``repr``), without building and encoding a
    dictionary per row."""
    keys = [f"{json.dumps(code)}: " for code in codes]
    return [
        "{"
        + ", ".join(
            [key + repr(value) for key, value in zip(keys, row, strict=True) if value == value]
        )
        + "}"
        for row in values.tolist()
    ]


def _check_bulk_values(
    rows: pd.DataFrame, codes: list[str], catalogue: dict[str, Indicator]
) -> None:
    problems: list[RasadInputError] = []
    for code in codes:
        indicator = catalogue.get(code)
        if indicator is None:
            problems.append(
                RasadInputError(
                    f"Unknown indicator '{code}'.",
                    f"شاخص «{code}» در فهرست شاخص‌ها نیست.",
                    field=code,
                )
            )
            continue
        column = rows[code].to_numpy(dtype=float)
        bad = np.isinf(column)
        if indicator.min_value is not None:
            bad |= column < indicator.min_value
        if indicator.max_value is not None:
            bad |= column > indicator.max_value
        for i in np.flatnonzero(bad)[:5]:
            problems.append(
                RasadInputError(
                    f"{indicator.name_en}: {column[i]:g} (row {i + 1}) is outside the valid range.",
                    f"{indicator.name_fa}: مقدار {column[i]:g} (ردیف {i + 1}) بیرون از بازهٔ مجاز است.",
                    field=code,
                    value=float(column[i]),
                )
            )
    if problems:
        raise InvalidReturn(problems)


def _chunks(values, size: int = BULK_BATCH):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _any_of(column: str) -> str:
    """SQL testing ``column`` against a list sent as one parameter (see :func:`_one_list`)."""
    return (
        f"{column} = ANY(%s::bigint[])"
        if connection.vendor == "postgresql"
        else f"{column} IN (SELECT value FROM json_each(%s))"
    )


def _one_list(ids: list[int]):
    return ids if connection.vendor == "postgresql" else json.dumps(ids)


def _check_references(
    enterprise_ids: np.ndarray, period_ids: np.ndarray, source_file, user
) -> None:
    """Refuse, before writing anything, rows naming an enterprise, period, file or user
    that does not exist: the database does not check these references (see the models),
    so they are checked here for the whole batch in one query each."""
    wanted = [
        (Enterprise, np.unique(enterprise_ids).tolist()),
        (Period, np.unique(period_ids).tolist()),
    ]
    for model, instance in ((SourceFile, source_file), (get_user_model(), user)):
        if getattr(instance, "pk", None) is not None:
            wanted.append((model, [instance.pk]))
    with connection.cursor() as cursor:
        for model, ids in wanted:
            cursor.execute(
                f"SELECT id FROM {connection.ops.quote_name(model._meta.db_table)} WHERE {_any_of('id')}",
                [_one_list(ids)],
            )
            missing = set(ids) - {row[0] for row in cursor.fetchall()}
            if missing:
                raise ValueError(
                    f"record_returns: no {model._meta.model_name} with the id(s) {sorted(missing)[:10]}"
                )


def _existing_returns(enterprise_ids: np.ndarray, period_ids: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each (enterprise, period) pair: its return's id, current version and the
    number its next version takes (0, 0 and 1 when there is none), in one query per
    period over the enterprises sent as a single array parameter, not one parameter each."""
    return_ids = np.zeros(len(enterprise_ids), dtype=np.int64)
    current = np.zeros(len(enterprise_ids), dtype=np.int64)
    numbers = np.ones(len(enterprise_ids), dtype=np.int64)
    position = {
        pair: i
        for i, pair in enumerate(zip(enterprise_ids.tolist(), period_ids.tolist(), strict=True))
    }
    returns = connection.ops.quote_name(Return._meta.db_table)
    versions = connection.ops.quote_name(ReturnVersion._meta.db_table)
    with connection.cursor() as cursor:
        for period_id in np.unique(period_ids).tolist():
            cursor.execute(
                f"SELECT r.id, r.enterprise_id, r.current_version_id, v.number FROM {returns} r "
                f"LEFT JOIN {versions} v ON v.id = r.current_version_id "
                f"WHERE r.period_id = %s AND {_any_of('r.enterprise_id')}",
                [period_id, _one_list(enterprise_ids[period_ids == period_id].tolist())],
            )
            for return_id, enterprise_id, version_id, number in cursor.fetchall():
                i = position[(enterprise_id, period_id)]
                return_ids[i] = return_id
                if version_id is not None:
                    current[i], numbers[i] = version_id, number + 1
    return return_ids, current, numbers


def _new_ids(model, count: int) -> np.ndarray:
    """``count`` primary keys for new rows of ``model``, taken from its sequence (under
    :func:`write_lock` on SQLite, past every id ever used, as AUTOINCREMENT promises)."""
    if not count:
        return np.empty(0, dtype=np.int64)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'id'))) FROM generate_series(1, %s)",
                [table, count],
            )  # one array, not a row per id
            return np.array(cursor.fetchone()[0], dtype=np.int64)
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 0))",
            [table],
        )
        last = cursor.fetchone()[0]
    return np.arange(last + 1, last + 1 + count, dtype=np.int64)


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


def insert_rows(model, columns: tuple[str, ...], rows) -> None:
    """Insert plain rows into ``model``'s table: PostgreSQL's COPY, or SQLite's own
    executemany (Django's wrapper converts every row's parameters on the way). Rows are
    written as given, with no model defaults or signals: ``columns`` names every
    column without a database default."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    elif connection.vendor == "sqlite":
        connection.connection.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows
        )
    else:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})",
                list(rows),
            )


def _set_current_versions(return_ids: np.ndarray, version_ids: np.ndarray) -> None:
    table = connection.ops.quote_name(Return._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS r SET current_version_id = v.version FROM unnest(%s::bigint[], %s::bigint[]) "
                "AS v(id, version) WHERE r.id = v.id",
                [return_ids.tolist(), version_ids.tolist()],
            )
        else:
            connection.connection.executemany(
                f"UPDATE {table} SET current_version_id = ? WHERE id = ?",
                zip(version_ids.tolist(), return_ids.tolist(), strict=True),
            )
