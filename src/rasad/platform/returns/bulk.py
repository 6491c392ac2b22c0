"""The set-based SQL behind :func:`rasad.platform.returns.services.record_returns`: a
fixed number of statements per batch whatever the number of returns, with lists sent
as one array parameter (JSON on SQLite) rather than one parameter per id, and rows
written by COPY on PostgreSQL. A file of a million returns would otherwise spend its
time in the ORM; the rules about versions stay in :mod:`.services`."""

from __future__ import annotations

import json

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection

from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Period, Return, ReturnVersion, SourceFile

# Rows per statement: under SQLite's limit of 32,766 parameters, and few round trips.
BULK_BATCH = 5000


def figures_json(values: np.ndarray, codes: list[str]) -> list[str]:
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


def check_references(enterprise_ids: np.ndarray, period_ids: np.ndarray, source_file, user) -> None:
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
                f"SELECT id FROM {connection.ops.quote_name(model._meta.db_table)} "
                f"WHERE {_any_of('id')}",
                [_one_list(ids)],
            )
            missing = set(ids) - {row[0] for row in cursor.fetchall()}
            if missing:
                raise ValueError(
                    f"record_returns: no {model._meta.model_name} "
                    f"with the id(s) {sorted(missing)[:10]}"
                )


def existing_returns(enterprise_ids: np.ndarray, period_ids: np.ndarray) -> tuple[np.ndarray, ...]:
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


def new_ids(model, count: int) -> np.ndarray:
    """``count`` primary keys for new rows of ``model``, taken from its sequence (under
    :func:`~rasad.platform.returns.services.write_lock` on SQLite, past every id ever
    used, as AUTOINCREMENT promises)."""
    if not count:
        return np.empty(0, dtype=np.int64)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'id'))) "
                "FROM generate_series(1, %s)",
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


def unchanged_rows(current: np.ndarray, values: np.ndarray, codes: list[str]) -> np.ndarray:
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


def insert_returns(
    return_ids: np.ndarray,
    enterprise_ids: np.ndarray,
    period_ids: np.ndarray,
    version_ids: np.ndarray,
) -> None:
    """New returns' rows, each written already pointing at its first version."""
    insert_rows(
        Return,
        ("id", "enterprise_id", "period_id", "current_version_id"),
        zip(
            return_ids.tolist(),
            enterprise_ids.tolist(),
            period_ids.tolist(),
            version_ids.tolist(),
            strict=True,
        ),
    )


def set_current_versions(return_ids: np.ndarray, version_ids: np.ndarray) -> None:
    table = connection.ops.quote_name(Return._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS r SET current_version_id = v.version "
                "FROM unnest(%s::bigint[], %s::bigint[]) "
                "AS v(id, version) WHERE r.id = v.id",
                [return_ids.tolist(), version_ids.tolist()],
            )
        else:
            connection.connection.executemany(
                f"UPDATE {table} SET current_version_id = ? WHERE id = ?",
                zip(version_ids.tolist(), return_ids.tolist(), strict=True),
            )
