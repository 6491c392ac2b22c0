"""Writing returns: the one place that creates versions, so history is kept the same way
whether the figures come from a form, a file, the API or the demo loader.

:func:`record_return` writes one return (a web form, the API); :func:`record_returns`
writes many at once (a file, a panel, the demo) with the same rules: the same figures
again change nothing, different figures become the next version and the old one is
kept. It works in a fixed number of set-based statements per batch (COPY on
PostgreSQL, :mod:`.bulk`), one row per return and one per version with its figures, and
checks the references the database no longer checks (see the models) for the whole
batch first."""

from __future__ import annotations

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
from rasad.platform.notifications.tasks import announce_corrections
from rasad.platform.returns.bulk import (
    BULK_BATCH,
    check_references,
    existing_returns,
    figures_json,
    insert_returns,
    insert_rows,
    new_ids,
    set_current_versions,
    unchanged_rows,
)
from rasad.platform.returns.models import Indicator, Period, Return, ReturnVersion
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
    codes, values = _bulk_values(rows)
    with transaction.atomic():
        write_lock()
        enterprise_ids = rows["enterprise_id"].to_numpy(dtype=np.int64)
        period_ids = rows["period_id"].to_numpy(dtype=np.int64)
        check_references(enterprise_ids, period_ids, source_file, user)
        return_ids, current, numbers = existing_returns(enterprise_ids, period_ids)
        unchanged = unchanged_rows(current, values, codes)
        new = np.flatnonzero(return_ids == 0)
        write = np.flatnonzero(~unchanged)  # every new return, and the changed ones
        if len(write):
            touch()
        # Ids are taken before writing, so a return is written already pointing at its
        # version (the foreign key is checked at commit) and nothing is looked up again.
        return_ids[new] = new_ids(Return, len(new))
        version_ids = np.zeros(len(rows), dtype=np.int64)
        version_ids[write] = new_ids(ReturnVersion, len(write))
        insert_returns(return_ids[new], enterprise_ids[new], period_ids[new], version_ids[new])
        _insert_versions(
            rows,
            write,
            (values, codes),
            (version_ids, return_ids, numbers),
            source=source,
            source_file=source_file,
            user=user,
            note=note,
            progress=progress or (lambda done, total: None),
        )
        changed = write[current[write] != 0]
        set_current_versions(return_ids[changed], version_ids[changed])
        if len(changed):
            _announce_corrections(version_ids[changed].tolist())
    return BulkOutcome(created=len(new), changed=len(changed), unchanged=int(unchanged.sum()))


def _bulk_values(rows: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The indicator codes of ``rows`` and their values, a row per return, once every
    value is within its indicator's bounds and no return appears twice."""
    catalogue = {i.code: i for i in Indicator.objects.all()}
    codes = [c for c in rows.columns if c not in ("enterprise_id", "period_id", "created_at")]
    _check_bulk_values(rows, codes, catalogue)
    if rows.duplicated(["enterprise_id", "period_id"]).any():
        raise ValueError("record_returns: a return (enterprise, period) appears twice")
    return codes, rows[codes].to_numpy(dtype=float) if codes else np.empty((len(rows), 0))


def _insert_versions(
    rows: pd.DataFrame,
    write: np.ndarray,
    figures: tuple[np.ndarray, list[str]],
    ids: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    source: str,
    source_file,
    user,
    note: str,
    progress: Callable[[int, int], None],
) -> None:
    """The new versions of the rows ``write`` (``figures`` every row's values and their
    codes; ``ids`` every row's version id, return id and version number),
    :data:`BULK_BATCH` rows a statement, each batch's JSON built only for it, and
    ``progress`` told after each."""
    values, codes = figures
    version_ids, return_ids, numbers = ids
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    stamps = rows["created_at"] if "created_at" in rows else None
    user_id = getattr(user, "pk", None)
    file_id = getattr(source_file, "pk", None)
    for start in range(0, len(write), BULK_BATCH):
        batch = write[start : start + BULK_BATCH]
        texts = figures_json(values[batch], codes)
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
                    texts[k],
                )
                for k, i in enumerate(batch.tolist())
            ),
        )
        progress(min(start + BULK_BATCH, len(write)), len(write))


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
                    f"{indicator.name_fa}: مقدار {column[i]:g} (ردیف {i + 1}) "
                    "بیرون از بازهٔ مجاز است.",
                    field=code,
                    value=float(column[i]),
                )
            )
    if problems:
        raise InvalidReturn(problems)
