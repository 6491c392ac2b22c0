"""The web form of a periodic return: one field per catalogue indicator.

The form only collects what the person typed (Persian or Latin digits, ٬ or ,
separators, ٫ or . decimals); the checks are those of the file import
(:func:`rasad.intake.validate_records`), so a figure accepted in a spreadsheet is
accepted here and refused with the same message. :meth:`ReturnForm.attach` puts each
problem of that report beside its field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext_lazy as _

from rasad.iran.text import format_number
from rasad.methodologies import load_catalogue
from rasad.platform.language import persian
from rasad.platform.returns.models import Indicator

UNIT_LABELS = {
    "persons": _("persons"),
    "million_rials": _("million rials"),
    "percent": _("percent"),
    "hours": _("hours"),
    "count": _("count"),
    "boolean": _("yes or no"),
}
BOOLEAN_CHOICES = [("", "—"), ("1", _("yes")), ("0", _("no"))]
MAX_TYPED_LENGTH = 40


def catalogue_indicators() -> list[Indicator]:
    """The catalogue's indicators in the catalogue's order (the order of a return's
    columns), not the database's alphabetical one."""
    order = {spec.code: i for i, spec in enumerate(load_catalogue())}
    return sorted(Indicator.objects.all(), key=lambda i: (order.get(i.code, len(order)), i.code))


def typed(value: float | None, kind: str, *, persian: bool) -> str:
    """A stored figure as a person would type it back into the form."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "boolean":
        return "1" if value else "0"
    decimals = len(f"{value:.6f}".rstrip("0").split(".")[1])
    return format_number(value, decimals=decimals, persian_digits=persian)


@dataclass
class FieldProblems:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    implausible: bool = False  # a warning among them needs a person's confirmation


class ReturnForm(forms.Form):
    """One optional text field per indicator (a yes/no choice for certificates)."""

    def __init__(self, *args, indicators: list[Indicator], **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        self.problems: dict[str, FieldProblems] = {}
        self.general_errors: list[str] = []
        self.general_warnings: list[str] = []
        self.implausible = 0  # figures outside the catalogue's plausible bounds
        self.awaiting_confirmation = (
            False  # submitted with them, the box not ticked: nothing stored
        )
        for indicator in indicators:
            if indicator.kind == "boolean":
                widget = forms.Select(attrs={"class": "figure"})
                self.fields[indicator.code] = forms.ChoiceField(
                    choices=BOOLEAN_CHOICES, required=False, widget=widget
                )
            else:
                attrs = {
                    "class": "figure",
                    "dir": "ltr",
                    "autocomplete": "off",
                    "spellcheck": "false",
                }
                if indicator.min_value is not None and indicator.min_value >= 0:
                    attrs["inputmode"] = "decimal"  # phone keypads without a minus sign
                self.fields[indicator.code] = forms.CharField(
                    required=False,
                    max_length=MAX_TYPED_LENGTH,
                    strip=True,
                    widget=forms.TextInput(attrs=attrs),
                )
            self.fields[indicator.code].label = indicator.name

    def typed_values(self) -> dict[str, str]:
        """What was typed, field by field ("" for a blank field), cut to the fields' length."""
        data = self.data
        return {
            i.code: str(data.get(i.code, "")).strip()[:MAX_TYPED_LENGTH] for i in self.indicators
        }

    def attach(self, report, language: str) -> None:
        """Put the report's problems beside their fields; the rest above the form."""
        for problem in report.problems:
            message = problem.message(language)
            self.implausible += problem.needs_confirmation
            if problem.field in self.fields:
                target = self.problems.setdefault(problem.field, FieldProblems())
                (target.errors if problem.blocking else target.warnings).append(message)
                target.implausible |= problem.needs_confirmation
            else:
                (self.general_errors if problem.blocking else self.general_warnings).append(message)

    def attach_errors(self, errors, language: str) -> None:
        """Errors raised by the service (``InvalidReturn.problems``), beside their fields."""
        for error in errors:
            if error.field in self.fields:
                self.problems.setdefault(error.field, FieldProblems()).errors.append(
                    error.message(language)
                )
            else:
                self.general_errors.append(error.message(language))

    @property
    def has_errors(self) -> bool:
        return bool(self.general_errors) or any(p.errors for p in self.problems.values())

    def rows(self):
        """(bound field, indicator, unit label, problems) in catalogue order, for the template."""
        english = not persian()
        for indicator in self.indicators:
            yield {
                "description": indicator.description_en if english else indicator.description_fa,
                "field": self[indicator.code],
                "indicator": indicator,
                "unit": UNIT_LABELS.get(indicator.unit, indicator.unit),
                "problems": self.problems.get(indicator.code, FieldProblems()),
            }
