"""The dry-run report: what an import would write, and every reason it may not.

An import shows this report before anything is stored: on the upload page, as an
Excel workbook the sender can work through, and on the CLI. It carries the parsed
records in canonical form (catalogue codes, million rials, Jalali period codes), but
hands them out only when no blocking error remains, so a caller cannot commit half a
file by mistake, and, while implausible figures remain, only to a caller that says a
person confirmed them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rasad.errors import RasadInputError
from rasad.iran.text import to_persian_digits

from .problems import ERROR, WARNING, Problem, shown_value

ENTERPRISE_COLUMNS = [
    "national_id", "name_fa", "name_en", "isic_class", "province_code", "estate_code",
    "founding_year",
]  # fmt: skip
_ENTERPRISE_DTYPES = {
    "national_id": "string", "name_fa": "string", "name_en": "string", "isic_class": "string",
    "province_code": "Int64", "estate_code": "string", "founding_year": "Int64",
}  # fmt: skip
RETURN_KEYS = ["national_id", "period", "year", "quarter"]


def empty_enterprises() -> pd.DataFrame:
    """The canonical enterprise frame with no rows: its columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in _ENTERPRISE_DTYPES.items()})


def empty_returns(indicator_codes: Sequence[str]) -> pd.DataFrame:
    """The canonical returns frame with no rows: keys, then one float column per indicator."""
    keys = {"national_id": "string", "period": "string", "year": "Int64", "quarter": "Int64"}
    columns = {c: pd.Series(dtype=d) for c, d in keys.items()}
    columns.update({code: pd.Series(dtype="float64") for code in indicator_codes})
    return pd.DataFrame(columns)


PROBLEM_COLUMNS = [
    "sheet", "row", "column", "column_letter", "field", "value", "severity", "code",
    "message_en", "message_fa",
]  # fmt: skip


def _preview_kind(code: str, values: pd.Series) -> str:
    if code == "year":
        return "year"
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return "text"
    whole = values.dropna()
    return "int" if (whole == whole.round()).all() else "decimal"


_FILLS = {ERROR: "FFC7CE", WARNING: "FFEB9C"}
_HEADINGS = {
    "sheet": ("برگه", "Sheet"),
    "row": ("ردیف", "Row"),
    "column": ("ستون", "Column"),
    "column_letter": ("حرف ستون", "Column letter"),
    "value": ("مقدار", "Value"),
    "severity": ("نوع", "Severity"),
    "message": ("توضیح", "Message"),
}


@dataclass(frozen=True, eq=False)
class IntakeReport:
    """Problems found in a file, their counts, and the records ready to commit.

    ``enterprises`` and ``returns`` are empty frames (with the canonical columns)
    whenever :attr:`blocking` is true; :meth:`records_to_commit` raises then.
    """

    source: str
    problems: tuple[Problem, ...]
    parsed_enterprises: pd.DataFrame
    parsed_returns: pd.DataFrame
    rows_read: int = 0

    @classmethod
    def build(
        cls,
        *,
        source: str,
        problems: Iterable[Problem],
        enterprises: pd.DataFrame,
        returns: pd.DataFrame,
        rows_read: int = 0,
        sheet_order: dict[str, int] | None = None,
    ) -> IntakeReport:
        order = sheet_order or {}
        ordered = tuple(sorted(problems, key=lambda p: p.sort_key(order)))
        return cls(source, ordered, enterprises, returns, rows_read)

    # --- what it says -----------------------------------------------------------------

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def blocking(self) -> bool:
        """True when any error remains: nothing of the file may be committed."""
        return any(p.severity == ERROR for p in self.problems)

    @property
    def implausible(self) -> list[Problem]:
        """Figures outside the catalogue's plausible bounds: warnings a person must confirm."""
        return [p for p in self.problems if p.needs_confirmation]

    @property
    def needs_confirmation(self) -> bool:
        """True when implausible figures remain: the file is committed only once a
        person confirms them (``records_to_commit(confirm_implausible=True)``)."""
        return any(p.needs_confirmation for p in self.problems)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows_read": self.rows_read,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "enterprises": len(self.parsed_enterprises),
            "returns": len(self.parsed_returns),
        }

    def counts_by_code(self) -> Counter:
        return Counter((p.severity, p.code) for p in self.problems)

    @property
    def enterprises(self) -> pd.DataFrame:
        """Enterprise records to commit; empty while anything blocks."""
        return self.parsed_enterprises.iloc[0:0] if self.blocking else self.parsed_enterprises

    @property
    def returns(self) -> pd.DataFrame:
        """Return records to commit; empty while anything blocks."""
        return self.parsed_returns.iloc[0:0] if self.blocking else self.parsed_returns

    def records_to_commit(
        self, *, confirm_implausible: bool = False
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(enterprises, returns) for the commit, or an error if anything blocks.

        The commit is all or nothing: a file with one error commits no row at all, and
        one with implausible figures none unless ``confirm_implausible`` says a person
        checked them.
        """
        if self.blocking:
            n = len(self.errors)
            raise RasadInputError(
                f"{self.source!r} has {n} error(s); nothing can be imported until they are fixed.",
                f"«{self.source}» {to_persian_digits(str(n))} خطا دارد؛ تا اصلاح نشوند هیچ چیز "
                "وارد نمی‌شود.",
                field="file",
                value=self.source,
            )
        if self.needs_confirmation and not confirm_implausible:
            n = len(self.implausible)
            first = self.implausible[0]
            raise RasadInputError(
                f"{self.source!r} has {n} implausible figure(s) ({self._location(first, 'en')}: "
                f"{first.message_en}); nothing is imported until a person confirms them.",
                f"«{self.source}» {to_persian_digits(str(n))} رقم نامحتمل دارد "
                f"({self._location(first, 'fa')}: {first.message_fa})؛ تا کسی آن‌ها را تأیید "
                "نکند هیچ چیز وارد نمی‌شود.",
                field="confirm_implausible",
                value=self.source,
            )
        return self.parsed_enterprises, self.parsed_returns

    # --- renderings -------------------------------------------------------------------

    def to_frame(self) -> pd.DataFrame:
        """One row per problem, in file order (sheet, row, column)."""
        rows = [
            {
                "sheet": p.sheet,
                "row": p.row,
                "column": p.column,
                "column_letter": p.column_letter,
                "field": p.field,
                "value": p.value,
                "severity": p.severity,
                "code": p.code,
                "message_en": p.message_en,
                "message_fa": p.message_fa,
            }
            for p in self.problems
        ]
        frame = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
        return frame.astype({"row": "Int64"})

    def summary(self, language: str = "fa") -> str:
        c = self.counts
        if language.startswith("fa"):
            verdict = (
                "هیچ چیز وارد نمی‌شود تا خطاها اصلاح شوند."
                if self.blocking
                else f"{len(self.implausible)} رقم نامحتمل است: پس از بررسی باید تأیید شوند تا "
                "فایل وارد شود."
                if self.needs_confirmation
                else "آماده ورود است" + ("؛ هشدارها را بررسی کنید." if c["warnings"] else ".")
            )
            text = (
                f"«{self.source}»: {c['rows_read']} ردیف خوانده شد؛ {c['errors']} خطا، "
                f"{c['warnings']} هشدار؛ {c['enterprises']} بنگاه و {c['returns']} اظهارنامه. "
                f"{verdict}"
            )
            return to_persian_digits(text)
        verdict = (
            "Nothing will be imported until the errors are fixed."
            if self.blocking
            else f"{len(self.implausible)} implausible figure(s) must be checked and confirmed "
            "before the file is imported."
            if self.needs_confirmation
            else "Ready to import" + ("; review the warnings." if c["warnings"] else ".")
        )
        return (
            f"{self.source!r}: {c['rows_read']} rows read; {c['errors']} error(s), "
            f"{c['warnings']} warning(s); {c['enterprises']} enterprise(s) and {c['returns']} "
            f"return(s). {verdict}"
        )

    def _location(self, p: Problem, language: str) -> str:
        fa = language.startswith("fa")
        parts = [p.sheet]
        if p.row is not None:
            parts.append(f"ردیف {p.row}" if fa else f"row {p.row}")
        if p.column:
            parts.append(f"{p.column} ({p.column_letter})" if p.column_letter else p.column)
        text = "، ".join(parts) if fa else ", ".join(parts)
        return to_persian_digits(text) if fa else text

    def to_text(self, language: str = "fa", *, limit: int | None = None) -> str:
        """Plain text for logs and terminals without colour: summary, then each problem."""
        fa = language.startswith("fa")
        lines = [self.summary(language)]
        shown = self.problems if limit is None else self.problems[:limit]
        for p in shown:
            label = p.label(language)
            value = (
                f" «{p.value}»"
                if fa and p.value not in (None, "")
                else (f" [{p.value}]" if p.value not in (None, "") else "")
            )
            lines.append(f"- {label}: {self._location(p, language)}{value}: {p.message(language)}")
        if limit is not None and len(self.problems) > limit:
            more = len(self.problems) - limit
            lines.append(to_persian_digits(f"… و {more} مورد دیگر") if fa else f"… and {more} more")
        return "\n".join(lines)

    def to_rich(self, language: str = "fa", *, limit: int | None = 200):
        """A rich renderable (summary and a table of problems) for the CLI."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        fa = language.startswith("fa")
        i = 0 if fa else 1
        table = Table(show_lines=False, expand=False)
        for key in ("severity", "sheet", "row", "column", "value", "message"):
            table.add_column(_HEADINGS[key][i], overflow="fold")
        shown = self.problems if limit is None else self.problems[:limit]
        for p in shown:
            style = "red" if p.severity == ERROR else "yellow"
            row = "" if p.row is None else str(p.row)
            column = p.column or ""
            if p.column_letter:
                column = f"{column} ({p.column_letter})" if column else p.column_letter
            table.add_row(
                Text(p.label(language), style=style),
                p.sheet,
                to_persian_digits(row) if fa else row,
                column,
                shown_value(p.value),
                p.message(language),
            )
        summary = Text(self.summary(language), style="bold red" if self.blocking else "bold green")
        parts: list[Text | Table] = [summary]
        if shown:
            parts.append(table)
        if limit is not None and len(self.problems) > limit:
            more = len(self.problems) - limit
            parts.append(
                Text(to_persian_digits(f"… و {more} مورد دیگر") if fa else f"… and {more} more")
            )
        return Group(*parts)

    def __rich__(self):
        return self.to_rich("en")

    def to_excel(self, path: str | Path, language: str = "fa") -> Path:
        """A workbook the sender can work through, in ``language`` (:mod:`rasad.workbook`):
        the problems, one a row, coloured by severity, each message wrapped beside its
        row (the rows are as tall as their messages, and a page is as wide as the
        table, so a message prints with its row); then, when nothing blocks, previews of
        what would be imported; the summary is on the about sheet."""
        from rasad.workbook import About, Column, Sheet, write_workbook

        from .fields import default_fields

        fa = language.startswith("fa")
        path = Path(path)
        columns = [
            Column("severity", _HEADINGS["severity"], width=9),
            Column("sheet", _HEADINGS["sheet"], width=16),
            Column("row", _HEADINGS["row"], "int", width=7),
            Column("column", _HEADINGS["column"], width=24, wrap=True),
            Column("column_letter", _HEADINGS["column_letter"], width=8),
            Column("value", _HEADINGS["value"], width=16, wrap=True),
            Column("message", _HEADINGS["message"], width=60, wrap=True),
        ]
        rows = [
            (
                p.label(language),
                p.sheet,
                p.row,
                p.column,
                p.column_letter,
                shown_value(p.value),
                p.message(language),
            )
            for p in self.problems
        ]
        fills = [_FILLS[p.severity] for p in self.problems]
        sheets = [Sheet(("گزارش", "Report"), columns, rows, fills=fills)]
        if not self.blocking:
            fields = default_fields()
            for title, frame in (
                (("بنگاه‌ها", "Enterprises"), self.parsed_enterprises),
                (("اظهارنامه‌ها", "Returns"), self.parsed_returns),
            ):
                if frame.empty:
                    continue
                preview = [
                    Column(
                        code,
                        (fields[code].name_fa, fields[code].name_en)
                        if code in fields
                        else (code, code),
                        _preview_kind(code, frame[code]),
                    )
                    for code in frame.columns
                ]
                sheets.append(Sheet(title, preview, frame))
        about = About(
            ("گزارش بررسی پرونده", "File check report"),
            notes=[
                (("پرونده", "File"), self.source),
                (("خلاصه", "Summary"), self.summary(language)),
            ],
        )
        write_workbook(path, sheets, language="fa" if fa else "en", about=about)
        return path
