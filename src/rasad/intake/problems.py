"""One problem found in an intake file, located the way the sender sees the file.

A person fixing a file needs the sheet, the row number Excel shows (1-based, the
header rows included), the column header as they wrote it and the offending value;
a web form needs the field code to put the message beside the input. Both languages
travel together so the same record serves a Persian and an English reader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rasad.iran.text import persian_numbers

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)

SEVERITY_LABELS = {ERROR: ("خطا", "error"), WARNING: ("هشدار", "warning")}
# The code of a warning about a figure outside the catalogue's plausible bounds: not
# refused, but stored only once a person confirms it (a checkbox, --confirm-implausible,
# the API's confirm_implausible).
IMPLAUSIBLE = "implausible"
CONFIRM_LABELS = ("نیازمند تأیید", "needs confirming")


@dataclass(frozen=True)
class Problem:
    """A problem of an intake file: where it is, what was there and what is wrong.

    ``row`` is ``None`` for a problem of a whole sheet or file, ``column`` ``None``
    for a problem of a whole row. ``code`` is a stable machine-readable kind
    (``check_digit``, ``required``, ``unit_slip``, …) for tests and filters; ``field``
    the canonical field code, for web forms.
    """

    sheet: str
    row: int | None
    column: str | None
    value: object
    severity: str
    message_en: str
    message_fa: str
    code: str
    field: str | None = None
    column_letter: str | None = None

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        if self.row is not None and (not isinstance(self.row, int) or self.row < 1):
            raise ValueError(f"row must be a 1-based row number or None, not {self.row!r}")
        if not self.message_en or not self.message_fa:
            raise ValueError("a problem needs a message in both English and Persian")
        object.__setattr__(self, "message_fa", persian_numbers(self.message_fa))

    @property
    def blocking(self) -> bool:
        return self.severity == ERROR

    @property
    def needs_confirmation(self) -> bool:
        """A warning that holds the import back until a person confirms it."""
        return self.severity == WARNING and self.code == IMPLAUSIBLE

    def label(self, language: str = "fa") -> str:
        """The kind of problem, as a report's column shows it."""
        pair = CONFIRM_LABELS if self.needs_confirmation else SEVERITY_LABELS[self.severity]
        return pair[0] if language.startswith("fa") else pair[1]

    def message(self, language: str = "fa") -> str:
        return self.message_fa if language.startswith("fa") else self.message_en

    def sort_key(self, sheet_order: dict[str, int]) -> tuple:
        return (
            sheet_order.get(self.sheet, len(sheet_order)),
            self.row or 0,
            self.column_letter_index(),
            self.severity,
            self.code,
        )

    def column_letter_index(self) -> int:
        index = 0
        for char in self.column_letter or "":
            index = index * 26 + ord(char) - 64
        return index


def shown_value(value) -> str:
    """A value as a report shows it: empty for missing, never ``nan``."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
