"""What a build produced, kept whole: every data set, scores and ranks of every node,
effective weights, the treatment log, who was excluded and why, and the hashes that
make the result reproducible."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rasad.export import write_csv
from rasad.index.methodology import Indicator, Methodology, Node
from rasad.index.rank import rank_min

if TYPE_CHECKING:
    from rasad.workbook import Column, Sheet


@dataclass
class Results:
    methodology: Methodology
    datasets: dict[str, pd.DataFrame]
    scores: pd.DataFrame  # units × aggregate nodes, bottom-up, the index last
    ranks: pd.DataFrame  # the same shape: 1 = best, ties share the minimum rank
    groups: pd.DataFrame  # each unit's group columns
    group_codes: dict[str, np.ndarray]  # the same as integer codes (-1: no group)
    exclusions: pd.DataFrame  # units left out or unscored, with the step and the reason
    warnings: pd.DataFrame  # cells left missing for a documented reason (e.g. a constant sector)
    source_data: pd.DataFrame | None = field(default=None, repr=False)
    # the index before the methodology's rescale step (None when it has none)
    composite: pd.Series | None = None
    # per indicator, the positions of the units that had no value for it before imputation
    missing_rows: list[np.ndarray] | None = field(default=None, repr=False)
    # what the treatment and the weighting did, laid out as :attr:`treatment`,
    # :attr:`treated_points` and :attr:`effective_weights` when first asked for (a build
    # that only ranks never is): a TreatDetail per treated indicator, the winsorised
    # points as (indicator, rows at the low end, rows at the high end), and each node's
    # children's weights as used
    treatment_details: list = field(default_factory=list, repr=False)
    winsorised: list = field(default_factory=list, repr=False)
    weights_used: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _provenance: dict[str, str] = field(default_factory=dict, repr=False)
    _group_ranks: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def provenance(self) -> dict[str, str]:
        """Methodology hash, data hash and Rasad version: what makes the result reproducible.
        The data hash reads every input cell, so it is computed when first asked for."""
        if not self._provenance:
            from rasad import __version__
            from rasad.index.pipeline import data_hash

            self._provenance = {
                "methodology_sha256": self.methodology.sha256,
                "data_sha256": data_hash(self.methodology, self.source_data)
                if self.source_data is not None
                else "",
                "rasad_version": __version__,
            }
        return self._provenance

    @cached_property
    def effective_weights(self) -> pd.Series:
        """Each item's share of the index given the weights actually used."""
        return _effective_weights(self.methodology, self.weights_used)

    @cached_property
    def treatment(self) -> pd.DataFrame:
        """The outlier treatment per indicator: statistics before and after, points
        winsorised, whether the log was taken."""
        return _treatment_log(self.methodology.indicator_codes, self.treatment_details)

    @cached_property
    def treated_points(self) -> pd.DataFrame:
        """One row per winsorised point (unit, indicator, which end)."""
        return _treated_points(self.scores.index, self.methodology.indicator_codes, self.winsorised)

    @property
    def index_code(self) -> str:
        return self.methodology.root.code

    @property
    def score(self) -> pd.Series:
        return self.scores[self.index_code]

    @property
    def rank(self) -> pd.Series:
        return self.ranks[self.index_code]

    @cached_property
    def coverage(self) -> pd.DataFrame:
        """Per unit: ``coverage``, the share of the methodology's indicators it reported
        (before imputation); ``reported``, how many; ``missing``, the codes of the others,
        comma-separated. A rank is read with what stands behind it: a unit scored on
        12 of 18 figures is not ranked on the same footing as one scored on all 18.
        Made once, when first asked for (the table, the edition's rows and the audit all
        read it; a million-unit build that never does pays nothing)."""
        codes = self.methodology.indicator_codes
        index = self.scores.index
        if self.missing_rows is None:
            return pd.DataFrame({"coverage": np.nan, "reported": pd.NA, "missing": ""}, index=index)
        gaps = np.bincount(
            np.concatenate([np.asarray(rows, dtype=np.intp) for rows in self.missing_rows]),
            minlength=len(index),
        )
        count = len(codes) - gaps
        missing = pd.Series("", index=index, dtype=object)
        incomplete = np.flatnonzero(gaps)
        if incomplete.size:
            absent = np.zeros(
                (incomplete.size, len(codes)), dtype=bool
            )  # only the units with a gap
            where = np.full(len(index), -1)
            where[incomplete] = np.arange(incomplete.size)
            for j, rows in enumerate(self.missing_rows):
                absent[where[rows], j] = True
            names = np.array(codes, dtype=object)
            missing.iloc[incomplete] = [",".join(names[row]) for row in absent]
        return pd.DataFrame(
            {"coverage": count / len(codes), "reported": count, "missing": missing}, index=index
        )

    def table(self) -> pd.DataFrame:
        """One row per unit, best first: unit id, ``score``, ``rank``, the unit's data
        ``coverage`` and the indicators it left ``missing``, the ``composite`` behind a
        rescaled index (when the methodology rescales), then every aggregate's score (the
        stable shape of ``rasad index build``'s CSV)."""
        levels = self.methodology.levels
        nodes = sorted(
            (c for c in self.scores.columns if c != self.index_code), key=lambda c: -levels[c]
        )
        table = pd.DataFrame({"score": self.score, "rank": self.rank.astype("Int64")})
        coverage = self.coverage
        table["coverage"] = coverage["coverage"]
        table["missing"] = coverage["missing"]
        if self.composite is not None:
            table["composite"] = self.composite
        table = pd.concat([table, self.scores[nodes]], axis=1)
        table = table.sort_values(
            ["rank", "score"], ascending=[True, False], na_position="last", kind="stable"
        )
        return table.reset_index()

    def ranks_within(self, group: str) -> pd.DataFrame:
        """Every node's rank within ``group`` (a column of the methodology's ``groups``);
        computed on first use, since a million-unit build rarely needs all of them."""
        if group not in self._group_ranks:
            codes = self.group_codes[group]
            self._group_ranks[group] = pd.DataFrame(
                {
                    node: rank_min(self.scores[node].to_numpy(), groups=codes)
                    for node in self.scores.columns
                },
                index=self.scores.index,
            )
        return self._group_ranks[group]

    @property
    def group_ranks(self) -> dict[str, pd.DataFrame]:
        return {group: self.ranks_within(group) for group in self.group_codes}

    def _sheets(self) -> dict[str, pd.DataFrame]:
        sheets = {"results": self.table()}
        for name, frame in self.datasets.items():
            sheets[f"dset_{name}"] = frame.reset_index()
        sheets["ranks"] = self.ranks.reset_index()
        for group, frame in self.group_ranks.items():
            sheets[f"ranks_by_{group}"] = frame.reset_index()
        sheets["effective_weights"] = self.effective_weights.rename_axis("code").reset_index()
        sheets["treatment"] = self.treatment
        sheets["treated_points"] = self.treated_points
        sheets["exclusions"] = self.exclusions
        sheets["warnings"] = self.warnings
        sheets["provenance"] = pd.DataFrame(
            sorted(self.provenance.items()), columns=["key", "value"]
        )
        return sheets

    def to_csv(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name, frame in self._sheets().items():
            write_csv(frame, directory / f"{name}.csv", index=False)

    def to_parquet(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name, frame in self._sheets().items():
            frame.columns = frame.columns.map(str)
            frame.to_parquet(directory / f"{name}.parquet", index=False)

    def to_excel(self, path: str | Path, *, language: str = "fa") -> None:
        """One workbook for an analyst (:mod:`rasad.workbook`): the results first, each
        unit's name and province beside its id when the data has them, headers in
        ``language`` (the codes in the dictionary sheet), then the data sets, the ranks,
        the weights, the treatment, who was excluded and the warnings, in words, and the
        provenance in the about sheet. Ranks are integers; scores have two decimals, the
        data sets four."""
        from rasad.workbook import About, write_workbook

        provenance = sorted(self.provenance.items())
        about = About(
            (f"نتایج {self.methodology.name.fa}", f"Results of {self.methodology.name.en}"),
            edition=str(self.methodology.version),
            notes=[((key, key), value) for key, value in provenance],
        )
        write_workbook(path, self._workbook(language), language=language, about=about)

    def _labels(self) -> dict[str, tuple[str, str]]:
        labels = {c: (c, c) for c in self.scores.columns}
        items: list[Indicator | Node] = [*self.methodology.indicators, *self.methodology.nodes]
        for item in items:
            labels[item.code] = (item.name.fa or item.name.en, item.name.en or item.code)
        return labels

    def _identity(self) -> pd.DataFrame:
        """The unit's name and province, as the data gives them, by unit id."""
        out = pd.DataFrame(index=self.scores.index)
        data = self.source_data
        if data is None or self.methodology.unit not in data:
            return out
        data = data.drop_duplicates(self.methodology.unit).set_index(self.methodology.unit)
        for column in NAME_COLUMNS:
            if column in data:
                out[column] = data[column].reindex(out.index)
        if "province_code" in data or "province" in data:
            from rasad.iran import provinces

            codes = data["province_code" if "province_code" in data else "province"]
            names = provinces().set_index("code")["name_fa"]
            numeric = pd.to_numeric(codes, errors="coerce")
            out["province_name"] = (
                numeric.map(names).fillna(codes.astype("string")).reindex(out.index)
            )
        return out

    def _workbook(self, language: str) -> list[Sheet]:
        """The sheets of :meth:`to_excel`, in order."""
        from rasad.workbook import frame_sheet

        labels = self._labels()
        units = _UnitColumns.of(self.methodology.unit, self._identity())
        return [
            self._results_sheet(units, labels),
            *self._figure_sheets(units, labels),
            self._weights_sheet(labels, language),
            frame_sheet(("پالایش داده‌های پرت", "Treatment"), self.treatment, digits=4),
            frame_sheet(("نقاط پالایش‌شده", "Treated points"), self.treated_points, digits=4),
            self._exclusions_sheet(units, language),
            self._warnings_sheet(language),
        ]

    def _results_sheet(self, units: _UnitColumns, labels: dict[str, tuple[str, str]]) -> Sheet:
        """:meth:`table` in words: rank, score and coverage, the composite behind a
        rescaled index, then every aggregate's score."""
        from rasad.workbook import Column

        table = self.table()
        nodes = [c for c in table.columns if c in self.scores.columns and c != self.index_code]
        composite = Column(
            "composite", ("شاخص ترکیبی پیش از بازمقیاس", "Composite before rescaling"), "decimal"
        )
        return units.sheet(
            ("نتایج", "Results"),
            [
                Column("rank", ("رتبه", "Rank"), "rank"),
                Column("score", ("امتیاز", "Score"), "decimal"),
                Column(
                    "coverage",
                    ("سهم شاخص‌های گزارش‌شده", "Share of indicators reported"),
                    "percent",
                    0,
                ),
                Column(
                    "missing", ("شاخص‌های گزارش‌نشده", "Indicators not reported"), width=30, wrap=True
                ),
                *([composite] if "composite" in table else []),
                *[Column(c, labels[c], "decimal") for c in nodes],
            ],
            table,
        )

    def _figure_sheets(
        self, units: _UnitColumns, labels: dict[str, tuple[str, str]]
    ) -> list[Sheet]:
        """Every data set (four decimals), the ranks, and the ranks within each group."""
        from rasad.index.words import DATASET_WORDS, GROUP_WORDS

        sheets = []
        for name, frame in self.datasets.items():
            fa, en = DATASET_WORDS.get(name, (name, name))
            sheets.append(
                units.figures((f"داده‌های {fa}", f"Data, {en}"), frame, labels, "decimal", 4)
            )
        sheets.append(units.figures(("رتبه‌ها", "Ranks"), self.ranks, labels, "rank"))
        for group, frame in self.group_ranks.items():
            fa, en = GROUP_WORDS.get(group, (group, group))
            sheets.append(units.figures((f"رتبه در {fa}", f"Ranks by {en}"), frame, labels, "rank"))
        return sheets

    def _weights_sheet(self, labels: dict[str, tuple[str, str]], language: str) -> Sheet:
        """Each item's effective weight, named in ``language`` beside its code."""
        from rasad.workbook import Column, Sheet

        weights = self.effective_weights.rename_axis("code").rename("weight").reset_index()
        weights["name"] = weights["code"].map(
            lambda c: labels.get(c, (c, c))[0 if language == "fa" else 1]
        )
        return Sheet(
            ("وزن‌های مؤثر", "Effective weights"),
            [
                Column("code", ("کد", "Code")),
                Column("name", ("نام", "Name"), width=30),
                Column("weight", ("وزن مؤثر", "Effective weight"), "decimal", 4),
            ],
            weights,
        )

    def _exclusions_sheet(self, units: _UnitColumns, language: str) -> Sheet:
        """Who was left out, at which step, and why, in ``language``."""
        from rasad.workbook import Column

        reason = "reason_fa" if language == "fa" else "reason_en"
        return units.sheet(
            ("کنارگذاشته‌ها", "Exclusions"),
            [
                Column("step", ("مرحله", "Step"), width=14),
                Column(reason, ("دلیل", "Reason"), width=60, wrap=True),
            ],
            self.exclusions,
        )

    def _warnings_sheet(self, language: str) -> Sheet:
        """The cells left missing for a documented reason, in ``language``."""
        from rasad.workbook import Column, Sheet

        message = "message_fa" if language == "fa" else "message_en"
        return Sheet(
            ("هشدارها", "Warnings"),
            [
                Column("step", ("مرحله", "Step"), width=14),
                Column("units", ("تعداد واحدها", "Units"), "int"),
                Column(message, ("هشدار", "Warning"), width=80, wrap=True),
            ],
            self.warnings,
        )


@dataclass(frozen=True)
class _UnitColumns:
    """The columns that say which unit a row is about: its id, then its name and
    province when the data gives them (:meth:`Results._identity`). Every sheet of units
    opens with them and keeps them in view."""

    unit: str
    identity: pd.DataFrame  # by unit id
    columns: list[Column]

    @classmethod
    def of(cls, unit: str, identity: pd.DataFrame) -> _UnitColumns:
        from rasad.workbook import Column

        columns = [Column(unit, ("شناسه", "ID"), width=14)] + [
            Column(c, IDENTITY_LABELS[c], width=30 if c.startswith("name") else 16)
            for c in identity.columns
        ]
        return cls(unit, identity, columns)

    def sheet(self, title: tuple[str, str], columns: list[Column], frame: pd.DataFrame) -> Sheet:
        """A sheet of ``frame`` (the unit id one of its columns): the unit's columns,
        then ``columns``."""
        from rasad.workbook import Sheet

        return Sheet(
            title,
            [*self.columns, *columns],
            frame.merge(self.identity, left_on=self.unit, right_index=True, how="left"),
            freeze_columns=len(self.columns),
        )

    def figures(
        self,
        title: tuple[str, str],
        frame: pd.DataFrame,
        labels: dict[str, tuple[str, str]],
        kind: str,
        digits: int = 2,
    ) -> Sheet:
        """A sheet of ``frame``'s figures (units by id × item codes), each column headed
        by its item's name."""
        from rasad.workbook import Column

        columns = [
            Column(c, labels.get(c, (c, c)), kind, digits) for c in frame.columns if c != self.unit
        ]
        return self.sheet(title, columns, frame.reset_index())


def rows_frame(rows: list, columns: list[str]) -> pd.DataFrame:
    """``pd.DataFrame(rows, columns=columns)``; when there are no rows, the same empty
    frame (object columns) built from an empty array, as pandas' inference over no rows
    costs more than a small build's other tables."""
    if not rows:
        return pd.DataFrame(np.empty((0, len(columns)), dtype=object), columns=columns)
    return pd.DataFrame(rows, columns=columns)


def _effective_weights(methodology: Methodology, weights_used: dict[str, np.ndarray]) -> pd.Series:
    """Each item's share of the index given the weights actually used (PCA included)."""
    effective = {methodology.root.code: 1.0}
    for node in reversed(methodology.nodes_bottom_up):
        weights = weights_used[node.code]
        total = weights.sum()
        for child, weight in zip(node.children, weights, strict=True):
            effective[child] = effective[node.code] * (weight / total if total else 0.0)
    levels = methodology.levels
    position = {code: i for i, code in enumerate(effective)}
    order = sorted(effective, key=lambda code: (levels[code], position[code]))
    return pd.Series([effective[code] for code in order], index=order, name="effective_weight")


def _treatment_log(codes, details) -> pd.DataFrame:
    """One row per treated indicator, built column by column: pandas infers the same
    types as from rows, in a fraction of the time."""
    if not details:
        return pd.DataFrame([])
    return pd.DataFrame(
        {
            "indicator": [codes[d.column] for d in details],
            "skew_before": [d.skew_before for d in details],
            "kurtosis_before": [d.kurt_before for d in details],
            "winsorised": [d.n_winsorised for d in details],
            "log_transformed": [d.fallback_used for d in details],
            "skew_after": [d.skew_after for d in details],
            "kurtosis_after": [d.kurt_after for d in details],
        }
    )


def _treated_points(index: pd.Index, codes, winsorised) -> pd.DataFrame:
    """One row per winsorised point: the high ends first, then the low ones, each in
    unit then indicator order."""
    high = sorted((i, j) for j, _, rows in winsorised for i in rows)
    low = sorted((i, j) for j, rows, _ in winsorised for i in rows)
    columns = [index.name, "indicator", "treatment"]
    if not high and not low or index.name in columns[1:]:
        return rows_frame(
            [(index[i], codes[j], "winsorised_high") for i, j in high]
            + [(index[i], codes[j], "winsorised_low") for i, j in low],
            columns,
        )
    # column by column, as :func:`_treatment_log`; the units as the scalars rows held
    units = [index[i] for i, _ in high + low]
    return pd.DataFrame(
        {
            columns[0]: units,
            "indicator": [codes[j] for _, j in high + low],
            "treatment": ["winsorised_high"] * len(high) + ["winsorised_low"] * len(low),
        }
    )


# columns of the data that name a unit, shown beside its id
NAME_COLUMNS = ("name_fa", "name_en", "name", "uName")
IDENTITY_LABELS = {
    "name_fa": ("نام", "Name (Persian)"),
    "name_en": ("نام انگلیسی", "Name"),
    "name": ("نام", "Name"),
    "uName": ("نام", "Name"),
    "province_name": ("استان", "Province"),
}
