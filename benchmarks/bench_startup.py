"""Benchmark: the engine's fixed costs (issue 19, item 5) — loading a methodology,
importing ``rasad.index`` and starting the ``rasad`` command.

Run:  PYTHONPATH=src .venv/bin/python benchmarks/bench_startup.py [--loads 50] [--runs 20]

``load("sme100")`` and ``load("asem")`` are timed in this process (one warm-up, then the
median of ``--loads``); the rest in fresh interpreters (the median of ``--runs``):
``import rasad.index`` timed inside the child, and the wall time of ``rasad --help``,
``rasad index build --help`` and ``rasad index build`` up to its first work (a missing
methodology file refused), each started as ``python -m rasad.cli``, with the CPU time
(user + system) of each command beside its wall time. The children
inherit this interpreter and its ``PYTHONPATH``, so the figures are of the tree given.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

IMPORT_INDEX = (
    "import time; t = time.perf_counter(); import rasad.index; print(time.perf_counter() - t)"
)
# Children may write bytecode, as an installed package has it: a source tree run with
# PYTHONDONTWRITEBYTECODE would compile Rasad's modules in every child (the first run
# of each command below writes it; the medians leave it out).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
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
                    [sys.executable, "-c", IMPORT_INDEX],
                    capture_output=True,
                    check=True,
                    text=True,
                    env=ENV,
                ).stdout
            )
            for _ in range(runs)
        ]
    )


def wall_time(arguments: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU (user + system, the child's own) milliseconds; on a shared
    machine the load stretches the first far more than the second."""
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "rasad.cli", *arguments], capture_output=True, env=ENV
        )
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return median_ms(times), median_ms(cpu)


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
        wall, cpu = wall_time(arguments, args.runs)
        print(f"{label}: {wall:.0f} ms, CPU {cpu:.0f} ms (medians of {args.runs})")


if __name__ == "__main__":
    main()
