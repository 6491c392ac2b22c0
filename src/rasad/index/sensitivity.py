"""Sensitivity analysis: which uncertain choice moves the ranking.

First-order (``Si``) and total (``STi``) Sobol indices of each uncertain input of an
:class:`~rasad.index.uncertainty.UncertaintySpec` on a scalar target of the ranking:
COINr's mean absolute rank shift against the nominal ranks, or one unit's rank.

The inputs (:func:`sobol_inputs`), in this order:

- ``weights.<level>``, one per weight-noise level. Every weight at that level gets its
  own independent multiplier ``1 − f + 2f·u`` with ``u ~ U[0, 1)`` — exactly the
  distribution :func:`~rasad.index.uncertainty.uncertainty` draws — and the level's
  multipliers form one Sobol *group* (SALib's ``groups``): the Saltelli design resamples
  them together, so ``Si`` and ``STi`` are the indices of the level's whole weight
  vector (Jacobs' group indices). This keeps the replicates' distribution that of the
  uncertainty analysis (a single shared ``u`` per level would move all the level's
  weights together and change nothing but the scale of the level, which most
  aggregations ignore), and keeps the number of inputs, and of runs, at one per level.
  A Dirichlet level's design values become its shares through the gamma inverse CDF:
  each sibling gets Gamma(c·s) at its design value, divided by the siblings' sum,
  which is a Dirichlet(c·s) draw when the values are uniform.
- ``normalise``, ``aggregate`` and ``impute`` when the spec has more than one
  alternative: alternative ``floor(u·m)`` of ``m``.
- ``drop`` when the spec leaves indicators out: none (``u`` < 1/(k + 1)) or one of the
  ``k`` codes, likewise.
- ``winmax`` when the range has more than one value: ``low + floor(u·(high − low + 1))``.

A choice with a single alternative (or a one-value ``winmax``) is applied to every run,
as in the uncertainty analysis, but is not an input.

The spec's ``groups`` merge inputs into one Sobol input under a name of their own, its
design columns those of all its members: ``groups: {weights: [weights.2, weights.3]}``
makes every weight one input, as COINr's sensitivity analysis has it. The mapping from
design values to runs is unchanged; only the Saltelli design resamples the members
together and the indices are the group's.

Sampling is SALib's Saltelli/Sobol design (``SALib.sample.sobol``, scrambled Sobol
sequence, ``calc_second_order=False``): ``n·(d + 2)`` runs for ``d`` inputs; use ``n`` a
power of two. Estimators are SALib's (``SALib.analyze.sobol``: Saltelli 2010 for
``Si``, Jansen for ``STi``). The 5% and 95% bounds are percentiles of SALib's own
bootstrap resamples (``keep_resamples=True``), not its normal-approximation half-width,
so they need not be symmetric about the estimate.

Pure: no Django.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from scipy.special import gammaincinv

from rasad.errors import RasadInputError
from rasad.index.choices import Plan, UncertaintySpec, sibling_groups
from rasad.index.methodology import Methodology
from rasad.index.replicates import Replicates

COLUMNS = ("input", "Si", "STi", "Si_q05", "Si_q95", "STi_q05", "STi_q95")
MEAN_ABS_RANK_SHIFT = "mean_abs_rank_shift"


def sobol_inputs(spec: UncertaintySpec) -> list[str]:
    """The names of the spec's Sobol inputs, in the order of the result's rows: its
    inputs (:meth:`~rasad.index.choices.UncertaintySpec.inputs`), those of a group
    replaced by the group's name where the first of them stands."""
    return list(dict.fromkeys(spec.group_of()[name] for name in spec.inputs()))


# --- the estimator, for any model of unit-uniform inputs -----------------------------------


def sobol(
    groups: list[str],
    model: Callable[[np.ndarray], np.ndarray],
    n: int,
    seed=None,
    bootstrap: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Sobol indices of a model of ``len(groups)`` independent U[0, 1) variables.

    ``groups[k]`` names the input variable ``k`` belongs to (variables sharing a name are
    one group input). ``model`` maps a block of rows of the (runs × variables) design to
    one output per row. Returns one row per input, in order of first appearance, with
    the columns of :data:`COLUMNS`. Both the design and the bootstrap are seeded by
    ``seed``. This is the code path :func:`sensitivity` uses.

    It needs two inputs or more: one input explains all the variance, and SALib reads
    a single group as no grouping at all (so its design would not match its analysis);
    COINr's ``get_sensitivity`` refuses one input too."""
    _check_count("n", n, minimum=2)
    _check_count("bootstrap", bootstrap, minimum=2)
    names = list(dict.fromkeys(groups))
    _check_two_inputs(names)
    problem: dict[str, Any] = {
        "num_vars": len(groups),
        "names": [f"x{k}" for k in range(len(groups))],
        "bounds": [[0.0, 1.0]] * len(groups),
    }
    if len(names) < len(groups):
        problem["groups"] = list(groups)
    design = sobol_sample.sample(problem, int(n), calc_second_order=False, seed=seed)
    outputs = np.empty(len(design))
    block = max(1, int(n))  # the model sees blocks, so progress can be reported
    for start in range(0, len(design), block):
        outputs[start : start + block] = model(design[start : start + block])
        if progress is not None:
            progress(min(start + block, len(design)), len(design))
    if not np.isfinite(outputs).all():
        raise RasadInputError(
            "The model gave a missing or infinite output for some runs.",
            "مدل برای برخی اجراها خروجی گمشده یا نامتناهی داد.",
            field="target",
        )
    if np.var(outputs) == 0:  # nothing moves the target: no input explains any variance
        zeros = np.zeros(len(names))
        return pd.DataFrame(
            {"input": names, **{c: zeros for c in COLUMNS[1:]}}, columns=list(COLUMNS)
        )
    indices = sobol_analyze.analyze(
        problem,
        outputs,
        calc_second_order=False,
        num_resamples=int(bootstrap),
        keep_resamples=True,
        seed=seed,
    )
    s1_low, s1_high = np.nanquantile(indices["S1_conf_all"], [0.05, 0.95], axis=0)
    st_low, st_high = np.nanquantile(indices["ST_conf_all"], [0.05, 0.95], axis=0)
    return pd.DataFrame(
        {
            "input": names,
            "Si": indices["S1"],
            "STi": indices["ST"],
            "Si_q05": s1_low,
            "Si_q95": s1_high,
            "STi_q05": st_low,
            "STi_q95": st_high,
        },
        columns=list(COLUMNS),
    )


# --- the index's inputs ----------------------------------------------------------------------


def _variables(
    methodology: Methodology, spec: UncertaintySpec
) -> tuple[list[str], list[str | None]]:
    """Each design column's input (``weights.<level>`` for every weight of that level,
    else a choice's name) and, for a weight, the code it moves: the uniform levels'
    codes in tree order, then each Dirichlet level's siblings."""
    levels = methodology.levels
    order = [i.code for i in methodology.indicators] + [n.code for n in methodology.nodes]
    groups: list[str] = []
    codes: list[str | None] = []
    for noise in spec.weights:
        if noise.distribution == "uniform":
            level_codes = [code for code in order if levels[code] == noise.level]
        else:
            level_codes = [
                code for siblings in sibling_groups(methodology, noise.level) for code in siblings
            ]
        groups.extend([f"weights.{noise.level}"] * len(level_codes))
        codes.extend(level_codes)
    for name in spec.inputs()[len(spec.weights) :]:
        groups.append(name)
        codes.append(None)
    return groups, codes


def _choices(u: np.ndarray, m: int) -> np.ndarray:
    return np.minimum(np.floor(u * m).astype(np.int64), m - 1)


def design_plan(methodology: Methodology, spec: UncertaintySpec, design: np.ndarray) -> Plan:
    """The runs that rows of unit-uniform design values stand for (see the module's
    docstring for the mapping)."""
    groups, codes = _variables(methodology, spec)
    runs = len(design)
    column = {name: k for k, name in enumerate(groups) if codes[k] is None}
    weight_of = {i.code: i.weight for i in methodology.indicators} | {
        n.code: n.weight for n in methodology.nodes
    }
    factors = np.ones((runs, sum(c is not None for c in codes)))
    weight_codes: list[str] = []
    k = 0
    for noise in spec.weights:
        if noise.distribution == "uniform":
            width = sum(
                1
                for g, c in zip(groups, codes, strict=True)
                if c is not None and g == f"weights.{noise.level}"
            )
            factors[:, k : k + width] = (
                1.0 - noise.factor + 2.0 * noise.factor * design[:, k : k + width]
            )
            weight_codes.extend(c for c in codes[k : k + width] if c is not None)
            k += width
            continue
        for siblings in sibling_groups(methodology, noise.level):
            nominal = np.array([weight_of[c] for c in siblings])
            share = nominal / nominal.sum()
            # Dirichlet shares are independent gammas over their sum; each gamma is the
            # inverse CDF of its design value (kept off 0 and 1, where it is 0 or ∞)
            u = np.clip(design[:, k : k + len(siblings)], 1e-12, 1 - 1e-12)
            draws = gammaincinv(noise.factor * share, u)
            factors[:, k : k + len(siblings)] = draws / draws.sum(axis=1, keepdims=True) / share
            weight_codes.extend(siblings)
            k += len(siblings)

    def choice(name: str, m: int) -> np.ndarray | None:
        if m == 0:
            return None
        return (
            _choices(design[:, column[name]], m)
            if name in column
            else np.zeros(runs, dtype=np.int64)
        )

    drop_codes = spec.drop_codes(methodology)
    winmax = None
    if spec.winmax is not None:
        low, high = spec.winmax
        chosen = choice("winmax", high - low + 1)  # one alternative at least: never None
        winmax = None if chosen is None else low + chosen
    drop = choice("drop", len(drop_codes) + 1) if drop_codes else None
    return Plan(
        spec=spec,
        runs=runs,
        weight_codes=tuple(weight_codes),
        weight_factors=factors if weight_codes else None,
        winmax=winmax,
        normalise=choice("normalise", len(spec.normalise)),
        aggregate=choice("aggregate", len(spec.aggregate)),
        impute=choice("impute", len(spec.impute)),
        drop=None if drop is None else drop - 1,
        drop_codes=drop_codes,
    )


def sensitivity(
    methodology: Methodology,
    data: pd.DataFrame,
    spec: UncertaintySpec,
    n: int,
    seed=None,
    target: str | tuple[str, Any] = MEAN_ABS_RANK_SHIFT,
    bootstrap: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Sobol indices of the spec's inputs (:func:`sobol_inputs`) on ``target``:
    ``"mean_abs_rank_shift"`` (the mean over units of |replicate rank − nominal rank|,
    units a replicate leaves unranked skipped) or ``("unit", unit_id)`` (that unit's
    rank). ``n·(d + 2)`` builds; ``progress(done, total)`` is called after each block
    of ``n`` runs. Columns: ``input``, ``Si``, ``STi``, ``Si_q05``, ``Si_q95``,
    ``STi_q05``, ``STi_q95``. A spec with fewer than two inputs is refused."""
    _check_count("n", n, minimum=2)
    _check_count("bootstrap", bootstrap, minimum=2)
    spec.check(methodology)
    _check_two_inputs(sobol_inputs(spec))
    replicates = Replicates(methodology, data, spec)
    nominal, units = replicates.nominal_rank, replicates.units
    position = None
    if target != MEAN_ABS_RANK_SHIFT:
        if not (isinstance(target, tuple) and len(target) == 2 and target[0] == "unit"):
            raise RasadInputError(
                f"target must be '{MEAN_ABS_RANK_SHIFT}' or ('unit', id), not {target!r}.",
                f"هدف باید «{MEAN_ABS_RANK_SHIFT}» یا (unit، شناسه) باشد، نه «{target}».",
                field="target",
                value=target,
            )
        unit = target[1]
        if unit not in units or pd.isna(nominal.loc[unit]):
            raise RasadInputError(
                f"target: unit '{unit}' is not ranked in the nominal index.",
                f"هدف: واحد «{unit}» در شاخص اسمی رتبه ندارد.",
                field="target",
                value=unit,
            )
        position = units.get_loc(unit)
    group_of = spec.group_of()
    groups = [group_of[name] for name in _variables(methodology, spec)[0]]
    nominal_ranks = nominal.to_numpy(dtype=float)

    def model(design: np.ndarray) -> np.ndarray:
        outputs = np.empty(len(design))
        for block in replicates.blocks(design_plan(methodology, spec, design)):
            ranks = block.ranks.astype(np.float64)
            ranks[block.ranks == 0] = np.nan
            if position is not None:
                outputs[block.runs] = ranks[:, position]
                continue
            shift = np.abs(ranks - nominal_ranks)
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter(
                    "ignore", RuntimeWarning
                )  # a run that ranked nobody: NaN, refused below
                outputs[block.runs] = np.nanmean(shift, axis=1)
        return outputs

    return sobol(groups, model, n, seed=seed, bootstrap=bootstrap, progress=progress)


def _check_two_inputs(names: list[str]) -> None:
    """A sensitivity analysis compares inputs: with one, there is nothing to compare."""
    if len(names) < 2:
        shown = ", ".join(names) or "none"
        raise RasadInputError(
            "A sensitivity analysis needs two uncertain inputs or more, and this one has "
            f"{len(names)} ({shown}): "
            "give more choices or fewer groups, or run an uncertainty analysis.",
            f"تحلیل حساسیت دست‌کم دو ورودی نامطمئن لازم دارد و این یکی {len(names)} ورودی دارد "
            f"({shown})؛ "
            "گزینه‌های بیشتر یا گروه‌های کمتری بدهید، یا تحلیل عدم قطعیت را اجرا کنید.",
            field="spec",
            value=len(names),
        )


def _check_count(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise RasadInputError(
            f"{name} must be a whole number ≥ {minimum}, not {value!r}.",
            f"{name} باید عدد صحیح ≥ {minimum} باشد، نه «{value}».",
            field=name,
            value=value,
        )
