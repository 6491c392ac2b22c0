"""The ``rasad`` command: the pure core's tools work without a database; the platform's
commands set Django up only when they run."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from rasad import __version__
from rasad.analysis_cli import add_commands as add_analysis_commands
from rasad.cli_lang import LanguageParser, digits, error, number, resolve, say, showing, steps
from rasad.errors import RasadInputError


def _django():
    """Set Django up, and refuse (one message, no traceback) a database that is not
    migrated yet: every platform command needs its tables."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rasad.platform.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        name = connection.settings_dict["NAME"]
        raise RasadInputError(
            f"The database {name} is not set up ({len(pending)} migrations not applied): run "
            "`rasad manage migrate` first, then `rasad demo load` for the demo data.",
            f"پایگاه داده {name} هنوز آماده نیست ({len(pending)} مهاجرت اعمال نشده): نخست "
            "`rasad manage migrate` را اجرا کنید و برای داده‌های نمایشی `rasad demo load` را.",
            field="database",
        )


def _demo_generate(args) -> int:
    from rasad.demo import generate

    population = generate(n_enterprises=args.enterprises, seed=args.seed)
    population.to_csv(Path(args.out))
    enterprises, returns = (
        number(args.lang, len(t)) for t in (population.enterprises, population.returns)
    )
    print(
        say(
            args.lang,
            f"{enterprises} enterprises, {returns} returns → {args.out}",
            f"{enterprises} بنگاه، {returns} اظهارنامه → {args.out}",
        )
    )
    return 0


def _demo_load(args) -> int:
    _django()
    from rasad.demo import generate
    from rasad.platform.demo_data import DEMO_PASSWORD, DEMO_USERS, database_is_empty, load_demo

    lang = args.lang
    if args.if_empty and not database_is_empty():
        print(
            say(
                lang,
                "The database already holds enterprises; the demo population was not loaded again.",
                "پایگاه داده از پیش بنگاه دارد؛ جمعیت نمایشی دوباره بارگذاری نشد.",
            )
        )
    else:
        population = generate(n_enterprises=args.enterprises, seed=args.seed)
        counts = load_demo(population, progress=showing(args))
        loaded = ", ".join(
            f"{number(lang, n)} {say(lang, what, DEMO_COUNTS_FA[what])}"
            for what, n in counts.items()
        )
        print(say(lang, f"{loaded} loaded.", f"{loaded.replace(', ', '، ')} بارگذاری شد."))
    status = _demo_edition(args)
    from django.utils import translation

    print(
        say(
            lang,
            f"Demo logins (password {DEMO_PASSWORD}):",
            f"ورودهای نمایشی (گذرواژه {DEMO_PASSWORD}):",
        )
    )
    for role, username in DEMO_USERS.items():
        with translation.override(lang):
            print(f"  {username:<16} {role.label}")
    return status


DEMO_COUNTS_FA = {
    "estates": "شهرک",
    "enterprises": "بنگاه",
    "returns": "اظهارنامه",
    "figures": "رقم",
    "clusters": "خوشه",
}


def _job_steps(stages=None) -> list[tuple[str, str, str]]:
    """An edition job's stages (all, or ``stages``) as (key, English, Persian), for its
    progress bar: the progress page's own labels (``jobs.STAGE_LABELS``)."""
    from django.utils import translation

    from rasad.platform.rankings.jobs import STAGE_LABELS

    names = []
    for key in stages or [k for k in STAGE_LABELS if k]:
        labels = []
        for language in ("en", "fa"):
            with translation.override(language):
                labels.append(str(STAGE_LABELS[key]))
        names.append((key, *labels))
    return names


def _demo_edition(args) -> int:
    """Compute and publish the demo edition, unless an edition exists already."""
    from rasad.platform.demo_data import DEMO_EDITION_RUNS, publish_demo_edition

    started = time.perf_counter()
    with steps(args, _job_steps()) as step:
        job = publish_demo_edition(progress=step)
    if job is None:
        return 0
    if job.status != "done":
        print(
            error(
                args,
                f"The demo edition could not be computed: {job.error_en}",
                f"ویرایش نمایشی محاسبه نشد: {job.error_fa}",
            ),
            file=sys.stderr,
        )
        return 1
    lang, n = args.lang, job.params["sensitivity_n"]
    runs, seconds = number(lang, DEMO_EDITION_RUNS), number(lang, time.perf_counter() - started, 1)
    print(
        say(
            lang,
            f"Demo edition '{job.edition.name_en}' computed ({runs} Monte Carlo runs, "
            f"sensitivity n={n}) and published in {seconds} s.",
            f"ویرایش نمایشی «{job.edition.name_fa}» محاسبه ({runs} اجرای مونت‌کارلو، تحلیل حساسیت "
            f"n={number(lang, n)}) و در {seconds} ثانیه منتشر شد.",
        )
    )
    return 0


def _read_table(path: str, unit: str):
    import pandas as pd

    suffix = Path(path).suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path, dtype={unit: str})
        if suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype={unit: str}, encoding="utf-8-sig")
    except (OSError, ValueError) as failure:
        raise RasadInputError(
            f"Cannot read the data file {path}: {failure}",
            f"پروندهٔ داده {path} خوانده نشد: {failure}",
            field=path,
        ) from failure


def _index_check(args) -> int:
    from rasad.index.methodology import MethodologyError, load

    try:
        methodology = load(args.methodology)
    except MethodologyError as problems:
        _print_problems(args, problems)
        return 2
    lang = args.lang
    indicators, nodes, levels = (
        number(lang, n)
        for n in (
            len(methodology.indicators),
            len(methodology.nodes),
            max(methodology.levels.values()),
        )
    )
    print(
        say(
            lang,
            f"{args.methodology}: OK — {methodology.name.en} {methodology.version}: "
            f"{indicators} indicators, {nodes} aggregates, {levels} levels; sha256 "
            f"{methodology.sha256}",
            f"{args.methodology}: درست است — {methodology.name.fa} "
            f"{digits(lang, methodology.version)}: "
            f"{indicators} شاخص، {nodes} زیرشاخص، {levels} سطح؛ sha256 {methodology.sha256}",
        )
    )
    return 0


# the steps of ``index build``: reading, the pipeline's (rasad.index.pipeline.STEPS), writing
BUILD_STEPS = (
    ("read", "reading the data", "خواندن داده‌ها"),
    ("prepare", "eligibility and denominators", "شرایط رتبه‌بندی و مخرج‌ها"),
    ("impute", "imputing", "جانهی"),
    ("screen", "screening", "غربال"),
    ("treat", "treating outliers", "مهار داده‌های پرت"),
    ("normalise", "normalising", "نرمال‌سازی"),
    ("aggregate", "aggregating", "تجمیع"),
    ("rank", "ranking", "رتبه‌دهی"),
    ("write", "writing the results", "نوشتن نتایج"),
)


def _index_build(args) -> int:
    from rasad.index.methodology import load

    with steps(args, BUILD_STEPS) as step:
        step("read")
        methodology = load(args.methodology)
        # pandas and the pipeline only once the methodology is known to be right
        from rasad.export import write_csv
        from rasad.index.pipeline import build

        data = _read_table(args.data, methodology.unit)
        results = build(
            methodology,
            data,
            keep="all" if (args.excel or args.datasets) else "final",
            progress=step,
        )
        step("write")
        write_csv(results.table(), args.out, index=False)
        if args.excel:
            results.to_excel(args.excel)
        if args.datasets:
            results.to_csv(args.datasets)
    lang = args.lang
    ranked, excluded = (
        number(lang, results.rank.notna().sum()),
        number(lang, len(results.exclusions)),
    )
    sha = results.provenance["data_sha256"][:12]
    print(
        say(
            lang,
            f"{ranked} units ranked → {args.out}; excluded {excluded} "
            f"(see --excel or --datasets for why); data sha256 {sha}…",
            f"{ranked} واحد رتبه گرفت → {args.out}؛ {excluded} کنار گذاشته شد "
            f"(چرایی در --excel یا --datasets)؛ sha256 داده‌ها {sha}…",
        )
    )
    return 0


def _index_league(args) -> int:
    from rasad.export import write_csv
    from rasad.index import load
    from rasad.index.league import league_tables

    methodology = load(args.methodology)
    data = _read_table(args.data, methodology.unit)
    table = league_tables(methodology, data, by=args.by or None, top=args.top)
    write_csv(table, args.out, index=False)
    lang = args.lang
    indicators, bands, top = (
        number(lang, n)
        for n in (table["indicator"].nunique(), table.iloc[:, 0].nunique(), args.top)
    )
    print(
        say(
            lang,
            f"{indicators} indicators × {bands} bands, top {top} each → {args.out}",
            f"{indicators} شاخص × {bands} دسته، {top} نخست هر کدام → {args.out}",
        )
    )
    return 0


def _print_problems(args, problems) -> None:
    """A located file's problems, one per line as ``file:line: path: message``, then
    Persian (only the language ``--lang`` asked for, with it)."""
    for problem in problems.problems:
        where = (
            f"{problems.source}:{problem.line}"
            if problems.source and problem.line
            else (problems.source or "")
        )
        path = f"{problem.path}: " if problem.path else ""
        if not args.lang_given:
            text = f"{problem.message_en}\n    {problem.message_fa}"
        else:
            text = say(args.lang, problem.message_en, problem.message_fa)
        print(f"{where}: {path}{text}", file=sys.stderr)


def _methodology_spec_data(args):
    """The three inputs of the uncertainty and sensitivity commands; None (after printing
    every located problem) when the methodology or spec file is wrong."""
    from rasad.index import load
    from rasad.index.methodology import MethodologyError
    from rasad.index.uncertainty import load_spec

    try:
        methodology = load(args.methodology)
        spec = load_spec(args.spec, methodology=methodology)
    except MethodologyError as problems:
        _print_problems(args, problems)
        return None
    return methodology, spec, _read_table(args.data, methodology.unit)


def _index_uncertainty(args) -> int:
    from rasad.export import write_csv
    from rasad.index.uncertainty import uncertainty

    if (inputs := _methodology_spec_data(args)) is None:
        return 2
    methodology, spec, data = inputs
    result = uncertainty(
        methodology,
        data,
        spec,
        runs=args.runs,
        seed=args.seed,
        top_k=args.top,
        progress=not args.no_progress,
    )
    table = result.table().sort_values("nominal", kind="stable", na_position="last")
    write_csv(table, args.out, index=False)
    lang = args.lang
    units, runs, crossing, top = (
        number(lang, n) for n in (len(table), args.runs, result.crossing_top, args.top)
    )
    # with no more ranked units than the top K there is no boundary for an interval to cross
    ranked = int(table["nominal"].notna().sum())
    boundary = (
        say(
            lang,
            f"{crossing} units' 90% rank intervals cross the top-{top} boundary",
            f"بازهٔ رتبهٔ ۹۰٪ {crossing} واحد از مرز {top} نخست می‌گذرد",
        )
        if ranked > args.top
        else say(
            lang,
            f"all {number(lang, ranked)} ranked are within the top {top}, so no interval "
            "crosses its boundary",
            f"هر {number(lang, ranked)} واحد رتبه‌گرفته در میان {top} نخست‌اند و بازه‌ای از "
            "مرز آن نمی‌گذرد",
        )
    )
    print(
        say(
            lang,
            f"{units} units × {runs} replicates → {args.out}; {boundary}",
            f"{units} واحد × {runs} تکرار → {args.out}؛ {boundary}",
        )
    )
    return 0


def _index_sensitivity(args) -> int:
    from rich.progress import Progress

    from rasad.export import write_csv
    from rasad.index.sensitivity import sensitivity

    if (inputs := _methodology_spec_data(args)) is None:
        return 2
    methodology, spec, data = inputs
    target = ("unit", args.unit) if args.unit else "mean_abs_rank_shift"
    with Progress(disable=not showing(args), transient=True) as bar:
        task = bar.add_task(say(args.lang, "Sobol runs", "اجراهای سوبول"), total=None)
        table = sensitivity(
            methodology,
            data,
            spec,
            n=args.n,
            seed=args.seed,
            target=target,
            bootstrap=args.bootstrap,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    write_csv(table, args.out, index=False)
    top = table.sort_values("STi", ascending=False).iloc[0]
    lang = args.lang
    inputs, sti = number(lang, len(table)), number(lang, top["STi"], 2)
    print(
        say(
            lang,
            f"{inputs} inputs, N={args.n} → {args.out}; most influential: {top['input']} (STi "
            f"{sti})",
            f"{inputs} ورودی، N={number(lang, args.n)} → {args.out}؛ "
            f"اثرگذارترین: {top['input']} (STi {sti})",
        )
    )
    return 0


def _rank_range(text: str) -> tuple[int, int]:
    """``--ranks 51-800`` as (51, 800)."""
    first, _, last = text.partition("-")
    try:
        return int(first), int(last)
    except ValueError:
        raise RasadInputError(
            f"--ranks {text}: give a range of ranks as FIRST-LAST, e.g. 51-800.",
            f"--ranks {text}: بازهٔ رتبه را به شکل FIRST-LAST بدهید، مثلاً 51-800.",
            field="--ranks",
            value=text,
        ) from None


def _index_audit(args) -> int:
    from rich.progress import Progress

    from rasad.index.audit import STAGES, STAGES_FA, audit
    from rasad.index.methodology import MethodologyError, load

    try:
        methodology = load(args.methodology)
    except MethodologyError as problems:
        _print_problems(args, problems)
        return 2
    data = _read_table(args.data, methodology.unit)
    ranks = _rank_range(args.ranks)
    with Progress(disable=not showing(args), transient=True) as bar:
        task = bar.add_task("audit", total=len(STAGES))

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(
                task,
                description=f"{stage} {done:,}/{total:,}" if total > 1 else stage,
                completed=STAGES.index(stage) + done / total,
            )

        result = audit(
            methodology,
            data,
            top=args.top,
            seed=args.seed,
            sample=args.sample,
            ranks=ranks,
            resample_size=args.resample_size,
            draws=args.draws,
            progress=progress,
        )
    print(result.text(args.lang))
    lang = args.lang
    print(
        say(lang, "time: ", "زمان: ")
        + say(lang, ", ", "، ").join(
            f"{say(lang, stage, STAGES_FA[stage])} {number(lang, seconds, 1)} "
            f"{say(lang, 's', 'ثانیه')}"
            for stage, seconds in result.timings.items()
        )
    )
    if args.out:
        result.to_excel(args.out)
        print(f"→ {args.out}")
    return 0


def _index_inputs(args) -> int:
    from rasad.export import write_csv
    from rasad.index.inputs import sme_inputs

    returns = _read_table(args.returns, "national_id")
    enterprises = _read_table(args.enterprises, "national_id")
    table = sme_inputs(returns, enterprises, args.year)
    write_csv(table, args.out, index=False)
    n, year = number(args.lang, len(table)), digits(args.lang, args.year)
    print(
        say(
            args.lang,
            f"{n} enterprises with a {args.year} return → {args.out}",
            f"{n} بنگاه با اظهارنامهٔ {year} → {args.out}",
        )
    )
    return 0


def _serve(args) -> int:
    """Gunicorn with ``--workers`` processes of ``--threads`` threads: one Python process
    is held to one core by the interpreter lock, so the workers are what lets the
    platform use the machine's cores; two single-threaded workers per core measured
    best under 20 clients (BENCHMARKS.md, "Pages under load"). The application (and,
    unless ``--no-warm``, its shared caches) is loaded before the workers fork, so each
    starts with them."""
    _django()
    from gunicorn.app.base import BaseApplication

    from rasad.platform.wsgi import application

    if args.warm:
        from rasad.platform.warm import warm_caches

        started = time.perf_counter()
        warmed = warm_caches()
        seconds = number(args.lang, time.perf_counter() - started, 1)
        print(
            say(
                args.lang,
                f"warmed {', '.join(warmed) or 'nothing (no data yet)'} in {seconds} s",
                f"گرم شد: {'، '.join(warmed) or 'هیچ (هنوز داده‌ای نیست)'} در {seconds} ثانیه",
            ),
            flush=True,
        )

    class Server(BaseApplication):
        def load_config(self):
            # one thread: gunicorn's sync workers, each taking the next request when free;
            # more: threaded workers (gthread), which keep connections alive
            settings = {
                "bind": f"{args.host}:{args.port}",
                "workers": args.workers,
                "threads": args.threads,
                "timeout": 300,
                "graceful_timeout": 30,
            }
            for name, value in settings.items():
                self.cfg.set(name, value)

        def load(self):
            return application

    workers, threads = number(args.lang, args.workers), number(args.lang, args.threads)
    print(
        say(
            args.lang,
            f"Rasad is serving on http://{args.host}:{args.port}/ with {workers} worker(s) × "
            f"{threads} threads  (Ctrl+C stops it)",
            f"رصد روی http://{args.host}:{args.port}/ با {workers} فرایند × {threads} رشته در خدمت "
            "است  (Ctrl+C آن را می‌ایستاند)",
        ),
        flush=True,
    )
    Server().run()
    return 0


def _import(args) -> int:
    """Exit status: 0 imported (or a clean dry run), 1 the file has errors, or
    implausible figures and no --confirm-implausible (nothing stored), 2 the file could
    not be read or the command was misused."""
    _django()
    from rich.console import Console

    from rasad.platform.returns.checking import check_upload
    from rasad.platform.returns.importing import commit_upload, import_frames

    console = Console(stderr=False)
    user = _user_named(args.as_user) if args.as_user else _command_line_user()
    if (args.dataset or args.prices) and not args.mapping:
        raise RasadInputError(
            "--dataset and --prices go with --mapping: they name a research panel and its prices.",
            "--dataset و --prices همراه --mapping می‌آیند: مجموعهٔ پژوهشی و شاخص قیمت آن را "
            "نام می‌برند.",
            field="--dataset",
        )
    path = Path(args.file)
    if not path.is_file():
        raise RasadInputError(f"{path}: no such file.", f"{path}: چنین فایلی نیست.", field="FILE")
    with _bar(
        showing(args) and not args.dry_run, say(args.lang, "storing returns", "ثبت اظهارنامه‌ها")
    ) as progress:
        if args.mapping:
            panel, target = _mapped_panel(path, args)
            enterprises = _with_constants(panel.enterprises, args.constant)
            outcome = import_frames(
                enterprises,
                panel.returns,
                user=user,
                source_name=path.name,
                commit=not args.dry_run,
                progress=progress,
                panel=target,
                confirm_implausible=args.confirm_implausible,
            )
        elif args.dry_run:
            outcome = check_upload(path.read_bytes(), path.name, user=user)
        else:
            outcome = commit_upload(
                path.read_bytes(),
                path.name,
                user=user,
                progress=progress,
                confirm_implausible=args.confirm_implausible,
            )
    report = outcome.report
    if report.problems:
        console.print(report.to_rich(args.lang))
    if args.report:
        report.to_excel(args.report, language=args.lang)
    console.print(outcome.summary(args.lang))
    held = report.needs_confirmation and not args.confirm_implausible
    if held and not report.blocking:
        console.print(
            "اگر این ارقام درست‌اند، فرمان را با --confirm-implausible دوباره اجرا کنید."
            if args.lang == "fa"
            else "If these figures are right, run the command again with --confirm-implausible."
        )
    return 1 if report.blocking or held else 0


def _mapped_panel(path: Path, args):
    """A research panel read through its mapping, and the data set it goes into: the
    mapping's (or ``--dataset``'s), with the mapping's price index or ``--prices``'."""
    from rasad.intake.mapping import load_mapping, read_panel
    from rasad.intake.prices import read_prices
    from rasad.platform.registry.models import Enterprise
    from rasad.platform.returns.importing import PanelTarget

    mapping = load_mapping(args.mapping)
    code = args.dataset or mapping.dataset_code
    if code == "national":
        raise RasadInputError(
            "--dataset national: a research panel needs a data set of its own.",
            "--dataset national: مجموعهٔ پژوهشی مجموعه‌دادهٔ جداگانهٔ خود را می‌خواهد.",
            field="--dataset",
            value=code,
        )
    known = dict(
        Enterprise.objects.filter(dataset__code=code)
        .exclude(source_code="")
        .values_list("source_code", "national_id")
    )
    panel = read_panel(path, mapping, known_codes=known)
    prices, note = (
        read_prices(args.prices) if args.prices else (mapping.prices, mapping.prices_note)
    )
    codes = dict(zip(panel.crosswalk["national_id"], panel.crosswalk["source_id"], strict=True))
    return panel, PanelTarget(
        code,
        mapping.name_fa,
        mapping.name_en,
        citation=str(mapping.source.get("citation", "")),
        currency=mapping.currency,
        prices=prices,
        prices_note=note,
        source_codes=codes,
    )


def _command_line_user():
    """Imports from the command line without --as are an administrator's: the first
    active superuser, whom the versions record as their author."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise RasadInputError(
            "Name the importing user with --as USERNAME (no administrator account exists).",
            "کاربر واردکننده را با --as USERNAME نام ببرید (هیچ حساب مدیری نیست).",
            field="--as",
        )
    return user


def _user_named(username: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise RasadInputError(
            f"No user is called '{username}'.", f"کاربری به نام «{username}» نیست.", field="--as"
        )
    return user


# --- rasad edition list | compute | publish ---------------------------------------------
# The yearly cycle from a script: the same services as the analyst's pages (the job that
# computes an edition, run here in this process; the publishing service). Exit status:
# 0 done, 1 refused because too few enterprises have filed (a thin edition) or the
# computation failed, 2 a wrong option, file or edition.


def _edition_user(args):
    """The analyst or administrator an edition command acts as: ``--as``, or the first
    administrator."""
    user = _user_named(args.as_user) if args.as_user else _command_line_user()
    if not user.can_run_analyses:
        raise RasadInputError(
            f"'{user.username}' may not compute or publish editions (analysts and administrators "
            "only).",
            f"«{user.username}» نمی‌تواند ویرایش رتبه‌بندی محاسبه یا منتشر کند (فقط تحلیل‌گران و "
            "مدیران).",
            field="--as",
            value=user.username,
        )
    return user


def _print_thin(args, thin_edition) -> int:
    coverage = thin_edition.coverage
    print(
        error(
            args,
            f"{coverage.figures('en')} To compute it anyway, as a thin edition that cannot be "
            "published, add --allow-thin.",
            f"{coverage.figures('fa')} برای محاسبهٔ آن به هر حال، به‌صورت ویرایش کم‌پوششی که منتشر "
            "نمی‌شود، گزینهٔ --allow-thin را بیفزایید.",
        ),
        file=sys.stderr,
    )
    return 1


EDITION_STATES_FA = {
    "draft": "پیش‌نویس",
    "computed": "محاسبه‌شده",
    "published": "منتشرشده",
    "superseded": "جایگزین‌شده",
}


def _edition_list(args) -> int:
    _django()
    from rasad.platform.rankings.models import Edition

    editions = (
        Edition.objects.select_related("period", "methodology")
        .with_superseded()
        .order_by("-period__year", "-created_at", "-pk")
    )
    if args.period is not None:
        editions = editions.filter(period__year=args.period)
    lang = args.lang
    rows = []
    for edition in editions:
        coverage = edition.coverage_figures()
        if coverage is not None:
            covered = coverage.short(lang) + (
                say(lang, " thin", " کم‌پوشش") if coverage.thin else ""
            )
        else:
            covered = say(lang, "not recorded", "ثبت نشده") if edition.computed_at else "—"
        methodology = edition.methodology
        name = say(lang, methodology.name_en, methodology.name_fa) or methodology.name_fa
        rows.append(
            (
                digits(lang, edition.pk),
                digits(lang, edition.period.code),
                f"{name} {digits(lang, methodology.version)}",
                say(lang, edition.state, EDITION_STATES_FA[edition.state]),
                covered,
                number(lang, edition.ranked_count) if edition.ranked_count is not None else "—",
            )
        )
    if not rows:
        print(say(lang, "No edition yet.", "هنوز ویرایشی نیست."))
        return 0
    header = (
        ("id", "year", "methodology", "status", "coverage (filed of expected)", "ranked")
        if lang == "en"
        else ("شناسه", "سال", "روش‌شناسی", "وضعیت", "پوشش (داده‌شده از مورد انتظار)", "رتبه‌گرفته")
    )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {0, 5}
    for row in [header, *rows]:
        print(
            "  ".join(
                cell.rjust(w) if i in right else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
    return 0


def _edition_compute(args) -> int:
    """Create an edition of ``--period`` and compute it now, in this process, with the job
    the new-edition page starts."""
    _django()
    from rasad.index.methodology import MethodologyError
    from rasad.platform.rankings import jobs, thin
    from rasad.platform.rankings.bundled import stored_methodology
    from rasad.platform.rankings.models import EditionJob
    from rasad.platform.rankings.services import create_edition

    period = _yearly_period(args.period)
    user = _edition_user(args)
    try:
        text, source, spec_text = _edition_files(args)
    except MethodologyError as problems:
        _print_problems(args, problems)
        return 2
    coverage = thin.period_coverage(period)
    try:
        thin.refuse_thin_compute(coverage, args.allow_thin)
    except thin.ThinEdition as thin_edition:
        return _print_thin(args, thin_edition)
    print(coverage.figures(args.lang))
    methodology = stored_methodology(text, source, user)
    edition = create_edition(
        period, methodology, user, name_fa=args.name_fa or "", name_en=args.name_en or ""
    )
    job = jobs.start_compute(
        edition,
        user,
        spec_text=spec_text,
        runs=args.runs,
        seed=args.seed,
        top_k=args.top,
        sensitivity_n=args.sensitivity if spec_text else 0,
        allow_thin=args.allow_thin,
        chunks=args.chunks,
    )
    if args.background:
        from rasad.platform.rankings.tasks import compute_edition_job

        compute_edition_job.enqueue(job.pk)
        _print_queued(args.lang, edition, job)
        return 0
    started = time.perf_counter()
    with steps(args, _job_steps(jobs.stages_of(job.params))) as step:
        job = jobs.run_job(job.pk, progress=step)
    if job.status != EditionJob.Status.DONE:
        print(
            error(
                args,
                f"edition {edition.pk} could not be computed: {job.error_en}",
                f"ویرایش {digits(args.lang, edition.pk)} محاسبه نشد: {job.error_fa}",
            ),
            file=sys.stderr,
        )
        return 1
    edition.refresh_from_db()
    _print_computed(args.lang, edition, job, time.perf_counter() - started)
    return 0


def _yearly_period(year: int):
    """The yearly period ``--period`` names, or a refusal that lists the years filed."""
    from rasad.platform.returns.models import Period

    period = Period.objects.filter(year=year, quarter__isnull=True).first()
    if period is not None:
        return period
    years = ", ".join(
        str(y)
        for y in Period.objects.filter(quarter__isnull=True, returns__isnull=False)
        .values_list("year", flat=True)
        .distinct()
        .order_by("year")
    )
    raise RasadInputError(
        f"--period {year}: no such year; the returns cover: {years or 'none'}.",
        f"--period {year}: چنین سالی نیست؛ اظهارنامه‌ها این سال‌ها را دارند: {years or 'هیچ'}.",
        field="--period",
        value=year,
    )


def _edition_files(args) -> tuple[str, str, str]:
    """The methodology's text and source, and the spec's text ("" without ``--spec``),
    each checked: a :class:`~rasad.index.methodology.MethodologyError` names every
    problem of either file."""
    from rasad.index.methodology import loads, read_text
    from rasad.index.uncertainty import loads_spec

    text, source = read_text(args.methodology, "methodology file", "پروندهٔ روش‌شناسی")
    parsed = loads(text, source=source)
    spec_text = ""
    if args.spec:
        spec_text, spec_source = read_text(args.spec, "uncertainty spec", "پروندهٔ عدم قطعیت")
        loads_spec(spec_text, source=spec_source, methodology=parsed)
    return text, source, spec_text


def _print_queued(lang: str, edition, job) -> None:
    print(
        say(
            lang,
            f"Edition {edition.pk} queued as job {job.pk}: "
            "a worker (rasad worker) computes it; "
            f"follow it with: rasad edition status {job.pk}",
            f"ویرایش {digits(lang, edition.pk)} به‌صورت کار {digits(lang, job.pk)} در صف است: "
            f"کارگزار پس‌زمینه (rasad worker) آن را محاسبه می‌کند؛ پیگیری با: "
            f"rasad edition status {job.pk}",
        )
    )


def _print_computed(lang: str, edition, job, seconds_taken: float) -> None:
    """What a computed edition holds, and what to do with it next."""
    counts = (
        []
        if edition.eligible_count is None
        else [
            say(
                lang,
                f"{number(lang, edition.eligible_count)} enterprises eligible",
                f"{number(lang, edition.eligible_count)} بنگاه واجد شرایط",
            )
        ]
    )
    ranked = number(lang, edition.ranked_count)
    counts.append(say(lang, f"{ranked} ranked", f"{ranked} رتبه‌گرفته"))
    if edition.runs:
        runs = number(lang, edition.runs)
        counts.append(say(lang, f"rank intervals from {runs} runs", f"بازه‌های رتبه از {runs} اجرا"))
    seconds = number(lang, seconds_taken, 1)
    print(
        say(
            lang,
            f"Edition {edition.pk} computed in {seconds} s: "
            f"'{edition.name_en}', {', '.join(counts)}.",
            f"ویرایش {digits(lang, edition.pk)} در {seconds} ثانیه محاسبه شد: «{edition.name_fa}»، "
            f"{'، '.join(counts)}.",
        )
    )
    if job.unranked is not None:
        print(
            say(
                lang,
                f"No enterprise could be ranked: {job.unranked.message_en}",
                f"هیچ بنگاهی رتبه نگرفت: {job.unranked.message_fa}",
            )
        )
    if edition.thin_allowed:
        print(
            say(
                lang,
                "A thin edition (computed with --allow-thin): it cannot be published.",
                "ویرایش کم‌پوشش (محاسبه‌شده با --allow-thin): منتشر نمی‌شود.",
            )
        )
    else:
        print(
            say(
                lang,
                f"Review it at /analysis/editions/{edition.pk}/ or publish it: "
                f"rasad edition publish --edition {edition.pk}",
                f"آن را در /analysis/editions/{edition.pk}/ بازبینی یا منتشر کنید: "
                f"rasad edition publish --edition {edition.pk}",
            )
        )


def _edition_status(args) -> int:
    """A job's state and progress. Exit status: 0 done, 1 failed, 3 still queued or running."""
    _django()
    from rasad.platform.rankings import jobs
    from rasad.platform.rankings.models import EditionJob

    job = EditionJob.objects.select_related("edition").filter(pk=args.job).first()
    if job is None:
        raise RasadInputError(
            f"JOB {args.job}: no such job.",
            f"JOB {args.job}: چنین کاری نیست.",
            field="JOB",
            value=args.job,
        )
    from django.utils import translation

    job = jobs.mark_if_stale(job)
    lang = args.lang
    with translation.override(lang):
        status = job.get_status_display()
        stage = str(jobs.STAGE_LABELS.get(job.stage, job.stage))
    percent = number(lang, job.percent)
    print(
        say(
            lang,
            f"job {job.pk} of edition {job.edition_id} ('{job.edition.name_en}'): {job.status}"
            + (f" on {job.worker}" if job.worker else "")
            + f", {percent}%",
            f"کار {digits(lang, job.pk)} ویرایش {digits(lang, job.edition_id)} "
            f"(«{job.edition.name_fa}»): {status}"
            + (f" در {job.worker}" if job.worker else "")
            + f"، {percent}٪",
        )
        + (f" ({stage})" if job.stage and job.is_active else "")
    )
    if job.status == EditionJob.Status.QUEUED:
        print(
            say(
                lang,
                "waiting for a worker: start one with `rasad worker`.",
                "در انتظار کارگزار پس‌زمینه: با `rasad worker` یکی را راه بیندازید.",
            )
        )
    if job.message_en:
        print(say(lang, job.message_en, job.message_fa))
    if job.status == EditionJob.Status.FAILED:
        print(say(lang, job.error_en, job.error_fa))
        return 1
    if job.status == EditionJob.Status.DONE:
        return 0
    return 3


def _report(args) -> int:
    """Render a report to a PDF file, here and now (no worker, no cache)."""
    _django()
    from rasad.platform.reports import delivery

    module = delivery.kind_module(args.kind)
    if module is None:
        raise delivery.unknown_kind(args.kind)
    if module.version(args.key) is None:
        raise RasadInputError(
            f"There is no {args.kind} report of {args.key!r}.",
            f"گزارش «{args.kind}» برای «{args.key}» وجود ندارد.",
            field="key",
            value=args.key,
        )
    out = Path(args.out)
    with steps(args, [("render", "rendering the PDF", "ساختن PDF")]):
        out.write_bytes(module.render(args.key, language=args.lang))
    print(out)
    return 0


AUTOGROUP = Path("/proc/self/autogroup")


def _yield_cpu(nice: int) -> None:
    """Run ``nice`` steps below the web servers. Linux weighs a nice value only against
    processes of the same scheduling group (a session, with autogroup on): a worker in a
    session of its own (systemd's, or after ``setsid`` here) gets its group niced too, or
    it would take half the cores whatever its nice value (BENCHMARKS.md, pages with a job
    in the worker). A worker that shares its session with others (started
    from an interactive shell) leaves the group alone: renicing it would slow them too."""
    os.nice(nice)
    try:
        os.setsid()  # a session, and so a scheduling group, of its own
    except OSError:
        pass  # it leads a process group already (systemd, a shell's job)
    if os.getsid(0) == os.getpid():
        try:
            AUTOGROUP.write_text(str(nice))
        except OSError:
            pass  # no autogroup here (not Linux, or it is off): the nice value counts as is


def _worker(args) -> int:
    """A worker process: it takes queued jobs (edition computations, large imports,
    reports' PDFs) from the database and runs them, one at a time, until stopped. Jobs
    whose worker was lost are marked failed first. It runs at a lower CPU priority
    (``--nice``) than the web servers: where both share a machine, a page someone waits
    for goes first and the background job takes the cores the pages leave idle."""
    if args.nice:
        _yield_cpu(args.nice)
    _django()
    from django.core.management import call_command

    from rasad.platform.rankings.jobs import reap_lost_jobs
    from rasad.platform.rankings.tasks import worker_name
    from rasad.platform.reports.delivery import reap_lost_reports
    from rasad.platform.returns import import_jobs

    lost = reap_lost_jobs() + import_jobs.reap_lost_jobs() + reap_lost_reports()
    if lost:
        print(
            say(
                args.lang,
                f"{lost} job(s) whose worker was lost are marked failed.",
                f"{number(args.lang, lost)} کار که کارگزارش از دست رفته بود ناموفق علامت خورد.",
            ),
            file=sys.stderr,
        )
    options = ["--interval", str(args.interval), "--no-reload", "--worker-id", worker_name()[:64]]
    if args.batch:
        options.append("--batch")
    if not args.quiet:
        print(
            say(
                args.lang,
                f"rasad worker {worker_name()}: waiting for jobs (Ctrl+C stops it after the "
                "current job)",
                f"کارگزار رصد {worker_name()}: در انتظار کار (Ctrl+C آن را پس از کار کنونی "
                "می‌ایستاند)",
            ),
            file=sys.stderr,
        )
    call_command("db_worker", *options)
    return 0


def _notify(args) -> int:
    """Announce the new alerts and the returns due within ``--days`` of their deadline,
    send again the emails an earlier run could not (the mail server down, say), then the
    estate managers' digests that are due. Run it daily (cron or a systemd timer,
    docs/deploy.md): it tells nobody of anything twice."""
    _django()
    import datetime

    from rasad.platform.notifications import services, triggers
    from rasad.platform.notifications.models import Notification

    with steps(
        args,
        [
            ("alerts", "new alerts", "هشدارهای تازه"),
            ("due", "returns due", "اظهارنامه‌های سررسیده"),
            ("emails", "emails not sent before", "رایانامه‌های فرستاده‌نشده"),
            ("digests", "digests", "چکیده‌ها"),
        ],
    ) as step:
        step("alerts")
        alerts = triggers.scan_alerts()
        step("due")
        due = triggers.scan_due_returns(datetime.date.today(), args.days)
        step("emails")
        retried = services.send_emails(Notification.objects.all())
        step("digests")
        digests = 0 if args.no_digest else services.send_digests()
    lang = args.lang
    alerts, due, retried, digests = (number(lang, n) for n in (alerts, due, retried, digests))
    print(
        say(
            lang,
            f"{alerts} alert notification(s), {due} return-due notification(s), "
            f"{retried} email(s) sent again, {digests} digest(s)",
            f"{alerts} آگاه‌سازی هشدار، {due} آگاه‌سازی سررسید اظهارنامه، "
            f"{retried} رایانامهٔ دوباره فرستاده، {digests} چکیده",
        )
    )
    return 0


def _edition_publish(args) -> int:
    _django()
    from django.core.exceptions import PermissionDenied

    from rasad.platform.rankings import jobs, thin
    from rasad.platform.rankings.models import Edition, EditionJob
    from rasad.platform.rankings.services import publish_edition

    edition = Edition.objects.select_related("period").filter(pk=args.edition).first()
    if edition is None:
        raise RasadInputError(
            f"--edition {args.edition}: no such edition (rasad edition list shows them).",
            f"--edition {args.edition}: چنین ویرایشی نیست (rasad edition list آن‌ها را نشان می‌دهد).",
            field="--edition",
            value=args.edition,
        )
    user = _edition_user(args)
    if any(
        jobs.mark_if_stale(job).is_active
        for job in edition.jobs.filter(status__in=EditionJob.ACTIVE)
    ):
        raise RasadInputError(
            "The edition is being computed; publish it when the job has finished.",
            "این ویرایش در حال محاسبه است؛ پس از پایان کار آن را منتشر کنید.",
            field="--edition",
            value=edition.pk,
        )
    try:
        edition = publish_edition(edition, user)
    except thin.ThinEdition as thin_edition:
        print(error(args, thin_edition.message_en, thin_edition.message_fa), file=sys.stderr)
        return 1
    except PermissionDenied:  # _edition_user checked it already
        raise RasadInputError(
            "Only analysts and administrators publish editions.",
            "فقط تحلیل‌گران و مدیران ویرایش منتشر می‌کنند.",
            field="--as",
        ) from None
    lang = args.lang
    print(
        say(
            lang,
            f"Edition {edition.pk} published: '{edition.name_en}'. It is frozen from now on; "
            "later corrections reach only a new edition.",
            f"ویرایش {digits(lang, edition.pk)} منتشر شد: «{edition.name_fa}». از این پس ثابت "
            "می‌ماند؛ اصلاحات بعدی تنها به ویرایشی تازه می‌رسند.",
        )
    )
    older = edition.supersedes
    if older is not None:
        print(
            say(
                lang,
                f"It supersedes edition {older.pk} ('{older.name_en}') of {edition.period.code}: "
                "the public pages show this one.",
                f"جای ویرایش {digits(lang, older.pk)} («{older.name_fa}») سال "
                f"{digits(lang, edition.period.code)} را می‌گیرد: صفحه‌های عمومی این یکی را نشان "
                "می‌دهند.",
            )
        )
    return 0


def _with_constants(enterprises, constants):
    """The registry fields a research panel lacks (ISIC class, province…), set for all
    its firms from ``--constant field=value``."""
    from rasad.iran.geo import find_province

    enterprises = enterprises.copy()
    for item in constants or ():
        field, _, value = item.partition("=")
        if field == "province":
            enterprises["province_code"] = int(find_province(value)["code"])
        elif field in ("isic_class", "estate_code", "founding_year"):
            enterprises[field] = value
        else:
            raise RasadInputError(
                f"--constant {item}: only isic_class, province, estate_code or founding_year.",
                f"--constant {item}: فقط isic_class، province، estate_code یا founding_year.",
                field="--constant",
                value=item,
            )
    return enterprises


@contextmanager
def _bar(show: bool, description: str):
    if not show:
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _template(args) -> int:
    from rasad.intake import write_template

    estates = None
    periods = ()
    if not args.no_database:
        _django()
        import pandas as pd

        from rasad.platform.registry.models import IndustrialEstate
        from rasad.platform.returns.models import Period

        estates = pd.DataFrame(
            IndustrialEstate.objects.values_list("code", "name_fa", "name_en", "province__code"),
            columns=["code", "name_fa", "name_en", "province_code"],
        )
        periods = [p.code for p in Period.objects.order_by("year", "quarter")][-5:]
    path = write_template(
        args.out,
        estates=() if estates is None else estates,
        periods=periods,
        format="csv" if args.out.lower().endswith(".csv") else "xlsx",
    )
    print(say(args.lang, f"template → {path}", f"الگو → {path}"))
    return 0


def _manage(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rasad.platform.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["rasad manage", *args.arguments])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = LanguageParser(prog="rasad", description="Rasad (رصد): SME ranking and monitoring")
    parser.add_argument("--version", action="version", version=f"rasad {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    for add_group in (
        _add_demo_commands,
        _add_index_commands,
        _add_import_commands,
        add_analysis_commands,
        _add_edition_commands,
        _add_service_commands,
        _add_server_commands,
    ):
        add_group(commands)
    return parser


def _add_demo_commands(commands) -> None:
    """``rasad demo``: the synthetic population."""
    demo = commands.add_parser("demo", help="the synthetic demo population").add_subparsers(
        dest="demo_command", required=True
    )
    for name, handler, help_text in (
        ("generate", _demo_generate, "write the demo population as CSV files"),
        ("load", _demo_load, "load the demo population into the database"),
    ):
        sub = demo.add_parser(name, help=help_text)
        sub.add_argument(
            "--enterprises", type=int, default=3000, help="how many enterprises (default 3000)"
        )
        sub.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        sub.set_defaults(handler=handler)
        if name == "generate":
            sub.add_argument("--out", required=True, help="directory for the CSV files")
        else:
            sub.add_argument(
                "--if-empty", action="store_true", help="only when no enterprise is registered"
            )


def _add_index_commands(commands) -> None:
    """``rasad index``: the composite-index engine on files, without a database."""
    index = commands.add_parser("index", help="composite-index engine").add_subparsers(
        dest="index_command", required=True
    )
    _add_index_builds(index)
    _add_index_analyses(index)
    _add_index_audits(index)


def _add_index_builds(index) -> None:
    """``index check``, ``build`` and ``league``: a methodology, its ranking and tables."""
    check = index.add_parser("check", help="validate a methodology file")
    check.add_argument("methodology")
    check.set_defaults(handler=_index_check)
    build = index.add_parser("build", help="compute scores and ranks")
    build.add_argument(
        "--methodology",
        required=True,
        help="methodology YAML file, or a bundled name (sme100, asem)",
    )
    build.add_argument("--data", required=True, help="one row per unit: CSV, XLSX or Parquet")
    build.add_argument("--out", required=True, help="results CSV: unit id, score, rank, aggregates")
    build.add_argument("--excel", help="also write every data set, rank and log to this workbook")
    build.add_argument("--datasets", help="also write every data set, rank and log as CSVs here")
    build.set_defaults(handler=_index_build)

    league = index.add_parser("league", help="IMI-style league tables: a ranked list per indicator")
    league.add_argument("--methodology", required=True)
    league.add_argument("--data", required=True)
    league.add_argument(
        "--by", default="size_class", help="band column (default size_class; '' for none)"
    )
    league.add_argument("--top", type=int, default=100)
    league.add_argument("--out", required=True)
    league.set_defaults(handler=_index_league)


def _add_index_analyses(index) -> None:
    """``index uncertainty`` and ``sensitivity``: a spec's replicates."""
    unc = index.add_parser(
        "uncertainty", help="rank intervals over Monte Carlo replicates of a spec's choices"
    )
    unc.add_argument(
        "--methodology",
        required=True,
        help="methodology YAML file, or a bundled name (sme100, asem)",
    )
    unc.add_argument(
        "--spec", required=True, help="uncertainty spec YAML, or a bundled name (asem-uncertainty)"
    )
    unc.add_argument("--data", required=True, help="one row per unit: CSV, XLSX or Parquet")
    unc.add_argument("--runs", type=int, default=1000, help="Monte Carlo replicates (default 1000)")
    unc.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    unc.add_argument(
        "--top",
        type=int,
        default=100,
        help="p_top is the share of replicates ranked ≤ this (default 100)",
    )
    unc.add_argument(
        "--out", required=True, help="CSV: unit id, nominal, mean, median, q05, q95, p_top"
    )
    unc.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    unc.set_defaults(handler=_index_uncertainty)
    sens = index.add_parser(
        "sensitivity", help="first-order and total Sobol indices of a spec's choices"
    )
    sens.add_argument(
        "--methodology", required=True, help="methodology YAML file, or a bundled name"
    )
    sens.add_argument("--spec", required=True, help="uncertainty spec YAML, or a bundled name")
    sens.add_argument("--data", required=True, help="one row per unit: CSV, XLSX or Parquet")
    sens.add_argument(
        "--n",
        type=int,
        default=256,
        help="Sobol base sample, a power of two; N(d+2) builds (default 256)",
    )
    sens.add_argument("--seed", type=int, default=1)
    sens.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        help="bootstrap resamples for the bounds (default 1000)",
    )
    sens.add_argument(
        "--unit", help="target this unit's rank instead of the mean absolute rank shift"
    )
    sens.add_argument(
        "--out", required=True, help="CSV: input, Si, STi and their 5%% and 95%% bounds"
    )
    sens.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    sens.set_defaults(handler=_index_sensitivity)


def _add_index_audits(index) -> None:
    """``index audit`` and ``inputs``: what a methodology does to data, and the SME inputs."""
    aud = index.add_parser(
        "audit",
        help="audit a methodology on data: top-K mix, gains from blanks, drift with "
        "the population's size, treatment, coherence, coverage",
    )
    aud.add_argument(
        "--methodology",
        required=True,
        help="methodology YAML file, or a bundled name (sme100, asem)",
    )
    aud.add_argument("--data", required=True, help="one row per unit: CSV, XLSX or Parquet")
    aud.add_argument("--top", type=int, default=100, help="the K of the top K (default 100)")
    aud.add_argument("--seed", type=int, default=1, help="random seed of every draw (default 1)")
    aud.add_argument(
        "--draws",
        type=int,
        default=10_000,
        help="random draws for the mix p-values (default 10000)",
    )
    aud.add_argument(
        "--sample", type=int, default=25, help="units tried for gains from blanks (default 25)"
    )
    aud.add_argument(
        "--ranks", default="51-800", help="ranks the sample is drawn from (default 51-800)"
    )
    aud.add_argument(
        "--resample-size",
        type=int,
        help="units in the resampled population (default: two resamples, a fifth of the input's "
        "units "
        "drawn without replacement, at least 2000, and 5× as many, at most 100000)",
    )
    aud.add_argument("--out", help="also write every section to this workbook (.xlsx)")
    aud.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    aud.set_defaults(handler=_index_audit)
    inputs = index.add_parser(
        "inputs", help="the SME-100 input table for a year from yearly returns"
    )
    inputs.add_argument(
        "--returns", required=True, help="returns.csv (national_id, year, catalogue columns)"
    )
    inputs.add_argument(
        "--enterprises",
        required=True,
        help="enterprises.csv (national_id, isic_class, province_code…)",
    )
    inputs.add_argument("--year", type=int, required=True, help="Jalali year, e.g. 1403")
    inputs.add_argument("--out", required=True)
    inputs.set_defaults(handler=_index_inputs)


def _add_import_commands(commands) -> None:
    """``rasad import`` and ``template``: returns in, the template out."""
    imp = commands.add_parser(
        "import", help="import enterprises and returns from an Excel or CSV file"
    )
    imp.add_argument("file", help="the file (xlsx or csv; a research panel's csv with --mapping)")
    imp.add_argument("--dry-run", action="store_true", help="check and report only; store nothing")
    imp.add_argument(
        "--confirm-implausible",
        action="store_true",
        help="store figures outside the catalogue's plausible bounds (10^30 employees, say), "
        "which the report lists; without it a file holding any is not imported",
    )
    imp.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="import as this user, within their scope (default: the first administrator)",
    )
    imp.add_argument("--report", help="also write the report to this Excel file")
    imp.add_argument(
        "--mapping", help="a panel mapping (bundled name such as michigan_jtrain, or a YAML file)"
    )
    imp.add_argument(
        "--dataset",
        metavar="CODE",
        help="with --mapping: the research panel to import into (default: the mapping's own)",
    )
    imp.add_argument(
        "--prices",
        metavar="FILE",
        help="with --mapping: a CSV price index by year for the panel's money (default: the "
        "mapping's)",
    )
    imp.add_argument(
        "--constant",
        action="append",
        metavar="FIELD=VALUE",
        help="with --mapping: a registry field the panel lacks (isic_class, province…)",
    )
    imp.add_argument("--no-progress", action="store_true", help="no progress bar")
    imp.set_defaults(handler=_import)

    template = commands.add_parser(
        "template", help="write the Excel (or CSV) template for enterprises and returns"
    )
    template.add_argument("--out", required=True, help="returns.xlsx, or a .csv file")
    template.add_argument(
        "--no-database", action="store_true", help="without the database's estates and periods"
    )
    template.set_defaults(handler=_template)


def _add_edition_commands(commands) -> None:
    """``rasad edition``: the yearly cycle of list, compute, publish and status."""
    edition = commands.add_parser(
        "edition", help="ranking editions: list, compute and publish (the yearly cycle)"
    ).add_subparsers(dest="edition_command", required=True)
    listing = edition.add_parser(
        "list", help="every edition: id, year, methodology, status, coverage, ranked"
    )
    listing.add_argument("--period", type=int, help="only this Jalali year")
    listing.set_defaults(handler=_edition_list)
    _add_edition_compute_publish(edition)
    status = edition.add_parser(
        "status", help="a job's state and progress (exit 0 done, 1 failed, 3 not yet)"
    )
    status.add_argument(
        "job", type=int, metavar="JOB", help="the job's id (printed by compute --background)"
    )
    status.set_defaults(handler=_edition_status)


def _add_edition_compute_publish(edition) -> None:
    """``edition compute`` and ``publish``, which share who acts and how."""
    compute = edition.add_parser(
        "compute",
        help="create an edition of a year and compute it now; refused when too few enterprises "
        "have filed",
    )
    _add_compute_options(compute)
    publish = edition.add_parser(
        "publish", help="publish a computed edition (refused for a thin one)"
    )
    publish.add_argument(
        "--edition", type=int, required=True, metavar="ID", help="the edition's id (edition list)"
    )
    for sub in (compute, publish):
        sub.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="act as this analyst or administrator (default: the first administrator)",
        )
    compute.add_argument(
        "--chunks",
        type=int,
        metavar="N",
        help="with --background: split the Monte Carlo runs into N parts that several workers "
        "share "
        "(default RASAD_REPLICATE_CHUNKS, 1); the results are the same",
    )
    compute.add_argument(
        "--background",
        action="store_true",
        help="queue it for a worker (rasad worker) and print the job's id instead of waiting",
    )
    compute.set_defaults(handler=_edition_compute)
    publish.set_defaults(handler=_edition_publish)


def _add_compute_options(compute) -> None:
    """What ``edition compute`` computes: the year, methodology, spec and its runs, the
    sensitivity analysis, and the edition's names."""
    compute.add_argument("--period", type=int, required=True, help="Jalali year, e.g. 1403")
    compute.add_argument(
        "--methodology",
        default="sme100",
        help="methodology YAML file, or a bundled name (default sme100)",
    )
    compute.add_argument(
        "--spec",
        help="uncertainty spec YAML, or a bundled name (sme100-uncertainty), for rank "
        "intervals and the sensitivity analysis (default: none)",
    )
    compute.add_argument(
        "--runs", type=int, default=1000, help="Monte Carlo runs with --spec (default 1000)"
    )
    compute.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    compute.add_argument(
        "--top", type=int, default=100, help="size of the top list, for P(top) (default 100)"
    )
    compute.add_argument(
        "--sensitivity",
        type=int,
        default=0,
        metavar="N",
        help="with --spec: Sobol base sample of the sensitivity analysis (default 0: none)",
    )
    compute.add_argument(
        "--allow-thin",
        action="store_true",
        help="compute even when the returns cover less than RASAD_EDITION_MIN_COVERAGE of the "
        "enterprises expected (a thin edition: it can never be published)",
    )
    compute.add_argument(
        "--name-fa", help="the edition's Persian name (default: methodology and year)"
    )
    compute.add_argument(
        "--name-en", help="the edition's English name (default: methodology and year)"
    )


def _add_service_commands(commands) -> None:
    """The platform's services: reports, the worker and the notices."""
    report = commands.add_parser(
        "report", help="a report as a PDF: the edition report, a policy brief, a scorecard"
    )
    report.add_argument("kind", metavar="KIND", help="edition, brief or scorecard")
    report.add_argument(
        "key",
        metavar="KEY",
        help="what the report is of: an edition's id, a brief's place, an enterprise's national ID",
    )
    report.add_argument("--out", required=True, help="the PDF file to write")
    report.set_defaults(handler=_report)

    worker = commands.add_parser(
        "worker",
        help="a background worker: runs queued edition computations, large imports and reports",
    )
    worker.add_argument(
        "--interval", type=float, default=1.0, help="seconds between looks at the queue (default 1)"
    )
    worker.add_argument("--batch", action="store_true", help="run what is queued, then exit")
    worker.add_argument(
        "--nice",
        type=int,
        default=10,
        help="how much lower than the web server's its CPU priority is (default 10; 0: the same)",
    )
    worker.add_argument("--quiet", action="store_true", help="say nothing on start")
    worker.set_defaults(handler=_worker)

    notify = commands.add_parser(
        "notify",
        help="notify users of new alerts and returns due, and send the estate managers' digests",
    )
    notify.add_argument(
        "--days",
        type=int,
        default=7,
        help="announce a return due when its deadline is this many days away or less (default 7)",
    )
    notify.add_argument("--no-digest", action="store_true", help="send no digest this time")
    notify.set_defaults(handler=_notify)


def _add_server_commands(commands) -> None:
    """``rasad serve`` and ``manage``: the web server and Django's own commands."""
    serve = commands.add_parser("serve", help="serve the platform")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="worker processes (default: two per core)",
    )
    serve.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker (default 1: each worker takes the next request when free)",
    )
    serve.add_argument(
        "--no-warm",
        dest="warm",
        action="store_false",
        help="do not compute the shared caches before the workers start",
    )
    serve.set_defaults(handler=_serve)

    manage = commands.add_parser(
        "manage", help="Django management commands (migrate, createsuperuser…)"
    )
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_manage)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    resolve(args)
    try:
        return args.handler(args)
    except RasadInputError as problem:
        print(error(args, problem.message_en, problem.message_fa), file=sys.stderr)
        return 2


# container allocations between collections of the youngest generation (Python's: 700)
GC_YOUNGEST = 10_000


def run() -> None:
    """The ``rasad`` process: the console script and ``python -m rasad``.

    A short command spends a good part of its time in Python's cyclic collector, most of
    it at exit, tracing the objects its imports made (pandas', pydantic's models) one
    last time before they are freed anyway (BENCHMARKS.md, issue 19, has the figures).
    So what is alive at the end is frozen out of the last collections, and the youngest
    generation is collected less often; the older ones keep Python's thresholds, so a
    long command (a worker) frees its cycles as before. Callers of :func:`main` in their
    own process (the tests) keep their collector as it was."""
    gc.set_threshold(GC_YOUNGEST, *gc.get_threshold()[1:])
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
