"""Check every value of an intake file and say, cell by cell, what is wrong with it.

The person who sent the file must be able to fix everything in one round, so no check
stops at the first problem: each one adds :class:`~rasad.intake.problems.Problem`
records (sheet, Excel row, header as written, value, severity, message in English
and Persian) and the rest carry on. Errors block the import; warnings (a value that
looks like a unit slip, a column nobody knows) are shown and may be accepted; an
implausible figure (outside the catalogue's plausible bounds, inside its valid ones) is
a warning that a person must confirm before it is stored
(:attr:`IntakeReport.needs_confirmation`).

The same checks serve three doors: files (:func:`validate_workbook`, or
:func:`dry_run` to read and check in one call), web forms (:func:`validate_records`,
one mapping of field → value per return) and data already in canonical frames
(:func:`validate_frames`, e.g. a mapped research panel).

Values are parsed a column at a time, because a national upload has a hundred thousand
rows: numbers Excel stored and plain figures (in any of the three digit sets) are read
for the whole column at once, repeated values (IDs, names, provinces beside every return
of an enterprise) are parsed once, and the slow, careful per-cell parser, with its
precise messages, only meets the rest. Each fast path gives exactly what the careful
one would (tests/intake/test_intake_vectorised.py forces the careful paths and compares),
and :func:`rasad.intake.validation.fallbacks.watch` shows which cells took the careful
way (tests/intake/test_fast_path.py: none, on an ordinary file). The checks themselves
live in :mod:`rasad.intake.validation`, one module per family of fields; this module
runs them over a workbook.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from rasad.methodologies import IndicatorSpec

from .fields import RETURNS, FieldTable
from .problems import ERROR, WARNING, Problem
from .read import Column, ReadLimits, Sheet, Workbook, is_blank, read_file
from .report import ENTERPRISE_COLUMNS, IntakeReport, empty_enterprises, empty_returns
from .units import MILLION_RIALS
from .validation.book import (
    PERIOD_CODES,
    Book,
    merge_enterprises,
    merge_returns,
    repeats_in_agreement,
)
from .validation.cells import EXCEL_ERRORS
from .validation.codes import valid_national_ids
from .validation.crosschecks import (
    PARTS_OF_WHOLES,
    check_consistency,
    check_known,
    check_scope,
    check_unit_slips,
)
from .validation.numbers import plain_numbers
from .validation.parameters import Checks, Scope, UnitSlipRule
from .validation.registry import REGISTRY_CODES, check_ids, enterprise_rows
from .validation.returns import return_rows
from .validation.sheet import FastPaths, SheetCheck
from .validation.text import texts

# The column-at-once parsers every check uses, read from here at each check, so that the
# equivalence tests (tests/intake/test_intake_vectorised.py, test_fast_path.py) can put
# parsers that settle nothing in their place, force every careful path and compare reports.
FAST_PATHS = FastPaths(
    numbers=plain_numbers,
    texts=texts,
    national_ids=valid_national_ids,
    repeats=repeats_in_agreement,
)


def _check_sheet(sheet: Sheet, checks: Checks, problems: list[Problem]):
    s = SheetCheck(sheet, checks, problems, FAST_PATHS)
    if not sheet.has("national_id"):
        s.add(None, None, None, ERROR, "missing_column",
              f"The sheet {sheet.name!r} has no national ID column ('شناسه ملی / National ID'), "
              "so its rows cannot be tied to enterprises.",
              f"برگه «{sheet.name}» ستون شناسه ملی ندارد و ردیف‌هایش به بنگاهی مربوط "
              "نمی‌شود.")  # fmt: skip
        return None, None
    registry = [c for c in REGISTRY_CODES if sheet.has(c)]
    figures = [c for c in (*PERIOD_CODES, *checks.fields.indicator_codes) if sheet.has(c)]
    if sheet.has("period") and sheet.has("year"):
        s.add(None, "year", None, WARNING, "ignored_column",
              "Both a period and a fiscal-year column are present; the period column is used.",
              "هم ستون دوره و هم ستون سال مالی هست؛ ستون دوره به کار رفت.")  # fmt: skip
    all_rows = np.arange(s.n)
    ids = check_ids(s, all_rows)
    enterprises = returns = None
    if registry:
        rows = all_rows if not figures else np.flatnonzero(~s.blank_mask(registry))
        enterprises = enterprise_rows(s, ids, rows)
    if figures:
        rows = np.flatnonzero(~s.blank_mask([c for c in figures if c != "unit"]))
        returns = return_rows(s, ids, rows)
    return enterprises, returns


def _opening_problems(workbook: Workbook) -> list[Problem]:
    """What reading found, and a file with no sheet that looks like ours."""
    problems: list[Problem] = list(workbook.problems)
    for sheet in workbook.sheets:
        problems.extend(sheet.problems)
    if not workbook.sheets:
        problems.append(
            Problem(
                workbook.source, None, None, None, ERROR,
                f"No sheet of {workbook.source!r} has the expected column headers (such as "
                "'National ID' and 'Period'); start from the template.",
                f"هیچ برگه‌ای از «{workbook.source}» سرستون‌های لازم (مانند «شناسه ملی» و «دوره») را "
                "ندارد؛ از الگو استفاده کنید.",
                "no_data",
            )
        )  # fmt: skip
    return problems


def validate_workbook(
    workbook: Workbook,
    *,
    catalogue: Sequence[IndicatorSpec] | None = None,
    estates=None,
    previous: pd.DataFrame | None = None,
    known_enterprises: Iterable | None = None,
    unit_slip: UnitSlipRule | None = None,
    scope: Scope | None = None,
    checks: Checks | None = None,
) -> IntakeReport:
    """Check a read workbook and gather the dry-run report.

    ``estates``: the estates a file may name (see :class:`Estates`); ``previous``:
    the enterprises' earlier returns (``national_id``, ``period`` or ``year``,
    indicator columns in catalogue units) for the unit-slip warning;
    ``known_enterprises``: national IDs already registered, so that a return for an
    enterprise neither registered nor in the file is refused.
    """
    checks = checks or Checks.build(
        catalogue=catalogue, estates=estates, previous=previous,
        known_enterprises=known_enterprises, unit_slip=unit_slip, scope=scope,
    )  # fmt: skip
    problems = _opening_problems(workbook)
    enterprise_frames, return_frames = [], []
    for sheet in workbook.sheets:
        enterprises, returns = _check_sheet(sheet, checks, problems)
        if enterprises is not None:
            enterprise_frames.append(enterprises)
        if returns is not None:
            return_frames.append(returns)
    book = Book(workbook.sheets, checks, problems)
    enterprises = merge_enterprises(book, enterprise_frames, FAST_PATHS.repeats)
    returns = merge_returns(book, return_frames)
    if checks.scope is not None:
        check_scope(book, checks.scope, returns, enterprises)
    if not returns.empty:
        check_known(book, returns, enterprises)
        check_consistency(book, returns)
        check_unit_slips(book, returns)
    rows_read = sum(len(sheet) for sheet in workbook.sheets)
    if rows_read == 0 and workbook.sheets:
        problems.append(
            Problem(
                workbook.source, None, None, None, ERROR,
                f"{workbook.source!r} has headers but no data rows.",
                f"«{workbook.source}» سرستون دارد اما هیچ ردیف داده‌ای ندارد.",
                "no_data",
            )
        )  # fmt: skip
    return IntakeReport.build(
        source=workbook.source,
        problems=problems,
        enterprises=_canonical_enterprises(enterprises),
        returns=_canonical_returns(returns, checks.fields),
        rows_read=rows_read,
        sheet_order=workbook.sheet_order,
    )


def dry_run(
    path: str | Path,
    *,
    catalogue: Sequence[IndicatorSpec] | None = None,
    estates=None,
    previous: pd.DataFrame | None = None,
    known_enterprises: Iterable | None = None,
    unit_slip: UnitSlipRule | None = None,
    scope: Scope | None = None,
    limits: ReadLimits | None = None,
) -> IntakeReport:
    """Read a file and check it: the report an import shows before anything is written.

    Unreadable files (not a spreadsheet, truncated, too big) raise
    :class:`~rasad.errors.RasadInputError`; everything else becomes a problem in the
    report.
    """
    checks = Checks.build(
        catalogue=catalogue, estates=estates, previous=previous,
        known_enterprises=known_enterprises, unit_slip=unit_slip, scope=scope,
    )  # fmt: skip
    workbook = read_file(path, fields=checks.fields, limits=limits)
    return validate_workbook(workbook, checks=checks)


def _records_sheet(
    name: str, records: Sequence[Mapping], fields: FieldTable, first_row: int
) -> Sheet:
    codes: list[str] = []
    for record in records:
        for key in record:
            code = (
                key
                if key in fields
                else {"province_code": "province", "estate_code": "estate"}.get(key)
            )
            if code is not None and code not in codes:
                codes.append(code)
    columns = {
        code: Column(
            i, _letter(i), code, code, MILLION_RIALS if fields[code].kind == "money" else None
        )
        for i, code in enumerate(codes)
    }
    aliases = {"province": "province_code", "estate": "estate_code"}
    values = {
        code: [_from_frame(r.get(code, r.get(aliases.get(code, code)))) for r in records]
        for code in codes
    }
    rows = np.arange(first_row, first_row + len(records), dtype=np.int64)
    return Sheet(name, (first_row - 1,) if first_row > 1 else (), columns, rows, values)


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def _from_frame(value):
    """A frame or form value as a reader would store it: None for anything blank."""
    if value is None or value is pd.NA or value is pd.NaT or is_blank(value):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def validate_records(
    records: Iterable[Mapping],
    *,
    sheet: str = "form",
    first_row: int = 1,
    **options,
) -> IntakeReport:
    """Check records given as mappings of field code → value (a web form's fields).

    Field codes are those of :mod:`rasad.intake.fields` (``national_id``,
    ``period``, ``province``, catalogue codes…); values may be what a person typed
    (Persian digits, "۱۲٬۵۰۰") or already typed numbers. Rows are numbered from
    ``first_row``; the options are those of :func:`validate_workbook`.
    """
    records = list(records)
    checks = options.pop("checks", None) or Checks.build(**options)
    records_sheet = _records_sheet(sheet, records, checks.fields, first_row)
    book = Workbook(sheet, "records", None, [records_sheet], sheet_names=(sheet,))
    return validate_workbook(book, checks=checks)


def validate_frames(
    enterprises: pd.DataFrame | None = None,
    returns: pd.DataFrame | None = None,
    **options,
) -> IntakeReport:
    """Check canonical frames (as :func:`apply_mapping` or the report produce them).

    Each frame is checked as a sheet named ``enterprises`` or ``returns`` whose row
    numbers are those the frame would have written to Excel under one header row
    (index 0 → row 2).
    """
    checks = options.pop("checks", None) or Checks.build(**options)
    sheets = []
    for name, frame in (("enterprises", enterprises), ("returns", returns)):
        if frame is None:
            continue
        frame = frame.drop(
            columns=[c for c in ("year", "quarter") if "period" in frame and c in frame]
        )
        records = frame.to_dict("records")
        sheets.append(_records_sheet(name, records, checks.fields, first_row=2))
    book = Workbook("frames", "frames", None, sheets, sheet_names=tuple(s.name for s in sheets))
    return validate_workbook(book, checks=checks)


# --- canonical output -----------------------------------------------------------------


def _canonical_enterprises(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return empty_enterprises()
    out = frame[ENTERPRISE_COLUMNS].copy()
    return out.astype(empty_enterprises().dtypes.to_dict())


def _canonical_returns(frame: pd.DataFrame, fields: FieldTable) -> pd.DataFrame:
    template = empty_returns(fields.indicator_codes)
    if frame.empty:
        return template
    out = frame[list(template.columns)].copy()
    return out.astype(template.dtypes.to_dict()).reset_index(drop=True)


__all__ = [
    "EXCEL_ERRORS",
    "PARTS_OF_WHOLES",
    "RETURNS",
    "Checks",
    "UnitSlipRule",
    "dry_run",
    "validate_frames",
    "validate_records",
    "validate_workbook",
]
