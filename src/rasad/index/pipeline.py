"""From a methodology and one row per unit to scores and ranks, keeping every step's data.

The order is COINr's (denominate → impute → screen → treat → normalise → aggregate),
preceded by Rasad's eligibility rule. Each step is a pure numpy function in its own
module; this module checks the input, threads the arrays through the steps in Fortran
order (columns contiguous, which is what every step reduces over), and records what was
excluded or changed and why, so that no rank is ever a silent NaN.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from rasad.errors import InputProblems, RasadInputError
from rasad.index._stats import column_ranges, map_columns
from rasad.index.aggregate import RefusedValue, aggregate
from rasad.index.denominate import denominate
from rasad.index.impute import impute
from rasad.index.methodology import Methodology, Node, NormaliseSpec
from rasad.index.normalise import described, normalise
from rasad.index.rank import rank_min, rank_then
from rasad.index.results import Results, rows_frame
from rasad.index.screen import screen
from rasad.index.treat import treat
from rasad.index.weights import pca_weights
from rasad.index.words import GROUP_WORDS, value_words

DATASETS = ("Raw", "Denominated", "Imputed", "Screened", "Treated", "Normalised", "Aggregated")
BEFORE_SCREENING = DATASETS[:3]
# what :func:`build` tells its ``progress`` callback, in order, as each step begins
STEPS = ("prepare", "impute", "screen", "treat", "normalise", "aggregate", "rank")
TRANSFORMS = {"log": np.log, "log1p": np.log1p, "sqrt": np.sqrt}
TRANSFORM_DOMAINS = {"log": lambda x: x > 0, "log1p": lambda x: x > -1, "sqrt": lambda x: x >= 0}


@dataclass(frozen=True)
class Exclusion:
    unit: object
    step: str
    reason_en: str
    reason_fa: str


def _fortran(columns) -> np.ndarray:
    """Stack 1-D columns into a column-major matrix: each copy is one contiguous write,
    where pandas' or numpy's row-major stacking would stride through memory, and the
    columns are copied side by side on the cores (the first writes into a new matrix
    cost page faults, which the kernel serves in parallel)."""
    columns = list(columns)
    matrix = np.empty((len(columns[0]), len(columns)), order="F")

    def copy(j, _):
        matrix[:, j] = columns[j]

    map_columns(copy, len(columns), len(columns[0]))
    return matrix


@dataclass(frozen=True)
class Prepared:
    """The eligible units and their denominated, transformed values, before imputation."""

    frame: pd.DataFrame
    unit_ids: np.ndarray
    raw: np.ndarray
    values: np.ndarray
    exclusions: list[Exclusion]


def prepare(methodology: Methodology, data: pd.DataFrame) -> Prepared:
    """Check the input, apply eligibility, denominators and transforms."""
    frame, unit_ids, columns = _checked_input(methodology, data)
    exclusions: list[Exclusion] = []
    eligible = _eligible(methodology, frame, unit_ids, exclusions)
    if eligible is not None:
        frame, unit_ids = frame.loc[eligible], unit_ids[eligible]
        columns = {name: column[eligible] for name, column in columns.items()}
    raw = _fortran(columns[i.source] for i in methodology.indicators)
    _refuse_empty_columns(methodology, raw)
    values = _denominate(methodology, columns, raw, unit_ids, exclusions)
    rule = methodology.eligibility
    if rule.coverage_counts == "indicators" and rule.min_data_coverage > 0:
        keep = _enough_indicators(rule, values, unit_ids, exclusions)
        if not keep.all():
            frame, unit_ids = frame.loc[keep], unit_ids[keep]
            raw, values = np.asfortranarray(raw[keep]), np.asfortranarray(values[keep])
    return Prepared(frame, unit_ids, raw, values, exclusions)


def _enough_indicators(
    rule, values: np.ndarray, unit_ids: np.ndarray, exclusions: list[Exclusion]
) -> np.ndarray:
    """Which units have a value for at least ``min_data_coverage`` of the indicators
    once divided by their denominators: the same count as the coverage shown beside
    their rank. The others are excluded, and the notes on their cells dropped."""
    share = 1.0 - np.count_nonzero(np.isnan(values), axis=1) / values.shape[1]
    low = share < rule.min_data_coverage
    if not low.any():
        return ~low
    if low.all():
        raise RasadInputError(
            "No unit is eligible for this ranking.",
            "هیچ واحدی شرایط این رتبه‌بندی را ندارد.",
            field="eligibility",
        )
    out = set(unit_ids[low].tolist())
    exclusions[:] = [e for e in exclusions if e.unit not in out]
    for unit, part in zip(unit_ids[low], share[low], strict=True):
        exclusions.append(
            Exclusion(
                unit,
                "eligibility",
                f"has {part:.0%} of the indicators, fewer than {rule.min_data_coverage:.0%}",
                f"{part:.0%} از شاخص‌ها را دارد، کمتر از {rule.min_data_coverage:.0%}",
            )
        )
    return ~low


def build(
    methodology: Methodology,
    data: pd.DataFrame,
    *,
    keep: str = "all",
    progress: Callable[[str], None] | None = None,
) -> Results:
    """Compute the index. ``keep="all"`` keeps every intermediate data set (COINr's
    habit, for audit and teaching); ``keep="final"`` keeps only the normalised and
    aggregated ones, and then every step works in the one matrix ``prepare`` made, so a
    million-unit build needs that matrix and a few columns, not seven matrices.
    ``progress``, if given, is called with each of :data:`STEPS` as that step begins."""
    if keep not in ("all", "final"):
        raise ValueError("keep must be 'all' or 'final'")
    tell = progress or _silent
    tell("prepare")
    return build_prepared(methodology, data, prepare(methodology, data), keep=keep, tell=tell)


def build_prepared(
    methodology: Methodology,
    data: pd.DataFrame,
    prepared: Prepared,
    *,
    keep: str = "all",
    tell: Callable[[str], None] | None = None,
) -> Results:
    """:func:`build` from what :func:`prepare` made of ``data``, for a caller that needs
    it too (the replicates of an uncertainty analysis); with ``keep="final"`` the steps
    write into ``prepared.values``, so such a caller hands over a copy."""
    tell = tell or _silent
    own = keep == "final"  # the steps may overwrite X: nobody else sees it
    done, X, warnings = _through_normalise(methodology, prepared, own, tell)
    tell("aggregate")
    weighting: list[dict] = []
    scores, weights_used = aggregate_tree(methodology, X, done.unit_ids, done.exclusions, weighting)
    if weighting:  # rows, not a concat: pandas warns about concatenating an empty frame
        warnings = pd.DataFrame(warnings.to_dict("records") + weighting, columns=warnings.columns)
    tell("rank")
    nodes = [node.code for node in methodology.nodes_bottom_up]
    ranks, composite = _ranked(methodology, scores, nodes, done.groups)
    return Results(
        methodology=methodology,
        **_labelled(methodology, prepared.unit_ids, done, scores, ranks, composite, nodes, own),
        group_codes=done.groups,
        warnings=warnings,
        exclusions=rows_frame(
            [(e.unit, e.step, e.reason_en, e.reason_fa) for e in done.exclusions],
            [methodology.unit, "step", "reason_en", "reason_fa"],
        ),
        source_data=data,
        missing_rows=done.missing_rows,
        treatment_details=done.treated.details,
        winsorised=done.treated.points,
        weights_used=weights_used,
    )


def _ranked(
    methodology: Methodology, scores: np.ndarray, nodes: list[str], groups: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Every node's ranks (Fortran order, columns as ``nodes``), the index's as
    :func:`index_scores_and_ranks` gives them, its rescaled scores replacing its column
    of ``scores``; and the index's composite before that rescaling (None without one).
    numpy's sort releases the GIL, so the nodes' ranks share the cores, the index's
    among them."""
    root = nodes.index(methodology.root.code)
    ranks = np.empty(scores.shape, order="F")
    composite = scores[:, root].copy() if methodology.rescale is not None else None
    ranked = [root] + [j for j in range(len(nodes)) if j != root]

    def rank(i: int, scratch) -> None:
        j = ranked[i]
        if j == root:
            scores[:, root], _ = index_scores_and_ranks(
                methodology, scores[:, root], groups, out=ranks[:, root]
            )
        else:
            rank_min(scores[:, j], out=ranks[:, j])

    map_columns(rank, len(ranked), scores.shape[0])
    return ranks, composite


def _labelled(
    methodology: Methodology,
    eligible_ids: np.ndarray,
    done: Treated,
    scores: np.ndarray,
    ranks: np.ndarray,
    composite: np.ndarray | None,
    nodes: list[str],
    own: bool,
) -> dict[str, Any]:
    """The results' frames (``datasets``, ``scores``, ``ranks``, ``groups`` and
    ``composite``), labelled by unit and column. The data sets before screening hold
    every eligible unit (``eligible_ids``), as COINr's do, the others the units ``done``
    kept. Fortran-ordered matrices become pandas blocks without a copy; the frames share
    their labels, as frames pandas derives from one another do. With ``own`` (a build
    that keeps only the final data sets) there is no Aggregated data set."""
    eligible = pd.Index(eligible_ids, name=methodology.unit)
    index = (
        eligible
        if done.unit_ids is eligible_ids
        else pd.Index(done.unit_ids, name=methodology.unit)
    )
    columns, node_columns = pd.Index(methodology.indicator_codes), pd.Index(nodes)
    frames = {
        name: pd.DataFrame(
            values,
            index=eligible if name in BEFORE_SCREENING else index,
            columns=columns,
            copy=False,
        )
        for name, values in done.datasets.items()
    }
    node_scores = pd.DataFrame(scores, index=index, columns=node_columns, copy=False)
    if not own:
        frames["Aggregated"] = pd.concat([frames["Normalised"], node_scores], axis=1)
    return {
        "datasets": frames,
        "scores": node_scores,
        "ranks": pd.DataFrame(ranks, index=index, columns=node_columns, copy=False),
        "groups": pd.DataFrame(
            {g: done.frame[g].to_numpy() for g in methodology.groups}, index=index
        ),
        "composite": None
        if composite is None
        else pd.Series(composite, index=index, name="composite"),
    }


def _silent(step: str) -> None:
    pass


def _through_normalise(
    methodology: Methodology,
    prepared: Prepared,
    own: bool,
    tell: Callable[[str], None] = _silent,
) -> tuple[Treated, np.ndarray, pd.DataFrame]:
    """Impute, screen, treat and normalise, telling ``tell`` each step as it begins: the
    treated stage, the normalised matrix (Fortran order) and the normalisation's
    warnings. With ``own`` the steps write into ``prepared.values`` and keep no
    intermediate data set but the normalised one."""
    done = _through_treat(methodology, prepared, own, tell)
    tell("normalise")
    result = _normalise(methodology, done.values, done.groups, own)
    X = np.asfortranarray(result.values)
    done.datasets["Normalised"] = X
    return done, X, _warnings(methodology, result.warnings, done.labels)


@dataclass
class Treated:
    """What the steps up to outlier treatment leave for normalisation: the units kept,
    their treated matrix (Fortran order) and group codes, and what the results report."""

    frame: pd.DataFrame
    unit_ids: np.ndarray
    values: np.ndarray
    groups: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    exclusions: list[Exclusion]
    datasets: dict[str, np.ndarray]
    treated: _Treated
    missing_rows: list[np.ndarray]


def _through_treat(
    methodology: Methodology,
    prepared: Prepared,
    own: bool,
    tell: Callable[[str], None] = _silent,
) -> Treated:
    """Impute, screen and treat (see :func:`_through_normalise`)."""
    frame, unit_ids, exclusions = prepared.frame, prepared.unit_ids, prepared.exclusions
    datasets: dict[str, np.ndarray] = {}
    if not own:
        datasets["Raw"] = prepared.raw
        datasets["Denominated"] = prepared.values
    X = prepared.values

    factorized = {g: pd.factorize(frame[g], use_na_sentinel=True) for g in methodology.groups}
    groups = {g: codes_.astype(np.int64, copy=False) for g, (codes_, _) in factorized.items()}
    labels = {g: np.asarray(uniques) for g, (_, uniques) in factorized.items()}
    tell("impute")
    spec = methodology.impute
    imputed = impute(
        X, spec.method, groups=groups.get(spec.by) if spec.by else None, overwrite_input=own
    )
    X = np.asfortranarray(imputed.values)
    missing_rows = imputed.missing_rows
    del imputed
    if not own:
        datasets["Imputed"] = X

    tell("screen")
    screening = methodology.screen
    screened = screen(
        X,
        screening.min_coverage,
        include=screening.include,
        exclude=screening.exclude,
        unit_ids=unit_ids,
    )
    for unit, coverage in zip(
        unit_ids[~screened.keep_mask], screened.coverage[~screened.keep_mask], strict=True
    ):
        exclusions.append(
            Exclusion(
                unit,
                "screen",
                f"data coverage {coverage:.0%} after imputation is below "
                f"{screening.min_coverage:.0%}",
                f"پوشش داده پس از جانهی {coverage:.0%} و کمتر از {screening.min_coverage:.0%} است",
            )
        )
    if not screened.keep_mask.all():
        X = np.asfortranarray(X[screened.keep_mask])
        unit_ids = unit_ids[screened.keep_mask]
        frame = frame.loc[screened.keep_mask]
        groups = {g: codes_[screened.keep_mask] for g, codes_ in groups.items()}
        kept_position = np.cumsum(screened.keep_mask) - 1
        missing_rows = [kept_position[rows[screened.keep_mask[rows]]] for rows in missing_rows]
    if not own:
        datasets["Screened"] = X

    tell("treat")
    treated = _treat(methodology, X, own)
    X = treated.values
    if not own:
        datasets["Treated"] = X
    return Treated(frame, unit_ids, X, groups, labels, exclusions, datasets, treated, missing_rows)


def normalised(methodology: Methodology, prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """The ids of the units that reach aggregation and their normalised matrix (Fortran
    order, one column per indicator), leaving ``prepared`` as it was: what a replicate
    of an uncertainty analysis aggregates, many times over, with other weights."""
    return normalised_from(methodology, treated(methodology, prepared))


def treated(methodology: Methodology, prepared: Prepared) -> Treated:
    """The steps up to treatment on a copy of ``prepared``'s values: replicates that
    differ only in their normalisation share one, so it is treated once for them all."""
    own = replace(
        prepared,
        values=np.array(prepared.values, order="F", copy=True),
        exclusions=list(prepared.exclusions),
    )
    return _through_treat(methodology, own, own=True)


def normalised_from(methodology: Methodology, done: Treated) -> tuple[np.ndarray, np.ndarray]:
    """:func:`normalised` from the treated matrix :func:`treated` gave, which it leaves
    as it was (the unit ids are shared, not copied)."""
    result = _normalise(methodology, np.array(done.values, order="F", copy=True), done.groups, True)
    return done.unit_ids, np.asfortranarray(result.values)


def data_hash(methodology: Methodology, data: pd.DataFrame) -> str:
    """SHA-256 of the columns the methodology reads, rows in unit order: the same data
    gives the same hash whatever the row or column order of the file it came from."""
    columns = [
        methodology.unit,
        *methodology.groups,
        *_used_columns(methodology),
        *methodology.eligibility.allowed,
    ]
    columns = list(dict.fromkeys(c for c in columns if c in data.columns))
    ordered = data[columns].sort_values(methodology.unit, kind="stable")
    digest = hashlib.sha256("\x1f".join(columns).encode())
    digest.update(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _used_columns(methodology: Methodology) -> list[str]:
    sources = [i.source for i in methodology.indicators]
    denominators = [i.denominator for i in methodology.indicators if i.denominator]
    return list(dict.fromkeys(sources + denominators))


def _checked_input(
    methodology: Methodology, data: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray, dict[str, np.ndarray]]:
    """Refuse what would otherwise become a silent NaN: missing columns, text in numeric
    cells, duplicated unit ids. Every problem is reported at once. Returns the data
    (numbers where it had text), its unit ids, and each column the methodology reads
    (indicators and denominators) as floats, which the steps take from there: pandas
    spends more on handing over a column than numpy on copying a thousand values."""
    _refuse_missing_columns(methodology, data)
    frame = data.reset_index(drop=True)
    ids = frame[methodology.unit]
    problems = _unit_id_problems(methodology.unit, ids)
    numeric = {}
    arrays = {}  # every used column as floats, for the check for infinities below
    for column in _used_columns(methodology):
        values = frame[column]
        floats, problem = _as_floats(column, values, ids)
        if problem is not None:
            problems.append(problem)
        if floats is not values:
            numeric[column] = floats
        arrays[column] = floats.to_numpy()
    if problems:
        raise InputProblems(problems)
    if numeric:
        frame = frame.assign(**numeric)
    _refuse_infinities(arrays, ids)
    return frame, ids.to_numpy(), arrays


def _refuse_missing_columns(methodology: Methodology, data: pd.DataFrame) -> None:
    """Name every column the methodology needs and the data lacks, before anything
    else is read: each later check would fail on the first of them."""
    needed = [
        methodology.unit,
        *methodology.groups,
        *methodology.eligibility.allowed,
        *_used_columns(methodology),
    ]
    problems = [
        RasadInputError(
            f"The data has no column '{column}' (the methodology needs it).",
            f"ستون «{column}» در داده‌ها نیست (روش‌شناسی به آن نیاز دارد).",
            field=column,
        )
        for column in dict.fromkeys(needed)
        if column not in data.columns
    ]
    if problems:
        raise InputProblems(problems)


def _unit_id_problems(unit: str, ids: pd.Series) -> list[RasadInputError]:
    """The first row with no unit id, and the ids that appear more than once (the
    first five shown): a unit's rank must point at one row."""
    problems = []
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        problems.append(
            RasadInputError(
                f"Row {row + 1} has no unit id in column '{unit}'.",
                f"ردیف {row + 1} در ستون «{unit}» شناسه ندارد.",
                field=unit,
            )
        )
    duplicated = [] if _unique(ids) else ids[ids.duplicated()].unique()
    if len(duplicated):
        shown = ", ".join(map(str, duplicated[:5]))
        problems.append(
            RasadInputError(
                f"Unit ids appear more than once in '{unit}': {shown}.",
                f"شناسه‌های تکراری در «{unit}»: {shown}.",
                field=unit,
                value=shown,
            )
        )
    return problems


def _as_floats(
    column: str, values: pd.Series, ids: pd.Series
) -> tuple[pd.Series, RasadInputError | None]:
    """A used column as floats (``values`` itself when it already is: no copy), and the
    problem its text cells make, if it has any (a blank cell is a missing value, not
    text)."""
    if values.dtype == np.float64:
        return values, None
    if (kind := _not_numbers(values.dtype)) is not None:
        # pandas would read a date as nanoseconds since 1970, or drop a complex number's
        # imaginary part, without a word
        row = int(np.flatnonzero(values.notna().to_numpy())[0]) if values.notna().any() else 0
        return pd.Series(np.nan, index=values.index), RasadInputError(
            f"Column '{column}' holds {kind[0]}, not numbers: '{values.iloc[row]}' for unit "
            f"{ids.iloc[row]}.",
            f"ستون «{column}» به‌جای عدد {kind[1]} دارد: «{values.iloc[row]}» برای واحد "
            f"{ids.iloc[row]}.",
            field=column,
            value=str(values.iloc[row]),
        )
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float), None
    converted = pd.to_numeric(values, errors="coerce")
    bad = converted.isna() & values.notna() & (values.astype(str).str.strip() != "")
    problem = None
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        problem = RasadInputError(
            f"Column '{column}' has text where a number belongs: '{values.iloc[row]}' for "
            "unit "
            f"{ids.iloc[row]} ({int(bad.sum())} such cells).",
            f"ستون «{column}» به‌جای عدد متن دارد: «{values.iloc[row]}» برای واحد "
            f"{ids.iloc[row]} "
            f"({int(bad.sum())} خانه).",
            field=column,
            value=values.iloc[row],
        )
    return converted.astype(float), problem


def _not_numbers(dtype) -> tuple[str, str] | None:
    """What a column of dates, durations, periods, intervals or complex numbers holds,
    in English and Persian (None for numbers, text and yes/no): pandas would turn each
    into floats that no one wrote."""
    types = pd.api.types
    if types.is_datetime64_any_dtype(dtype):
        return "dates", "تاریخ"
    if types.is_timedelta64_dtype(dtype):
        return "durations", "مدت زمان"
    if types.is_complex_dtype(dtype):
        return "complex numbers", "عدد مختلط"
    if isinstance(dtype, pd.PeriodDtype):
        return "periods", "دوره"
    if isinstance(dtype, pd.IntervalDtype):
        return "intervals", "بازه"
    return None


def _refuse_infinities(arrays: dict[str, np.ndarray], ids: pd.Series) -> None:
    """Name the first column holding an infinite value, and its unit: no step has a
    meaning for it, and a mean or a range would carry it into every score."""
    for column, array in arrays.items():
        # two reductions, which ignore NaN, read a long column faster than np.isinf
        if array.size and (np.fmin.reduce(array) == -np.inf or np.fmax.reduce(array) == np.inf):
            unit = ids.iloc[int(np.flatnonzero(np.isinf(array))[0])]
            raise RasadInputError(
                f"Column '{column}' holds an infinite value (unit {unit}).",
                f"ستون «{column}» مقدار بی‌نهایت دارد (واحد {unit}).",
                field=column,
            )


def _unique(ids: pd.Series) -> bool:
    """Whether no unit id repeats: integer ids by one sort (numpy's SIMD sort is several
    times faster than pandas' hash table on a million ids), others by pandas."""
    values = ids.to_numpy()
    if values.dtype.kind in "iu":
        ordered = np.sort(values)
        return not (ordered[1:] == ordered[:-1]).any()
    return ids.is_unique


def _eligible(
    methodology: Methodology, frame: pd.DataFrame, ids: np.ndarray, exclusions: list[Exclusion]
) -> np.ndarray | None:
    """Which units the eligibility rule keeps (None: every one), the others' reasons
    added to ``exclusions``."""
    rule = methodology.eligibility
    keep = np.ones(len(frame), dtype=bool)
    for column, allowed in rule.allowed.items():
        ok = frame[column].isin(allowed).to_numpy()
        what_fa, what_en = GROUP_WORDS.get(column, (column, column))
        allowed_fa = " یا ".join(value_words(v)[0] for v in allowed)
        allowed_en = " or ".join(value_words(v)[1] for v in allowed)
        for unit, value in zip(ids[keep & ~ok], frame[column].to_numpy()[keep & ~ok], strict=True):
            value_fa, value_en = value_words(value)
            exclusions.append(
                Exclusion(
                    unit,
                    "eligibility",
                    f"its {what_en} is {value_en}; only {allowed_en} are ranked",
                    f"{what_fa} آن {value_fa} است؛ فقط {allowed_fa} رتبه می‌گیرند",
                )
            )
        keep &= ok
    if rule.min_data_coverage > 0 and rule.coverage_counts == "sources":
        sources = [i.source for i in methodology.indicators]
        coverage = frame[sources].notna().to_numpy().mean(axis=1)
        low = keep & (coverage < rule.min_data_coverage)
        for unit, share in zip(ids[low], coverage[low], strict=True):
            exclusions.append(
                Exclusion(
                    unit,
                    "eligibility",
                    f"reported {share:.0%} of the indicators, fewer than "
                    f"{rule.min_data_coverage:.0%}",
                    f"{share:.0%} از شاخص‌ها را گزارش کرده، کمتر از {rule.min_data_coverage:.0%}",
                )
            )
        keep &= ~low
    if not keep.any():
        raise RasadInputError(
            "No unit is eligible for this ranking.",
            "هیچ واحدی شرایط این رتبه‌بندی را ندارد.",
            field="eligibility",
        )
    return None if keep.all() else keep


def _refuse_empty_columns(methodology: Methodology, X: np.ndarray) -> None:
    """Name the indicators no unit has a value for (the input has no infinities)."""
    empty = np.isnan(column_ranges(X)[0])
    if empty.any():
        names = [methodology.indicators[j].code for j in np.flatnonzero(empty)]
        raise RasadInputError(
            f"No unit has a value for: {', '.join(names)}.",
            f"هیچ واحدی برای این شاخص‌ها مقدار ندارد: {', '.join(names)}.",
            field=names[0],
        )


def _denominate(methodology, columns, X, unit_ids, exclusions) -> np.ndarray:
    """Divide by denominators (``columns``: the data's, as floats), then apply
    per-indicator transforms. A zero denominator or a value a transform cannot take
    makes that cell missing, and the log says so."""
    indicators = methodology.indicators
    raw = X
    if any(i.denominator for i in indicators):
        denominators = np.full(X.shape, np.nan, order="F")
        for j, indicator in enumerate(indicators):
            if indicator.denominator:
                denominators[:, j] = columns[indicator.denominator]
        result = denominate(X, denominators)
        X = np.asfortranarray(result.values)
        for i, j in result.zero_denominators:
            code = indicators[j].code
            exclusions.append(
                Exclusion(
                    unit_ids[i],
                    "denominate",
                    f"{code}: denominator {indicators[j].denominator} is zero; value left missing",
                    f"{code}: مخرج {indicators[j].denominator} صفر است؛ مقدار خالی ماند",
                )
            )
    transformed = [j for j, i in enumerate(indicators) if i.transform != "none"]
    if transformed and X is raw:
        X = X.copy(order="F")  # never write into the Raw data set
    for j in transformed:
        indicator = indicators[j]
        column = X[:, j]
        invalid = ~np.isnan(column) & ~TRANSFORM_DOMAINS[indicator.transform](column)
        for row in np.flatnonzero(invalid).tolist():
            exclusions.append(
                Exclusion(
                    unit_ids[row],
                    "transform",
                    f"{indicator.code}: {column[row]:g} has no {indicator.transform}; "
                    "value left missing",
                    f"{indicator.code}: برای {column[row]:g} تبدیل {indicator.transform} "
                    "تعریف نشده؛ مقدار خالی ماند",
                )
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            X[:, j] = np.where(invalid, np.nan, TRANSFORMS[indicator.transform](column))
    return X


@dataclass(frozen=True)
class _Treated:
    """The treatment of the columns that take it, laid back onto the full matrix; the
    winsorised points as (column, rows at the low end, rows at the high end)."""

    values: np.ndarray
    points: list[tuple[int, np.ndarray, np.ndarray]]
    details: list


def _treat(methodology: Methodology, X: np.ndarray, own: bool) -> _Treated:
    """Treat the columns whose indicators take it; in ``X`` itself if the build ``own``s
    it, else in a copy (with every column treated, the one :func:`treat` makes)."""
    spec = methodology.treat
    columns = np.array([j for j, i in enumerate(methodology.indicators) if i.treat], dtype=np.intp)
    if spec.method == "none" or not len(columns):
        return _Treated(X, [], [])
    every = len(columns) == X.shape[1]
    subset = X if every else np.asfortranarray(X[:, columns])
    result = treat(
        subset,
        spec.method,
        winmax=spec.winmax,
        skew_thresh=spec.skew,
        kurt_thresh=spec.kurtosis,
        fallback=spec.fallback,
        overwrite_input=own or not every,
    )
    values = result.values
    if not every:
        values = X if own else np.array(X, order="F", copy=True)
        values[:, columns] = result.values
    points = [
        (
            int(columns[d.column]),
            np.flatnonzero(result.winsorised_low[:, d.column]),
            np.flatnonzero(result.winsorised_high[:, d.column]),
        )
        for d in result.details
        if d.outcome.startswith("winsorised") and d.n_winsorised
    ]
    details = (
        result.details  # their columns are the matrix's already
        if every
        else [replace(d, column=int(columns[d.column])) for d in result.details]
    )
    return _Treated(values, points, details)


def _normalise(methodology: Methodology, X: np.ndarray, groups: dict[str, np.ndarray], own: bool):
    """Normalise the indicators, within groups if asked, in ``X`` itself if the build
    ``own``s it."""
    spec = methodology.normalise
    indicators = methodology.indicators
    params = {}
    if spec.method == "goalposts":
        params["goalposts"] = np.array([i.goalposts for i in indicators], dtype=float)
    if spec.method == "distance_to_target":
        params["targets"] = np.array([i.target for i in indicators], dtype=float)
    directions = np.array([i.direction for i in indicators], dtype=float)
    codes = groups.get(spec.within) if spec.within else None
    return normalise_by(spec, X, directions, codes, own, params)


def normalise_by(
    spec: NormaliseSpec,
    X: np.ndarray,
    directions,
    codes: np.ndarray | None,
    own: bool = False,
    params: dict | None = None,
):
    """Normalise ``X`` as ``spec`` says, within the groups ``codes`` when given. Units of
    a group smaller than ``min_group_size`` are normalised against everyone instead
    (within two or three firms, min-max would hand out 0 and 100 on almost nothing), or
    with ``small_groups: together`` as one group of their own while it reaches that size:
    then what one unit reports moves the scores of its own reference group only."""
    params = {
        "range": spec.range,
        "mean": spec.mean,
        "sd": spec.sd,
        "scale": spec.scale,
        "missing": spec.missing,
    } | (params or {})
    if codes is None or spec.min_group_size <= 1:
        return normalise(
            X, spec.method, directions, params=params, groups=codes, overwrite_input=own
        )
    small, together = _small_groups(spec, codes)
    if together is not None:
        return normalise(
            X, spec.method, directions, params=params, groups=together, overwrite_input=own
        )
    # the pooled scores of the small groups' units first, while X is still the input
    pooled = normalise(X, spec.method, directions, params=params) if small.any() else None
    within = normalise(
        X,
        spec.method,
        directions,
        params=params,
        groups=np.where(small, -1, codes),
        overwrite_input=own,
    )
    if pooled is None:
        return within
    values = within.values
    values[small] = pooled.values[small]
    ungrouped = int((codes < 0).sum())  # units that had no group at all stay missing, and said so
    kept = [
        replace(w, units=ungrouped) if w.reason == "no_group" else w
        for w in within.warnings
        if w.reason != "no_group" or ungrouped
    ] + pooled.warnings
    return replace(within, values=values, warnings=kept)


def _small_groups(spec: NormaliseSpec, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The units of groups smaller than ``spec.min_group_size``, and, when they form one
    group together (``small_groups: together`` and enough of them), the group codes with
    theirs replaced by a code no group has; else None (they go against everyone)."""
    sizes = np.bincount(codes[codes >= 0])
    small = (codes >= 0) & (sizes[np.maximum(codes, 0)] < spec.min_group_size)
    if spec.small_groups == "together" and np.count_nonzero(small) >= spec.min_group_size:
        return small, np.where(small, len(sizes), codes)
    return small, None


def reference_groups(spec: NormaliseSpec, codes: np.ndarray) -> np.ndarray:
    """Each unit's reference group as :func:`normalise_by` normalises it within the
    groups ``codes``: its group's code, the small groups' pooled code, -2 for a unit
    normalised against everyone and -1 for one with no group (left missing)."""
    if spec.min_group_size <= 1:
        return codes
    small, together = _small_groups(spec, codes)
    return together if together is not None else np.where(small, -2, codes)


def index_scores_and_ranks(
    methodology: Methodology,
    composite: np.ndarray,
    groups: dict[str, np.ndarray],
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The index's scores and ranks (into ``out`` if given) from its aggregated
    ``composite``: the composite itself, or as the methodology's ``rescale`` step
    re-expresses it (e.g. the unit's percentile among its sector's composites), equal
    standings then ordered by the composite. A build, its replicates and the audit's
    blank rebuilds all rank the index here, so they cannot disagree."""
    spec = methodology.rescale
    if spec is None:
        return composite, rank_min(composite, out=out)
    codes = groups.get(spec.within) if spec.within else None
    standing = normalise_by(spec, composite.reshape(-1, 1), np.ones(1), codes).values[:, 0]
    return standing, rank_then(standing, composite, out=out)


def rescale_groups(methodology: Methodology, prepared: Prepared) -> dict[str, np.ndarray]:
    """The codes of the group the index is rescaled within, for the prepared units (as a
    build's ``groups`` has them, before screening); empty when it is not rescaled."""
    within = methodology.rescale.within if methodology.rescale else None
    if not within:
        return {}
    return {within: pd.factorize(prepared.frame[within], use_na_sentinel=True)[0].astype(np.int64)}


def _warnings(methodology: Methodology, warnings, labels: dict[str, np.ndarray]) -> pd.DataFrame:
    """Normalisation cells left missing for a documented reason, per indicator and group."""
    within = methodology.normalise.within
    rows = []
    for w in warnings:
        indicator = None if w.column is None else methodology.indicators[w.column]
        group = (
            None if w.group is None or w.group < 0 or within is None else labels[within][w.group]
        )
        # the place in words: the indicator's name and the group's, never their positions
        where_en = "every indicator" if indicator is None else f"“{indicator.name.en}”"
        where_fa = "همهٔ شاخص‌ها" if indicator is None else f"«{indicator.name.fa}»"
        if group is not None and within is not None:
            what_fa, what_en = GROUP_WORDS.get(within, (within, within))
            value_fa, value_en = value_words(group)
            where_en += f" in the {what_en} {value_en}"
            where_fa += f" در {what_fa} {value_fa}"
        message_en, message_fa = described(w.reason, w.units, where_en, where_fa)
        rows.append(
            {
                "step": "normalise",
                "indicator": None if indicator is None else indicator.code,
                "group": group,
                "units": w.units,
                "message_en": message_en,
                "message_fa": message_fa,
            }
        )
    return rows_frame(rows, ["step", "indicator", "group", "units", "message_en", "message_fa"])


def _pca_weights(node: Node, children: np.ndarray, negative: str) -> tuple[np.ndarray, list[dict]]:
    """First-component loadings as weights (oriented to add up to a positive number,
    :func:`~rasad.index.weights.pca_weights`), and the warnings about negative ones.
    Loadings that add up to zero have no such orientation (and the mean would divide by
    zero), so they are refused.

    A child with a negative loading moves against the others, and weighing it so would
    count a worse value in the unit's favour. ``negative`` says what happens: ``zero``
    gives that child no weight, ``keep`` uses the loading as it is (COINr's weights,
    which the arithmetic mean takes), ``refuse`` stops the build naming the children.
    Each negative loading kept or zeroed is reported, naming the node, the child and
    the loading."""
    weights = pca_weights(children)
    if abs(weights.sum()) < 1e-9:  # a unit vector whose sum is rounding: no side is "the others"
        raise RasadInputError(
            f"{node.code}: the PCA loadings of {', '.join(node.children)} add up to zero (the "
            "children split into "
            "two opposed halves, as two children moving against each other do), so they cannot "
            "serve as weights; "
            "use explicit or equal weights for this aggregate.",
            f"{node.code}: جمع بارهای PCA فرزندان {', '.join(node.children)} صفر است (فرزندان به "
            "دو نیمهٔ مخالف "
            "تقسیم می‌شوند، مانند دو فرزندی که خلاف هم حرکت می‌کنند)، پس نمی‌توانند وزن باشند؛ "
            "برای این زیرشاخص "
            "وزن صریح یا برابر به کار ببرید.",
            field=node.code,
        )
    negative_children = [
        (child, float(w)) for child, w in zip(node.children, weights, strict=True) if w < 0
    ]
    if negative_children and negative == "refuse":
        shown = ", ".join(f"{child} ({w:.3f})" for child, w in negative_children)
        raise RasadInputError(
            f"{node.code}: PCA gives {shown} a negative loading (moving against the other "
            "children); use "
            "explicit or equal weights for this aggregate, or set steps.weights.negative to zero "
            "or keep.",
            f"{node.code}: PCA به {shown} بار منفی می‌دهد (خلاف جهت دیگر فرزندان حرکت می‌کند)؛ "
            "برای این زیرشاخص "
            "وزن صریح یا برابر به کار ببرید، یا steps.weights.negative را zero یا keep کنید.",
            field=node.code,
        )
    if negative == "zero":
        weights[weights < 0] = 0.0
    warnings = [
        _negative_loading_warning(node, child, loading, negative)
        for child, loading in negative_children
    ]
    return weights, warnings


def _negative_loading_warning(node: Node, child: str, loading: float, negative: str) -> dict:
    """A row of the results' warnings for one negative PCA loading, and what was done."""
    if negative == "zero":
        done_en, done_fa = (
            "so it gets no weight (steps.weights.negative: zero)",
            "پس وزنی نمی‌گیرد (steps.weights.negative: zero)",
        )
    else:
        done_en, done_fa = (
            "kept as its weight: a higher value lowers the score (steps.weights.negative: keep)",
            "همین بار وزن آن است: مقدار بالاتر امتیاز را پایین می‌آورد (steps.weights.negative: "
            "keep)",
        )
    return {
        "step": "weights",
        "indicator": child,
        "group": None,
        "units": None,
        "message_en": f"{node.code}: PCA gives {child} a negative loading ({loading:.6g}), "
        f"{done_en}",
        "message_fa": f"{node.code}: PCA به {child} بار منفی ({loading:.6g}) می‌دهد، {done_fa}",
    }


def _children_weights(
    methodology: Methodology, node: Node, children: np.ndarray
) -> tuple[np.ndarray, list[dict]]:
    """The weights of ``node``'s children as its weighting rule gives them, and the
    warnings that rule raised (PCA's negative loadings)."""
    method = methodology.weights_for(node)
    if method == "equal":
        return np.ones(len(node.children)), []
    if method == "pca":
        return _pca_weights(node, children, methodology.weights.negative)
    weight_of = {i.code: i.weight for i in methodology.indicators} | {
        n.code: n.weight for n in methodology.nodes
    }
    return np.array([weight_of[c] for c in node.children], dtype=float), []


def _children(node: Node, matrices) -> np.ndarray:
    """A node's children as one matrix: a view when they are adjacent columns of one of
    ``matrices`` (pairs of a matrix and the positions of codes in it: the indicators,
    which files list a pillar's together, and the node scores, computed in the order
    their parents list them), else a copy."""
    for matrix, positions in matrices:
        where = [positions.get(c) for c in node.children]
        if None not in where and where == list(range(where[0], where[0] + len(where))):
            return matrix[:, where[0] : where[0] + len(where)]

    def column(code: str) -> np.ndarray:
        return next(
            matrix[:, positions[code]] for matrix, positions in matrices if code in positions
        )

    return _fortran(column(c) for c in node.children)


def aggregate_tree(
    methodology: Methodology, X: np.ndarray, unit_ids, exclusions, warnings: list | None = None
):
    """Score every node, children before parents, into the columns of one Fortran-ordered
    matrix in :attr:`~Methodology.nodes_bottom_up` order; and the weights used. Units
    left unscored go to ``exclusions``, what the weighting reported (as rows of the
    results' warnings) to ``warnings`` if given. The nodes of one level depend on lower
    levels only, so they are scored side by side."""
    nodes = methodology.nodes_bottom_up
    scores = np.empty((X.shape[0], len(nodes)), order="F")
    matrices = [
        (X, {code: j for j, code in enumerate(methodology.indicator_codes)}),
        (scores, {node.code: j for j, node in enumerate(nodes)}),
    ]

    def score(j: int):
        """Node j's scores, into its column; its weights, their warnings and the units
        it excludes."""
        node = nodes[j]
        children = _children(node, matrices)
        weights, notes = _children_weights(methodology, node, children)
        spec = methodology.aggregate_for(node)
        params: dict[str, Any] = {"nonpositive": spec.nonpositive}
        if spec.p is not None:
            params["p"] = spec.p
        try:
            result = aggregate(
                children,
                weights,
                spec.method,
                min_coverage=spec.min_coverage,
                params=params,
                out=scores[:, j],
            )
        except RefusedValue as error:
            child, unit = node.children[error.column], unit_ids[error.row]
            raise RasadInputError(
                f"{node.code}: the {spec.method} mean cannot take {error.value:g} of '{child}' "
                f"for unit {unit} "
                "(set nonpositive: exclude to leave such units unscored).",
                f"{node.code}: میانگین {spec.method} مقدار {error.value:g} از «{child}» را برای "
                f"واحد {unit} "
                "نمی‌پذیرد (با nonpositive: exclude این واحدها بی‌امتیاز می‌مانند).",
                field=node.code,
                value=error.value,
            ) from error
        return weights, notes, result.excluded_mask

    levels = methodology.levels
    weights_used: dict[str, np.ndarray] = {}
    for level in sorted({levels[node.code] for node in nodes}):
        batch = [j for j, node in enumerate(nodes) if levels[node.code] == level]
        scored = map_columns(lambda i, _, batch=batch: score(batch[i]), len(batch), X.shape[0])
        for j, (weights, notes, excluded) in zip(batch, scored, strict=True):
            node, method = nodes[j], methodology.aggregate_for(nodes[j]).method
            for unit in unit_ids[excluded]:
                exclusions.append(
                    Exclusion(
                        unit,
                        "aggregate",
                        f"{node.code}: too few values or values its {method} mean cannot take",
                        f"{node.code}: مقدارها کافی نیست یا میانگین {method} برای آن‌ها تعریف "
                        "نمی‌شود",
                    )
                )
            weights_used[node.code] = weights
            if warnings is not None:
                warnings.extend(notes)
    return scores, weights_used
