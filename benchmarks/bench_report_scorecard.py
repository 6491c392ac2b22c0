"""Benchmark: an enterprise's scorecard as a PDF (issue 17; target ≤ 3 s a scorecard),
with WeasyPrint's own time on the same HTML as the reference.

Run:  .venv/bin/python benchmarks/bench_report_scorecard.py [--enterprises 3000 20000] [--repeat 5]

For each population size N it builds the database ``rasad_scorecard_bench_<N>`` on
127.0.0.1:5432 (trust auth, user postgres) with ``rasad demo load --enterprises N``
(the demo population and its computed, published edition), or reuses it when the
marker written after a complete build (the database's comment) is there. Then, in a
fresh process, for the ranked enterprise of the Top-100 with the most alerts:

- the monitoring run of the national returns, built once per state of the data and
  shared by every scorecard (page or PDF) of the process;
- the first render of the process after it (``scorecard.render``, fa): the edition's
  peer groups, vl-convert and the fonts are loaded there;
- the median of ``--repeat`` renders in fa and in en afterwards, and of their parts: the
  page's figures (``scorecard_data``), the pillars' chart (Altair → PNG by vl-convert),
  the template (``render_html``) and WeasyPrint alone on that same HTML
  (``HTML(string=…).write_pdf()``, the reference).

Prints a Markdown table, with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"


def marker(enterprises: int) -> str:
    return f"rasad bench_report_scorecard: demo of {enterprises} enterprises, complete"


def prepare(enterprises: int, var: Path) -> tuple[str, str]:
    """The database of ``enterprises`` firms, built unless complete; (name, what was done)."""
    import psycopg

    name = f"rasad_scorecard_bench_{enterprises}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if row is not None and row[0] == marker(enterprises):
            return name, "reused"
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = environment(name, var)
    rasad = [sys.executable, "-m", "rasad.cli"]
    started = time.perf_counter()
    subprocess.run([*rasad, "manage", "migrate", "-v0"], env=env, check=True)
    subprocess.run(  # its report goes to stderr: stdout is the table
        [*rasad, "demo", "load", "--enterprises", str(enterprises)],
        env=env,
        check=True,
        stdout=sys.stderr,
    )
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{marker(enterprises)}'")
    return name, f"built in {time.perf_counter() - started:.0f} s"


def environment(database: str, var: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "RASAD_DEBUG"}
    env.update(
        RASAD_DATABASE_URL=f"{SERVER}/{database}",
        RASAD_VAR_DIR=str(var),
        PYTHONPATH=str(ROOT / "src"),
        DJANGO_SETTINGS_MODULE="rasad.platform.settings",
    )
    return env


def pages(pdf: bytes) -> int:
    """The PDF's pages, as poppler's ``pdfinfo`` counts them."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        info = subprocess.run(["pdfinfo", handle.name], capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def subject() -> tuple[str, float]:
    """The national ID of the ranked Top-100 enterprise with the most alerts, and the
    seconds the monitoring run of the national returns took to build (the run every
    scorecard, page or PDF, reads once per state of the data)."""
    from rasad.platform.monitoring import choice, compute
    from rasad.platform.rankings.models import EditionResult

    started = time.perf_counter()
    chosen = choice.by_default()
    run = compute.run_for(chosen.period, chosen.people)
    seconds = time.perf_counter() - started
    alerts = run.alerts.for_period(chosen.period)
    counts = alerts["national_id"].value_counts()
    top = EditionResult.objects.filter(rank__lte=100, edition__status="published")
    ids = list(top.values_list("enterprise__national_id", flat=True))
    return max(ids, key=lambda nid: (counts.get(nid, 0), nid)), seconds


def measure(repeat: int) -> dict:
    """Run in the child process, against the database its environment names."""
    import django

    django.setup()
    from django.utils import translation
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from rasad.platform.monitoring import choice
    from rasad.platform.public.scorecard import scorecard_data
    from rasad.platform.registry.models import Enterprise
    from rasad.platform.reports import charts, scorecard
    from rasad.platform.reports.pdf import FONT_DIR, render_html

    nid, monitoring = subject()
    started = time.perf_counter()
    scorecard.render(nid, language="fa")
    out = {"national_id": nid, "monitoring": monitoring, "cold": time.perf_counter() - started}
    enterprise = Enterprise.objects.select_related("province", "estate", "isic").get(
        national_id=nid
    )
    for language in ("fa", "en"):
        times = {"render": [], "data": [], "chart": [], "html": [], "weasyprint": []}
        for _ in range(repeat):
            started = time.perf_counter()
            pdf = scorecard.render(nid, language=language)
            times["render"].append(time.perf_counter() - started)
            with translation.override(language):
                started = time.perf_counter()
                shown = scorecard_data(enterprise, choice.by_default(enterprise.dataset))
                times["data"].append(time.perf_counter() - started)
                started = time.perf_counter()
                charts.data_uri(scorecard._pillar_chart(shown, language))
                times["chart"].append(time.perf_counter() - started)
                context = scorecard.context(nid, language=language)
                started = time.perf_counter()
                html = render_html(scorecard.TEMPLATE, context, language=language)
                times["html"].append(time.perf_counter() - started)
            started = time.perf_counter()
            HTML(string=html, base_url=str(FONT_DIR)).write_pdf(font_config=FontConfiguration())
            times["weasyprint"].append(time.perf_counter() - started)
        out[language] = {k: statistics.median(v) for k, v in times.items()}
        out[language]["pages"] = pages(pdf)
        out[language]["kb"] = len(pdf) / 1024
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, nargs="+", default=[3000, 20000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--var", type=Path, default=ROOT / "var" / "bench_report_scorecard")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child: one population, its figures as JSON on stdout
        print(json.dumps(measure(args.repeat)))
        return 0
    args.var.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.enterprises:
        database, done = prepare(n, args.var)
        child = subprocess.run(
            [sys.executable, __file__, "--measure", "--repeat", str(args.repeat)],
            env=environment(database, args.var),
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        rows.append((n, done, figures))
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}; "
        f"median of {args.repeat} after a first render.\n"
    )
    print(
        "| firms | database | monitoring run | first render (fa) | language | render | "
        "of which: figures | chart | template | WeasyPrint alone (reference) | pages |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, done, f in rows:
        for language in ("fa", "en"):
            t = f[language]
            print(
                f"| {n:,} | {done} | {f['monitoring']:.2f} s | {f['cold']:.2f} s | {language} | "
                f"{t['render']:.2f} s | "
                f"{t['data']:.2f} s | {t['chart']:.2f} s | {t['html']:.3f} s | "
                f"{t['weasyprint']:.2f} s | {t['pages']} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
