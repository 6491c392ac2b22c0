"""The demo population as plain DataFrames, and its CSV form.

The frames are what the importer, the engine and the web app's seed command consume,
so their columns and dtypes are fixed here once: a population written to CSV and read
back must be the very same data, or a benchmark on a reloaded file would measure
something else than the generator's output.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from rasad.errors import RasadInputError
from rasad.export import csv_unquote_frame, write_csv
from rasad.methodologies import load_catalogue

TEXT = "string"
DATE = "datetime64[ns]"

SCHEMAS: dict[str, dict[str, str]] = {
    "estates": {
        "code": TEXT, "name_fa": TEXT, "name_en": TEXT, "province_code": "int64", "kind": TEXT,
    },
    "enterprises": {
        "national_id": TEXT, "name_fa": TEXT, "name_en": TEXT, "isic_class": TEXT,
        "province_code": "int64", "estate_code": TEXT, "founding_year": "int64",
        "size_class": TEXT,
    },
    "returns": {
        "national_id": TEXT, "year": "int64", "submitted_on": DATE,
        **{spec.code: "float64" for spec in load_catalogue()},
    },
    "clusters": {
        "code": TEXT, "name_fa": TEXT, "name_en": TEXT, "province_code": "int64",
        "division": TEXT, "kind": TEXT,
    },
    "cluster_members": {"cluster_code": TEXT, "national_id": TEXT},
}  # fmt: skip


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Both :func:`generate` and :meth:`DemoPopulation.from_csv` end here, which is
    what makes a CSV round trip give back identical frames."""
    schema = SCHEMAS[name]
    return frame[list(schema)].astype(schema).reset_index(drop=True)


@dataclass
class DemoPopulation:
    """A synthetic registry and its yearly returns (see docs/demo-population.md).

    ``estates`` industrial estates and zones; ``enterprises`` the registry, one row per
    firm; ``returns`` one row per firm and Jalali year it filed, one float column per
    catalogue indicator (NaN where left blank); ``clusters`` the designated clusters and
    ``cluster_members`` which firms belong to them.
    """

    estates: pd.DataFrame
    enterprises: pd.DataFrame
    returns: pd.DataFrame
    clusters: pd.DataFrame
    cluster_members: pd.DataFrame

    def to_csv(self, directory: str | Path) -> None:
        """One UTF-8 CSV per frame (``estates.csv``, ``returns.csv``, …) in ``directory``.

        Dates are written as ISO ``YYYY-MM-DD`` and floats with full precision, so
        :meth:`from_csv` gives back identical frames. Text that a spreadsheet would take
        for a formula is written behind a quote (:func:`rasad.export.write_csv`) and read
        back without it.
        """
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        for field in fields(self):
            write_csv(
                getattr(self, field.name),
                target / f"{field.name}.csv",
                index=False,
                encoding="utf-8",
                date_format="%Y-%m-%d",
            )

    @classmethod
    def from_csv(cls, directory: str | Path) -> DemoPopulation:
        source = Path(directory)
        frames = {}
        for field in fields(cls):
            path = source / f"{field.name}.csv"
            if not path.is_file():
                raise RasadInputError(
                    f"{path} is missing: a demo population directory holds "
                    f"{', '.join(f.name + '.csv' for f in fields(cls))}.",
                    f"فایل {path} پیدا نشد: پوشه جمعیت نمایشی باید این فایل‌ها را داشته باشد: "
                    f"{'، '.join(f.name + '.csv' for f in fields(cls))}.",
                    field=field.name,
                    value=str(path),
                )
            schema = SCHEMAS[field.name]
            dates = [column for column, dtype in schema.items() if dtype == DATE]
            text = {column: TEXT for column, dtype in schema.items() if dtype == TEXT}
            frame = pd.read_csv(path, encoding="utf-8", dtype=text, parse_dates=dates)
            frames[field.name] = conform(field.name, csv_unquote_frame(frame))
        return cls(**frames)
