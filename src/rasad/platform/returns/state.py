"""The data state: what the caches of the registry and the returns are keyed on.

The triggers that change it are created by migration ``returns/0007_data_state``,
which names the tables they watch (on SQLite, the writers of returns call
:func:`touch` instead); :func:`data_state` reads it in one primary-key lookup, where
counting the enterprises on every page grew with the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import connection

from rasad.platform.returns.models import DataState


def data_state() -> str:
    """The current token ("" when the tables were emptied and nothing was written since;
    SQLite's triggers write it as 16 random bytes, read here in hex)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {DataState._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    if not row:
        return ""
    return row[0].hex() if isinstance(row[0], bytes) else row[0]


def touch() -> None:
    """Change the data state, in the caller's transaction: what the writers of returns
    and versions do on SQLite, where row triggers on those tables cost an import more
    than its writing (PostgreSQL's statement triggers do it anyway)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {DataState._meta.db_table} SET token = randomblob(16) WHERE id = 1"
            )


T = TypeVar("T")
_per_state: dict[str, tuple[str, object]] = {}


def per_state(name: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per data state in this process: reference data that many pages
    read (the periods, the indicator catalogue, the ISIC divisions) and that only a write
    to the watched tables changes. One primary-key read instead of an ORM query (whose
    compiling alone costs a page more than running it). The value is shared: read it,
    never change it."""
    state = data_state()
    held = _per_state.get(name)
    if held is None or held[0] != state:
        held = (state, compute())
        _per_state[name] = held
    return held[1]
