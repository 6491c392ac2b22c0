"""Benchmark: where a fresh ``rasad index uncertainty`` process on COINr's ASEM example
spends its time, step by step (what ``benchmarks/bench_coinr.py`` times as a whole).

Run:  PYTHONPATH=src .venv/bin/python benchmarks/bench_phases.py [--runs 9]

Each run is a fresh interpreter (this one, with ``PYTHONPATH``) that does what the
command does, in its order, with a clock between the steps: ``rasad.cli``, the libraries
the command stands on (numpy, pandas with pyarrow, pydantic, PyYAML), Rasad's own
modules, the parser, the methodology and spec, the data, the analysis (N = 100) and the
output, the collector treated as :func:`rasad.cli.run` treats it. One untimed run first writes the
bytecode an installed package ships with. Printed: each step's median over the runs.
The peer of this breakdown is its first line: the libraries alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
ASEM_DATA = HERE.parent / "tests" / "fixtures" / "coinr_asem" / "ASEM_iData.csv"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

ONE_RUN = """
import time
steps, last = {}, time.perf_counter()
def step(name):
    global last
    now = time.perf_counter()
    steps[name] = now - last
    last = now
import gc, json, sys
import rasad.cli
gc.set_threshold(rasad.cli.GC_YOUNGEST, *gc.get_threshold()[1:]); step("rasad.cli")
data, out = sys.argv[1:3]
import numpy, pandas, pydantic.main, yaml; step("the libraries (numpy, pandas, pydantic, yaml)")
parser = rasad.cli.build_parser()
args = parser.parse_args(["index", "uncertainty", "--methodology", "asem", "--spec",
    "asem-uncertainty", "--data", data, "--runs", "100", "--out", out, "--no-progress"])
rasad.cli.resolve(args); step("the command line parsed")
import rasad.config; step("rasad.config (the validation layer)")
import rasad.index.methodology; step("rasad.index.methodology")
import rasad.index.choices; step("rasad.index.choices (uncertainty specs)")
import rasad.index.uncertainty, rasad.export; step("the engine's other modules")
from rasad.index import load
from rasad.index.uncertainty import load_spec, uncertainty
methodology = load("asem"); step("asem loaded")
spec = load_spec("asem-uncertainty", methodology=methodology); step("its spec loaded")
table = rasad.cli._read_table(data, methodology.unit); step("the data read")
result = uncertainty(methodology, table, spec, runs=100, seed=1, progress=False)
step("the analysis (100 replicates)")
rows = result.table().sort_values("nominal", kind="stable", na_position="last")
rasad.export.write_csv(rows, out, index=False); step("the table written")
print(json.dumps(steps))
gc.freeze()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh processes (default 9)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-c", ONE_RUN, str(ASEM_DATA), str(Path(tmp) / "ua.csv")]
        subprocess.run(command, check=True, capture_output=True, env=ENV)  # bytecode
        runs = [
            json.loads(subprocess.run(command, check=True, capture_output=True, env=ENV).stdout)
            for _ in range(args.runs)
        ]
    print(f"median over {args.runs} fresh processes, ms:")
    total = 0.0
    for name in runs[0]:
        median = statistics.median(run[name] for run in runs) * 1000
        total += median
        print(f"  {median:7.1f}  {name}")
    print(f"  {total:7.1f}  in all, from the first import to the last write")


if __name__ == "__main__":
    main()
