"""Benchmark: the edition report (issue 17) of a 20,000-firm edition, end to end, against
WeasyPrint's own time on the same HTML.

Run:  .venv/bin/python benchmarks/bench_report_edition.py [--enterprises 20000] [--rebuild]

1. Builds the PostgreSQL database ``bench_report_edition`` on 127.0.0.1:5432 (trust auth,
   user postgres) with the demo population (``rasad.demo.generate`` loaded by
   ``load_demo``), the edition of its year before the latest computed and published
   (for the movers), and the demo edition of the latest year computed and published the
   way ``rasad demo load`` does it (rank intervals and sensitivity included) — or reuses
   it when the marker written after a complete build (a comment on the database) matches.
2. Renders the latest edition's report in Persian and English with
   :func:`rasad.platform.reports.edition.render`, the cache emptied first (the figures
   the public pages cache per edition are computed too): the target is ≤ 60 s each.
3. The peers, in the same run: the report's context alone (the database's figures and
   the charts, whose vl-convert time is measured on its own), and WeasyPrint's own time
   on the same HTML (``render_html`` once, then ``HTML(string).write_pdf()`` alone).
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"


def marker(enterprises: int, seed: int) -> str:
    return f"rasad bench_report_edition: {enterprises} enterprises, seed {seed}, complete"


def prepare(args) -> str:
    import psycopg

    label = marker(args.enterprises, args.seed)
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [args.database],
        ).fetchone()
        reuse = row is not None and row[0] == label and not args.rebuild
        if not reuse:
            admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{args.database}"')
    os.environ["RASAD_DATABASE_URL"] = f"{SERVER}/{args.database}"
    os.environ["RASAD_VAR_DIR"] = str(args.var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rasad.platform.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return "reused" if reuse else build(args, label)


def build(args, label: str) -> str:
    from django.db import connection

    from rasad.demo import generate
    from rasad.iran.text import to_persian_digits
    from rasad.platform.accounts.models import User
    from rasad.platform.demo_data import load_demo, publish_demo_edition
    from rasad.platform.rankings.bundled import bundled_methodology
    from rasad.platform.rankings.models import Edition
    from rasad.platform.rankings.services import compute_edition, publish_edition
    from rasad.platform.returns.models import Period

    started = time.perf_counter()
    load_demo(generate(n_enterprises=args.enterprises, seed=args.seed))
    job = publish_demo_edition()  # the latest year's (only when there is no edition yet)
    if job is None or job.status != "done":
        raise SystemExit(f"the demo edition was not computed: {getattr(job, 'error_en', '')}")
    # the year before, published too: the report's movers are measured against it
    analyst = User.objects.get(username="demo-analyst")
    before = Period.objects.get(year=job.edition.period.year - 1, quarter__isnull=True)
    earlier = Edition.objects.create(
        name_fa=f"رتبه‌بندی {to_persian_digits(before.code)}",
        name_en=f"SME-100 {before.code}",
        period=before,
        methodology=bundled_methodology(analyst),
        created_by=analyst,
    )
    compute_edition(earlier, seed=1)
    publish_edition(earlier, analyst)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(f'COMMENT ON DATABASE "{args.database}" IS %s', [label])
    return f"built in {time.perf_counter() - started:.0f} s"


def timed(owner, name: str, times: list) -> None:
    """Replace ``owner.name`` by a wrapper adding its wall time to ``times``."""
    function = getattr(owner, name)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            times.append(time.perf_counter() - start)

    setattr(owner, name, wrapper)


def pages(pdf: bytes) -> str:
    """The PDF's page count as poppler's pdfinfo reads it ("?" without poppler-utils)."""
    if shutil.which("pdfinfo") is None:
        return "?"
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    return re.search(rb"^Pages:\s+(\d+)", info, re.M).group(1).decode()


def measure(key: str, language: str) -> dict:
    from django.core.cache import cache
    from django.utils import translation
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from rasad.platform.reports import charts, edition
    from rasad.platform.reports.pdf import FONT_DIR, render_html

    charts_times: list[float] = []
    timed(charts, "png", charts_times)
    try:
        cache.clear()
        start = time.perf_counter()
        pdf = edition.render(key, language=language)
        total = time.perf_counter() - start
        chart_seconds = sum(charts_times)
        cache.clear()
        with translation.override(language):
            start = time.perf_counter()
            context = edition.context(edition._edition(key))
            context_seconds = time.perf_counter() - start
        html = render_html(edition.TEMPLATE, context, language=language)
        start = time.perf_counter()
        HTML(string=html, base_url=str(FONT_DIR)).write_pdf(font_config=FontConfiguration())
        weasyprint_seconds = time.perf_counter() - start
    finally:
        charts.png = charts.png.__wrapped__
    return {
        "language": language,
        "render": total,
        "context": context_seconds,
        "charts": chart_seconds,
        "weasyprint": weasyprint_seconds,
        "pages": pages(pdf),
        "bytes": len(pdf),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="bench_report_edition")
    parser.add_argument("--var", type=Path, default=ROOT / "var" / "bench_report_edition")
    parser.add_argument("--rebuild", action="store_true", help="build the database anew")
    args = parser.parse_args()
    args.var.mkdir(parents=True, exist_ok=True)
    print(f"database: {prepare(args)}", flush=True)

    from rasad.platform.public import data

    latest = data.latest_edition()
    key = str(latest.pk)
    ranked = latest.results.filter(rank__isnull=False).count()
    print(
        f"edition {latest.period.code}: {ranked:,} ranked of {args.enterprises:,} enterprises, "
        f"{latest.runs} runs; Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "| language | render (end to end) | context (figures + charts) | charts (vl-convert) "
        "| WeasyPrint alone | pages |"
    )
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for language in ("fa", "en"):
        row = measure(key, language)
        worst = max(worst, row["render"])
        print(
            f"| {language} | {row['render']:.1f} s | {row['context']:.1f} s "
            f"| {row['charts']:.1f} s | {row['weasyprint']:.1f} s | {row['pages']} |",
            flush=True,
        )
    print(f"target ≤ 60 s: {'met' if worst <= 60 else 'NOT MET'} (slowest {worst:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
