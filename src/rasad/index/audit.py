"""A methodology audit anyone can rerun: six checks that a built index behaves as a
ranking of firms should, each with its figures, so that a methodology's weaknesses are
measured instead of argued about.

1. **Mix of the top K** per reference-group column: does the top K hold each group
   about as often as the ranked population does? The total-variation distance and its
   p-value against random draws of K ranked units.
2. **Gains from blanking one input**: can a firm climb by leaving a figure it reported
   blank? (Median imputation hands a below-median firm its group's median.)
3. **Drift with the population's size**: do the normalised scores of the same kind of
   firm move when the population is larger? (Min-max extremes and a ``winmax`` given as a
   count both depend on it.)
4. **Treatment**: skewness and kurtosis before and after outlier treatment, and why an
   indicator that still fails COINr's test does.
5. **Statistical coherence** (COINr's ``get_corr``): each indicator's and aggregate's
   correlation with its parent and with the index.
6. **Coverage**: how much of each indicator the ranked units reported, overall and in
   the top K.

Pure: numpy and pandas, no Django; :func:`audit` gives an :class:`Audit` of DataFrames
that a notebook reads and :meth:`Audit.to_excel` writes. Every random draw comes from
the seed, so the same seed gives the same audit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.index._stats import column_skew_kurt
from rasad.index.methodology import ORDER_METHODS, Methodology, load
from rasad.index.pipeline import (
    Prepared,
    aggregate_tree,
    build,
    index_scores_and_ranks,
    normalised,
    prepare,
    rescale_groups,
)
from rasad.index.results import Results
from rasad.iran.text import format_number, to_persian_digits

# 1. a group is flagged when it holds more than FLAG_RATIO times its expected places,
# if it expects at least FLAG_MIN_EXPECTED (below that, one firm more is a large ratio)
FLAG_RATIO = 2.5
FLAG_MIN_EXPECTED = 2.0
MIX_P = 0.01
NO_GROUP = "(none)"
# 3. the resamples' default sizes: this many times fewer units (drawn without
# replacement, at least MIN_RESAMPLE when the input has them) and this many times more
# (with replacement, at most MAX_RESAMPLE)
RESAMPLE_FACTOR = 5
MIN_RESAMPLE = 2_000
MAX_RESAMPLE = 100_000
DRIFT_POINTS = 5.0
QUARTILES = (25, 50, 75)
# 5. COINr's plot_corr calls a correlation at most 0.3 "weak" (and at most -0.4
# "negative"); any negative correlation with a parent is flagged here, since it means
# the item pulls against the aggregate it is part of
WEAK_CORRELATION = 0.3

# headers that words alone would spell badly; the others are the column's name in words
HEADERS = {
    "tv": "TV distance",
    "p_value": "p-value",
    "r_parent": "Pearson r with parent",
    "rho_parent": "Spearman ρ with parent",
    "r_index": "Pearson r with index",
    "rho_index": "Spearman ρ with index",
    "property_fa": "Property (Persian)",
    "detail_fa": "Detail (Persian)",
}
# the widest a column opens at; longer text wraps
MAX_WIDTH = 80

STAGES = ("build", "mix", "blanks", "drift", "treatment", "coherence", "coverage")
STAGES_FA = {
    "build": "ساخت",
    "mix": "ترکیب",
    "blanks": "خالی‌گذاری",
    "drift": "رانش",
    "treatment": "تعدیل",
    "coherence": "هم‌خوانی",
    "coverage": "پوشش",
}
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Audit:
    """What :func:`audit` found, section by section, and the ``summary`` that states
    each property with its figure. ``timings`` (seconds per stage) is the only part that
    differs between two runs with the same seed."""

    methodology: str
    top: int
    summary: pd.DataFrame
    mix: pd.DataFrame
    mix_tests: pd.DataFrame
    blanks: pd.DataFrame
    drift: pd.DataFrame
    treatment: pd.DataFrame
    coherence: pd.DataFrame
    coverage: pd.DataFrame
    coverage_units: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    methodology_fa: str = ""

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The workbook's sheets, in order: the summary first."""
        return {
            "summary": self.summary,
            "mix": self.mix,
            "mix_tests": self.mix_tests,
            "blanks": self.blanks,
            "drift": self.drift,
            "treatment": self.treatment,
            "coherence": self.coherence,
            "coverage": self.coverage,
            "coverage_units": self.coverage_units,
        }

    def text(self, language: str = "en") -> str:
        """The summary as lines a terminal shows, in English or Persian (``fa``): each
        property, its figure, and whether it is met."""
        if language == "fa":
            lines = [
                f"ممیزی {self.methodology_fa or self.methodology}، {format_number(self.top)} نخست"
            ]
            for row in self.summary.itertuples(index=False):
                mark = {True: "برآورده", False: "برآورده نشد"}.get(row.met, "گزارشی")
                section = STAGES_FA[row.section]
                lines.append(f"[{mark}] {section}: {row.property_fa} — {row.detail_fa}")
            return "\n".join(lines)
        lines = [f"Audit of {self.methodology}, top {self.top}"]
        for row in self.summary.itertuples(index=False):
            mark = {True: "met", False: "NOT MET"}.get(row.met, "reported")
            lines.append(f"[{mark}] {row.section}: {row.property} — {row.detail}")
        return "\n".join(lines)

    def to_excel(self, path: str | Path) -> None:
        """One sheet per section after the summary, through :mod:`rasad.workbook`: words
        for headers (the sections' tables are in English, so the sheets run left to right;
        the summary says each property and its detail in Persian too), ranks
        and gains whole numbers, shares as percentages, other figures rounded; the
        column codes in the dictionary sheet."""
        from rasad.workbook import About, Sheet, write_workbook

        sheets = [
            Sheet(_words(name), [_column(c, frame[c].dtype) for c in frame.columns], frame)
            for name, frame in self.sheets().items()
        ]
        about = About(_words(f"audit of {self.methodology}, top {self.top}"))
        write_workbook(path, sheets, language="en", about=about)


@dataclass
class _Stages:
    """Runs the audit's stages one by one, reporting each as it starts and ends, and
    keeps the seconds each took (:attr:`Audit.timings`)."""

    report: Progress
    timings: dict[str, float] = field(default_factory=dict)

    def run(self, stage: str, work):
        self.report(stage, 0, 1)
        started = time.perf_counter()
        result = work()
        self.timings[stage] = time.perf_counter() - started
        self.report(stage, 1, 1)
        return result

    def progress(self, stage: str) -> Callable[[int, int], None]:
        """``stage``'s own progress, for a stage that reports its steps as it goes."""
        return lambda done, total: self.report(stage, done, total)


def _size_drift(
    methodology: Methodology, data: pd.DataFrame, results: Results, sizes: list[int], seed: int
) -> pd.DataFrame:
    """The quartile drift of ``results`` against a build on ``data`` resampled to each of
    ``sizes`` units."""
    return pd.concat(
        [
            quartile_drift(
                results,
                build(
                    _without_forced_units(methodology),
                    resample(data, methodology.unit, size, seed=seed),
                    keep="final",
                ),
            )
            for size in sizes
        ],
        ignore_index=True,
    )


def _sections(
    methodology: Methodology,
    data: pd.DataFrame,
    stages: _Stages,
    sizes: list[int],
    *,
    top: int,
    seed: int,
    sample: int,
    ranks: tuple[int, int],
    draws: int,
) -> dict[str, pd.DataFrame]:
    """The audit's sections, stage by stage (:data:`STAGES`), named as :class:`Audit`'s
    fields."""
    results = stages.run("build", lambda: build(methodology, data))
    mix, mix_tests = stages.run("mix", lambda: top_mix(results, top, draws=draws, seed=seed))
    blanks = stages.run(
        "blanks",
        lambda: blank_gains(
            methodology,
            data,
            results,
            sample=sample,
            ranks=ranks,
            seed=seed,
            progress=stages.progress("blanks"),
        ),
    )
    drift = stages.run("drift", lambda: _size_drift(methodology, data, results, sizes, seed))
    treatment = stages.run("treatment", lambda: treatment_table(results))
    coherence = stages.run("coherence", lambda: coherence_table(results))
    coverage, coverage_units = stages.run("coverage", lambda: coverage_tables(results, top))
    return dict(
        mix=mix,
        mix_tests=mix_tests,
        blanks=blanks,
        drift=drift,
        treatment=treatment,
        coherence=coherence,
        coverage=coverage,
        coverage_units=coverage_units,
    )


def audit(
    methodology: Methodology | str | Path,
    data: pd.DataFrame,
    *,
    top: int = 100,
    seed: int = 1,
    sample: int = 25,
    ranks: tuple[int, int] = (51, 800),
    resample_size: int | None = None,
    draws: int = 10_000,
    progress: Progress | None = None,
) -> Audit:
    """Audit ``methodology`` (an object, a file or a bundled name) on ``data`` (one row
    per unit, as :func:`~rasad.index.build` takes it).

    ``top``: the K of "top K"; ``draws``: random draws for the mix p-values; ``sample``
    units ranked within ``ranks`` (clipped to the ranked count) are tried for gains from
    blanks; the population is resampled to ``resample_size`` units, or by default twice
    (:func:`resample_sizes`): to a fifth of its units (at least 2,000) and to five times
    as many. ``progress(stage, done, total)`` is called as the stages (:data:`STAGES`)
    advance."""
    methodology = methodology if isinstance(methodology, Methodology) else load(methodology)
    _check_options(top, sample, ranks, resample_size, draws)
    stages = _Stages(progress or (lambda stage, done, total: None))
    sizes = [resample_size] if resample_size else resample_sizes(len(data))
    sections = _sections(
        methodology,
        data,
        stages,
        sizes,
        top=top,
        seed=seed,
        sample=sample,
        ranks=ranks,
        draws=draws,
    )
    summary = _summary(top, sizes=sizes, **{k: v for k, v in sections.items() if k != "mix"})
    name = methodology.name
    return Audit(
        methodology=f"{name.en or name.fa} {methodology.version}",
        top=top,
        summary=summary,
        **sections,
        timings=stages.timings,
        methodology_fa=f"{name.fa or name.en} {to_persian_digits(methodology.version)}",
    )


def _check_options(top, sample, ranks, resample_size, draws) -> None:
    """Refuse options that would give an empty or meaningless section."""
    checks = (
        (
            top >= 1,
            "--top",
            f"top must be at least 1, not {top}",
            f"top باید دست‌کم ۱ باشد، نه {top}",
        ),
        (
            sample >= 0,
            "--sample",
            f"sample must not be negative, not {sample}",
            f"اندازهٔ نمونه نباید منفی باشد، نه {sample}",
        ),
        (
            1 <= ranks[0] <= ranks[1],
            "--ranks",
            f"the rank range must be FIRST-LAST with 1 ≤ FIRST ≤ LAST, not {ranks[0]}-{ranks[1]}",
            f"بازهٔ رتبه باید FIRST-LAST با ۱ ≤ FIRST ≤ LAST باشد، نه {ranks[0]}-{ranks[1]}",
        ),
        (
            resample_size is None or resample_size >= 2,
            "--resample-size",
            f"the resample needs at least 2 units, not {resample_size}",
            f"بازنمونه دست‌کم ۲ واحد لازم دارد، نه {resample_size}",
        ),
        (
            draws >= 1,
            "--draws",
            f"draws must be at least 1, not {draws}",
            f"شمار قرعه‌ها باید دست‌کم ۱ باشد، نه {draws}",
        ),
    )
    for ok, name, en, fa in checks:
        if not ok:
            raise RasadInputError(en[0].upper() + en[1:] + ".", fa + ".", field=name)


# --- 1. mix of the top K ---------------------------------------------------------------


@dataclass(frozen=True)
class MixTest:
    """One group column's mix: per value the ranked count, share, expected places in
    the top K, places held, their ratio and the flag; the total-variation distance
    between the top K's shares and the ranked population's, and its p-value."""

    table: pd.DataFrame
    tv: float
    p_value: float


def mix_test(values, in_top, *, draws: int, rng: np.random.Generator) -> MixTest:
    """Compare the group ``values`` of the units ``in_top`` (a boolean mask) with those
    of all the units given (the ranked ones).

    The p-value is ``(1 + #draws with TV ≥ observed) / (draws + 1)`` over ``draws``
    random draws of K units without replacement. The counts per group of such a draw
    follow the multivariate hypergeometric law, so each draw is one sample of it
    instead of a shuffle of every unit. TV is compared as the integer
    ``Σ |held·N − count·K|`` (= 2·N·K·TV), so that a draw exactly as tilted as the top
    counts as at least as tilted, whatever the rounding."""
    labels = pd.Series(values, dtype=object)
    labels = labels.where(labels.notna(), NO_GROUP).astype(str)
    in_top = np.asarray(in_top, dtype=bool)
    codes, uniques = pd.factorize(labels)
    counts = np.bincount(codes, minlength=len(uniques))
    held = np.bincount(codes[in_top], minlength=len(uniques))
    n, k = len(codes), int(in_top.sum())
    observed = np.abs(held * n - counts * k).sum()
    drawn = rng.multivariate_hypergeometric(counts, k, size=draws)
    as_tilted = int((np.abs(drawn * n - counts * k).sum(axis=1) >= observed).sum())
    expected = counts * k / n
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, held / expected, np.nan)
    table = pd.DataFrame(
        {
            "value": uniques,
            "ranked": counts,
            "share": counts / n,
            "expected": expected,
            "held": held,
            "ratio": ratio,
            "flagged": (expected >= FLAG_MIN_EXPECTED) & (ratio > FLAG_RATIO),
        }
    )
    table = table.sort_values(
        ["ranked", "value"], ascending=[False, True], kind="stable", ignore_index=True
    )
    return MixTest(table, observed / (2 * n * k) if k else 0.0, (1 + as_tilted) / (draws + 1))


def top_mix(
    results: Results, top: int, *, draws: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`mix_test` for each of the methodology's group columns, over the ranked
    units: one table of group values, one row per column with its test. The test is a
    property (``met`` True or False) only for the groups the methodology claims to be
    neutral across, those it normalises or rescales within; for the others (a size band,
    a province) it is reported (``met`` None): real differences may show there, and are
    not to be normalised away."""
    methodology = results.methodology
    claimed = {
        spec.within for spec in (methodology.normalise, methodology.rescale) if spec is not None
    }
    rank = results.rank
    ranked = rank.notna().to_numpy()
    in_top = (rank <= top).to_numpy()[ranked]
    tables, tests = [], []
    for number, column in enumerate(results.groups.columns):
        test = mix_test(
            results.groups[column].to_numpy()[ranked],
            in_top,
            draws=draws,
            rng=np.random.default_rng([seed, 1, number]),
        )
        tables.append(test.table.assign(group=column))
        flagged = test.table[test.table["flagged"]]
        tests.append(
            {
                "group": column,
                "values": len(test.table),
                "top": int(in_top.sum()),
                "tv": test.tv,
                "p_value": test.p_value,
                "draws": draws,
                "flagged": ", ".join(
                    f"{v} ({r:.1f}×)"
                    for v, r in zip(flagged["value"], flagged["ratio"], strict=True)
                ),
                "met": bool(test.p_value >= MIX_P and flagged.empty) if column in claimed else None,
            }
        )
    columns = ["group", "value", "ranked", "share", "expected", "held", "ratio", "flagged"]
    mix = pd.concat(tables, ignore_index=True)[columns] if tables else pd.DataFrame(columns=columns)
    return mix, pd.DataFrame(
        tests, columns=["group", "values", "top", "tv", "p_value", "draws", "flagged", "met"]
    )


# --- 2. gains from blanking one input --------------------------------------------------


class _Blanker:
    """A unit's rank with one of its input cells left blank, from one ``prepare``.

    Blanking a cell makes missing exactly the denominated values that read it (as
    source or denominator: a missing number divides and transforms into a missing
    number), so the prepared matrix is changed in those cells and only the steps after
    preparation are rerun, and the index ranked as :func:`build` ranks it (rescaled
    first when the methodology rescales it). Imputation, treatment and normalisation
    work column by column, so when screening keeps every unit whatever is missing (no
    threshold, no unit forced in or out), only the indicators that read the blanked
    column go through them again, beside the others' normalised values computed once:
    a tenth of the work. Eligibility is rechecked first (reported sources, or indicators
    with a value, as the methodology counts them).
    Where the unit is the only eligible one reporting the column, preparation itself
    would change (an empty column is refused, a denominator nobody reports is not
    applied): that blank is rebuilt in full."""

    def __init__(self, methodology: Methodology, data: pd.DataFrame):
        self.methodology = methodology
        self.prepared: Prepared = prepare(methodology, data)
        self.row = {unit: i for i, unit in enumerate(self.prepared.unit_ids)}
        self.eligible = pd.Index(self.prepared.unit_ids)  # its hash table made once
        self.sources = [i.source for i in methodology.indicators]
        self.reported = self.prepared.frame[self.sources].notna().to_numpy()
        self.root = [node.code for node in methodology.nodes_bottom_up].index(methodology.root.code)
        self.rescale_groups = rescale_groups(methodology, self.prepared)
        spec = methodology.screen
        self.by_column = not (spec.min_coverage > 0 or spec.include or spec.exclude)
        if self.by_column:
            self.unit_ids, self.normalised = normalised(methodology, self.prepared)

    def inputs(self, unit) -> list[str]:
        """The columns the methodology reads (sources, then denominators) that ``unit`` reported."""
        frame = self.prepared.frame
        used = dict.fromkeys(
            self.sources + [i.denominator for i in self.methodology.indicators if i.denominator]
        )
        i = self.row[unit]
        return [column for column in used if pd.notna(frame[column].iat[i])]

    def indicators(self, column: str) -> list[int]:
        return [
            j
            for j, i in enumerate(self.methodology.indicators)
            if column in (i.source, i.denominator)
        ]

    def rank_after(self, unit, column: str) -> tuple[str, float, str]:
        """Status (``ranked``, ``ineligible``, ``unranked`` or ``refused``), the new rank
        (NaN unless ranked) and a note."""
        i = self.row[unit]
        rule = self.methodology.eligibility
        if (
            rule.coverage_counts == "indicators"
        ):  # the indicators reading the column lose their value
            reported = ~np.isnan(self.prepared.values[i])
            reported[self.indicators(column)] = False
        else:
            reported = self.reported[i] & (np.array(self.sources) != column)
        if rule.min_data_coverage > 0 and reported.mean() < rule.min_data_coverage:
            return (
                "ineligible",
                np.nan,
                (
                    f"reports {reported.mean():.0%} of the indicators without it, fewer than "
                    f"{rule.min_data_coverage:.0%}: leaves the ranking"
                ),
            )
        try:
            return self._status(self._rank(unit, i, column))
        except RasadInputError as error:
            return "refused", np.nan, f"the build refuses the data without it: {error.message_en}"

    def _rank(self, unit, i: int, column: str) -> float:
        frame = self.prepared.frame
        if frame[column].notna().sum() <= 1:
            blanked = frame.copy()
            blanked.iloc[i, blanked.columns.get_loc(column)] = np.nan
            return build(self.methodology, blanked, keep="final").rank.get(unit, np.nan)
        unit_ids, X = self._normalised_without(i, self.indicators(column))
        scores, _ = aggregate_tree(self.methodology, X, unit_ids, [])
        where = np.flatnonzero(unit_ids == unit)
        return self._index_ranks(unit_ids, scores[:, self.root])[where[0]] if where.size else np.nan

    def _normalised_without(self, i: int, columns: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The units that reach aggregation and the normalised matrix, with unit ``i``'s
        values of the indicators ``columns`` missing."""
        if not self.by_column:
            values = np.array(self.prepared.values, order="F", copy=True)
            values[i, columns] = np.nan
            return normalised(self.methodology, replace(self.prepared, values=values))
        values = np.asfortranarray(self.prepared.values[:, columns])  # a copy
        values[i] = np.nan
        # the steps before aggregation read the indicators only, never the tree
        only = replace(
            self.methodology, indicators=tuple(self.methodology.indicators[j] for j in columns)
        )
        _, changed = normalised(
            only, replace(self.prepared, raw=self.prepared.raw[:, columns], values=values)
        )
        X = np.array(self.normalised, order="F", copy=True)
        X[:, columns] = changed
        return self.unit_ids, X

    def _index_ranks(self, unit_ids: np.ndarray, composite: np.ndarray) -> np.ndarray:
        """The index's ranks as :func:`build` gives them."""
        groups = self.rescale_groups
        if groups:
            kept = self.eligible.get_indexer(unit_ids)  # the units screening kept
            groups = {g: codes[kept] for g, codes in groups.items()}
        return index_scores_and_ranks(self.methodology, composite, groups)[1]

    @staticmethod
    def _status(rank: float) -> tuple[str, float, str]:
        if np.isnan(rank):
            return "unranked", np.nan, "screened out or left unscored without it"
        return "ranked", float(rank), ""


def blank_gains(
    methodology: Methodology,
    data: pd.DataFrame,
    results: Results,
    *,
    sample: int = 25,
    ranks: tuple[int, int] = (51, 800),
    seed: int = 1,
    units=None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """For ``sample`` units drawn (seeded) among those ranked ``ranks[0]``–``ranks[1]``
    (clipped to the ranked count), or the ranked ``units`` named, and every input column
    they reported, the rank after leaving that one cell blank: one row per (unit,
    input), ``gain`` = places climbed (0 for a unit that leaves the ranking)."""
    rank = results.rank.dropna().sort_values(kind="stable")
    if units is None:
        low, high = ranks[0], min(ranks[1], len(rank))
        candidates = rank[(rank >= low) & (rank <= high)]
        drawn = np.random.default_rng([seed, 2]).choice(
            len(candidates), size=min(sample, len(candidates)), replace=False
        )
        chosen = candidates.iloc[np.sort(drawn)]
    else:
        units = list(units)
        unranked = [str(unit) for unit in units if unit not in rank.index]
        if unranked:
            shown = ", ".join(unranked[:5])
            raise RasadInputError(
                f"These units are not ranked, so a blank cannot move them: {shown}.",
                f"این واحدها رتبه ندارند، پس خالی‌گذاشتن خانه‌ای جابه‌جایشان نمی‌کند: {shown}.",
                field="units",
                value=unranked,
            )
        chosen = rank[rank.index.isin(units)]
    blanker = _Blanker(methodology, data)
    cases = [(unit, column) for unit in chosen.index for column in blanker.inputs(unit)]
    rows = []
    for done, (unit, column) in enumerate(cases):
        status, after, note = blanker.rank_after(unit, column)
        before = float(chosen[unit])
        rows.append(
            {
                methodology.unit: unit,
                "rank_before": before,
                "input": column,
                "indicators": ", ".join(
                    methodology.indicators[j].code for j in blanker.indicators(column)
                ),
                "status": status,
                "rank_after": after,
                "gain": before - after if status == "ranked" else 0.0,
                "note": note,
            }
        )
        if progress:
            progress(done + 1, len(cases))
    columns = [
        methodology.unit,
        "rank_before",
        "input",
        "indicators",
        "status",
        "rank_after",
        "gain",
        "note",
    ]
    return pd.DataFrame(rows, columns=columns)


# --- 3. drift with the population's size -----------------------------------------------


def resample_sizes(units: int) -> list[int]:
    """A smaller and a larger population than ``units``: a fifth (at least
    :data:`MIN_RESAMPLE`, if there are that many) and five times as many (at most
    :data:`MAX_RESAMPLE`). Either direction can show drift: a smaller population has
    narrower extremes, a larger one crosses a count-based limit such as ``winmax``."""
    smaller = min(units, max(units // RESAMPLE_FACTOR, MIN_RESAMPLE))
    larger = max(units, min(units * RESAMPLE_FACTOR, MAX_RESAMPLE))
    return sorted({smaller, larger} - {units}) or [units]


def resample(data: pd.DataFrame, unit: str, size: int, *, seed: int) -> pd.DataFrame:
    """A population of ``size`` drawn from ``data`` (seeded): without replacement when
    smaller, so that it is a real smaller population with its own extremes; with
    replacement when larger. Each row gets an id of its own (``original#position``), so
    that the same kind of firm is ranked among more (or fewer) of its like."""
    rng = np.random.default_rng([seed, 3])
    rows = (
        np.sort(rng.choice(len(data), size=size, replace=False))
        if size <= len(data)
        else rng.integers(0, len(data), size=size)
    )
    sample = data.iloc[rows].reset_index(drop=True)
    sample[unit] = sample[unit].astype(str) + "#" + pd.Series(np.arange(size), dtype=str)
    return sample


def _without_forced_units(methodology: Methodology) -> Methodology:
    """The methodology for a resample, whose ids are new: units forced in or out of the
    screening by id no longer exist there."""
    return replace(methodology, screen=replace(methodology.screen, include=(), exclude=()))


def quartile_drift(original: Results, other: Results) -> pd.DataFrame:
    """Per indicator, the quartiles of the normalised data set in two builds, the
    largest move in points, and the treatment outcomes of both."""
    codes = original.methodology.indicator_codes
    before = _quartiles(original.datasets["Normalised"][codes])
    after = _quartiles(other.datasets["Normalised"][codes])
    moves = (after - before).abs()
    table = pd.DataFrame(
        {
            "indicator": codes,
            "units_original": len(original.scores),
            "units_resample": len(other.scores),
        },
        index=codes,
    )
    for q in QUARTILES:
        table[f"q{q}_original"] = before[q]
        table[f"q{q}_resample"] = after[q]
    table["largest_move"] = moves.max(axis=1)
    table["within_limit"] = table["largest_move"] <= DRIFT_POINTS
    outcome_before, outcome_after = _outcomes(original), _outcomes(other)
    table["treatment_original"] = [outcome_before[c] for c in codes]
    table["treatment_resample"] = [outcome_after[c] for c in codes]
    table["treatment_changed"] = table["treatment_original"] != table["treatment_resample"]
    return table.reset_index(drop=True)


def _quartiles(frame: pd.DataFrame) -> pd.DataFrame:
    """Indicators × quartiles, missing values left out (linear interpolation, R's default)."""
    values = frame.to_numpy()
    present = ~np.isnan(values).all(axis=0)
    quartiles = np.full((values.shape[1], len(QUARTILES)), np.nan)
    quartiles[present] = np.nanpercentile(values[:, present], QUARTILES, axis=0).T
    return pd.DataFrame(quartiles, index=frame.columns, columns=list(QUARTILES))


# --- 4. treatment ----------------------------------------------------------------------


def _fails(skew: float, kurt: float, methodology: Methodology) -> bool:
    """COINr's test, failed when both ``|skew| ≥ skew`` and ``kurtosis ≥ kurtosis``
    (``check_SkewKurt``, as the engine's treatment applies it); undecided (NaN) is not
    a failure."""
    spec = methodology.treat
    return bool(abs(skew) >= spec.skew and kurt >= spec.kurtosis)


def _outcomes(results: Results) -> dict[str, str]:
    """Each indicator's treatment outcome, from the build's treatment log."""
    methodology = results.methodology
    log = results.treatment.set_index("indicator") if not results.treatment.empty else None
    outcomes = {}
    for indicator in methodology.indicators:
        if methodology.treat.method == "none":
            outcomes[indicator.code] = "none"
        elif not indicator.treat:
            outcomes[indicator.code] = "exempt"
        else:
            assert log is not None  # an indicator treated is in the log
            row = log.loc[indicator.code]
            if np.isnan(row["skew_before"]) or np.isnan(row["kurtosis_before"]):
                outcomes[indicator.code] = "undefined"
            elif row["log_transformed"]:
                outcomes[indicator.code] = "log"
            elif row["winsorised"]:
                failing = _fails(row["skew_after"], row["kurtosis_after"], methodology)
                outcomes[indicator.code] = "winsorised, still failing" if failing else "winsorised"
            else:
                outcomes[indicator.code] = "passed"
    return outcomes


def treatment_table(results: Results) -> pd.DataFrame:
    """Per indicator: skewness and kurtosis before treatment (Screened), after
    (Treated) and once normalised; the outcome, whether the log fallback was used, the
    points left winsorised; whether the treated values still fail COINr's test, and
    why (``explained``: a failure the methodology chose knowingly, an indicator exempt
    from treatment or a normalisation that uses only ranks)."""
    methodology = results.methodology
    codes = methodology.indicator_codes
    stats = {
        name: column_skew_kurt(results.datasets[name][codes].to_numpy())
        for name in ("Screened", "Treated", "Normalised")
    }
    outcomes = _outcomes(results)
    points = results.treated_points["indicator"].value_counts()
    rows = []
    for j, indicator in enumerate(methodology.indicators):
        treated = results.datasets["Treated"][indicator.code]
        skew, kurt = stats["Treated"][0][j], stats["Treated"][1][j]
        fails = _fails(skew, kurt, methodology)
        note, explained = (
            _failure_note(
                methodology,
                indicator,
                outcomes[indicator.code],
                treated,
                stats["Normalised"][0][j],
                stats["Normalised"][1][j],
            )
            if fails
            else ("", True)
        )
        rows.append(
            {
                "indicator": indicator.code,
                "outcome": outcomes[indicator.code],
                "log_fallback": outcomes[indicator.code] == "log",
                "winsorised_points": int(points.get(indicator.code, 0)),
                "skew_before": stats["Screened"][0][j],
                "kurtosis_before": stats["Screened"][1][j],
                "skew_after": skew,
                "kurtosis_after": kurt,
                "skew_normalised": stats["Normalised"][0][j],
                "kurtosis_normalised": stats["Normalised"][1][j],
                "still_fails": fails,
                "explained": explained,
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def _failure_note(
    methodology: Methodology,
    indicator,
    outcome: str,
    values: pd.Series,
    skew_normalised: float,
    kurt_normalised: float,
) -> tuple[str, bool]:
    """Why a treated indicator still fails COINr's test, and whether that is a choice
    the methodology made knowingly."""
    if outcome == "exempt":
        return f"exempt from treatment (treat: false): {_values(values)}", True
    if outcome == "none":
        if methodology.normalise.method in ORDER_METHODS:
            note = (
                f"treatment is none: the normalisation ({methodology.normalise.method}) uses only "
                "ranks, so "
                f"outliers carry no weight (normalised skew {skew_normalised:.2f}, kurtosis "
                f"{kurt_normalised:.2f})"
            )
            if _fails(skew_normalised, kurt_normalised, methodology):
                note += f"; still skewed once normalised: {_values(values)}"
            return note, True
        return "treatment is none: outliers keep their full weight in the normalisation", False
    if outcome == "log":
        return "still fails after the log fallback (applied to the original values)", False
    if outcome == "winsorised, still failing":
        return (
            f"winsorised up to winmax ({methodology.treat.winmax}) and still fails; no fallback",
            False,
        )
    return f"fails the test ({outcome})", False


def _values(values: pd.Series) -> str:
    """What kind of values an indicator takes, for a reader judging its skewness: a
    yes/no one cannot be made symmetric, and a few values are a bounded scale."""
    present = values.dropna()
    distinct = present.nunique()
    if distinct <= 2:
        return f"a yes/no indicator ({' / '.join(f'{v:g}' for v in sorted(present.unique()))})"
    return f"takes {distinct} values from {present.min():g} to {present.max():g}"


# --- 5. statistical coherence ----------------------------------------------------------


def coherence_table(results: Results) -> pd.DataFrame:
    """COINr's correlations of each item with its parent and with the index (Pearson
    and Spearman, over the ranked units, pairs with a missing value left out), from the
    Aggregated data set: normalised indicators and aggregate scores. ``flag``:
    ``negative`` (below 0) or ``weak`` (at most 0.3, COINr's threshold) against the
    parent, ``undefined`` where a column is constant. ``index_flag``: ``negative``
    against the index; a weak one is not flagged, as an indicator is a small share of
    an index of many and correlates weakly with it by construction."""
    methodology = results.methodology
    ranked = results.rank.notna()
    data = results.datasets["Aggregated"].loc[ranked]
    parent = {child: node.code for node in methodology.nodes for child in node.children}
    levels = methodology.levels
    root = methodology.root.code
    rows = []
    for code in [
        *methodology.indicator_codes,
        *(n.code for n in methodology.nodes_bottom_up if n.code != root),
    ]:
        r_parent, rho_parent = _correlations(data[code], data[parent[code]])
        r_index, rho_index = _correlations(data[code], data[root])
        rows.append(
            {
                "code": code,
                "level": levels[code],
                "parent": parent[code],
                "r_parent": r_parent,
                "rho_parent": rho_parent,
                "r_index": r_index,
                "rho_index": rho_index,
                "flag": _flag(r_parent),
                "index_flag": "negative" if r_index < 0 else "",
            }
        )
    return pd.DataFrame(rows)


def _correlations(x: pd.Series, y: pd.Series) -> tuple[float, float]:
    """Pearson's and Spearman's correlation over the units where both are present."""
    both = x.notna() & y.notna()
    x, y = x[both], y[both]
    if len(x) < 2 or x.nunique() < 2 or y.nunique() < 2:
        return np.nan, np.nan
    return float(np.corrcoef(x, y)[0, 1]), float(np.corrcoef(x.rank(), y.rank())[0, 1])


def _flag(r: float) -> str:
    if np.isnan(r):
        return "undefined"
    if r < 0:
        return "negative"
    return "weak" if r <= WEAK_CORRELATION else ""


# --- 6. coverage -----------------------------------------------------------------------


def coverage_tables(results: Results, top: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per indicator, the ranked units missing it before imputation (the build's
    ``coverage``: a blank or zero denominator counts as missing); and how many units
    reported how many indicators, among the ranked and in the top K."""
    codes = results.methodology.indicator_codes
    rank = results.rank
    ranked = rank.notna()
    coverage = results.coverage.loc[ranked]
    missing = coverage["missing"].str.split(",").explode()
    counts = missing[missing != ""].value_counts().reindex(codes, fill_value=0).to_numpy()
    per_indicator = pd.DataFrame(
        {"indicator": codes, "missing": counts, "missing_share": counts / max(len(coverage), 1)}
    )
    reported = coverage["reported"].to_numpy(dtype=np.int64)
    in_top = (rank[ranked] <= top).to_numpy()
    counts = np.arange(len(codes), -1, -1)
    overall = np.bincount(reported, minlength=len(codes) + 1)[counts]
    best = np.bincount(reported[in_top], minlength=len(codes) + 1)[counts]
    units = pd.DataFrame(
        {
            "reported": counts,
            "coverage": counts / len(codes),
            "ranked": overall,
            "ranked_share": overall / max(len(reported), 1),
            "top": best,
            "top_share": best / max(int(in_top.sum()), 1),
        }
    )
    return per_indicator, units[units["ranked"] > 0].reset_index(drop=True)


# --- summary ---------------------------------------------------------------------------


def _summary(
    top, mix_tests, blanks, drift, sizes, treatment, coherence, coverage, coverage_units
) -> pd.DataFrame:
    """One row per property: what it says, the figure that decides it, and whether it
    is met (None for figures only reported); what it says again in Persian."""
    rows = [
        *_mix_rows(top, mix_tests),
        _blanks_row(blanks),
        _drift_row(drift, sizes),
        _treatment_row(treatment),
        _coherence_row(coherence),
        _coverage_row(top, coverage, coverage_units),
    ]
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return summary.astype({"value": float})


SUMMARY_COLUMNS = ["section", "property", "value", "detail", "met", "property_fa", "detail_fa"]
NONE_FA = "هیچ"
FLAGS_FA = {"weak": "ضعیف", "negative": "منفی", "undefined": "تعریف‌نشده"}


def _fa(x, decimals: int = 0) -> str:
    """A figure as a Persian reader writes it; a missing one is a dash."""
    return "—" if pd.isna(x) else format_number(x, decimals=decimals)


def _digits_fa(text: str) -> str:
    """Figures inside a text ("L (2.7×)") in Persian digits, the decimal point too."""
    return to_persian_digits(re.sub(r"(?<=\d)\.(?=\d)", "٫", text))


def _percent_fa(share) -> str:
    return "—" if pd.isna(share) else f"{format_number(100 * share, decimals=1)}٪"


def _mix_rows(top: int, mix_tests: pd.DataFrame) -> list[tuple]:
    """One row per group column; a column whose neutrality the methodology does not
    claim is only reported."""
    rows = []
    for test in mix_tests.itertuples(index=False):
        if test.met is not None:
            claim = (
                f"p ≥ {MIX_P} and no group over {FLAG_RATIO}× its share (≥ "
                f"{FLAG_MIN_EXPECTED:g} expected places)"
            )
            claim_fa = (
                f"p ≥ {_fa(MIX_P, 2)} و هیچ گروهی بیش از {_fa(FLAG_RATIO, 1)} برابر سهمش نیست "
                f"(در گروه‌هایی با دست‌کم {_fa(FLAG_MIN_EXPECTED)} جای مورد انتظار)"
            )
        else:
            claim = "reported: the methodology does not claim neutrality here"
            claim_fa = "گزارشی: روش‌شناسی در این‌جا ادعای بی‌طرفی ندارد"
        flagged = test.flagged or ""
        rows.append(
            (
                "mix",
                f"top-{top} mix by {test.group}: {claim}",
                test.p_value,
                f"TV {test.tv:.3f}, p {test.p_value:.4f} ({test.draws:,} draws); over-represented: "
                f"{flagged or 'none'}",
                test.met,
                f"ترکیب {_fa(top)} نخست بر پایهٔ {test.group}: {claim_fa}",
                f"فاصلهٔ TV {_fa(test.tv, 3)}، p {_fa(test.p_value, 4)} ({_fa(test.draws)} "
                f"قرعه)؛ بیش از سهم: {_digits_fa(flagged) or NONE_FA}",
            )
        )
    return rows


BLANKS_CLAIM = (
    "no sampled unit climbs more than one place by blanking one input",
    "هیچ واحد نمونه‌ای با خالی گذاشتن یک ورودی بیش از یک پله بالا نمی‌رود",
)


def _blanks_row(blanks: pd.DataFrame) -> tuple:
    claim, claim_fa = BLANKS_CLAIM
    if blanks.empty:
        return ("blanks", claim, 0, "no unit in the rank range", True, claim_fa,
                "هیچ واحدی در بازهٔ رتبه نیست")  # fmt: skip
    unit = blanks.columns[0]
    best = blanks.groupby(unit, sort=False)["gain"].max()
    worst = blanks.loc[blanks["gain"].idxmax()]
    left = int((blanks["status"] != "ranked").sum())
    climbing, sampled = int((best > 1).sum()), len(best)
    if worst["gain"] > 0:
        detail = (
            f"{climbing} of {sampled} sampled units can climb more than one place; worst: "
            f"{worst[unit]} climbs {worst['gain']:.0f} places (rank {worst['rank_before']:.0f} "
            f"→ {worst['rank_after']:.0f}) by blanking {worst['input']}"
        )
        who = to_persian_digits(str(worst[unit]))  # a national ID is a number to its reader
        detail_fa = (
            f"{_fa(climbing)} از {_fa(sampled)} واحد نمونه می‌توانند بیش از یک پله بالا روند؛ "
            f"بدترین: {who} با خالی گذاشتن {worst['input']} {_fa(worst['gain'])} پله "
            f"بالا می‌رود (از رتبهٔ {_fa(worst['rank_before'])} به {_fa(worst['rank_after'])})"
        )
    else:
        detail = f"none of {sampled} sampled units climbs"
        detail_fa = f"هیچ‌یک از {_fa(sampled)} واحد نمونه بالا نمی‌رود"
    detail += f"; {left} of {len(blanks)} blanks leave the unit out of the ranking (no gain)"
    detail_fa += (
        f"؛ {_fa(left)} از {_fa(len(blanks))} خالی‌گذاری واحد را از رتبه‌بندی بیرون می‌برد (بی‌سود)"
    )
    return ("blanks", claim, climbing, detail, bool((best <= 1).all()), claim_fa, detail_fa)


def _drift_row(drift: pd.DataFrame, sizes: list[int]) -> tuple:
    """The largest quartile move over the resamples, and the indicators whose treatment
    outcome changed with them."""
    worst = (
        drift.loc[drift["largest_move"].idxmax()] if drift["largest_move"].notna().any() else None
    )
    changed = drift.loc[drift["treatment_changed"], "indicator"].tolist()
    claim = (
        f"every normalised indicator's quartiles move ≤ {DRIFT_POINTS:g} points when the "
        f"population is resampled to {' and '.join(f'{size:,}' for size in sizes)} units"
    )
    claim_fa = (
        "چارک‌های هر شاخص نرمال‌شده، وقتی جمعیت به "
        f"{' و '.join(_fa(size) for size in sizes)} واحد بازنمونه‌گیری می‌شود، بیش از "
        f"{_fa(DRIFT_POINTS)} امتیاز جابه‌جا نمی‌شوند"
    )
    if worst is None:
        return ("drift", claim, None, "no indicator has values", None, claim_fa,
                "هیچ شاخصی مقدار ندارد")  # fmt: skip
    detail = (
        f"largest move {worst['largest_move']:.1f} points ({worst['indicator']}, "
        f"{worst['units_resample']:,} ranked units against {worst['units_original']:,}); "
        f"treatment outcome changed for: {', '.join(changed) or 'none'}"
    )
    detail_fa = (
        f"بیشترین جابه‌جایی {_fa(worst['largest_move'], 1)} امتیاز ({worst['indicator']}، "
        f"{_fa(worst['units_resample'])} واحد رتبه‌گرفته در برابر "
        f"{_fa(worst['units_original'])})؛ نتیجهٔ تعدیل دگرگون شد برای: "
        f"{'، '.join(changed) or NONE_FA}"
    )
    met = bool(drift["within_limit"].all())
    return ("drift", claim, worst["largest_move"], detail, met, claim_fa, detail_fa)


def _treatment_row(treatment: pd.DataFrame) -> tuple:
    """The indicators that still fail after treatment, and which of them no exemption or
    rank normalisation explains."""
    failing = treatment[treatment["still_fails"]]
    unexplained = failing[~failing["explained"]]
    explained = list(failing.loc[failing["explained"], "indicator"])
    reasons = [f"{r.indicator} ({r.note})" for r in unexplained.itertuples(index=False)]
    detail = (
        f"{len(failing)} still fail, {len(explained)} of them exempt or normalised by ranks "
        f"only ({', '.join(explained) or 'none'}); not explained: "
        f"{', '.join(reasons) or 'none'} (see the treatment sheet)"
    )
    detail_fa = (
        f"{_fa(len(failing))} شاخص هنوز رد می‌شوند و {_fa(len(explained))} از آن‌ها معاف‌اند یا "
        f"تنها با رتبه نرمال می‌شوند ({'، '.join(explained) or NONE_FA})؛ بی‌توضیح: "
        f"{'، '.join(reasons) or NONE_FA} (برگهٔ Treatment را ببینید)"
    )
    return (
        "treatment",
        "every indicator that still fails COINr's skew/kurtosis test after treatment is exempt "
        "or normalised by ranks only",
        len(unexplained),
        detail,
        unexplained.empty,
        "هر شاخصی که پس از تعدیل هنوز در آزمون چولگی/کشیدگی COINr رد می‌شود معاف است یا تنها "
        "با رتبه نرمال می‌شود",
        detail_fa,
    )


def _coherence_row(coherence: pd.DataFrame) -> tuple:
    """The items weakly or negatively correlated with their parent, and those negative
    with the index."""
    flagged = coherence[coherence["flag"] != ""]
    against = coherence[coherence["index_flag"] != ""]
    correlations = [
        f"{r.code} {r.flag} (r {r.r_parent:.2f} with {r.parent})"
        for r in flagged.itertuples(index=False)
    ] + [
        f"{r.code} negative with the index (r {r.r_index:.2f})"
        for r in against.itertuples(index=False)
    ]
    correlations_fa = [
        f"{r.code} {FLAGS_FA[r.flag]} (r {_fa(r.r_parent, 2)} با {r.parent})"
        for r in flagged.itertuples(index=False)
    ] + [
        f"{r.code} منفی با شاخص کل (r {_fa(r.r_index, 2)})" for r in against.itertuples(index=False)
    ]
    return (
        "coherence",
        f"every indicator and aggregate correlates with its parent above {WEAK_CORRELATION:g} "
        "and not negatively with the index",
        len(flagged) + len(against),
        ", ".join(correlations) or "none flagged",
        flagged.empty and against.empty,
        f"همبستگی هر شاخص و زیرشاخص با والدش بیش از {_fa(WEAK_CORRELATION, 1)} است و با شاخص "
        "کل منفی نیست",
        "، ".join(correlations_fa) or "موردی نشان نخورد",
    )


def _coverage_row(top: int, coverage: pd.DataFrame, coverage_units: pd.DataFrame) -> tuple:
    """The mean share of indicators reported among the ranked and in the top, and the
    indicator most often missing: reported, not judged."""
    mean_all, mean_top = (
        np.average(coverage_units["coverage"], weights=coverage_units[column])
        if coverage_units[column].sum()
        else np.nan
        for column in ("ranked", "top")
    )
    most = coverage.loc[coverage["missing_share"].idxmax()]
    return (
        "coverage",
        f"share of indicators reported, ranked units and top {top}",
        mean_all,
        f"mean {mean_all:.1%} among the ranked, {mean_top:.1%} in the top {top}; most missing: "
        f"{most['indicator']} ({most['missing_share']:.1%} of the ranked)",
        None,
        f"سهم شاخص‌های گزارش‌شده، در واحدهای رتبه‌گرفته و {_fa(top)} نخست",
        f"میانگین {_percent_fa(mean_all)} در رتبه‌گرفته‌ها و {_percent_fa(mean_top)} در "
        f"{_fa(top)} نخست؛ بیشترین کمبود: {most['indicator']} "
        f"({_percent_fa(most['missing_share'])} از رتبه‌گرفته‌ها)",
    )


# --- Excel -----------------------------------------------------------------------------


def _words(code: str) -> tuple[str, str]:
    words = HEADERS.get(code, code.replace("_", " ").capitalize())
    return words, words


def _column(name: str, dtype):
    """A column of an audit's sheet, its kind by what it holds: ranks and gains are whole
    numbers (held as floats, missing where a unit is unranked), shares percentages."""
    from rasad.workbook import Column

    label = _words(name)
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return Column(
            name, label, width=None if name != "detail" else MAX_WIDTH, wrap=name == "detail"
        )
    if pd.api.types.is_integer_dtype(dtype) or name in ("rank_before", "rank_after", "gain"):
        return Column(name, label, "int")
    if "share" in name or name == "coverage":
        return Column(name, label, "percent", 1)
    if name in ("p_value", "value"):
        return Column(name, label, "decimal", 4)
    return Column(name, label, "decimal", 3 if name == "tv" else 2)
