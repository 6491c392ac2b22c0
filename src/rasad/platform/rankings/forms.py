"""The analyst's form for a new edition: period, methodology, uncertainty spec and the
settings of the Monte Carlo and sensitivity analyses. Numbers may be typed in Persian or
Latin digits; the methodology and spec are checked by the engine's own readers, so a
refused spec is explained exactly as the CLI would explain it, in the reader's language.

The period offered first is the one every page shows by default: the latest whose filing
coverage is enough (:attr:`rasad.platform.monitoring.compute.Population.default`), and the
form says why. A period too few enterprises have filed for is refused (the edition would
be thin, :mod:`rasad.platform.rankings.thin`) unless the analyst ticks ``allow_thin``."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from rasad.errors import RasadInputError
from rasad.iran.text import to_latin_digits, to_persian_digits
from rasad.platform import datasets
from rasad.platform.language import current, persian
from rasad.platform.rankings import thin
from rasad.platform.rankings.bundled import bundled_methodology, bundled_spec
from rasad.platform.rankings.jobs import DEFAULT_SENSITIVITY_N, SENSITIVITY_CHOICES
from rasad.platform.rankings.models import Methodology
from rasad.platform.returns.models import Period, Return

MAX_RUNS = 20_000


def _digits(value) -> str:
    text = str(value)
    return to_persian_digits(text) if persian() else text


class WholeNumberField(forms.IntegerField):
    """An integer typed in Persian, Arabic-Indic or Latin digits (shown in the reader's)."""

    widget = forms.TextInput(
        attrs={"inputmode": "numeric", "dir": "ltr", "class": "figure", "size": 10}
    )

    def to_python(self, value):
        if isinstance(value, str):
            value = to_latin_digits(value).replace(",", "").replace("٬", "").strip()
        return super().to_python(value)

    def prepare_value(self, value):
        return _digits(value) if isinstance(value, int) else value


class PeriodChoiceField(forms.ModelChoiceField):
    """Each year with its filing coverage: "1404 (2 of 3,000 filed, 0.07%)"."""

    coverage: dict[int, dict] = {}

    def label_from_instance(self, obj):
        row = self.coverage.get(obj.year)
        if not row:
            return _digits(obj.code)
        return _("%(period)s (%(filed)s of %(expected)s filed, %(share)s)") % {
            "period": _digits(obj.code),
            "filed": thin.count(row["filed"], persian()),
            "expected": thin.count(row["expected"], persian()),
            "share": thin.percent(row["coverage"], persian()),
        }


class MethodologyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({_digits(obj.version)})"


class EditionForm(forms.Form):
    period = PeriodChoiceField(
        queryset=Period.objects.none(),
        label=_("Period"),
        help_text=_("A Jalali year with returns; the year before is read too, for growth."),
    )
    methodology = MethodologyChoiceField(
        queryset=Methodology.objects.none(), label=_("Methodology")
    )
    name_fa = forms.CharField(
        label=_("Name (Persian)"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for a name made of the methodology and the year."),
    )
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    spec = forms.CharField(
        label=_("Uncertainty spec (YAML)"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(
            attrs={"rows": 14, "dir": "ltr", "spellcheck": "false", "class": "code"}
        ),
        help_text=_(
            "The methodological choices the rank intervals are drawn from. "
            "Leave empty to rank without rank intervals or sensitivity analysis."
        ),
    )
    runs = WholeNumberField(
        label=_("Monte Carlo runs"), min_value=1, max_value=MAX_RUNS, initial=1000
    )
    seed = WholeNumberField(label=_("Random seed"), min_value=0, max_value=2**63 - 1, initial=1)
    top_k = WholeNumberField(
        label=_("Size of the top list"), min_value=1, max_value=100_000, initial=100
    )
    sensitivity_n = forms.TypedChoiceField(
        label=_("Sensitivity analysis sample"),
        coerce=int,
        initial=DEFAULT_SENSITIVITY_N,
        help_text=_(
            "The Sobol base sample n: the analysis builds the index n × (inputs + 2) times."
        ),
    )
    allow_thin = forms.BooleanField(
        label=_("Compute it even if few enterprises have filed (a thin edition)"),
        required=False,
        help_text=_(
            "A thin edition, whose returns cover less than the share of the enterprises "
            "expected that "
            "an edition needs, can be computed to look at, but never published."
        ),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from rasad.platform.monitoring import compute

        yearly = (
            Period.objects.filter(quarter__isnull=True)
            .filter(
                Exists(
                    Return.objects.filter(
                        period=OuterRef("pk"), enterprise__in=datasets.enterprise_ids(None)
                    )
                )
            )
            .order_by("-year")
        )
        national = compute.population(None)
        self.default_period = national.default  # which year, and why (rasad.monitor.filing)
        self.fields["period"].queryset = yearly
        self.fields["period"].coverage = {
            int(row["year"]): row for row in national.coverage.to_dict("records")
        }
        self.fields["methodology"].queryset = Methodology.objects.all()
        self.fields["sensitivity_n"].choices = [
            (n, _digits(n) if n else _("none")) for n in SENSITIVITY_CHOICES
        ]
        if not self.is_bound:
            chosen = self.default_period.year
            self.fields["period"].initial = (
                yearly.filter(year=chosen).first() if chosen is not None else None
            ) or yearly.first()
            self.fields["methodology"].initial = bundled_methodology(user)
            self.fields["spec"].initial = bundled_spec()

    def period_reason(self) -> str:
        """Why the period offered first is that one (the same words as every default period)."""
        return self.default_period.explain(current())

    def clean_allow_thin(self):
        allow = self.cleaned_data.get("allow_thin", False)
        period = self.cleaned_data.get("period")
        if period is None:
            return allow
        try:
            coverage = thin.period_coverage(period)
            thin.refuse_thin_compute(coverage, allow)
        except RasadInputError as error:
            raise forms.ValidationError(error.message(current())) from None
        self.coverage = coverage
        return allow

    def clean(self):
        data = super().clean()
        methodology = data.get("methodology")
        if methodology is None:
            return data
        from rasad.index.methodology import loads
        from rasad.index.uncertainty import loads_spec

        language = current()
        try:
            parsed = loads(methodology.text, source=f"methodology {methodology.version}")
        except RasadInputError as error:
            self.add_error("methodology", error.message(language))
            return data
        data["parsed_methodology"] = parsed
        spec = (data.get("spec") or "").strip()
        data["spec"] = spec
        if spec:
            try:
                loads_spec(spec, source="uncertainty spec", methodology=parsed)
            except RasadInputError as error:
                self.add_error("spec", error.message(language))
        return data
