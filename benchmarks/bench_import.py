"""Benchmark: importing 100,000 return rows (issue 5), dry run + commit, CSV and xlsx,
on SQLite and PostgreSQL.

Run:  .venv/bin/python benchmarks/bench_import.py [--enterprises 20500] [--pg postgres://postgres@127.0.0.1:5432/postgres]

The demo population's firms and five years of their returns (about 100,000 rows of 28
figures) are written as the files an analyst would send: a CSV with the registry and
return columns side by side, and an xlsx with an Enterprises and a Returns sheet.
Each is imported into a fresh database holding only the reference data and estates:
``check_upload`` (the dry run), then ``commit_upload`` with that dry run (the upload
page's path: the report is reused since nothing changed in between, and every
enterprise and return is written in one transaction). Peers in the same run: reading the
same file with pandas (``read_csv``) or openpyxl (read-only, values only) and nothing
else, the floor under any import; and ``record_return``, the per-return ORM path a
web form uses, timed on 300 returns and scaled.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REGISTRY = [
    "national_id",
    "name_fa",
    "name_en",
    "isic_class",
    "province_code",
    "estate_code",
    "founding_year",
]


def files(directory: Path, enterprises: int) -> tuple[Path, Path, pd.DataFrame]:
    from openpyxl import Workbook

    from rasad.demo import generate

    population = generate(n_enterprises=enterprises, seed=1)
    returns = population.returns.drop(columns=["submitted_on"]).rename(columns={"year": "period"})
    registry = population.enterprises[REGISTRY]
    combined = registry.merge(returns, on="national_id")
    csv = directory / "returns.csv"
    combined.to_csv(csv, index=False)
    xlsx = directory / "returns.xlsx"
    book = Workbook(write_only=True)
    for title, frame in (("Enterprises", registry), ("Returns", returns)):
        sheet = book.create_sheet(title)
        sheet.append(list(frame.columns))
        for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
            sheet.append(list(row))
    book.save(xlsx)
    return csv, xlsx, population.estates


def fresh_database(var: Path) -> None:
    """Empty this process's database (Django is set up on RASAD_DATABASE_URL) and migrate it."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)


def run(label: str, csv: Path, xlsx: Path, estates: pd.DataFrame, var: Path) -> None:
    from rasad.platform.accounts.models import Role, User
    from rasad.platform.registry.models import IndustrialEstate, Province
    from rasad.platform.returns.importing import check_upload, commit_upload
    from rasad.platform.returns.models import Return

    for path in (csv, xlsx):
        fresh_database(var)
        provinces = {p.code: p for p in Province.objects.all()}
        IndustrialEstate.objects.bulk_create(
            IndustrialEstate(
                code=row.code,
                name_fa=row.name_fa,
                name_en=row.name_en,
                province=provinces[int(row.province_code)],
                kind=row.kind,
            )
            for row in estates.itertuples()
        )
        admin = User.objects.create(username="bench", role=Role.ADMIN, is_superuser=True)
        data = path.read_bytes()
        start = time.perf_counter()
        checked = check_upload(data, path.name, user=admin)
        dry = time.perf_counter() - start
        start = time.perf_counter()
        outcome = commit_upload(data, path.name, user=admin, checked=checked)
        commit = time.perf_counter() - start
        assert outcome.committed and not checked.report.blocking, checked.report.to_text("en")[
            :2000
        ]
        stored = Return.objects.count()
        print(
            f"{label:<10} {path.suffix[1:]:<5} dry run {dry:6.2f} s   commit {commit:6.2f} s"
            f"   total {dry + commit:6.2f} s   {stored:,} returns, "
            f"{outcome.enterprises_created:,} enterprises"
        )


def peers(csv: Path, xlsx: Path) -> None:
    from openpyxl import load_workbook

    start = time.perf_counter()
    pd.read_csv(csv, dtype=str)
    print(f"peer: pandas read_csv of the CSV alone: {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    book = load_workbook(xlsx, read_only=True, data_only=True)
    for sheet in book.worksheets:
        for _ in sheet.iter_rows(values_only=True):
            pass
    print(
        f"peer: openpyxl reading every cell of the xlsx alone: {time.perf_counter() - start:.2f} s"
    )


def per_return_peer(var: Path, csv: Path) -> None:
    from rasad.platform.registry.models import Enterprise, IndustrialEstate, Province, Sector
    from rasad.platform.returns.models import Period
    from rasad.platform.returns.services import record_return

    fresh_database(var)
    frame = pd.read_csv(csv, dtype={"national_id": str, "isic_class": str}).head(300)
    province = Province.objects.first()
    sector = Sector.objects.filter(level="class").first()
    IndustrialEstate.objects.none()
    period = Period.objects.create(year=1403)
    codes = [c for c in frame.columns if c not in REGISTRY and c != "period"]
    firms = Enterprise.objects.bulk_create(
        Enterprise(national_id=f"{i:011d}", name_fa=f"بنگاه {i}", isic=sector, province=province)
        for i in range(len(frame))
    )
    start = time.perf_counter()
    for firm, (_, row) in zip(firms, frame.iterrows(), strict=True):
        record_return(firm, period, {c: row[c] for c in codes})
    per = (time.perf_counter() - start) / len(frame)
    print(
        f"peer: record_return (one ORM return at a time, SQLite): {per * 1e3:.1f} ms per return, "
        f"{per * 100_000:.0f} s for 100,000"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--enterprises", type=int, default=20_500, help="demo firms (20,500 give ~100,000 returns)"
    )
    parser.add_argument(
        "--pg",
        default="postgres://postgres@127.0.0.1:5432/rasad_bench_import",
        help="the benchmark's own PostgreSQL database, created and dropped by it ('' to skip)",
    )
    parser.add_argument(
        "--worker", help=argparse.SUPPRESS
    )  # label: run one database in this process
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        var = Path(args.dir)
        os.environ["RASAD_VAR_DIR"] = str(var / args.worker)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rasad.platform.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        estates = pd.read_csv(var / "estates.csv", dtype={"code": str})
        run(args.worker, var / "returns.csv", var / "returns.xlsx", estates, var)
        if args.worker == "SQLite":
            per_return_peer(var, var / "returns.csv")
        return
    var = Path(tempfile.mkdtemp(prefix="rasad-bench-import-"))
    print(
        f"machine: {platform.machine()}, python {platform.python_version()}, numpy {np.__version__}"
    )
    csv, xlsx, estates = files(var, args.enterprises)
    estates.to_csv(var / "estates.csv", index=False)
    rows = sum(1 for _ in open(csv, encoding="utf-8")) - 1
    print(
        f"files: {rows:,} return rows; CSV {csv.stat().st_size / 2**20:.1f} MB, "
        f"xlsx {xlsx.stat().st_size / 2**20:.1f} MB",
        flush=True,
    )
    peers(csv, xlsx)
    databases = [("SQLite", None)]
    if args.pg:
        scratch_database(args.pg, create=True)
        databases.append(("PostgreSQL", args.pg))
    try:
        for label, url in databases:
            environment = dict(os.environ)
            environment.pop("RASAD_DATABASE_URL", None)  # SQLite: the worker's own var directory
            if url:
                environment["RASAD_DATABASE_URL"] = url
            (var / label).mkdir(exist_ok=True)
            subprocess.run(
                [sys.executable, __file__, "--worker", label, "--dir", str(var)],
                env=environment,
                check=True,
            )
    finally:
        if args.pg:
            scratch_database(args.pg, create=False)
        shutil.rmtree(var, ignore_errors=True)


def scratch_database(url: str, *, create: bool) -> None:
    """(Re)create, or drop, the benchmark's own PostgreSQL database."""
    import psycopg

    server, _, name = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        if create:
            admin.execute(f"CREATE DATABASE {name}")


if __name__ == "__main__":
    sys.exit(main())
