"""The monitor's YAML files (alert rules, needs mapping): where they are and the error
they raise. They are read through :mod:`rasad.config`, as methodology files are, so a
mistake is reported the same way: every problem at once, each with the path of the
field (a list item by its ``code``: ``rules[z2_distress].below``), the line in the file
and a message in English and Persian.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rasad.index.methodology import MethodologyError, read_text


class MonitorConfigError(MethodologyError):
    """A rule file or needs mapping that cannot be used; ``problems`` lists each one
    located (path, line, English and Persian message), as for methodology files, so
    the CLI and the web forms show them the same way."""


def bundled_path(name: str) -> Path:
    """A YAML file shipped inside :mod:`rasad.monitor` (``alert_rules.yaml``, ``needs.yaml``)."""
    return Path(str(resources.files("rasad.monitor") / "data" / name))


def read(path: str | Path | None, default: str, what_en: str, what_fa: str) -> tuple[str, str]:
    """The text and source name of ``path``, or of the bundled ``default`` file."""
    return read_text(bundled_path(default) if path is None else path, what_en, what_fa)
