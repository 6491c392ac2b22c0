"""The data state: what the caches of the registry and the returns are keyed on.

The triggers that change it are created by migration ``returns/0007_data_state``,
which names the tables they watch; :func:`data_state` reads it in one primary-key
lookup (0.1 ms), where counting 100,000 enterprises took 13 ms on every page.
"""

from __future__ import annotations

from django.db import connection

from rasad.platform.returns.models import DataState


def data_state() -> str:
    """The current token ("" when the tables were emptied and nothing was written since)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {DataState._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else ""
