"""Data intake: enterprises and their periodic returns from Excel and CSV files.

Pure (no Django): the platform's import view, the CLI and notebooks share it.

- :mod:`~rasad.intake.template` writes the Excel/CSV template senders fill in;
- :mod:`~rasad.intake.read` reads xlsx and CSV as they really arrive (Windows-1256,
  merged headers, Persian digits, units in headers) into located raw values;
- :mod:`~rasad.intake.validate` checks every value and collects every problem;
- :mod:`~rasad.intake.report` is the dry-run report: problems, counts and the
  canonical records, handed out only when nothing blocks;
- :mod:`~rasad.intake.mapping` imports panels we did not make (research data sets)
  through a YAML mapping file.

See docs/intake.md.
"""

from .fields import FieldSpec, FieldTable, default_fields
from .mapping import (
    MappedPanel,
    PanelMapping,
    apply_mapping,
    assign_text_ids,
    bundled_mappings,
    load_mapping,
    read_panel,
)
from .prices import read_prices
from .problems import ERROR, WARNING, Problem
from .read import ReadLimits, Sheet, Workbook, read_bytes, read_file
from .reference import Estates
from .report import IntakeReport, empty_enterprises, empty_returns
from .template import write_template
from .units import UNITS, MoneyUnit, parse_unit
from .validate import (
    Checks,
    Scope,
    UnitSlipRule,
    dry_run,
    validate_frames,
    validate_records,
    validate_workbook,
)

__all__ = [
    "ERROR",
    "UNITS",
    "WARNING",
    "Checks",
    "Estates",
    "FieldSpec",
    "FieldTable",
    "IntakeReport",
    "MappedPanel",
    "MoneyUnit",
    "PanelMapping",
    "Problem",
    "ReadLimits",
    "Scope",
    "Sheet",
    "UnitSlipRule",
    "Workbook",
    "apply_mapping",
    "assign_text_ids",
    "bundled_mappings",
    "default_fields",
    "dry_run",
    "empty_enterprises",
    "empty_returns",
    "load_mapping",
    "parse_unit",
    "read_bytes",
    "read_file",
    "read_panel",
    "read_prices",
    "validate_frames",
    "validate_records",
    "validate_workbook",
    "write_template",
]
