"""The ``rasad`` command: the pure core's tools work without a database; the platform's
commands set Django up only when they run."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rasad import __version__
from rasad.errors import RasadInputError


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rasad.platform.settings")
    import django

    django.setup()


def _demo_generate(args) -> int:
    from rasad.demo import generate

    population = generate(n_enterprises=args.enterprises, seed=args.seed)
    population.to_csv(Path(args.out))
    print(f"{len(population.enterprises):,} enterprises, {len(population.returns):,} returns → {args.out}")
    return 0


def _demo_load(args) -> int:
    _django()
    from rasad.demo import generate
    from rasad.platform.demo_data import DEMO_PASSWORD, DEMO_USERS, database_is_empty, load_demo

    if args.if_empty and not database_is_empty():
        print("The database already holds enterprises; the demo population was not loaded again.")
    else:
        population = generate(n_enterprises=args.enterprises, seed=args.seed)
        counts = load_demo(population, progress=True)
        print(", ".join(f"{n:,} {what}" for what, n in counts.items()) + " loaded.")
    from django.utils import translation

    print(f"Demo logins (password {DEMO_PASSWORD}):")
    for role, username in DEMO_USERS.items():
        with translation.override("fa"):
            persian = str(role.label)
        with translation.override("en"):
            print(f"  {username:<16} {role.label} · {persian}")
    return 0


def _serve(args) -> int:
    _django()
    from waitress import serve

    from rasad.platform.wsgi import application

    print(f"Rasad is serving on http://{args.host}:{args.port}/  (Ctrl+C stops it)", flush=True)
    serve(application, host=args.host, port=args.port, threads=args.threads)
    return 0


def _manage(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rasad.platform.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["rasad manage", *args.arguments])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rasad", description="Rasad (رصد): SME ranking and monitoring")
    parser.add_argument("--version", action="version", version=f"rasad {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="the synthetic demo population").add_subparsers(
        dest="demo_command", required=True
    )
    for name, handler, help_text in (
        ("generate", _demo_generate, "write the demo population as CSV files"),
        ("load", _demo_load, "load the demo population into the database"),
    ):
        sub = demo.add_parser(name, help=help_text)
        sub.add_argument("--enterprises", type=int, default=3000, help="how many enterprises (default 3000)")
        sub.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        sub.set_defaults(handler=handler)
        if name == "generate":
            sub.add_argument("--out", required=True, help="directory for the CSV files")
        else:
            sub.add_argument("--if-empty", action="store_true", help="only when no enterprise is registered")

    serve = commands.add_parser("serve", help="serve the platform")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--threads", type=int, default=8)
    serve.set_defaults(handler=_serve)

    manage = commands.add_parser("manage", help="Django management commands (migrate, createsuperuser…)")
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except RasadInputError as error:
        print(f"error: {error.message_en}\nخطا: {error.message_fa}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
