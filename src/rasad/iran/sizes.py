"""Enterprise size bands by employment.

ISIPO counts micro < 10 employees, small < 50 and medium up to 150; other official
sources use 10–49 / 50–99. Every caller passes the thresholds, so a deployment can use
whichever definition its programme is bound by.
"""

from __future__ import annotations

import numbers

import numpy as np

from rasad.errors import RasadInputError

ISIPO_SIZE_THRESHOLDS = (10, 50, 150)
SIZE_LABELS = np.array(["micro", "small", "medium", "large"], dtype=object)


def check_thresholds(thresholds) -> tuple[int, int, int]:
    values = tuple(thresholds) if isinstance(thresholds, tuple | list) else ()
    if (
        len(values) != 3
        or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values)
        or not 1 <= values[0] < values[1] <= values[2]
    ):
        raise RasadInputError(
            "size_thresholds must be three whole numbers (micro below, small below, medium "
            f"up to and including), increasing, such as (10, 50, 150); got {thresholds!r}.",
            "آستانه‌های اندازه باید سه عدد صحیح صعودی باشند (خرد کمتر از، کوچک کمتر از، متوسط "
            f"تا و شامل)، مانند (10, 50, 150)؛ مقدار داده‌شده: {thresholds!r}.",
            field="size_thresholds",
            value=thresholds,
        )
    micro, small, medium = (int(v) for v in values)
    return micro, small, medium


def size_classes(employees, thresholds=ISIPO_SIZE_THRESHOLDS) -> np.ndarray:
    """``micro``/``small``/``medium``/``large`` per enterprise; ``None`` where employment is
    unknown."""
    micro_below, small_below, medium_max = check_thresholds(thresholds)
    employees = np.asarray(employees, dtype=float)
    band = np.searchsorted([micro_below, small_below, medium_max + 1], employees, side="right")
    labels = SIZE_LABELS[np.minimum(band, 3)]
    labels[np.isnan(employees)] = None
    return labels
