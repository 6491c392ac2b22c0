"""Benchmark: the engine's fixed costs (issue 19, item 5) — loading a methodology,
importing ``rasad.index`` and starting the ``rasad`` command.

Run:  PYTHONPATH=src .venv/bin/python benchmarks/bench_startup.py [--loads 50] [--runs 20]

``load("sme100")`` and ``load("asem")`` are timed in this process (one warm-up, then the
median of ``--loads``); the rest in fresh interpreters (the median of ``--runs``):
``import rasad.index`` timed inside the child, and the wall time of ``rasad --help``,
``rasad index build --help`` and ``rasad index build`` up to its first work (a missing
methodology file refused), each started as ``python -m rasad.cli``. The children
inherit this interpreter and its ``PYTHONPATH``, so the figures are of the tree given.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

IMPORT_INDEX = (
    "import time; t = time.perf_counter(); import rasad.index; print(time.perf_counter() - t)"
)
COMMANDS = {
    "rasad --help": ["--help"],
    "rasad index build --help": ["index", "build", "--help"],
    "rasad index build (to a refused file)": [
        "index",
        "build",
        "--methodology",
        "/nonexistent.yaml",
        "--data",
        "/nonexistent.csv",
        "--out",
        os.devnull,
    ],
}


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def load_times(name: str, n: int) -> float:
    from rasad.index.methodology import load

    load(name)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        load(name)
        times.append(time.perf_counter() - start)
    return median_ms(times)


def import_time(runs: int) -> float:
    return median_ms(
        [
            float(
                subprocess.run(
                    [sys.executable, "-c", IMPORT_INDEX], capture_output=True, check=True, text=True
                ).stdout
            )
            for _ in range(runs)
        ]
    )


def wall_time(arguments: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rasad.cli", *arguments], capture_output=True)
        times.append(time.perf_counter() - start)
    return median_ms(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=50)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for name in ("sme100", "asem"):
        print(f'load("{name}"): {load_times(name, args.loads):.1f} ms (median of {args.loads})')
    print(f"import rasad.index: {import_time(args.runs):.0f} ms (median of {args.runs})")
    for label, arguments in COMMANDS.items():
        print(f"{label}: {wall_time(arguments, args.runs):.0f} ms (median of {args.runs})")


if __name__ == "__main__":
    main()
