"""Access to the tables under ``rasad/iran/data`` (see the README there)."""

from __future__ import annotations

from importlib import resources

import pandas as pd


def read_data(name: str, **kwargs) -> pd.DataFrame:
    """Read a bundled CSV through importlib.resources, so zipped installs work too."""
    with (resources.files("rasad.iran") / "data" / name).open(encoding="utf-8") as handle:
        return pd.read_csv(handle, **kwargs)
