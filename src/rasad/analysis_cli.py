"""``rasad monitor …`` and ``rasad clusters …``: the monitoring and cluster cores on the
platform's database, or on a demo population's CSV files (``--data DIR``) without one.

The commands only gather DataFrames and write what the pure cores return; every
figure is computed in :mod:`rasad.monitor` and :mod:`rasad.clusters`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rasad.cli_lang import digits, number, say, steps
from rasad.errors import RasadInputError

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Population:
    """A demo population's CSV files, shaped as the platform's monitoring population."""

    enterprises: pd.DataFrame
    returns: pd.DataFrame
    estates: pd.DataFrame
    clusters: pd.DataFrame
    members: pd.DataFrame
    dataset: object = None
    deadlines: dict | None = None


def population(args):
    """The demo population's CSV files in ``args.data``, or the data set ``args.dataset``
    of the database (the national returns by default)."""
    if args.data:
        if args.dataset:
            raise RasadInputError(
                "--dataset reads the database; it does not go with --data.",
                "--dataset از پایگاه داده می‌خواند و با --data نمی‌آید.",
                field="--dataset",
            )
        from rasad.demo import DemoPopulation

        demo = DemoPopulation.from_csv(Path(args.data))
        return Population(
            demo.enterprises, demo.returns, demo.estates, demo.clusters, demo.cluster_members
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rasad.platform.settings")
    import django

    django.setup()
    from rasad.platform import datasets
    from rasad.platform.monitoring.compute import load_population

    return load_population(datasets.named(args.dataset))


def _policy(args):
    """When a period has returns enough to be the default: the platform's settings on
    the database, the defaults on a demo population's files."""
    if args.data:
        from rasad.monitor import PeriodPolicy

        return PeriodPolicy()
    from rasad.platform.monitoring.compute import policy

    return policy()


def _monitor(people):
    """The monitoring run's settings: the data set's own price index for a panel; for the
    national returns, the database's return deadlines (``Period.deadline``: which
    returns were late), none on a demo's CSV files (the core's rule, 31 Tir, decides)."""
    if people.dataset is None:
        from rasad.monitor import Kpis, Monitor

        return Monitor(kpis=Kpis(deadlines=people.deadlines))
    from rasad.platform import datasets

    return datasets.monitor_for(people.dataset, people.returns["year"].unique())


def _write(frame: pd.DataFrame, out: str) -> None:
    """``frame`` as a workbook (:mod:`rasad.workbook`) or a CSV file, its text never a
    formula (:mod:`rasad.export`)."""
    if out.lower().endswith(".xlsx"):
        from rasad.workbook import frame_sheet, write_workbook

        # the columns are the library's codes, so the workbook reads in English
        title = Path(out).stem.replace("_", " ").capitalize()
        write_workbook(out, [frame_sheet((title, title), frame, digits=4)], language="en")
    else:
        from rasad.export import write_csv

        write_csv(frame, out, index=False)


def _period(args, people, option: str = "period") -> int:
    """The period asked for, or the latest whose filing coverage is enough (said on
    stderr, with why, so that a script's output stays the table)."""
    from rasad.monitor import filing_coverage

    years = sorted(int(y) for y in people.returns["year"].unique())
    if not years:
        raise RasadInputError(
            "There are no yearly returns to analyse.",
            "اظهارنامهٔ سالانه‌ای برای تحلیل نیست.",
            field=f"--{option}",
        )
    asked = getattr(args, option)
    if asked is None:
        choice = _policy(args).choose(
            filing_coverage(people.enterprises, people.returns, people.deadlines)
        )
        print(choice.explain(args.lang), file=sys.stderr)
        return choice.year
    if asked not in years:
        raise RasadInputError(
            f"--{option} {asked}: the returns cover {years[0]}–{years[-1]}.",
            f"--{option} {asked}: اظهارنامه‌ها سال‌های {years[0]} تا {years[-1]} را دارند.",
            field=f"--{option}",
            value=asked,
        )
    return asked


# the steps of every monitor and clusters command, for their progress bars
STEPS = (
    ("read", "reading the returns", "خواندن اظهارنامه‌ها"),
    ("compute", "computing", "محاسبه"),
    ("write", "writing", "نوشتن"),
)


def monitor_alerts(args) -> int:
    import pandas as pd

    from rasad.monitor import load_rules

    lang = args.lang
    with steps(args, STEPS) as step:
        step("read")
        people = population(args)
        period = _period(args, people)
        step("compute")
        rules = load_rules(args.rules) if args.rules else load_rules()
        table = _monitor(people).kpis.compute(people.returns, people.enterprises)
        frame = rules.evaluate(table).for_period(period)
        step("write")
        if args.out:
            _write(frame, args.out)
    counts = frame.groupby(["rule", "severity"]).size() if len(frame) else pd.Series(dtype=int)
    for (rule, severity), n in counts.items():
        print(f"{rule:<28} {severity:<8} {number(lang, n):>7}")
    alerts, year = number(lang, len(frame)), digits(lang, period)
    print(
        say(lang, f"{alerts} alerts for {period}", f"{alerts} هشدار برای {year}")
        + (f" → {args.out}" if args.out else "")
    )
    # a KPI that cannot be computed raises no alert: say how often that happened
    coverage = table.coverage()
    reasons = [
        c for c in coverage.columns if c not in ("kpi", "name_fa", "name_en", "returns", "computed")
    ]
    blind = coverage[coverage[reasons].sum(axis=1) > 0]
    if len(blind):
        print(
            say(
                lang,
                "not computable (no value, so no alert):",
                "محاسبه‌نشدنی (بی‌مقدار، پس بی‌هشدار):",
            )
        )
        for row in blind.itertuples(index=False):
            detail = say(lang, ", ", "، ").join(
                f"{number(lang, getattr(row, r))} {say(lang, r.replace('_', ' '), REASONS_FA[r])}"
                for r in reasons
                if getattr(row, r)
            )
            filed = number(lang, row.returns)
            print(
                f"  {row.kpi:<28} "
                + say(
                    lang,
                    f"{detail} of {filed} returns filed (all periods)",
                    f"{detail} از {filed} اظهارنامهٔ داده‌شده (همهٔ دوره‌ها)",
                )
            )
    return 0


def monitor_needs(args) -> int:
    lang = args.lang
    with steps(args, STEPS) as step:
        step("read")
        people = population(args)
        period = _period(args, people)
        step("compute")
        needs = _monitor(people).run(people.returns, people.enterprises, period=period).needs
        step("write")
        _write_needs(needs, args, people)
    _print_tier(lang, needs, period)
    _print_programmes(lang, needs)
    enterprises, year = number(lang, len(people.enterprises)), digits(lang, period)
    print(
        say(
            lang,
            f"needs of {enterprises} enterprises for {period} by {', '.join(args.by)} → {args.out}",
            f"نیازهای {enterprises} بنگاه برای {year} بر پایهٔ {'، '.join(args.by)} → {args.out}",
        )
    )
    return 0


def _write_needs(needs, args, people: Population) -> None:
    """A workbook has a sheet per dimension of ``--by``; a CSV holds the first."""
    from rasad.export import write_csv

    if args.out.lower().endswith(".xlsx"):
        needs.to_excel(
            args.out,
            by=tuple(args.by),
            members=people.members,
            estates=people.estates,
            clusters=people.clusters,
        )
    else:
        write_csv(needs.matrix(args.by[0], members=people.members), args.out)


def _print_tier(lang: str, needs, period: int) -> None:
    """Who filed, who owed a return and did not, and how many are in the priority tier:
    the counts a reader checks before the table."""
    totals = needs.totals().iloc[0]
    filers, no_data, priority = (number(lang, totals[c]) for c in ("filers", "no_data", "priority"))
    share = (
        number(lang, 100 * totals["priority_share"], 1) + say(lang, "%", "٪")
        if totals["filers"]
        else "—"
    )
    year = digits(lang, period)
    print(
        say(
            lang,
            f"{filers} enterprises filed for {period}; {no_data} owed a return and filed none (no "
            "data)",
            f"{filers} بنگاه برای {year} اظهارنامه داده‌اند؛ {no_data} باید می‌دادند و ندادند "
            "(بی‌داده)",
        )
    )
    print(
        say(
            lang,
            f"priority tier: {priority} ({share} of those that filed): ",
            f"ردهٔ اولویت: {priority} ({share} از اظهارنامه‌دهندگان): ",
        )
        + needs.mapping.priority.text(lang)
    )


def _print_programmes(lang: str, needs) -> None:
    """A row per programme: how many need it, by severity, in the tier, and unknown."""
    header = NEEDS_HEADER[lang]
    widths = (14, 7, 8, 7, 7, 7, 8, 8)
    print(
        " ".join(
            f"{h:<{w}}" if i == 0 else f"{h:>{w}}"
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    )
    for row in needs.summary().itertuples(index=False):
        cells = (
            row.enterprises,
            row.critical,
            row.high,
            row.medium,
            row.low,
            row.priority,
            row.unknown,
        )
        print(
            f"{row.programme:<14} "
            + " ".join(f"{number(lang, n):>{w}}" for n, w in zip(cells, widths[1:], strict=True))
        )
    print(
        say(
            lang,
            "unknown: filed, but every figure the programme reads was blank (not counted as no "
            "need)",
            "نامعلوم: اظهارنامه داده، اما همهٔ ارقامی که برنامه می‌خواند خالی بود (بی‌نیاز شمرده نشد)",
        )
    )


NEEDS_HEADER = {
    "en": ("programme", "needs", "critical", "high", "medium", "low", "in tier", "unknown"),
    "fa": ("برنامه", "نیاز", "بحرانی", "زیاد", "متوسط", "کم", "در رده", "نامعلوم"),
}
# why a KPI was not computed (rasad.monitor.kpis.NOT_COMPUTABLE_REASONS), in Persian
REASONS_FA = {"missing_input": "ورودی ناموجود", "zero_or_negative_base": "پایهٔ صفر یا منفی"}


def _max_age(args) -> int:
    """``--max-age``, or else the platform's ``RASAD_CARRY_FORWARD_YEARS`` on the database
    (so the CLI and the pages agree), or the core's default with ``--data``."""
    from rasad.clusters import DEFAULT_MAX_AGE

    if args.max_age is not None:
        if args.max_age < 0:
            raise RasadInputError(
                f"--max-age {args.max_age}: give a whole number of years, 0 or more.",
                f"--max-age {args.max_age}: عددی صحیح از ۰ به بالا (سال) بدهید.",
                field="--max-age",
                value=args.max_age,
            )
        return args.max_age
    if args.data:
        return DEFAULT_MAX_AGE
    from django.conf import settings

    return getattr(settings, "RASAD_CARRY_FORWARD_YEARS", DEFAULT_MAX_AGE)


def _firms(args, people: Population) -> pd.DataFrame:
    from rasad.clusters import firm_figures

    return firm_figures(
        people.enterprises,
        people.returns,
        year=_period(args, people, "year"),
        max_age=_max_age(args),
    )


def _carried_note(
    lang: str, firms: pd.DataFrame, measure: str, carried: float, total: float
) -> str:
    """What was carried forward and what the age limit left out, in one line."""
    age, year = firms.attrs["max_age"], firms.attrs["year"]
    share = number(lang, 100 * carried / total, 1) + say(lang, "%", "٪") if total else "–"
    fa_year = digits(lang, year)
    if age == 0:
        line = say(
            lang,
            f"only the returns for {year} counted, nothing carried forward",
            f"تنها اظهارنامه‌های {fa_year} شمرده شد، چیزی پیش آورده نشد",
        )
    else:
        amounts = say(lang, "{} of {}", "{} از {}").format(
            number(lang, carried), number(lang, total)
        )
        if age is None:
            before = say(lang, "any years before", "هر سالی پیش از آن")
        else:
            before = say(
                lang,
                f"{age} year{'s' if age != 1 else ''} before {year}",
                f"{number(lang, age)} سال پیش از {fa_year}",
            )
        line = say(
            lang,
            f"{share} of {measure} ({amounts}) carried forward from returns at most {before}",
            f"{share} از {measure} ({amounts}) از اظهارنامه‌هایی با قدمت حداکثر {before} پیش آورده "
            "شد",
        )
    old = firms.attrs["too_old"].get(measure)
    if old and old["firms"]:
        count, value = number(lang, old["firms"]), number(lang, old["value"])
        line += say(
            lang,
            f"; {count} firm(s) whose latest figure is older left out ({value})",
            f"؛ {count} بنگاه که تازه‌ترین رقمشان کهنه‌تر است کنار ماند ({value})",
        )
    return line


def _cluster_command(
    args,
    measure: str,
    compute: Callable[[pd.DataFrame], tuple[pd.DataFrame, float, float]],
    summary: Callable[[pd.DataFrame], str],
) -> int:
    """What the cluster commands share: the firms' figures of the population, a table
    computed from them (with the amount of ``measure`` carried forward and in all) and
    written with its labels as columns, a line of summary and the carried note."""
    import pandas as pd

    with steps(args, STEPS) as step:
        step("read")
        people = population(args)
        firms = _firms(args, people)
        step("compute")
        table, carried, total = compute(firms)
        step("write")
        labelled = isinstance(table.index, pd.MultiIndex) or table.index.name
        _write(table.reset_index() if labelled else table, args.out)
    print(summary(table))
    print(_carried_note(args.lang, firms, measure, carried, total))
    return 0


def _quotients(args, firms: pd.DataFrame) -> pd.DataFrame:
    from rasad.clusters import location_quotients

    return location_quotients(firms, measure=args.measure, level=args.level, region=args.by)


def clusters_lq(args) -> int:
    lang = args.lang

    def compute(firms):
        lq = _quotients(args, firms)
        return lq, float(lq["carried"].sum()), float(lq["value"].sum())

    def summary(lq) -> str:
        n = number(lang, len(lq))
        return say(
            lang,
            f"{n} {args.by} × {args.level} location quotients of {args.measure} → {args.out}",
            f"{n} ضریب مکانی {args.measure} در {args.by} × {args.level} → {args.out}",
        )

    return _cluster_command(args, args.measure, compute, summary)


def clusters_stars(args) -> int:
    from rasad.clusters import cluster_stars

    lang = args.lang

    def compute(firms):
        lq = _quotients(args, firms)
        stars = cluster_stars(lq, min_enterprises=args.min_enterprises)
        return stars, float(lq["carried"].sum()), float(lq["value"].sum())

    def summary(stars) -> str:
        starred = number(lang, (stars["stars"] >= 2).sum())
        return say(
            lang,
            f"{starred} {args.by} × {args.level} cells with two or three stars → {args.out}",
            f"{starred} خانهٔ {args.by} × {args.level} با دو یا سه ستاره → {args.out}",
        )

    return _cluster_command(args, args.measure, compute, summary)


def clusters_eg(args) -> int:
    from rasad.clusters import ellison_glaeser

    lang = args.lang

    def compute(firms):
        eg = ellison_glaeser(
            firms, level=args.level, region=args.by, draws=args.draws, seed=args.seed
        )
        carried = float((eg["carried_share"].fillna(0) * eg["value"]).sum())
        return eg, carried, float(eg["value"].sum())

    def summary(eg) -> str:
        sectors, draws = number(lang, len(eg)), number(lang, args.draws)
        return say(
            lang,
            f"Ellison–Glaeser γ of {sectors} sectors ({draws}-draw null) → {args.out}",
            f"γ الیسون–گلیزر {sectors} بخش (فرض صفر با {draws} قرعه) → {args.out}",
        )

    return _cluster_command(args, "employees", compute, summary)


def add_commands(commands) -> None:
    """The ``monitor`` and ``clusters`` subcommands of ``rasad``."""
    _add_monitor(commands)
    _add_clusters(commands)


def _add_source(sub) -> None:
    """Where a command's population comes from: the database's returns (by default), one
    of its research panels, or a demo population's files."""
    sub.add_argument("--data", help="a demo population's CSV directory instead of the database")
    sub.add_argument(
        "--dataset",
        metavar="CODE",
        help="a research panel of the database (default: the national returns)",
    )


def _add_monitor(commands) -> None:
    monitor = commands.add_parser(
        "monitor", help="KPIs, early-warning alerts and needs"
    ).add_subparsers(dest="monitor_command", required=True)
    alerts = monitor.add_parser("alerts", help="the alerts of a period")
    needs = monitor.add_parser("needs", help="the needs matrix of a period")
    for sub in (alerts, needs):
        sub.add_argument(
            "--period",
            type=int,
            help="Jalali year (default: the latest with enough returns filed; said on stderr)",
        )
        _add_source(sub)
    alerts.add_argument("--rules", help="an alert-rule YAML file (default: the bundled rules)")
    alerts.add_argument("--out", help="CSV or XLSX file for the alerts")
    alerts.set_defaults(handler=monitor_alerts)
    needs.add_argument(
        "--by",
        nargs="+",
        default=["province"],
        choices=["province", "estate", "cluster", "sector", "section"],
        help="dimensions of the needs matrix (default province)",
    )
    needs.add_argument(
        "--out", required=True, help="needs.xlsx (a sheet per dimension), or a CSV of the first"
    )
    needs.set_defaults(handler=monitor_needs)


def _add_clusters(commands) -> None:
    clusters = commands.add_parser(
        "clusters", help="location quotients, cluster stars, agglomeration"
    )
    subs = clusters.add_subparsers(dest="clusters_command", required=True)
    for name, handler, help_text in (
        ("lq", clusters_lq, "location quotients by region × sector"),
        ("stars", clusters_stars, "European Cluster Observatory stars"),
        ("eg", clusters_eg, "Ellison–Glaeser agglomeration with a simulated null"),
    ):
        sub = subs.add_parser(name, help=help_text)
        _add_cluster_options(sub)
        sub.set_defaults(handler=handler)
    subs.choices["stars"].add_argument(
        "--min-enterprises",
        type=int,
        default=10,
        help="smallest cell given stars (default 10)",
    )
    eg = subs.choices["eg"]
    eg.add_argument(
        "--draws",
        type=int,
        default=1000,
        help="random placements in the null (default 1000)",
    )
    eg.add_argument("--seed", type=int, default=0)


def _add_cluster_options(sub) -> None:
    """What every cluster command takes: the region, the sector level, the measure, the
    year and how old a carried figure may be, the population and the output."""
    sub.add_argument(
        "--by", default="province", help="region: province or estate (default province)"
    )
    sub.add_argument(
        "--level", default="division", help="ISIC level: section, division, group or class"
    )
    sub.add_argument(
        "--measure", default="employees", help="employees, sales, exports or enterprises"
    )
    sub.add_argument(
        "--year",
        type=int,
        help="Jalali year (default: the latest with enough returns filed; said on stderr)",
    )
    sub.add_argument(
        "--max-age",
        type=int,
        metavar="N",
        help="carry a firm's figure forward from a return at most N years old "
        "(0: the year's own returns only; default: RASAD_CARRY_FORWARD_YEARS on the "
        "database, else 1)",
    )
    _add_source(sub)
    sub.add_argument("--out", required=True, help="CSV (or XLSX) file")
