"""``python -m rasad``: the ``rasad`` command."""

from rasad.cli import run

run()
