"""Names of a package that load their module on first use (PEP 562), so that importing
the package (``rasad.index``, ``rasad.iran``) costs nothing until a name is used: the
``rasad`` command starts without numpy and pandas when it does not need them."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def exports(package: str, module_of: dict[str, str]) -> tuple[Callable, Callable]:
    """The package's ``__getattr__`` and ``__dir__``: ``module_of`` maps each name to the
    submodule that defines it."""

    def __getattr__(name: str):
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # found once, then an ordinary attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(module_of))

    return __getattr__, __dir__
