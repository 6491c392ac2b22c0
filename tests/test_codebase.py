"""The shape the codebase keeps (issue 19), checked on every run so that it stays kept:
the platform's modules and functions small enough to read, views that only translate
HTTP, no private name imported across modules, nothing imported from a views module but
the URL configuration."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "rasad"
PLATFORM = SRC / "platform"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 59
WRITES = re.compile(
    r"\.(save|delete|update_or_create|get_or_create|bulk_create|bulk_update)\(|"
    r"objects\.create\(|objects\.filter\([^)]*\)\.update\(|default_storage\.(save|delete)\("
)


def sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "migrations" not in p.parts)


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def name(path: Path) -> str:
    return str(path.relative_to(SRC.parent))


def test_no_platform_module_is_over_400_lines():
    long = {name(p): n for p in sources(PLATFORM) if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_intake_validation_stays_split():
    assert len((SRC / "intake" / "validate.py").read_text().splitlines()) <= MAX_MODULE_LINES


def test_no_platform_function_reaches_60_lines():
    long = {
        f"{name(p)}:{node.lineno} {node.name}": node.end_lineno - node.lineno + 1
        for p in sources(PLATFORM)
        for node in ast.walk(tree(p))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    }
    assert long == {}


def test_no_private_name_is_imported_across_modules():
    private = [
        f"{name(p)}: {node.module}.{alias.name}"
        for p in sources(SRC)
        for node in ast.walk(tree(p))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert private == []


def test_only_url_configurations_import_views():
    importers = [
        f"{name(p)}: {node.module}"
        for p in sources(SRC)
        if p.name != "urls.py"
        for node in ast.walk(tree(p))
        if isinstance(node, ast.ImportFrom)
        and node.module
        and (node.module.endswith(".views") or any(a.name == "views" for a in node.names))
        and node.module.startswith("rasad")
    ]
    assert importers == []


@pytest.mark.parametrize(
    "path",
    [p for p in sources(PLATFORM) if "views" in p.stem or p.parent.name == "routers"],
    ids=name,
)
def test_views_write_only_through_services(path):
    assert not [line for line in path.read_text().splitlines() if WRITES.search(line)]


def test_the_checks_would_see_a_write_in_a_view():
    assert WRITES.search("    draft.save()")
    assert WRITES.search("    Edition.objects.create(period=p)")
    assert WRITES.search("    Alert.objects.filter(pk=1).update(read=True)")
    assert not WRITES.search("    context.update(rows=rows)")
