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
``rasad index uncertainty`` from a fresh interpreter (started as ``python -m rasad.cli``
with this interpreter and ``PYTHONPATH``: the figures are of the tree given).

The machine is shared, so the two are measured in alternation, ``--rounds`` times, and
each side's median is taken over the rounds; ratios are COINr's time over Rasad's.
Where R or COINr is missing, the COINr side is skipped, saying so, and Rasad's figures
are printed alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from rasad.index import load
from rasad.index.uncertainty import load_spec, uncertainty

HERE = Path(__file__).parent
SCRIPT = HERE / "coinr_asem_ua.R"
ASEM_DATA = HERE.parent / "tests" / "fixtures" / "coinr_asem" / "ASEM_iData.csv"


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


def coinr_once(n: int) -> tuple[float, float]:
    """COINr's (in-process, whole-process) seconds for one ``Rscript`` run."""
    start = time.perf_counter()
    done = subprocess.run(
        ["Rscript", str(SCRIPT), str(n)], capture_output=True, text=True, check=True
    )
    whole = time.perf_counter() - start
    match = re.search(r"in-process seconds: ([0-9.]+)", done.stdout)
    if match is None:
        raise RuntimeError(f"unexpected output of {SCRIPT.name}: {done.stdout}{done.stderr}")
    return float(match.group(1)), whole


def rasad_in_process(methodology, data, spec, n: int, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        uncertainty(methodology, data, spec, runs=n, seed=1, progress=False)
        times.append(time.perf_counter() - start)
    return times


def rasad_whole_process(n: int, out: Path) -> float:
    command = [
        sys.executable,
        "-m",
        "rasad.cli",
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
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - start


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
        version = subprocess.run(
            ["Rscript", "-e", 'cat(R.version.string, "COINr", format(packageVersion("COINr")))'],
            capture_output=True,
            text=True,
        ).stdout
        print(version)
    methodology = load("asem")
    data = pd.read_csv(ASEM_DATA)
    spec = load_spec("asem-uncertainty", methodology=methodology)
    uncertainty(methodology, data, spec, runs=args.n, seed=1, progress=False)  # warm-up
    ours_in, ours_whole, theirs_in, theirs_whole = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            if not missing:
                inside, whole = coinr_once(args.n)
                theirs_in.append(inside)
                theirs_whole.append(whole)
            ours_whole.append(rasad_whole_process(args.n, Path(tmp) / "ua.csv"))
            ours_in += rasad_in_process(methodology, data, spec, args.n, args.repeats)
            coinr = f"COINr {theirs_in[-1]:.2f} s in, {theirs_whole[-1]:.2f} s whole; " * (
                not missing
            )
            print(
                f"round {r + 1}: {coinr}Rasad {statistics.median(ours_in[-args.repeats :]):.4f}"
                f" s in, {ours_whole[-1]:.3f} s whole"
            )
    inside, whole = statistics.median(ours_in), statistics.median(ours_whole)
    print(f"\n## ASEM uncertainty analysis, N = {args.n}, vignette spec")
    print(
        f"Rasad in-process: median {inside:.4f} s over {len(ours_in)} "
        f"(min {min(ours_in):.4f}, max {max(ours_in):.4f})"
    )
    print(
        f"Rasad whole process (rasad index uncertainty): median {whole:.3f} s over "
        f"{len(ours_whole)} (min {min(ours_whole):.3f}, max {max(ours_whole):.3f})"
    )
    if missing:
        return
    coinr_in, coinr_whole = statistics.median(theirs_in), statistics.median(theirs_whole)
    print(
        f"COINr in-process (get_sensitivity): median {coinr_in:.2f} s over {len(theirs_in)} "
        f"(min {min(theirs_in):.2f}, max {max(theirs_in):.2f})"
    )
    print(
        f"COINr whole process (Rscript): median {coinr_whole:.2f} s over {len(theirs_whole)} "
        f"(min {min(theirs_whole):.2f}, max {max(theirs_whole):.2f})"
    )
    print(f"COINr / Rasad in-process: {coinr_in / inside:.0f}× (target ≥ 150×)")
    print(f"COINr / Rasad whole process: {coinr_whole / whole:.1f}× (target ≥ 25×)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
