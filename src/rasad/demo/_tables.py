"""The demo's assumptions that are data rather than code (files under ``data/``).

Estate names, word lists and sector parameters live in CSV files so that someone who
knows Iranian industry can correct them without reading Python; docs/demo-population.md
explains every column.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from rasad.iran import isic


def _read(name: str, **kwargs) -> pd.DataFrame:
    with (resources.files("rasad.demo") / "data" / name).open(encoding="utf-8") as handle:
        return pd.read_csv(handle, keep_default_na=False, **kwargs)


@dataclass(frozen=True)
class Tables:
    estates: pd.DataFrame
    divisions: pd.DataFrame  # one row per manufacturing division 10–33, in order
    provinces: pd.DataFrame  # one row per province code 0–30, in order
    specialisations: pd.DataFrame
    classes: pd.DataFrame  # isic_class, division, weight
    places: pd.DataFrame
    brands: pd.DataFrame
    phrases: pd.DataFrame


@functools.cache
def tables() -> Tables:
    divisions = _read("divisions.csv", dtype={"division": str})
    activity = isic()
    classes = activity.loc[activity["level"] == "class", ["code"]].rename(
        columns={"code": "isic_class"}
    )
    classes["division"] = classes["isic_class"].str[:2]
    classes = classes[classes["division"].isin(divisions["division"])]
    overrides = _read("class_weights.csv", dtype={"isic_class": str})
    classes = classes.merge(overrides[["isic_class", "weight"]], on="isic_class", how="left")
    classes["weight"] = classes["weight"].fillna(1.0)
    estates = _read("estates.csv", dtype={"code": str, "province_code": np.int64, "specialty": str})
    return Tables(
        estates=estates,
        divisions=divisions,
        provinces=_read("provinces.csv").sort_values("province_code", ignore_index=True),
        specialisations=_read("specialisations.csv", dtype={"division": str, "focus_class": str}),
        classes=classes.sort_values("isic_class", ignore_index=True),
        places=_read("places.csv"),
        brands=_read("brands.csv"),
        phrases=_read("sector_phrases.csv", dtype={"isic": str, "provinces": str}),
    )
