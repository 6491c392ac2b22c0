"""What every family's cell parser shares: the refusal it raises, Excel's error
values, and the distinct values of a column (each parsed once)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError

EXCEL_ERRORS = frozenset(
    ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!")
)

ASK_PARSER = object()  # what a column's ``at_once`` parser leaves to the one-value parser


class Bad(Exception):
    """A cell a parser refuses: its problem code and the message in both languages."""

    def __init__(self, code: str, message_en: str, message_fa: str):
        self.code, self.message_en, self.message_fa = code, message_en, message_fa


def bad_from(error: RasadInputError, code: str) -> Bad:
    return Bad(code, error.message_en, error.message_fa)


def excel_error(value) -> None:
    if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
        raise Bad(
            "excel_error",
            f"The cell shows the Excel error {value.strip()}: fix the formula or type the value.",
            f"خانه خطای اکسل {value.strip()} را نشان می‌دهد: فرمول را درست کنید یا مقدار را "
            "تایپ کنید.",
        )


def distinct(values: list) -> tuple[np.ndarray, list]:
    """Each cell's index into the column's distinct values (-1 for None and NaN), and
    those values.

    Values of different types stay apart even when Python calls them equal (1, 1.0 and
    True parse differently); unhashable values (a list sent to the API) are each their
    own.
    """
    n = len(values)
    codes = np.full(n, -1, dtype=np.int64)
    uniques: list = []
    types = np.fromiter(map(type, values), dtype=object, count=n)
    array = np.fromiter(values, dtype=object, count=n)
    kinds = set(types.tolist())
    for kind in kinds - {type(None)}:
        where = np.flatnonzero(types == kind) if len(kinds) > 1 else np.arange(n)  # noqa: E721 (element-wise)
        try:
            found, distinct = pd.factorize(array[where])
        except TypeError:  # unhashable
            found, distinct = np.arange(len(where)), array[where]
        codes[where] = np.where(found < 0, -1, found + len(uniques))
        uniques.extend(distinct.tolist() if isinstance(distinct, np.ndarray) else list(distinct))
    return codes, uniques
