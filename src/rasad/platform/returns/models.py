"""Periodic returns: what each enterprise reported for each period, never overwritten.

A correction is a new :class:`ReturnVersion` holding the full set of values; the
:class:`Return` points at its current version, so history stays queryable and every
figure can be traced to who sent it, when, and from which file or form.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rasad.iran.periods import Period as JalaliPeriod
from rasad.platform.background import WorkerJob
from rasad.platform.language import current
from rasad.platform.registry.models import BilingualNameMixin, Enterprise


class Period(models.Model):
    year = models.PositiveSmallIntegerField(
        _("Jalali year"), validators=[MinValueValidator(1300), MaxValueValidator(1500)]
    )
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    deadline = models.DateField(
        _("return deadline"),
        null=True,
        blank=True,
        help_text=_("Returns received after this date are late."),
    )

    class Meta:
        ordering = ["year", "quarter"]
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=Q(quarter__isnull=True), name="unique_year_period"
            ),
            models.UniqueConstraint(
                fields=["year", "quarter"],
                condition=Q(quarter__isnull=False),
                name="unique_quarter_period",
            ),
        ]

    @property
    def jalali(self) -> JalaliPeriod:
        return JalaliPeriod(self.year, self.quarter)

    @property
    def code(self) -> str:
        return self.jalali.code

    @property
    def start_date(self):
        return self.jalali.start_date()

    @property
    def end_date(self):
        return self.jalali.end_date()

    def __str__(self) -> str:
        return self.jalali.label(current())


class Indicator(BilingualNameMixin):
    """An entry of the indicator catalogue: a figure enterprises report in their returns."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    unit = models.CharField(_("unit"), max_length=30)
    kind = models.CharField(_("kind"), max_length=30)
    min_value = models.FloatField(_("smallest valid value"), null=True, blank=True)
    max_value = models.FloatField(_("largest valid value"), null=True, blank=True)
    direction = models.SmallIntegerField(
        _("direction"),
        default=1,
        choices=[(1, _("higher is better")), (-1, _("lower is better")), (0, _("neutral"))],
    )
    description_fa = models.TextField(_("description (Persian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class SourceFile(models.Model):
    """An uploaded file kept as received, so every imported figure can be traced to its bytes."""

    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content = models.FileField(_("content"), upload_to="returns/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("source file")
        verbose_name_plural = _("source files")

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


class ReturnQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReturnQuerySet:
        """Confidential figures: everything for analysts, own firm or own estates for others."""
        return self.filter(enterprise__in=Enterprise.objects.confidential_to(user))


# The references of returns and versions are kept by the code that writes them, not by
# database constraints: record_returns checks them for a whole file at once, before
# writing, and Django's PROTECT guards every delete. PostgreSQL would otherwise check
# six references per return one row at a time at commit, most of an import's commit
# (BENCHMARKS.md). The indexes stay.
class Return(models.Model):
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        related_name="returns",
        verbose_name=_("enterprise"),
        db_constraint=False,
    )
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="returns",
        verbose_name=_("period"),
        db_constraint=False,
    )
    current_version = models.OneToOneField(
        "ReturnVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current version"),
        db_constraint=False,
    )

    objects = ReturnQuerySet.as_manager()

    class Meta:
        ordering = ["period", "enterprise"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "period"], name="unique_return_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} — {self.period}"


class ReturnVersion(models.Model):
    class Source(models.TextChoices):
        FORM = "form", _("web form")
        FILE = "file", _("imported file")
        API = "api", _("API")
        DEMO = "demo", _("demo population")

    return_record = models.ForeignKey(
        Return,
        on_delete=models.PROTECT,
        related_name="versions",
        verbose_name=_("return"),
        db_constraint=False,
    )  # references: see Return
    number = models.PositiveIntegerField(_("version"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    source_file = models.ForeignKey(
        SourceFile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="versions",
        verbose_name=_("source file"),
        db_constraint=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    # The version's figures, indicator code → value in the catalogue's unit; a figure not
    # reported is absent. One row per version, not per figure: a version's figures are
    # never changed and always read together, and an import of 100,000 returns writes
    # 100,000 rows instead of 2.7 million (BENCHMARKS.md).
    figures = models.JSONField(_("figures"), default=dict)

    class Meta:
        ordering = ["return_record", "number"]
        verbose_name = _("return version")
        verbose_name_plural = _("return versions")
        constraints = [
            models.UniqueConstraint(
                fields=["return_record", "number"], name="unique_version_number"
            )
        ]

    def values(self) -> dict[str, float]:
        return {code: float(value) for code, value in self.figures.items()}

    def __str__(self) -> str:
        return f"{self.return_record} v{self.number}"


class ReturnDraft(models.Model):
    """A return being filled in on the web form: the figures as typed (Persian digits and
    separators kept), not yet checked or submitted. One per enterprise and period; it is
    deleted when the return is submitted. Nothing here counts as reported data."""

    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.CASCADE,
        related_name="return_drafts",
        verbose_name=_("enterprise"),
    )
    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="drafts", verbose_name=_("period")
    )
    values = models.JSONField(_("values as typed"), default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved by"),
    )
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        ordering = ["period", "enterprise"]
        verbose_name = _("return draft")
        verbose_name_plural = _("return drafts")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "period"], name="unique_draft_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} — {self.period} ({_('draft')})"


class DataState(models.Model):
    """One row whose ``token`` changes, by database triggers, with every write to the
    registry, the periods, the catalogue or the returns (any writer: forms, imports,
    COPY, the admin, raw SQL), in the writer's transaction. Caches built from those
    tables (the monitoring run, the cluster analysis, the Top-100 rows, an import's dry
    run) compare one primary-key read of it instead of counting tables. A random token,
    not a counter, so that no state is ever mistaken for an earlier one, even after the
    tables are emptied (see :func:`rasad.platform.returns.state.data_state`)."""

    token = models.CharField(_("data state"), max_length=32)

    class Meta:
        verbose_name = _("data state")
        verbose_name_plural = _("data states")

    def __str__(self) -> str:
        return self.token


class ImportJob(WorkerJob):
    """The dry run or the import of a large uploaded file, run by a worker process
    (``rasad worker``) instead of the request that asked for it: reading and checking a
    file of a million rows takes minutes and gigabytes no web server should spend. The
    upload page shows the job's row until it ends, then the report it left
    (:mod:`rasad.platform.returns.import_jobs`)."""

    class Kind(models.TextChoices):
        CHECK = "check", _("check")
        COMMIT = "commit", _("import")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.CHECK)
    confirm_implausible = models.BooleanField(_("implausible figures confirmed"), default=False)
    stage = models.CharField(_("stage"), max_length=16, blank=True)
    percent = models.FloatField(_("percent complete"), default=0)
    # what the report page shows (rasad.platform.returns.import_jobs.outcome_record)
    result = models.JSONField(_("result"), null=True, blank=True)
    # the Excel report the worker wrote, a name in the storage of uploaded files
    report_file = models.CharField(_("Excel report"), max_length=255, blank=True)

    class Meta(WorkerJob.Meta):
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["user", "sha256"], name="import_job_upload")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name} ({self.get_status_display()})"
