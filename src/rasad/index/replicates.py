"""Many builds of one methodology that differ only in the uncertain choices.

A replicate of an uncertainty or sensitivity analysis is a build with other weights,
another normalisation, aggregation, imputation or ``winmax``, or an indicator left out.
Building each from scratch repeats most of the work: every run imputes, treats and
normalises again although the runs share only a few normalised matrices, one per
combination of imputation, ``winmax`` and normalisation (ten in COINr's ASEM vignette),
and weights enter only the aggregation. For the handbook's means that is a weighted sum
after a transform (x, log x, 1/x or x^p), so :class:`Replicates` groups the runs by
those discrete choices, normalises once per group, and aggregates a block of runs at
a time: the indicators' weighted sums and the levels above are elementwise on units ×
runs arrays, and each run's ranks one integer sort (:func:`~rasad.index.rank.rank_min`,
the engine's own). Nothing sums across runs (not even a BLAS matrix product, whose order
of sums depends on the block's shape), so a run's scores are the same bits whichever
runs share its block: an analysis split into chunks gives what one run gives.

The arithmetic is the engine's: missing children renormalise the weights over those a
unit has, ``min_coverage`` counts children, a value a mean refuses excludes the unit
or stops the analysis as the methodology says, and a left-out indicator is gone from
its parent (its coverage counts one child fewer). Only the order of the floating-point
sums differs, so scores agree to about 1e-15 and ranks exactly, except between units
whose scores differ by less than that. Runs aggregated by Borda, Copeland or TOPSIS,
or with PCA weights at some node, are not weighted sums: they take the engine's own
aggregation of their group's normalised matrix, one run at a time.

Leaving an indicator out changes the aggregation only. The units a replicate ranks are
those its other choices give with every indicator (imputation can change who passes
screening; an indicator left out cannot), because a robustness analysis compares one
population under other constructions: a firm does not become eligible for the Top-100
because an analyst tried the index without one of the questions it did not answer.

Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from rasad.errors import RasadInputError
from rasad.index._stats import map_columns
from rasad.index.choices import (
    MEANS,
    POSITIVE_MEANS,
    Draw,
    Plan,
    UncertaintySpec,
    replicate_methodology,
)
from rasad.index.methodology import AggregateSpec, Methodology, Node, NormaliseSpec
from rasad.index.pipeline import (
    Treated,
    aggregate_tree,
    build,
    build_prepared,
    index_scores_and_ranks,
    normalised_from,
    prepare,
    rescale_groups,
    treated,
)

# Working memory of one block of runs: its scores and ranks, units × runs each.
BLOCK_BYTES = 256 * 2**20
# The units × runs arrays of the tree of one slice of units: each about half of a
# core's L2 cache here, so that a node's children are still in cache for its parent.
CHUNK_BYTES = 512 * 2**10
# Normalised matrices the up-front checks made, kept for the replicates while they fit
# in this much memory (every one of COINr's ASEM vignette, 20 kB each).
KEPT_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Block:
    """Some runs of a plan: ``runs`` their row numbers in the plan, ``ranks`` (runs ×
    units, int32, 0 = left unranked) and ``scores`` (runs × units, NaN = unscored), the
    units in the order of :attr:`Replicates.units`."""

    runs: np.ndarray
    ranks: np.ndarray
    scores: np.ndarray


class Replicates:
    """The replicates of ``spec`` on one methodology and data set.

    Creating it checks everything that could stop a replicate (the spec against the
    methodology, and every mean alternative against the values it would meet) and builds
    the nominal index, so a bad choice is refused before any replicate runs."""

    def __init__(self, methodology: Methodology, data: pd.DataFrame, spec: UncertaintySpec):
        spec.check(methodology)
        self._prepared = prepare(methodology, data)
        nominal = build_prepared(
            methodology,
            data,
            replace(
                self._prepared,
                values=np.array(self._prepared.values, order="F", copy=True),
                exclusions=list(self._prepared.exclusions),
            ),
            keep="final",
        )
        self.methodology, self.data, self.spec = methodology, data, spec
        self.nominal_rank: pd.Series = nominal.rank
        self.nominal_score: pd.Series = nominal.score
        self.units: pd.Index = nominal.rank.index
        self._treated: dict[tuple[str, int | None], Treated] = {}
        self._normalised: dict[tuple[str, int | None, str], tuple[np.ndarray, np.ndarray]] = {}
        _check_positive_means(methodology, data, self, spec)
        self._rescale_groups = rescale_groups(methodology, self._prepared)

    def normalised(self, draw: Draw, *, keep: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The unit ids and normalised matrix of the draw's normalisation, imputation and
        ``winmax``. Imputing and treating do not depend on the normalisation, so a treated
        matrix is reused by the draws that share it: every one is kept while
        :data:`KEPT_BYTES` allows, else the last (the stages come grouped so). With
        ``keep`` the result is kept too, within the same allowance, for the next draw
        that asks for it (the checks ask first, the stages then take it)."""
        key = (_key(draw.impute), draw.winmax, _key(draw.normalise))
        if key in self._normalised:
            return self._normalised.pop(key)
        variant = replicate_methodology(
            self.methodology, Draw(normalise=draw.normalise, winmax=draw.winmax, impute=draw.impute)
        )
        done = self._treated.get(key[:2])
        if done is None:
            done = treated(variant, self._prepared)
            if self._kept_bytes() + done.values.nbytes > KEPT_BYTES:
                self._treated.clear()
            self._treated[key[:2]] = done
        result = normalised_from(variant, done)
        if keep and self._kept_bytes() + result[1].nbytes <= KEPT_BYTES:
            self._normalised[key] = result
        return result

    def _kept_bytes(self) -> int:
        return sum(done.values.nbytes for done in self._treated.values()) + sum(
            values.nbytes for _, values in self._normalised.values()
        )

    def order(self, plan: Plan) -> np.ndarray:
        """The order of the plan's runs in which :meth:`blocks` takes them: grouped by
        the choices that share a normalised matrix, then by aggregation. Running a plan
        reordered so (``plan.rows(order)``) gives blocks of consecutive runs, which a
        caller stores as slices instead of scattered rows."""
        return np.lexsort(self._stage_keys(plan)[::-1])

    def _stage_keys(self, plan: Plan) -> list[np.ndarray]:
        return [
            np.full(plan.runs, -1) if choice is None else choice
            for choice in (plan.impute, plan.winmax, plan.normalise, plan.aggregate)
        ]

    def blocks(self, plan: Plan, *, block_bytes: int = BLOCK_BYTES) -> Iterator[Block]:
        """The plan's runs, a block at a time, in the order of :meth:`order` (each block
        says which runs it holds). Memory: one normalised matrix and a block of
        ``block_bytes`` at a time, whatever the number of runs."""
        order = self.order(plan)
        keys = np.column_stack(self._stage_keys(plan))[order]
        new_stage = np.ones(plan.runs, dtype=bool)
        new_stage[1:] = (keys[1:, :3] != keys[:-1, :3]).any(axis=1)
        new_group = new_stage.copy()
        new_group[1:] |= keys[1:, 3] != keys[:-1, 3]
        starts = np.flatnonzero(new_group).tolist() + [plan.runs]
        stage: _Stage | None = None
        for start, stop in zip(starts[:-1], starts[1:], strict=True):
            first = order[start]
            if new_stage[start]:
                stage = None  # free the last one before making the next
                stage = self._stage(plan.draw(first))
            assert stage is not None  # the first run starts a stage
            tree = (
                self.methodology
                if plan.aggregate is None
                else replicate_methodology(
                    self.methodology, Draw(aggregate=self.spec.aggregate[plan.aggregate[first]])
                )
            )
            if not _weighted_sums(tree):
                for begin in range(start, stop):
                    yield self._aggregate_one(stage, plan, order[begin])
                continue
            size = max(
                1, block_bytes // (8 * stage.values.shape[0] * 3)
            )  # scores, ranks, their copy
            for begin in range(start, stop, size):
                runs = order[begin : min(begin + size, stop)]
                yield self._aggregate(stage, tree, plan.rows(runs), runs)

    def _stage(self, draw: Draw) -> _Stage:
        """The normalised matrix of one combination of the discrete choices that come
        before aggregation."""
        unit_ids, values = self.normalised(draw)
        positions = self.units.get_indexer(unit_ids)
        identity = len(positions) == len(self.units) and bool(
            (positions == np.arange(len(positions))).all()
        )
        codes = self.methodology.indicator_codes
        groups = self._rescale_groups
        if groups and len(unit_ids) < len(self._prepared.unit_ids):  # screening left some out
            kept = pd.Index(self._prepared.unit_ids).get_indexer(unit_ids)
            groups = {g: group_codes[kept] for g, group_codes in groups.items()}
        return _Stage(
            values, {code: j for j, code in enumerate(codes)}, unit_ids, positions, identity, groups
        )

    def _index_ranks(self, stage: _Stage, root: np.ndarray) -> np.ndarray:
        """Each run's ranks (units × runs) from its aggregated index ``root``, which
        becomes the index's scores (rescaled where the methodology rescales), as in
        :func:`build`."""
        ranks = np.empty(root.shape, order="F")

        def score_and_rank(j, _):
            root[:, j] = index_scores_and_ranks(
                self.methodology, root[:, j], stage.groups, out=ranks[:, j]
            )[0]

        map_columns(score_and_rank, root.shape[1], root.shape[0])
        return ranks

    def _block(
        self, stage: _Stage, runs: np.ndarray, unit_ranks: np.ndarray, root: np.ndarray
    ) -> Block:
        """A block from the stage's units × runs ranks (NaN: unranked) and scores."""
        np.nan_to_num(unit_ranks, copy=False, nan=0.0)
        if stage.identity:
            return Block(runs, unit_ranks.astype(np.int32).T, root.T)
        b = len(runs)
        ranks = np.zeros((b, len(self.units)), dtype=np.int32)
        scores = np.full((b, len(self.units)), np.nan)
        kept = stage.positions >= 0  # units the nominal build screened out are not reported
        ranks[:, stage.positions[kept]] = unit_ranks[kept].T
        scores[:, stage.positions[kept]] = root[kept].T
        return Block(runs, ranks, scores)

    def _aggregate(self, stage: _Stage, tree: Methodology, plan: Plan, runs: np.ndarray) -> Block:
        """Score the block's runs on every node of ``tree``, bottom up, and rank them."""
        b = plan.runs
        nominal = _nominal_weights(self.methodology)
        weights = {code: np.full(b, w) for code, w in nominal.items()}
        if plan.weight_factors is not None:
            for k, code in enumerate(plan.weight_codes):
                weights[code] = weights[code] * plan.weight_factors[:, k]
        active = {code: np.ones(b, dtype=bool) for code in self.methodology.indicator_codes}
        if plan.drop is not None:
            for k, code in enumerate(plan.drop_codes):
                active[code] = plan.drop != k
        nodes = tree.nodes_bottom_up
        specs = [tree.aggregate_for(node) for node in nodes]
        n = stage.values.shape[0]
        root = np.empty((n, b), order="F")
        rows = max(16, CHUNK_BYTES // (8 * b))

        def score_rows(k: int, _) -> None:
            """The whole tree for a slice of units: its arrays stay in the core's cache."""
            chunk = slice(k * rows, min(n, (k + 1) * rows))
            scores: dict[str, np.ndarray] = {}
            for node, spec in zip(nodes, specs, strict=True):
                scores[node.code] = _node_scores(node, spec, stage, chunk, scores, weights, active)
            root[chunk] = scores[tree.root.code]

        for node, spec in zip(
            nodes, specs, strict=True
        ):  # transform each stage's children once, up front
            indicators = [c for c in node.children if c in stage.column]
            if indicators:
                stage.children(node, _Mean.of(spec), indicators)
        map_columns(score_rows, -(-n // rows), n)
        return self._block(stage, runs, self._index_ranks(stage, root), root)

    def _aggregate_one(self, stage: _Stage, plan: Plan, run: int) -> Block:
        """One run whose aggregation is not a weighted sum (Borda, Copeland, TOPSIS, PCA
        weights): the engine's own aggregation of the stage's matrix."""
        draw = plan.draw(run)
        variant = replicate_methodology(
            self.methodology,
            Draw(weight_factors=draw.weight_factors, aggregate=draw.aggregate, drop=draw.drop),
        )
        X = stage.values
        if draw.drop is not None:
            X = np.asfortranarray(X[:, [stage.column[c] for c in variant.indicator_codes]])
        scores, _ = aggregate_tree(variant, X, stage.unit_ids, [])
        root = np.asfortranarray(
            scores[:, [[n.code for n in variant.nodes_bottom_up].index(variant.root.code)]]
        )
        return self._block(stage, np.array([run]), self._index_ranks(stage, root), root)


@dataclass
class _Stage:
    """A normalised matrix (units × indicators), where its indicators are, where its
    units are among the nominal ones (−1: not among them), and its transforms."""

    values: np.ndarray
    column: dict[str, int]
    unit_ids: np.ndarray
    positions: np.ndarray
    identity: bool  # the nominal units, in their order
    groups: dict[str, np.ndarray]  # the group codes the index is rescaled within, if it is
    _transformed: dict = field(default_factory=dict)

    def children(self, node: Node, mean: _Mean, codes: list[str]) -> _Transformed:
        """The node's indicator children transformed for ``mean``: computed once per
        stage, node and mean, then shared by every block."""
        key = (node.code, mean.method, mean.p)
        if key not in self._transformed:
            X = self.values[:, [self.column[c] for c in codes]]
            missing = np.isnan(X)
            refused = mean.refused(X) & ~missing
            unused = missing | refused
            transformed = mean.forward(np.where(unused, 1.0, X))
            transformed[unused] = 0.0
            self._transformed[key] = _Transformed(
                transformed,
                None if not unused.any() else (~unused).astype(np.float64),
                None if not missing.any() else (~missing).astype(np.float64),
                None if not refused.any() else refused.astype(np.float64),
            )
        return self._transformed[key]


@dataclass(frozen=True)
class _Transformed:
    values: np.ndarray  # g(x), 0 where unused
    used: np.ndarray | None  # 1 where the value counts (None: everywhere)
    present: np.ndarray | None  # 1 where the value is not missing (None: everywhere)
    refused: np.ndarray | None  # 1 where the mean cannot take the value (None: nowhere)


@dataclass(frozen=True)
class _Mean:
    """A quasi-arithmetic mean g⁻¹(Σ w·g(x) / Σ w), as the engine's ``aggregate`` has it."""

    method: str
    p: float | None

    @classmethod
    def of(cls, spec: AggregateSpec) -> _Mean:
        method, p = spec.method, spec.p
        if method == "generalised" and p is not None:
            method = {1.0: "arithmetic", 0.0: "geometric", -1.0: "harmonic"}.get(p, method)
        return cls(method, p if method == "generalised" else None)

    def forward(self, x, out=None):
        """g(x), into ``out`` if given (which may be ``x``)."""
        if self.method == "arithmetic":
            if out is None:
                return np.array(x, dtype=np.float64, copy=True)
            if out is not x:
                out[...] = x
            return out
        if self.method == "geometric":
            return np.log(x, out=out)
        if self.method == "harmonic":
            return np.reciprocal(x, out=out)
        return np.power(x, self.p, out=out)

    def backward(self, m):
        """g⁻¹(m), in place."""
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if self.method == "geometric":
                np.exp(m, out=m)
            elif self.method == "harmonic":
                np.reciprocal(m, out=m)
            elif self.method == "generalised":
                np.power(m, 1.0 / self.p, out=m)
            return m

    def refused(self, x) -> np.ndarray:
        """Values this mean cannot take: ≤ 0 for log and 1/x, and for x^p below 0 (or
        at 0 too when p < 0); NaN is never refused, it is missing."""
        if self.method == "arithmetic":
            return np.zeros(np.shape(x), dtype=bool)
        with np.errstate(invalid="ignore"):
            if self.method == "generalised" and self.p is not None and self.p > 0:
                return np.less(x, 0.0)
            return np.less_equal(x, 0.0)


def _node_scores(
    node: Node,
    spec: AggregateSpec,
    stage: _Stage,
    rows: slice,
    scores: dict[str, np.ndarray],
    weights: dict[str, np.ndarray],
    active: dict[str, np.ndarray],
) -> np.ndarray:
    """One node's scores for the units ``rows`` of a block (units × runs): its
    indicator children a weighted sum over the block (:func:`_weighted_sum`),
    its aggregate children elementwise, consumed here (a node has one parent).

    The weight and coverage sums stay one number per run while every unit has every
    child, which after imputation is the usual case; they become units × runs arrays
    only when some unit lacks a child or has a value the mean refuses."""
    mean = _Mean.of(spec)
    b = len(next(iter(weights.values())))
    indicators = [c for c in node.children if c in stage.column]
    total = None
    weight: np.ndarray = np.zeros(b)
    count: np.ndarray = np.zeros(b)
    refused_any = None
    children = np.full(b, float(len(node.children) - len(indicators)))
    if indicators:
        t = stage.children(node, mean, indicators)
        on = np.stack([active[c] for c in indicators]).astype(np.float64)  # children × runs
        w = np.stack([weights[c] for c in indicators]) * on
        total = _weighted_sum(t.values[rows], w)
        weight = w.sum(axis=0) if t.used is None else _weighted_sum(t.used[rows], w)
        count = on.sum(axis=0) if t.present is None else t.present[rows] @ on
        if t.refused is not None:
            refused_any = (t.refused[rows] @ on) > 0
        children = children + on.sum(axis=0)
    for code in node.children:
        if code in stage.column:
            continue
        x = scores.pop(code)
        w = weights[code]
        low = x.min()  # NaN if a unit lacks this child
        if not np.isnan(low) and not mean.refused(low):
            g = mean.forward(x, out=x)
            g *= w
            weight = weight + w
            count = count + 1.0
        else:
            missing = np.isnan(x)
            refused = mean.refused(x) & ~missing
            unused = missing | refused
            g = mean.forward(np.where(unused, 1.0, x), out=x)
            g[unused] = 0.0
            g *= w
            weight = weight + np.where(unused, 0.0, w)
            count = count + ~missing
            refused_any = refused if refused_any is None else refused_any | refused
        if total is None:
            total = g
        else:
            total += g
    if refused_any is not None and spec.nonpositive == "error" and refused_any.any():
        raise RasadInputError(
            f"{node.code}: a replicate's {mean.method} mean met a value it cannot take.",
            f"{node.code}: میانگین {mean.method} در یکی از تکرارها به مقداری رسید که نمی‌پذیرد.",
            field=node.code,
        )
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        total /= weight
        values = mean.backward(total)
        out = (count == 0) | (count / children < spec.min_coverage) | (weight <= 0)
    if refused_any is not None:
        out = out | refused_any
    if out.ndim == 1:
        values[:, out] = np.nan
    elif out.any():
        values[out] = np.nan
    return values


def _weighted_sum(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``values @ w`` (units × children by children × runs), child by child in a fixed
    order: each run's sums are then the same bits whichever runs share its block. A BLAS
    matrix product is not: its kernels, and so the order of its sums, depend on the
    shape, and an uncertainty analysis split into chunks (several workers) must give
    exactly what one run gives."""
    total = values[:, :1] * w[:1]
    term = np.empty_like(total)
    for k in range(1, values.shape[1]):
        np.multiply(values[:, k : k + 1], w[k : k + 1], out=term)
        total += term
    return total


def _nominal_weights(methodology: Methodology) -> dict[str, float]:
    """Every item's weight in its parent: 1 under a node weighted equally, else its
    own (PCA-weighted nodes never reach the weighted sums)."""
    weight_of = {i.code: i.weight for i in methodology.indicators} | {
        n.code: n.weight for n in methodology.nodes
    }
    for node in methodology.nodes:
        if methodology.weights_for(node) == "equal":
            weight_of.update(dict.fromkeys(node.children, 1.0))
    return weight_of


def _weighted_sums(tree: Methodology) -> bool:
    """Whether every node of ``tree`` takes a quasi-arithmetic mean with fixed weights,
    the case aggregated a block of runs at a time."""
    return all(
        tree.weights_for(node) != "pca" and tree.aggregate_for(node).method in MEANS
        for node in tree.nodes
    )


def _lowest_score(normalise: NormaliseSpec) -> float | None:
    """The least score ``normalise`` gives whatever the data, when its method bounds it
    (None otherwise): min-max the low end of its range, exactly, since a value minus
    the least of its reference is never below 0 in floating point either; ranks 1;
    percentile ranks 0. Missing values stay NaN, which no mean refuses."""
    if normalise.method == "minmax" and normalise.range[1] >= normalise.range[0]:
        return float(normalise.range[0])
    return {"rank": 1.0, "percentile_rank": 0.0}.get(normalise.method)


def _key(choice) -> str:
    """A spec alternative (its fields, or None) as a dictionary key, whatever its values."""
    return repr(choice)


def _check_positive_means(
    methodology: Methodology, data: pd.DataFrame, replicates: Replicates, spec: UncertaintySpec
) -> None:
    """A mean alternative that would meet a value it cannot take (≤ 0 for a geometric
    or harmonic mean) is refused now, not in replicate 37. Weights do not change the
    sign of a weighted mean of positive values, nor does leaving an indicator out, so
    it is enough to look at the normalised matrix of every combination of the
    normalisation, imputation and winmax alternatives; where one holds such a value,
    the build of that combination names the unit and indicator (or passes, when the
    nodes exclude such units). A normalisation whose least score the means all take
    (:func:`_lowest_score`) needs no look at all: the bundled SME-100 spec's 84
    combinations were otherwise normalised twice, here and for the replicates."""
    candidates = [
        c for c in spec.aggregate if c.method in POSITIVE_MEANS or c.method == "generalised"
    ]
    if not candidates:
        return
    normalisations = spec.normalise or (None,)
    imputations = spec.impute or (None,)
    winmaxes = range(spec.winmax[0], spec.winmax[1] + 1) if spec.winmax else (None,)
    for k, normalise in enumerate(normalisations):
        lowest = _lowest_score(
            methodology.normalise
            if normalise is None
            else replace(methodology.normalise, **dict(normalise))
        )
        means = [
            c
            for c in candidates
            if lowest is None
            or _Mean.of(AggregateSpec(method=c.method, p=c.p)).refused(np.array([lowest])).any()
        ]
        if not means:
            continue  # no imputation or winmax can give a value these means refuse
        for i, impute in enumerate(imputations):
            for winmax in winmaxes:
                stage = Draw(normalise=normalise, winmax=winmax, impute=impute)
                _, values = replicates.normalised(stage, keep=True)
                for choice in means:
                    if (
                        not _Mean.of(AggregateSpec(method=choice.method, p=choice.p))
                        .refused(values)
                        .any()
                    ):
                        continue
                    trial = replicate_methodology(methodology, replace(stage, aggregate=choice))
                    try:
                        build(trial, data, keep="final")
                    except RasadInputError as error:
                        parts = (
                            ([] if normalise is None else [f"normalise[{k}]"])
                            + ([] if impute is None else [f"impute[{i}]"])
                            + ([] if winmax is None else [f"winmax {winmax}"])
                        )
                        where = f" with {' and '.join(parts)}" if parts else ""
                        raise RasadInputError(
                            f"aggregate: the {choice.method} mean alternative{where} fails: "
                            f"{error.message_en}",
                            f"aggregate: گزینهٔ میانگین {choice.method}{where} شکست می‌خورد: "
                            f"{error.message_fa}",
                            field="aggregate",
                            value=choice.method,
                        ) from error
