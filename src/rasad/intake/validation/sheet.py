"""A sheet being checked: its cells by field, each column's parse, and where to file
each complaint."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..problems import ERROR, Problem, shown_value
from ..read import Sheet, is_blank
from . import fallbacks
from .book import Repeats
from .cells import ASK_PARSER, Bad, distinct
from .choices import boolean, not_yes_or_no
from .numbers import PlainNumbers, careful_number, numbers_at_once
from .parameters import Checks

AtOnce = Callable[[list], list]


@dataclass(frozen=True)
class FastPaths:
    """The column-at-once parsers a check uses. Each settles what it can and leaves the
    rest to a careful parser with the same answers, so one that settles nothing (as the
    equivalence tests substitute) changes the speed and not the report; the one known
    exception is a yes/no written "1.0", which the plain reader takes for 1 and the
    careful yes/no parser refuses."""

    numbers: PlainNumbers  # :func:`.numbers.plain_numbers`
    texts: AtOnce  # :func:`.text.texts`
    national_ids: AtOnce  # :func:`.codes.valid_national_ids`
    repeats: Repeats  # :func:`.book.repeats_in_agreement`


class SheetCheck:
    """A sheet being checked: its cells by field, and where to file each complaint."""

    def __init__(self, sheet: Sheet, checks: Checks, problems: list[Problem], fast: FastPaths):
        self.sheet, self.checks, self.problems, self.fast = sheet, checks, problems, fast
        self.fields = checks.fields
        self.n = len(sheet)
        self._said: set[tuple] = set()
        self._blank: dict[str, np.ndarray] = {}

    def add(
        self, i: int | None, field: str | None, value, severity: str, code: str, en: str, fa: str
    ) -> None:
        column = self.sheet.columns.get(field) if field else None
        row = int(self.sheet.rows[i]) if i is not None else (self.sheet.header_rows or (None,))[-1]
        said = (row, field, code, en)
        if said in self._said:  # e.g. one unit cell contradicting several money headers
            return
        self._said.add(said)
        self.problems.append(
            Problem(
                self.sheet.name, row, column.header if column else None,
                None if value is None else shown_value(value), severity, en, fa, code,
                field, column.letter if column else None,
            )
        )  # fmt: skip

    def raw(self, field: str) -> list:
        return self.sheet.values.get(field) or [None] * self.n

    def parse(
        self,
        field: str,
        parser: Callable,
        at_once: AtOnce | None = None,
        reason: str = fallbacks.TEXT,
    ) -> list:
        """Parse a column with ``parser``, once per distinct raw value (IDs, names and
        provinces repeat beside every return of an enterprise); every cell holding a
        value the parser refuses gets its own problem. ``at_once``, given the distinct
        values, settles those it can all together (what ``parser`` would give them)
        and leaves :data:`~.cells.ASK_PARSER` for the others, a fallback for ``reason``."""
        out: list = [None] * self.n
        if field not in self.sheet.columns:
            return out
        values = self.sheet.values[field]
        codes, uniques = distinct(values)
        results: list = at_once(uniques) if at_once is not None else [ASK_PARSER] * len(uniques)
        asked: list[int] = []
        refused: dict[int, Bad] = {}
        for k, value in enumerate(uniques):
            if results[k] is not ASK_PARSER:
                continue
            results[k] = None
            if is_blank(value):
                continue
            asked.append(k)
            try:
                results[k] = parser(value)
            except Bad as refusal:
                refused[k] = refusal
        if at_once is not None and asked and fallbacks.watching():
            self.fell_back(field, np.flatnonzero(np.isin(codes, asked)), reason)
        if refused:
            for i in np.flatnonzero(np.isin(codes, list(refused))).tolist():
                bad = refused[int(codes[i])]
                self.add(i, field, values[i], ERROR, bad.code, bad.message_en, bad.message_fa)
        return [None if k < 0 else results[k] for k in codes.tolist()]

    def numbers(self, field: str, kind: str) -> np.ndarray:
        """A numeric column as floats (NaN where blank or unreadable): the fast path
        reads the whole column, the careful parser only the cells it leaves."""
        if field not in self.sheet.columns:
            return np.full(self.n, np.nan)
        values = self.sheet.values[field]
        out, left = numbers_at_once(values, self.fast.numbers)
        careful = [i for i in left.tolist() if not is_blank(values[i])]
        self.fell_back(field, careful, fallbacks.NUMBER)
        percent = kind == "percent"
        for i in careful:
            value = values[i]
            try:
                out[i] = boolean(value) if kind == "boolean" else careful_number(value, percent)
            except Bad as bad:
                self.add(i, field, value, ERROR, bad.code, bad.message_en, bad.message_fa)
        if kind == "boolean":
            wrong = ~np.isnan(out) & ~np.isin(out, (0.0, 1.0))
            for i in np.flatnonzero(wrong).tolist():
                refused = not_yes_or_no(values[i])
                self.add(
                    i, field, values[i], ERROR, refused.code, refused.message_en, refused.message_fa
                )
                out[i] = np.nan
        return out

    def fell_back(self, field: str, positions, reason: str) -> None:
        """Record (while :func:`.fallbacks.watch` is active) the cells a careful parser took."""
        if len(positions) and fallbacks.watching():
            fallbacks.record(self.sheet.name, field, self.sheet.rows[positions].tolist(), reason)

    def blank(self, field: str) -> np.ndarray:
        """True where the column is blank (or absent). The reader stores blank cells as
        None; pd.isna on an object array is C speed."""
        if field not in self._blank:
            self._blank[field] = (
                pd.isna(np.fromiter(self.sheet.values[field], dtype=object, count=self.n))
                if field in self.sheet.columns
                else np.ones(self.n, dtype=bool)
            )
        return self._blank[field]

    def blank_mask(self, codes: Iterable[str]) -> np.ndarray:
        """True where every one of these columns is blank."""
        blank = np.ones(self.n, dtype=bool)
        for code in codes:
            blank &= self.blank(code)
        return blank
