"""Outlier treatment, as COINr's ``Treat()`` with its defaults (R/treat.R): per column,
check skewness and kurtosis; if they fail, winsorise; if that still fails, log-transform.

The rules, all taken from COINr because they decide which points move:

- A column fails when ``|skew| >= skew_thresh`` AND ``kurtosis >= kurt_thresh``
  (``check_SkewKurt``), with the type-2 sample estimators of :mod:`._stats`.
- Winsorisation (``winsorise``) works one value at a time: if skew is ``>= 0`` (zero
  included) the highest value is set to the next highest, otherwise the lowest to the
  next lowest; the check is redone after every step. Tied extremes move together, so
  one step can move several points and the count can end above ``winmax``.
- The count is the number of points currently pinned at the top plus those at the
  bottom (points pinned earlier are tied with the current extreme and so counted
  again), and winsorisation stops when the check passes or the count reaches
  ``winmax``.
- If it still fails, the fallback ``log_CT`` is applied to the ORIGINAL column (not
  the winsorised one; COINr's ``combine_treat = FALSE``): ``log(x - min + 0.01 (max -
  min))``. Its result is kept even if it fails the check too; the log records that.
- Where skewness or kurtosis cannot be computed (fewer than 3 or 4 values, or all
  values equal), R's NA ends COINr's treatment of that column with a warning and the
  column is returned untreated; here its outcome is ``"undefined"``.

``fallback="none"`` keeps the winsorised values of a column that still fails (COINr
without ``f2``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rasad.index._stats import as_matrix, column_ranges, skew_kurt

METHODS = ("none", "winsorise")
FALLBACKS = ("log", "none")


@dataclass(frozen=True)
class TreatDetail:
    """What happened to one column, with the statistics COINr reports.

    ``outcome``: ``"passed"`` (no treatment needed), ``"winsorised"`` (passes after
    winsorising), ``"winsorised_failing"`` (winsorised up to ``winmax``, still fails, no
    fallback), ``"log"`` (fallback applied) or ``"undefined"`` (statistics not
    computable; column left untreated). ``n_winsorised`` is COINr's ``nwin`` and is kept
    when the log replaced the winsorised values. The ``*_winsorised`` statistics are
    after winsorising, the ``*_after`` ones of the values returned; ``passed_*`` is
    None where R's test gives NA.
    """

    column: int
    outcome: str
    skew_before: float
    kurt_before: float
    passed_before: bool | None
    n_winsorised: int = 0
    skew_winsorised: float = np.nan
    kurt_winsorised: float = np.nan
    passed_winsorised: bool | None = None
    fallback_used: bool = False
    skew_after: float = np.nan
    kurt_after: float = np.nan
    passed_after: bool | None = None


@dataclass(frozen=True)
class TreatResult:
    """The treated matrix (``X`` itself when no column changed), the points whose
    returned value is a winsorised one (low or high end), the columns whose returned
    values are the log of the originals, and one :class:`TreatDetail` per column."""

    values: np.ndarray
    winsorised_low: np.ndarray
    winsorised_high: np.ndarray
    log_transformed: np.ndarray
    details: list[TreatDetail]


def treat(X, method: str = "winsorise", *, winmax: int = 5, skew_thresh: float = 2.0,
          kurt_thresh: float = 3.5, fallback: str = "log") -> TreatResult:
    """Treat every column of ``X`` for outliers by COINr's rule (see the module notes)."""
    X = as_matrix(X)
    if method not in METHODS:
        raise ValueError(f"unknown treatment method {method!r}; expected one of {METHODS}")
    if fallback not in FALLBACKS:
        raise ValueError(f"unknown treatment fallback {fallback!r}; expected one of {FALLBACKS}")
    if isinstance(winmax, bool) or not isinstance(winmax, (int, np.integer)) or winmax < 0:
        raise ValueError(f"winmax must be a non-negative integer, got {winmax!r}")
    k = X.shape[1]
    order = "F" if X.flags.f_contiguous else "C"
    low = np.zeros(X.shape, dtype=bool, order=order)
    high = np.zeros(X.shape, dtype=bool, order=order)
    logged = np.zeros(k, dtype=bool)
    if method == "none":
        return TreatResult(X, low, high, logged, [])
    column_ranges(X, step=("outlier treatment", "درمان داده‌های پرت"))

    values = X
    details = []
    scratch = np.empty((2, X.shape[0]))
    for j in range(k):
        column = X[:, j]
        treated, detail, low_rows, high_rows = _treat_column(column, j, winmax, skew_thresh, kurt_thresh, fallback,
                                                             scratch)
        details.append(detail)
        if treated is column:
            continue
        if values is X:
            values = np.array(X, order="K", copy=True)
        values[:, j] = treated
        low[low_rows, j] = True
        high[high_rows, j] = True
        logged[j] = detail.fallback_used
    return TreatResult(values, low, high, logged, details)


def _passes(skew: float, kurt: float, skew_thresh: float, kurt_thresh: float) -> bool | None:
    """COINr's ``(abs(skew) < skew_thresh) | (kurt < kurt_thresh)`` in R's three-valued
    logic: one TRUE side suffices, NA (None) when undecided."""
    low_skew = None if np.isnan(skew) else bool(abs(skew) < skew_thresh)
    low_kurt = None if np.isnan(kurt) else bool(kurt < kurt_thresh)
    if low_skew or low_kurt:
        return True
    if low_skew is False and low_kurt is False:
        return False
    return None


def _treat_column(column, j, winmax, skew_thresh, kurt_thresh, fallback, scratch):
    """Returns the column to keep (``column`` itself when untouched), its detail, and the
    rows winsorised at the low and high end."""
    none = np.empty(0, dtype=np.intp)
    rows = np.flatnonzero(~np.isnan(column))
    v = column[rows]
    skew, kurt = skew_kurt(v, scratch)
    passed = _passes(skew, kurt, skew_thresh, kurt_thresh)
    before = dict(column=j, skew_before=skew, kurt_before=kurt, passed_before=passed)
    if passed is None:
        return column, TreatDetail(outcome="undefined", **before), none, none
    if passed:
        return column, TreatDetail(outcome="passed", skew_after=skew, kurt_after=kurt, passed_after=True,
                                   **before), none, none

    top = bottom = none  # positions (in v) pinned at each end by the latest step there
    while not passed and top.size + bottom.size < winmax:
        # ``skew`` is that of the current v (the test just computed it). The extreme's
        # points take the next value inward: hide them, find it, set them. They are
        # never all the points: all equal, skew would be NaN and we would have left.
        if skew >= 0:
            top = np.flatnonzero(v == v.max())
            v[top] = -np.inf
            v[top] = v.max()
        else:
            bottom = np.flatnonzero(v == v.min())
            v[bottom] = np.inf
            v[bottom] = v.min()
        skew, kurt = skew_kurt(v, scratch)
        passed = _passes(skew, kurt, skew_thresh, kurt_thresh)
        if passed is None:
            return column, TreatDetail(outcome="undefined", **before), none, none
    winsorised = dict(n_winsorised=int(top.size + bottom.size), skew_winsorised=skew, kurt_winsorised=kurt,
                      passed_winsorised=passed)

    if passed or fallback == "none":
        treated = column.copy()
        treated[rows] = v
        outcome = "winsorised" if passed else "winsorised_failing"
        return treated, TreatDetail(outcome=outcome, skew_after=skew, kurt_after=kurt, passed_after=passed,
                                    **before, **winsorised), rows[bottom], rows[top]

    lowest, highest = np.fmin.reduce(column), np.fmax.reduce(column)
    treated = np.log(column - lowest + 0.01 * (highest - lowest))
    skew, kurt = skew_kurt(treated[rows], scratch)
    passed = _passes(skew, kurt, skew_thresh, kurt_thresh)
    if passed is None:
        return column, TreatDetail(outcome="undefined", **before, **winsorised), none, none
    return treated, TreatDetail(outcome="log", fallback_used=True, skew_after=skew, kurt_after=kurt,
                                passed_after=passed, **before, **winsorised), none, none
