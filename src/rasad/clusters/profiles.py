"""Cluster profiles: who is in a cluster, how big and how good they are, how they grow,
and what they need.

A cluster is supported as a group (UNIDO's diagnostic study, action plan and so on),
so the policy maker needs the group's figures, not a list of firms: its size, its
exports, where its members stand in the national ranking, whether it is growing, and
which needs its members share. The profile works for designated clusters (ISIPO's
membership lists) and identified ones (:func:`identified_members`) alike.

Growth is measured on *matched* firms — those that reported in both years — because the
panel has gaps: a sum over whoever happened to report would mistake a missing return
for a collapse. Money is deflated to 1400 prices first (``real=True``), since 30–50%
inflation a year would otherwise show every cluster booming.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rasad.clusters._checks import age_column, fa, isin_ids, require_columns, require_frame, whole
from rasad.clusters.figures import DEFAULT_MAX_AGE, firm_figures
from rasad.errors import RasadInputError
from rasad.iran import to_real

MONEY = ("sales", "exports")
MEASURES = ("employees", "sales", "exports")


@dataclass
class ClusterProfiles:
    """Profiles of several clusters, as tidy frames keyed by ``cluster_code``.

    - ``summary``: one row per cluster — size, exports, ranking and growth;
    - ``top``: the best ``top`` members of each cluster;
    - ``trend``: cluster × year totals and matched-firm growth;
    - ``needs``: cluster × need, how many members (and their employees) need it, or
      ``None`` when no needs were given.
    """

    summary: pd.DataFrame
    top: pd.DataFrame
    trend: pd.DataFrame
    needs: pd.DataFrame | None
    year: int

    def profile(self, cluster_code: str) -> dict:
        """One cluster's rows of every table, for its page."""
        if cluster_code not in set(self.summary["cluster_code"]):
            raise RasadInputError(
                f"No profile for cluster {cluster_code!r}.",
                f"برای خوشه «{cluster_code}» نیم‌رخی نیست.",
                field="cluster_code",
                value=cluster_code,
            )
        pick = lambda frame: frame[frame["cluster_code"] == cluster_code].reset_index(drop=True)  # noqa: E731
        return {
            "summary": pick(self.summary).iloc[0],
            "top": pick(self.top),
            "trend": pick(self.trend),
            "needs": pick(self.needs) if self.needs is not None else None,
        }


def _ids(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    """``frame`` with ``national_id`` as a column (an index of that name is accepted:
    :meth:`rasad.index.Results.table` keeps the unit id as the index's name)."""
    require_frame(frame, field)
    if "national_id" not in frame.columns and frame.index.name == "national_id":
        frame = frame.reset_index()
    require_columns(frame, ["national_id"], field)
    return frame


def _scores(scores: pd.DataFrame) -> pd.DataFrame:
    scores = _ids(scores, "scores")
    require_columns(scores, ["score"], "scores")
    if scores["national_id"].duplicated().any():
        raise RasadInputError(
            "scores has more than one row for an enterprise.",
            "جدول scores برای یک بنگاه بیش از یک ردیف دارد.",
            field="national_id",
            value=scores.loc[scores["national_id"].duplicated(), "national_id"].iloc[0],
        )
    kept = ["national_id", "score"] + (["rank"] if "rank" in scores.columns else [])
    out = scores[kept].copy()
    for column in kept[1:]:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(np.float64)
    return out


def _needs_long(needs: pd.DataFrame) -> pd.DataFrame:
    """Needs as (national_id, need) pairs. Long input has a ``need`` column (one row per
    enterprise and need); wide input has one boolean (or 0/1) column per need."""
    needs = _ids(needs, "needs")
    if "need" in needs.columns:
        long = needs[["national_id", "need"]].dropna()
    else:
        columns = [c for c in needs.columns if c != "national_id"]
        bad = [
            c
            for c in columns
            if not (
                pd.api.types.is_bool_dtype(needs[c])
                or (
                    pd.api.types.is_numeric_dtype(needs[c]) and needs[c].dropna().isin([0, 1]).all()
                )
            )
        ]
        if bad or not columns:
            raise RasadInputError(
                "needs must have a 'need' column (one row per enterprise and need) or one "
                f"true/false column per need; column {bad[0] if bad else '?'} is neither.",
                "جدول needs باید ستون need (یک ردیف برای هر بنگاه و نیاز) یا برای هر نیاز یک "
                f"ستون درست/نادرست داشته باشد؛ ستون «{bad[0] if bad else '?'}» هیچ‌کدام نیست.",
                field=bad[0] if bad else "need",
                value=bad,
            )
        melted = needs.melt(id_vars="national_id", value_vars=columns, var_name="need")
        long = melted.loc[melted["value"].fillna(False).astype(bool), ["national_id", "need"]]
    return long.drop_duplicates().reset_index(drop=True)


def _panel(members: pd.DataFrame, returns: pd.DataFrame, year: int, real: bool) -> pd.DataFrame:
    panel = returns.loc[returns["year"] <= year, ["national_id", "year", *MEASURES]]
    panel = members[["cluster_code", "national_id"]].merge(panel, on="national_id", how="inner")
    panel["year"] = panel["year"].astype(np.int64)
    for column in MEASURES:
        panel[column] = panel[column].astype(np.float64)
    if real:
        for column in MONEY:
            panel[column] = to_real(panel[column], panel["year"]).to_numpy(dtype=np.float64)
    return panel


def _matched_growth(panel: pd.DataFrame, gap: int) -> pd.DataFrame:
    """Per cluster and year y: Σ v_y / Σ v_(y−gap) − 1 over firms with both values,
    annualised over ``gap`` years."""
    earlier = panel.assign(year=panel["year"] + gap)
    both = panel.merge(
        earlier, on=["cluster_code", "national_id", "year"], suffixes=("", "_before")
    )
    out = {}
    for column in MEASURES:
        matched = both[column].notna() & both[f"{column}_before"].notna()
        sums = (
            both.loc[matched]
            .groupby(["cluster_code", "year"], observed=True)[[column, f"{column}_before"]]
            .sum()
        )
        before = sums[f"{column}_before"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = sums[column].to_numpy() / before
            # Growth from nothing has no rate: NaN, not +∞.
            growth = np.where(before > 0, np.power(ratio, 1.0 / gap) - 1.0, np.nan)
        out[f"{column}_growth"] = pd.Series(growth, index=sums.index)
    return pd.DataFrame(out)


def _registered_members(members: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    """Each (cluster, firm) pair once; a member missing from the registry is refused, as it
    would otherwise count as an enterprise of the cluster with no figures at all."""
    members = members[["cluster_code", "national_id"]].drop_duplicates()
    unknown = ~isin_ids(members["national_id"], enterprises["national_id"])
    if unknown.any():
        raise RasadInputError(
            f"{int(unknown.sum())} member(s) are not in enterprises, e.g. "
            f"{members.loc[unknown, 'national_id'].iloc[0]}.",
            f"{fa(int(unknown.sum()))} عضو در جدول enterprises نیستند، مانند "
            f"{members.loc[unknown, 'national_id'].iloc[0]}.",
            field="national_id",
            value=members.loc[unknown, "national_id"].iloc[0],
        )
    return members


def _members_registry(enterprises: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """The registry rows of the members, with their names for the ``top`` table."""
    labels = [c for c in ("name_fa", "name_en") if c in enterprises.columns]
    return enterprises.loc[
        isin_ids(enterprises["national_id"], members["national_id"]), ["national_id", *labels]
    ]


def _members_returns(
    returns: pd.DataFrame, members: pd.DataFrame, year: int | None
) -> pd.DataFrame:
    """The members' returns, with only the columns the profiles measure. With no year
    given, the latest is the members' latest: where none of them has a return there is
    none, and saying "returns is empty" (as :func:`firm_figures` would of the cut
    returns) would send the reader to a file that is not empty."""
    require_columns(returns, ["national_id", "year", *MEASURES], "returns")
    kept = returns.loc[
        isin_ids(returns["national_id"], members["national_id"]), ["national_id", "year", *MEASURES]
    ]
    if year is None and kept.empty and not returns.empty:
        raise RasadInputError(
            "None of the clusters' members has a return, so there is no latest year; give year.",
            "هیچ‌یک از اعضای خوشه‌ها اظهارنامه‌ای ندارد و آخرین سال معلوم نیست؛ سال (year) را بدهید.",
            field="year",
            value=None,
        )
    return kept


def _size_and_exports(firms: pd.DataFrame) -> pd.DataFrame:
    """Per cluster (the index): how many members, their totals, how many export and
    which share of each total came from earlier years' returns (NaN for a total of 0)."""
    grouped = firms.groupby("cluster_code", sort=True, observed=True)
    summary = pd.DataFrame(
        {
            "enterprises": grouped.size(),
            "employees": grouped["employees"].sum(),
            "sales": grouped["sales"].sum(),
            "exports": grouped["exports"].sum(),
        }
    )
    summary["exporters"] = (
        (firms["exports"] > 0).groupby(firms["cluster_code"], observed=True).sum()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        summary["export_share"] = summary["exports"] / summary["sales"]
        for column in MEASURES:
            carried = firms[column].where(firms[age_column(column)].fillna(0).to_numpy() > 0, 0.0)
            carried = carried.groupby(firms["cluster_code"], observed=True).sum()
            summary[f"{column}_carried_share"] = (carried / summary[column]).where(
                summary[column] > 0
            )
    return summary


def _add_score_columns(summary: pd.DataFrame, firms: pd.DataFrame, rank_cutoff: int) -> None:
    """Adds to ``summary`` where the cluster's members stand in the national ranking:
    their scores and, when the scores have ranks, the rank distribution and how many
    are in the top ``rank_cutoff``."""
    grouped = firms.groupby("cluster_code", sort=True, observed=True)
    summary["scored"] = grouped["score"].count()
    summary["mean_score"] = grouped["score"].mean()
    summary["median_score"] = grouped["score"].median()
    if "rank" in firms.columns:
        ranks = grouped["rank"]
        summary["best_rank"] = ranks.min()
        summary["rank_p25"] = ranks.quantile(0.25)
        summary["median_rank"] = ranks.median()
        summary["rank_p75"] = ranks.quantile(0.75)
        summary["worst_rank"] = ranks.max()
        summary[f"in_top_{rank_cutoff}"] = (
            (firms["rank"] <= rank_cutoff).groupby(firms["cluster_code"], observed=True).sum()
        )


def _trend(panel: pd.DataFrame) -> pd.DataFrame:
    """Cluster × year: how many members reported, their totals, and the growth since the
    year before on matched firms."""
    trend = panel.groupby(["cluster_code", "year"], observed=True).agg(
        reporting=("national_id", "size"),
        employees=("employees", "sum"),
        sales=("sales", "sum"),
        exports=("exports", "sum"),
    )
    return trend.join(_matched_growth(panel, 1)).reset_index()


def _add_growth_columns(
    summary: pd.DataFrame, panel: pd.DataFrame, trend: pd.DataFrame, year: int
) -> None:
    """Adds to ``summary`` each measure's growth into ``year`` (from ``trend``) and, when
    the panel starts earlier, its compound annual growth over the whole window, on the
    firms that reported at both ends."""
    latest = trend[trend["year"] == year].set_index("cluster_code")
    for column in MEASURES:
        summary[f"{column}_growth"] = latest[f"{column}_growth"].reindex(summary.index)
    first = int(panel["year"].min()) if len(panel) else year
    if year > first:
        window = _matched_growth(panel, year - first)
        window = window.xs(year, level="year") if len(window) else window
        for column in MEASURES:
            summary[f"{column}_growth_annual"] = (
                window[f"{column}_growth"].reindex(summary.index) if len(window) else np.nan
            )


def _summary(
    firms: pd.DataFrame,
    panel: pd.DataFrame,
    trend: pd.DataFrame,
    year: int,
    rank_cutoff: int,
    scored: bool,
) -> pd.DataFrame:
    """One row per cluster: size and exports, ranking (when ``scored``) and growth."""
    summary = _size_and_exports(firms)
    if scored:
        _add_score_columns(summary, firms, rank_cutoff)
    _add_growth_columns(summary, panel, trend, year)
    summary.insert(0, "year", year)
    return summary.reset_index()


def _with_cluster_labels(summary: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """``summary`` with the columns of ``clusters`` (names, kind, …) in front; a cluster
    missing from ``clusters`` keeps its row, unlabelled."""
    clusters = require_frame(clusters, "clusters")
    require_columns(clusters, ["code"], "clusters")
    info = clusters.rename(columns={"code": "cluster_code"}).drop_duplicates("cluster_code")
    return info.merge(summary, on="cluster_code", how="right")


def _top_members(firms: pd.DataFrame, top: int, by_score: bool) -> pd.DataFrame:
    """The best ``top`` members of each cluster with their ``position`` in it: by score
    (then sales) when there are scores, by sales (then employees) otherwise."""
    order = ["score", "sales"] if by_score else ["sales", "employees"]
    ranked = firms.sort_values(
        ["cluster_code", *order], ascending=[True, False, False], na_position="last", kind="stable"
    )
    best = ranked.groupby("cluster_code", sort=False, observed=True).head(top).copy()
    best.insert(1, "position", best.groupby("cluster_code", observed=True).cumcount() + 1)
    return best.reset_index(drop=True)


def _needs_table(needs: pd.DataFrame, firms: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Cluster × need: how many members need it, their employees, and the share of the
    cluster's members, the most shared needs first."""
    pairs = _needs_long(needs).merge(
        firms[["cluster_code", "national_id", "employees"]], on="national_id", how="inner"
    )
    table = (
        pairs.groupby(["cluster_code", "need"], observed=True)
        .agg(enterprises=("national_id", "nunique"), employees=("employees", "sum"))
        .reset_index()
    )
    size = summary.set_index("cluster_code")["enterprises"]
    table["share_of_members"] = table["enterprises"] / table["cluster_code"].map(size).to_numpy()
    return table.sort_values(
        ["cluster_code", "enterprises"],
        ascending=[True, False],
        kind="stable",
        ignore_index=True,
    )


def cluster_profiles(
    enterprises: pd.DataFrame,
    returns: pd.DataFrame,
    members: pd.DataFrame,
    *,
    clusters: pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
    needs: pd.DataFrame | None = None,
    year: int | None = None,
    top: int = 10,
    rank_cutoff: int = 100,
    real: bool = True,
    max_age: int | None = DEFAULT_MAX_AGE,
) -> ClusterProfiles:
    """Profiles of the clusters in ``members`` (``cluster_code``, ``national_id``).

    ``enterprises`` and ``returns`` are the registry and the returns (as from
    :func:`rasad.demo.generate`); figures are as of ``year`` (default: the latest),
    each firm's latest reported value if at most ``max_age`` years old (see
    :func:`firm_figures`); the summary's ``<measure>_carried_share`` says how much of
    each total came from earlier years' returns. ``clusters``
    (``code``, ``name_fa``, ``name_en``, …) labels the summary. ``scores`` holds index
    results per enterprise (``national_id``, ``score``, optional ``rank``): the summary
    then gives the mean score and the rank distribution, and ``top`` lists members by
    score (by sales otherwise). ``needs`` is the enterprise-level needs from monitoring,
    long (``national_id``, ``need``) or wide (one true/false column per need); it is
    aggregated to how many members and how many of their employees need each thing.
    ``rank_cutoff`` sets the "in the top N" count; ``real`` deflates sales and exports
    to 1400 prices for growth.
    """
    members = _ids(members, "members")
    require_columns(members, ["cluster_code"], "members")
    enterprises = _ids(enterprises, "enterprises")
    require_frame(returns, "returns")
    top = whole(top, "top", 1)
    rank_cutoff = whole(rank_cutoff, "rank_cutoff", 1)
    members = _registered_members(members, enterprises)
    # Only members matter: cut the registry and the returns down to them first.
    registry = _members_registry(enterprises, members)
    returns = _members_returns(returns, members, year)
    figures = firm_figures(registry, returns, year=year, measures=MEASURES, max_age=max_age)
    year = figures.attrs["year"]
    firms = members.merge(figures, on="national_id", how="left")
    if scores is not None:
        firms = firms.merge(_scores(scores), on="national_id", how="left")
    panel = _panel(members, returns, year, real)
    trend = _trend(panel)
    summary = _summary(firms, panel, trend, year, rank_cutoff, scored=scores is not None)
    if clusters is not None:
        summary = _with_cluster_labels(summary, clusters)
    return ClusterProfiles(
        summary=summary,
        top=_top_members(firms, top, by_score=scores is not None),
        trend=trend,
        needs=_needs_table(needs, firms, summary) if needs is not None else None,
        year=year,
    )
