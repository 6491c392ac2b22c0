"""Each enterprise against its peers: percentile, peer median, top quartile, gaps.

An enterprise's export share of 8% means nothing alone; among carpet weavers of its
size where the median is 30% it is a gap a programme can close. Peers are the same
ISIC division and size band; with fewer than ``min_peers`` of them (a rare division in
a small band) the comparison falls back to the ISIC section and size band, then to the
section alone, and the ``peer_level`` column says which was used, because a
percentile among three firms is noise.

Definitions (documented in docs/monitoring.md):

- **percentile** (0–100, higher is better whatever the indicator's direction): the
  share of the peer group (the enterprise included) that the enterprise does better
  than, ties counting half: ``100 · (worse + ½·tied) / n``. Tied values get the same
  percentile; a group of one gives 50; it does not depend on the group's size the
  way a rank does.
- **peer median** and **top quartile**: of the peer group's values, the enterprise
  included, by linear interpolation between order statistics (numpy's default, R's
  type 7). The top quartile is the 75th percentile of the values, or the 25th for an
  indicator where lower is better.
- **gap to median** / **gap to top quartile**: how far the enterprise is behind, in
  the indicator's unit: ``direction · (reference − value)``. Positive = behind,
  negative = ahead.

Everything is computed for all enterprises, periods and indicators with one sort per
indicator (no group-by): the groups are integer codes, and medians, quartiles and tie
counts are read off the sorted order.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.index._stats import map_columns
from rasad.monitor._rows import RowReader, objects, records
from rasad.monitor.kpis import KPIS

DEFAULT_LEVELS = (("division", "size_class"), ("section", "size_class"), ("section",))
LEVEL_NAMES = {
    "division": ("قسمت ISIC", "ISIC division"),
    "section": ("بخش ISIC", "ISIC section"),
    "size_class": ("اندازه", "size band"),
}
MEASURES = (
    "value",
    "percentile",
    "peer_median",
    "peer_top_quartile",
    "gap_to_median",
    "gap_to_top_quartile",
    "peers",
)


def _bad(en: str, fa: str, field: str | None = None, value=None) -> RasadInputError:
    return RasadInputError(en, fa, field=field, value=value)


def level_code(level: Sequence[str]) -> str:
    """``division+size_class``: how a peer level is named in the ``peer_level`` column."""
    return "+".join(level)


def level_name(level: str, language: str = "fa") -> str:
    """A ``peer_level`` value in words, e.g. "ISIC division × size band"."""
    fa = language.startswith("fa")
    return " × ".join(
        LEVEL_NAMES.get(part, (part, part))[0 if fa else 1] for part in level.split("+")
    )


@dataclass(frozen=True)
class PeerGroups:
    """How peers are chosen: the first of ``levels`` (tuples of columns of the values
    frame) under which an enterprise has at least ``min_peers`` enterprises with a
    value (itself included), else the last level. Groups are always within the same
    ``period`` when the frame has that column."""

    min_peers: int = 10
    levels: tuple[tuple[str, ...], ...] = DEFAULT_LEVELS
    unit: str = "national_id"
    period: str | None = "year"

    def __post_init__(self):
        if (
            not isinstance(self.min_peers, numbers.Integral)
            or isinstance(self.min_peers, bool)
            or self.min_peers < 1
        ):
            raise _bad(
                f"min_peers must be a whole number ≥ 1, not {self.min_peers!r}.",
                f"کمینهٔ همتایان باید عدد صحیح ≥ ۱ باشد، نه «{self.min_peers}».",
                "min_peers",
                self.min_peers,
            )
        levels = (
            tuple(tuple(level) for level in self.levels)
            if isinstance(self.levels, Sequence)
            else ()
        )
        if not levels or not all(
            level and all(isinstance(c, str) and c for c in level) for level in levels
        ):
            raise _bad(
                "levels must be a non-empty list of lists of column names, e.g. "
                "[['division', 'size_class'], ['section']].",
                "سطح‌ها باید فهرستی ناتهی از فهرست نام ستون‌ها باشند، مانند "
                "[['division', 'size_class'], ['section']].",
                "levels",
                self.levels,
            )
        object.__setattr__(self, "levels", levels)

    def gaps(self, values: pd.DataFrame, indicators=None) -> PeerGaps:
        """Percentiles and gaps of every row of ``values`` for each indicator.

        ``values`` has the unit column, the level columns (e.g. ``division``,
        ``section``, ``size_class``, as :meth:`KpiTable.frame` gives them), optionally
        the period column, and one numeric column per indicator: KPIs, index pillar
        scores, anything. ``indicators`` lists the columns to compare (a mapping gives
        each its direction, +1 or -1); by default, every KPI column present whose
        direction is known. Directions of KPIs come from the catalogue; other columns
        are taken as higher-is-better unless a mapping says otherwise.
        """
        directions = self._directions(values, indicators)
        needed = [self.unit, *dict.fromkeys(c for level in self.levels for c in level)]
        missing = [c for c in needed if c not in values.columns]
        if missing:
            raise _bad(
                f"The values table has no column(s): {', '.join(missing)}.",
                f"جدول مقادیر این ستون(ها) را ندارد: {', '.join(missing)}.",
                missing[0],
            )
        period = self.period if self.period is not None and self.period in values.columns else None
        within = _codes(values[period]) if period else np.zeros(len(values), dtype=np.int64)
        level_codes = [
            _combine([within, *(_codes(values[c]) for c in level)]) for level in self.levels
        ]
        # indicator-major: each indicator's results are contiguous, so the indicators
        # can be computed side by side in threads (numpy releases the GIL in its sorts,
        # gathers and ufuncs) without sharing cache lines
        k, n = len(directions), len(values)
        matrix = np.empty((k, n))
        for j, code in enumerate(directions):
            try:
                matrix[j] = values[code].to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError):
                raise _bad(
                    f"Column {code} must hold numbers.", f"ستون {code} باید عدد باشد.", code
                ) from None
        result = {
            m: np.full((k, n), np.nan) for m in ("percentile", "peer_median", "peer_top_quartile")
        }
        result["peers"] = np.zeros((k, n), dtype=np.int32)
        chosen = np.full((k, n), -1, dtype=np.int8)
        signs = list(directions.values())
        map_columns(
            lambda j, _: _one(matrix[j], signs[j], level_codes, self.min_peers, j, result, chosen),
            k,
            n,
        )
        result["value"] = matrix
        keys = values.drop(columns=list(directions)).reset_index(drop=True)
        return PeerGaps(self, keys, list(directions), np.array(signs), result, chosen)

    def _directions(self, values: pd.DataFrame, indicators) -> dict[str, int]:
        if indicators is None:
            codes = [c for c in values.columns if c in KPIS and KPIS[c].direction != 0]
            directions = {c: KPIS[c].direction for c in codes}
        elif isinstance(indicators, Mapping):
            directions = dict(indicators)
        elif isinstance(indicators, str):
            directions = {indicators: KPIS[indicators].direction if indicators in KPIS else 1}
        else:
            directions = {
                c: (KPIS[c].direction if c in KPIS and KPIS[c].direction else 1) for c in indicators
            }
        if not directions:
            raise _bad(
                "No indicator to compare: give indicators or KPI columns.",
                "شاخصی برای مقایسه نیست: شاخص‌ها یا ستون‌های شاخص پایش را بدهید.",
                "indicators",
            )
        for code, direction in directions.items():
            if code not in values.columns:
                raise _bad(
                    f"The values table has no column {code!r}.",
                    f"جدول مقادیر ستون «{code}» را ندارد.",
                    code,
                    code,
                )
            if direction not in (1, -1) or isinstance(direction, bool):
                raise _bad(
                    f"The direction of {code} must be 1 or -1, not {direction!r}.",
                    f"جهت {code} باید ۱ یا ۱- باشد، نه «{direction}».",
                    code,
                    direction,
                )
        return {code: int(d) for code, d in directions.items()}


def _codes(column: pd.Series) -> np.ndarray:
    """Integer codes of a column, -1 where missing (no group)."""
    codes, _ = pd.factorize(column, use_na_sentinel=True)
    return codes.astype(np.int64)


def _combine(parts: list[np.ndarray]) -> np.ndarray:
    """One code per distinct combination of the parts; -1 if any part is missing."""
    combined = np.zeros(len(parts[0]), dtype=np.int64)
    missing = np.zeros(len(parts[0]), dtype=bool)
    for part in parts:
        missing |= part < 0
        combined = combined * (int(part.max(initial=0)) + 1) + np.maximum(part, 0)
        combined, _ = pd.factorize(combined)  # keep the codes small
    return np.where(missing, -1, combined)


def _one(v: np.ndarray, direction: int, level_codes, min_peers: int, j: int, out, chosen) -> None:
    """One indicator: choose each row's level, then compare each row with every row
    of its group at that level (whatever level those rows were themselves compared
    at: a firm of a large division is still a peer of a small division's firm that
    fell back to the section)."""
    present = ~np.isnan(v)
    level = np.full(len(v), -1, dtype=np.int8)
    usable, sizes = [], []
    for codes in level_codes:
        ok = present & (codes >= 0)
        count = np.bincount(codes[ok], minlength=int(codes.max(initial=-1)) + 1)
        usable.append(ok)
        sizes.append(np.append(count, 0)[codes])  # code -1 reads the appended 0
    # the first level with enough peers; failing that, the broadest level available
    candidates = [
        (li, ok & (size >= min_peers))
        for li, (ok, size) in enumerate(zip(usable, sizes, strict=True))
    ]
    candidates += [(li, usable[li]) for li in reversed(range(len(level_codes)))]
    for li, ok in candidates:
        level[ok & (level < 0)] = li
    chosen[j] = level
    for li, codes in enumerate(level_codes):
        pick = level == li
        if not pick.any():
            continue
        if pick.sum() == usable[li].sum():
            members = usable[li]
        else:  # only the groups some row is compared in, but all of their members
            needed = np.zeros(int(codes.max()) + 1, dtype=bool)
            needed[codes[pick]] = True
            members = usable[li] & needed[np.maximum(codes, 0)]
        rows = np.flatnonzero(members)
        percentile, median, top, n, rows = _compare(v[rows], codes[rows], rows, direction)
        keep = pick[rows]
        rows = rows[keep]
        out["percentile"][j, rows] = percentile[keep]
        out["peer_median"][j, rows] = median[keep]
        out["peer_top_quartile"][j, rows] = top[keep]
        out["peers"][j, rows] = n[keep]


def _compare(x: np.ndarray, group: np.ndarray, rows: np.ndarray, direction: int):
    """Percentile, median, top quartile and group size of every value among the
    values of its group; returned in group-sorted order with the rows in that order."""
    # sort by value, then (stably) by group: two sorts of which the second is a radix
    # sort of small integers, several times faster than one lexsort of the pair
    by_value = np.argsort(x)
    g, _ = _small(group[by_value])
    by_group = np.argsort(g, kind="stable")
    order = by_value[by_group]
    g, x, rows = g[by_group], x[order], rows[order]
    n_rows = len(rows)
    position = np.arange(n_rows)
    new_group = np.ones(n_rows, dtype=bool)
    np.not_equal(g[1:], g[:-1], out=new_group[1:])
    new_run = new_group.copy()
    new_run[1:] |= x[1:] != x[:-1]
    end_group = np.ones(n_rows, dtype=bool)
    end_group[:-1] = new_group[1:]
    end_run = np.ones(n_rows, dtype=bool)
    end_run[:-1] = new_run[1:]
    group_start = np.maximum.accumulate(np.where(new_group, position, 0))
    run_start = np.maximum.accumulate(np.where(new_run, position, 0))
    group_end = np.minimum.accumulate(np.where(end_group, position, n_rows)[::-1])[::-1] + 1
    run_end = np.minimum.accumulate(np.where(end_run, position, n_rows)[::-1])[::-1] + 1
    n = group_end - group_start
    below = run_start - group_start
    above = group_end - run_end
    worse = below if direction > 0 else above
    # 100 · (worse + ½·tied) / n with tied = n − below − above
    percentile = 50.0 * (2 * worse + n - below - above) / n
    median = _quantile(x, group_start, n, 0.5)
    top = _quantile(x, group_start, n, 0.75 if direction > 0 else 0.25)
    return percentile, median, top, n, rows


def _small(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Group codes in the smallest integer type, so that a stable sort is a radix sort."""
    largest = int(codes.max(initial=0))
    dtype = np.uint8 if largest < 2**8 else np.uint16 if largest < 2**16 else np.int64
    return codes.astype(dtype), largest


def _quantile(x: np.ndarray, start: np.ndarray, n: np.ndarray, q: float) -> np.ndarray:
    """The q-quantile of each row's group (sorted values ``x[start:start + n]``), by
    linear interpolation between order statistics (R's type 7, numpy's default)."""
    h = (n - 1) * q
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    a, b = x[start + lo], x[start + hi]
    return a + (h - lo) * (b - a)


class PeerGaps:
    """Peer comparisons of every row of a values frame for every indicator.

    ``keys`` are the frame's non-indicator columns (unit, period, groups, province …),
    row for row; :meth:`measure` gives one measure as a rows × indicators array,
    :meth:`wide` as a frame, :meth:`frame` the long table (one row per row ×
    indicator with a value) with ``peer_level`` saying which peer group was used and
    ``fallback`` whether it was not the first choice.
    """

    def __init__(
        self,
        groups: PeerGroups,
        keys: pd.DataFrame,
        indicators: list[str],
        directions: np.ndarray,
        result: dict[str, np.ndarray],
        chosen: np.ndarray,
    ):
        self.groups = groups
        self.keys = keys
        self.indicators = indicators
        self.directions = directions
        self._result = result
        self._chosen = chosen
        self._by_unit: dict | None = None  # unit → its row positions, built on first use
        self._key_rows: RowReader | None = None

    def measure(self, name: str) -> np.ndarray:
        """Rows × indicators. ``peers`` is 0 and the others NaN where a row has no
        value (or no group) for the indicator; gaps are derived from the stored
        references on demand (``direction · (reference − value)``)."""
        if name not in MEASURES:
            raise _bad(
                f"{name!r} is not a peer measure; one of: {', '.join(MEASURES)}.",
                f"«{name}» سنجهٔ مقایسه با همتایان نیست؛ یکی از: {', '.join(MEASURES)}.",
                "measure",
                name,
            )
        if name.startswith("gap_to_"):
            reference = self._result[
                "peer_median" if name == "gap_to_median" else "peer_top_quartile"
            ]
            return (self.directions[:, None] * (reference - self._result["value"])).T
        return self._result[name].T

    def gap(self, name: str, j: int) -> np.ndarray:
        """One indicator's gap (``gap_to_median`` or ``gap_to_top_quartile``) without
        computing the whole matrix."""
        reference = self._result["peer_median" if name == "gap_to_median" else "peer_top_quartile"][
            j
        ]
        return self.directions[j] * (reference - self._result["value"][j])

    def column(self, indicator: str) -> int:
        try:
            return self.indicators.index(indicator)
        except ValueError:
            raise _bad(
                f"{indicator!r} was not compared with peers.",
                f"«{indicator}» با همتایان مقایسه نشده است.",
                "indicator",
                indicator,
            ) from None

    def level_index(self) -> np.ndarray:
        """Which of the groups' levels each row × indicator was compared at (-1: none)."""
        return self._chosen.T

    def wide(self, name: str = "percentile") -> pd.DataFrame:
        return pd.concat(
            [self.keys, pd.DataFrame(self.measure(name), columns=self.indicators)], axis=1
        )

    def rows_of(self, unit) -> np.ndarray:
        """The row positions of one unit (an enterprise: one row per period compared),
        ascending. The index of every unit is built on the first call and kept, so that
        a page showing one enterprise of a large run does not scan them all."""
        if self._by_unit is None:
            self._by_unit = self.keys.groupby(self.groups.unit, sort=False, observed=True).indices
        return self._by_unit.get(unit, np.zeros(0, dtype=np.intp))

    def frame(self, indicators=None, *, unit=None) -> pd.DataFrame:
        """The long table: the key columns, ``indicator``, the measures, ``peer_level``
        (e.g. ``division+size_class``), ``fallback`` and ``enough_peers``. With
        ``unit``, only that unit's rows: the same as filtering the whole table on the
        unit column, without building it."""
        columns = self.indicators if indicators is None else list(indicators)
        rows, which, measures = self._long(columns, None if unit is None else self.rows_of(unit))
        frame = self.keys.iloc[rows].reset_index(drop=True)
        frame.insert(
            len(frame.columns), "indicator", pd.Categorical.from_codes(which, categories=columns)
        )
        measures["peer_level"] = pd.Categorical.from_codes(
            measures["peer_level"].astype(np.int64), categories=self._level_codes()
        )
        return pd.concat([frame, pd.DataFrame(measures)], axis=1)

    def records(self, unit, indicators=None) -> list[dict]:
        """One unit's rows of :meth:`frame` as ``to_dict("records")`` gives them, without
        building a frame (what a page about one enterprise reads)."""
        columns = self.indicators if indicators is None else list(indicators)
        rows, which, measures = self._long(columns, self.rows_of(unit))
        if self._key_rows is None:
            self._key_rows = RowReader(self.keys)
        measures["peer_level"] = np.array(self._level_codes(), dtype=object)[measures["peer_level"]]
        names = [*self._key_rows.columns, "indicator", *measures]
        values = [self._key_rows.column(c)[rows] for c in self._key_rows.columns]
        values += [np.array(columns, dtype=object)[which], *(objects(m) for m in measures.values())]
        return records(names, values)

    def _level_codes(self) -> list[str]:
        return [level_code(lv) for lv in self.groups.levels]

    def _long(self, columns: list[str], selected: np.ndarray | None):
        """The rows of the long table (every row, or those of ``selected``): their row
        positions, indicator positions in ``columns`` and measures (``peer_level`` as
        the position of the level)."""
        js: list[np.ndarray] = []
        picked: list[np.ndarray] = []
        for code in columns:
            column = self.column(code)
            if selected is None:
                rows = np.flatnonzero(self._chosen[column] >= 0)
            else:
                rows = selected[self._chosen[column, selected] >= 0]
            js.append(np.full(len(rows), column, dtype=np.intp))
            picked.append(rows)
        # every indicator's rows at once: one gather per column, not one frame per indicator
        j = np.concatenate(js) if js else np.zeros(0, dtype=np.intp)
        rows = np.concatenate(picked) if picked else np.zeros(0, dtype=np.intp)
        which = np.repeat(np.arange(len(columns), dtype=np.int64), [len(r) for r in picked])
        value = self._result["value"][j, rows]
        direction = self.directions[j]
        measures = {"value": value}
        for m in ("percentile", "peer_median", "peer_top_quartile"):
            measures[m] = self._result[m][j, rows]
        measures["gap_to_median"] = direction * (measures["peer_median"] - value)
        measures["gap_to_top_quartile"] = direction * (measures["peer_top_quartile"] - value)
        measures["peers"] = self._result["peers"][j, rows].astype(np.int64)
        measures["peer_level"] = self._chosen[j, rows]
        measures["fallback"] = measures["peer_level"] > 0
        measures["enough_peers"] = measures["peers"] >= self.groups.min_peers
        return rows, which, measures
