"""The language of what the ``rasad`` command says to a person, and its progress bars.

Every command takes ``--lang fa|en``. Without it the language is ``RASAD_LANG``'s when
that is ``fa`` or ``en``, else Persian: Rasad is Persian first, and a script that reads
the English lines sets ``RASAD_LANG=en`` once (or passes ``--lang en``). The lines for
a person (summaries, counts, tables' headers, status lines) are in that language, fa
with Persian digits; the files a command writes (CSV, workbooks' data, PDFs' bytes) do
not change. An error is written in both languages, English then Persian, unless the
command line itself asked for one with ``--lang``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rasad.iran.text import format_number, to_persian_digits

LANGUAGES = ("fa", "en")


class LanguageParser(argparse.ArgumentParser):
    """An argument parser with ``--lang``, as are the subcommands' parsers it makes
    (``add_subparsers`` makes them of the parser's own class), so that ``--lang`` goes
    anywhere on the command line (``rasad --lang en index build …`` or ``rasad index
    build … --lang en``). Its default is left out of the namespace, so that a
    subcommand's parser does not overwrite a ``--lang`` given before it; :func:`resolve`
    fills it in."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument(
            "--lang",
            choices=LANGUAGES,
            default=argparse.SUPPRESS,
            help="language of the messages: fa or en (default: RASAD_LANG, else fa)",
        )


def resolve(args: argparse.Namespace) -> None:
    """Set ``args.lang`` to the language chosen, and ``args.lang_given`` to whether the
    command line chose it (errors are then in that language only)."""
    args.lang_given = hasattr(args, "lang")
    if not args.lang_given:
        env = os.environ.get("RASAD_LANG", "").strip().lower()
        args.lang = env if env in LANGUAGES else "fa"


def say(lang: str, en: str, fa: str) -> str:
    return fa if lang == "fa" else en


def number(lang: str, value, decimals: int = 0) -> str:
    """``value`` grouped in thousands, in the language's digits and separators."""
    return format_number(value, decimals=decimals, persian_digits=lang == "fa")


def digits(lang: str, text) -> str:
    """A year, an id or a code as is, in Persian digits for fa."""
    return to_persian_digits(str(text)) if lang == "fa" else str(text)


def error(args: argparse.Namespace, en: str, fa: str) -> str:
    """An error's text: both languages, or the one ``--lang`` asked for."""
    if args.lang_given:
        return say(args.lang, f"error: {en}", f"خطا: {fa}")
    return f"error: {en}\nخطا: {fa}"


def showing(args: argparse.Namespace) -> bool:
    """Whether to draw progress bars: on a terminal, and not with ``--no-progress``."""
    return sys.stdout.isatty() and not getattr(args, "no_progress", False)


@contextmanager
def steps(args: argparse.Namespace, names: Sequence[tuple[str, str, str]]) -> Iterator[Callable]:
    """A transient progress bar over a command's steps, given as (key, en, fa):
    ``step(key)`` says that step has begun, ``step(key, done, total)`` how far it is. No
    bar (and ``step`` doing nothing) off a terminal or with ``--no-progress``."""
    if not showing(args):
        yield lambda key, done=0, total=0: None
        return
    from rich.progress import Progress

    keys = [key for key, _, _ in names]
    words = {key: say(args.lang, en, fa) for key, en, fa in names}
    with Progress(transient=True) as bar:
        task = bar.add_task(words[keys[0]], total=len(keys))

        def step(key: str, done: int = 0, total: int = 0) -> None:
            fraction = min(done / total, 1.0) if total else 0.0
            bar.update(task, description=words[key], completed=keys.index(key) + fraction)

        yield step
