"""Reading the monitor's YAML files (alert rules, needs mapping) with located errors.

Analysts and estate managers edit these files, not programmers, so a mistake must be
reported the way methodology files report theirs: every problem at once, each with
the path of the field, the line in the file and a message in English and Persian.
The YAML walking and the problem type are the methodology reader's
(:mod:`rasad.index.methodology`); this module only adds addressing list items by
their ``code`` (``rules[z2_distress].below``), so a message names the rule, not its
position in the list.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from rasad.index.methodology import (
    MethodologyError,
    Problem,
    _Reader,
    line_table,
    parse_yaml,
    read_text,
)


class MonitorConfigError(MethodologyError):
    """A rule file or needs mapping that cannot be used; ``problems`` lists each one
    located (path, line, English and Persian message), as for methodology files, so
    the CLI and the web forms show them the same way."""


def bundled_path(name: str) -> Path:
    """A YAML file shipped inside :mod:`rasad.monitor` (``alert_rules.yaml``, ``needs.yaml``)."""
    return Path(str(resources.files("rasad.monitor") / "data" / name))


def parse(text: str, source: str | None, sections: tuple[str, ...]) -> tuple[Any, _Reader]:
    """The parsed YAML and a reader whose line table also knows ``section[code]``
    addresses for the items of the given list ``sections``."""
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise MonitorConfigError(
            [
                Problem(
                    "",
                    mark.line + 1 if mark else None,
                    f"not valid YAML: {getattr(error, 'problem', error)}",
                    "متن YAML معتبر نیست",
                )
            ],
            source,
        ) from error

    def lines() -> dict[str, int]:
        table = line_table(text)
        extra: dict[str, int] = {}
        for section in sections:
            items = data.get(section) if isinstance(data, dict) else None
            for i, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict) and isinstance(item.get("code"), str):
                    prefix, alias = f"{section}[{i}]", f"{section}[{item['code']}]"
                    extra.update(
                        {
                            alias + k[len(prefix) :]: v
                            for k, v in table.items()
                            if k == prefix
                            or k.startswith(prefix + ".")
                            or k.startswith(prefix + "[")
                        }
                    )
        return table | extra

    return data, _Reader(lines)


def item_path(section: str, index: int, item) -> str:
    """``rules[code]`` when the item has a code, else ``rules[3]``."""
    if isinstance(item, dict) and isinstance(item.get("code"), str) and item["code"]:
        return f"{section}[{item['code']}]"
    return f"{section}[{index}]"


def read(path: str | Path | None, default: str, what_en: str, what_fa: str) -> tuple[str, str]:
    """The text and source name of ``path``, or of the bundled ``default`` file."""
    return read_text(bundled_path(default) if path is None else path, what_en, what_fa)


def finish(reader: _Reader, source: str | None) -> None:
    if reader.problems:
        raise MonitorConfigError(reader.problems, source)
