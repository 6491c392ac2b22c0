"""Benchmark: Rasad beside COINr in the same run, on COINr's own uncertainty analysis of
its ASEM example (issue 19's targets: ≥ 150× COINr in-process, ≥ 25× as whole processes).

Run:  PYTHONPATH=src .venv/bin/python benchmarks/bench_coinr.py [--n 100] [--rounds 3]

COINr (1.1.14, installed by ``../shared/peers/install-coinr.sh``): ``coinr_asem_ua.R``
beside this file, which builds the example coin and runs ``get_sensitivity(SA_type =
"UA", N = n)`` with the vignette's ``SA_specs``. In-process is ``system.time`` around
``get_sensitivity`` alone; the whole process is the ``Rscript`` wall time, R's start-up,
``library(COINr)`` and building the coin included. Rasad: ``uncertainty()`` with the
bundled ``asem``/``asem-uncertainty`` pair that mirrors it, in this process (one warm-up,
then the median of ``--repeats``), and as a whole process the wall time of
``rasad index uncertainty`` from a fresh interpreter (started as ``python -m rasad``,
which runs what the console script runs, with this interpreter and ``PYTHONPATH``: the
figures are of the tree given; one untimed run first, allowed to write bytecode, as an
installed package has it).

Each round also times a process that only imports the libraries the command stands on
(numpy, pandas with pyarrow, pydantic, PyYAML), its collector treated as ``rasad``'s is:
the part of Rasad's whole process that no change to Rasad itself removes, and so the
highest whole-process ratio it could reach.

The machine is shared, so the two are measured in alternation, ``--rounds`` times, and
each side's median is taken over the rounds; ratios are COINr's time over Rasad's, of the
wall times and of the CPU times (user + system), which the load inflates less.
Where R or COINr is missing, the COINr side is skipped, saying so, and Rasad's figures
are printed alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rasad.cli import GC_YOUNGEST
from rasad.index import load
from rasad.index.uncertainty import load_spec, uncertainty

HERE = Path(__file__).parent
SCRIPT = HERE / "coinr_asem_ua.R"
ASEM_DATA = HERE.parent / "tests" / "fixtures" / "coinr_asem" / "ASEM_iData.csv"
# what the command imports from other projects: a process that only imports them is the
# least any Rasad command that reads a table and a configuration file can take
DEPENDENCIES = "numpy, pandas, pydantic.main, yaml"
# ... with the collector treated as `rasad.cli.run` treats it
ONLY_IMPORTS = (
    f"import gc; gc.set_threshold({GC_YOUNGEST}, *gc.get_threshold()[1:]); "
    f"import {DEPENDENCIES}; gc.freeze()"
)
VERSION = 'cat(R.version.string, "COINr", format(packageVersion("COINr")))'
# Children may write bytecode (an installed package has it; a source tree run with
# PYTHONDONTWRITEBYTECODE would compile Rasad's modules in every process).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def coinr_missing() -> str | None:
    """Why the COINr side cannot run here, or None when it can."""
    if shutil.which("Rscript") is None:
        return "R is not installed (Rscript not found)"
    check = subprocess.run(
        ["Rscript", "-e", 'quit(status = !requireNamespace("COINr", quietly = TRUE))'],
        capture_output=True,
    )
    if check.returncode:
        return "COINr is not installed in R (run ../shared/peers/install-coinr.sh)"
    return None


@dataclass
class Figures:
    """One side's times over the rounds: wall and CPU (user + system) seconds."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    def line(self, label: str, digits: int) -> str:
        wall = self.wall
        return (
            f"{label}: median {statistics.median(wall):.{digits}f} s over {len(wall)} "
            f"(min {min(wall):.{digits}f}, max {max(wall):.{digits}f}); "
            f"CPU median {statistics.median(self.cpu):.{digits}f} s"
        )


def child(command: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of a child process, and what it printed. The CPU time is
    its own (``RUSAGE_CHILDREN`` grows by each child waited for), which the load of a
    shared machine inflates less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stdout


def coinr_once(n: int, inside: Figures, whole: Figures) -> None:
    """One ``Rscript`` run: get_sensitivity's own times, and the whole process's."""
    wall, cpu, out = child(["Rscript", str(SCRIPT), str(n)])
    found = dict(re.findall(r"in-process (seconds|cpu seconds): ([0-9.]+)", out))
    if len(found) != 2:
        raise RuntimeError(f"unexpected output of {SCRIPT.name}: {out}")
    inside.add(float(found["seconds"]), float(found["cpu seconds"]))
    whole.add(wall, cpu)


def rasad_in_process(methodology, data, spec, n: int, repeats: int, inside: Figures) -> None:
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        uncertainty(methodology, data, spec, runs=n, seed=1, progress=False)
        inside.add(time.perf_counter() - start, time.process_time() - cpu)


def rasad_command(n: int, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "rasad",
        "index",
        "uncertainty",
        "--methodology",
        "asem",
        "--spec",
        "asem-uncertainty",
        "--data",
        str(ASEM_DATA),
        "--runs",
        str(n),
        "--out",
        str(out),
        "--no-progress",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="replicates (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations (default 3)")
    parser.add_argument(
        "--repeats", type=int, default=7, help="Rasad in-process runs per round (default 7)"
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    missing = coinr_missing()
    if missing:
        print(f"COINr side skipped: {missing}")
    else:
        print(child(["Rscript", "-e", VERSION])[2])
    methodology = load("asem")
    data = pd.read_csv(ASEM_DATA)
    spec = load_spec("asem-uncertainty", methodology=methodology)
    uncertainty(methodology, data, spec, runs=args.n, seed=1, progress=False)  # warm-up
    ours_in, ours_whole, theirs_in, theirs_whole = Figures(), Figures(), Figures(), Figures()
    imports = Figures()
    with tempfile.TemporaryDirectory() as tmp:
        command = rasad_command(args.n, Path(tmp) / "ua.csv")
        child(command)  # warm-up: writes the bytecode an installed package ships with
        for r in range(args.rounds):
            if not missing:
                coinr_once(args.n, theirs_in, theirs_whole)
            ours_whole.add(*child(command)[:2])
            imports.add(*child([sys.executable, "-c", ONLY_IMPORTS])[:2])
            rasad_in_process(methodology, data, spec, args.n, args.repeats, ours_in)
            coinr = (
                f"COINr {theirs_in.wall[-1]:.2f} s in, {theirs_whole.wall[-1]:.2f} s whole; "
                * (not missing)
            )
            print(
                f"round {r + 1}: {coinr}Rasad "
                f"{statistics.median(ours_in.wall[-args.repeats :]):.4f} s in, "
                f"{ours_whole.wall[-1]:.3f} s whole; load average {os.getloadavg()[0]:.1f}"
            )
    print(f"\n## ASEM uncertainty analysis, N = {args.n}, vignette spec")
    print(ours_in.line("Rasad in-process (uncertainty())", 4))
    print(ours_whole.line("Rasad whole process (rasad index uncertainty)", 3))
    print(imports.line(f"  the libraries alone (import {DEPENDENCIES})", 3))
    if missing:
        return
    print(theirs_in.line("COINr in-process (get_sensitivity)", 2))
    print(theirs_whole.line("COINr whole process (Rscript)", 2))
    for what, theirs, ours, target in (
        ("in-process", theirs_in, ours_in, "≥ 150×"),
        ("whole process", theirs_whole, ours_whole, "≥ 25×"),
    ):
        wall = statistics.median(theirs.wall) / statistics.median(ours.wall)
        cpu = statistics.median(theirs.cpu) / statistics.median(ours.cpu)
        print(f"COINr / Rasad {what}: {wall:.1f}× wall, {cpu:.1f}× CPU (target {target})")
    ceiling = statistics.median(theirs_whole.wall) / statistics.median(imports.wall)
    print(f"COINr whole process / the imports alone: {ceiling:.1f}× (the most a Rasad could reach)")


if __name__ == "__main__":
    main()
