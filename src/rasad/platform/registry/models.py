"""Who the enterprises are and where they sit: the slow-changing facts every analysis joins on."""

from __future__ import annotations

import pandas as pd
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Replace
from django.utils.translation import gettext_lazy as _

from rasad.iran.text import SEARCH_FOLDS, search_key, to_latin_digits
from rasad.platform.accounts.models import Role
from rasad.platform.language import persian
from rasad.platform.validators import validate_national_id


class BilingualNameMixin(models.Model):
    """Rows named in both languages show the name of the reader's language."""

    name_fa = models.CharField(_("name (Persian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        if not persian() and self.name_en:
            return self.name_en
        return self.name_fa

    def __str__(self) -> str:
        return self.name


class Province(BilingualNameMixin):
    code = models.PositiveSmallIntegerField(
        _("Statistical Centre code"), unique=True, validators=[MaxValueValidator(30)]
    )
    iso = models.CharField(_("ISO 3166-2 code"), max_length=5, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")


class Sector(models.Model):
    """A node of ISIC Rev.4; enterprises hang on classes, analyses roll up to divisions."""

    class Level(models.TextChoices):
        SECTION = "section", _("section")
        DIVISION = "division", _("division")
        GROUP = "group", _("group")
        CLASS = "class", _("class")

    code = models.CharField(_("ISIC code"), max_length=4, unique=True)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    section = models.CharField(_("section"), max_length=1)
    title_fa = models.CharField(_("title (Persian)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300)

    class Meta:
        ordering = ["code"]
        verbose_name = _("ISIC sector")
        verbose_name_plural = _("ISIC sectors")

    @property
    def title(self) -> str:
        if persian() and self.title_fa:
            return self.title_fa
        return self.title_en

    @property
    def division_code(self) -> str:
        return self.code[:2] if self.level in (self.Level.GROUP, self.Level.CLASS) else self.code

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class IndustrialEstate(BilingualNameMixin):
    class Kind(models.TextChoices):
        ESTATE = "estate", _("industrial estate")
        ZONE = "zone", _("industrial zone")

    code = models.CharField(_("code"), max_length=20, unique=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="estates", verbose_name=_("province")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.ESTATE)

    class Meta:
        ordering = ["province__code", "name_fa"]
        verbose_name = _("industrial estate")
        verbose_name_plural = _("industrial estates")


class Dataset(BilingualNameMixin):
    """A research panel imported beside the national returns (DESIGN §4): its firms and
    returns are kept apart, so a 1976 UK headcount never enters an Iranian location
    quotient, an alert run or a ranking. The national returns are not a row here: an
    enterprise without a dataset is national, which is what every page, command and
    API call reads unless another dataset is named."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    citation = models.TextField(_("citation"), blank=True)
    currency = models.CharField(
        _("currency"),
        max_length=8,
        blank=True,
        help_text=_("The currency of the panel's money figures; blank for rials."),
    )
    prices = models.JSONField(
        _("price index"),
        null=True,
        blank=True,
        help_text=_(
            "Price index by Jalali year that deflates the panel's money figures; "
            "without one they are reported as nominal."
        ),
    )
    prices_note = models.CharField(_("price index source"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("research panel")
        verbose_name_plural = _("research panels")

    def price_series(self):
        """The price index as a series by Jalali year, or None (nominal)."""
        if not self.prices:
            return None
        return pd.Series(
            {int(year): float(value) for year, value in self.prices.items()}
        ).sort_index()


def confidential_scope(user) -> tuple:
    """Whose confidential figures ``user`` may see (DESIGN §5), as a value: ``("all",)``,
    ``("none",)``, ``("enterprises", ids)`` or ``("estates", ids)``. It is what
    :meth:`EnterpriseQuerySet.confidential_to` filters by, and what a cached page that
    differs by reader is keyed on."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ("none",)
    if user.sees_everything:
        return ("all",)
    if user.effective_role == Role.ENTERPRISE and user.enterprise_id:
        return ("enterprises", (user.enterprise_id,))
    if user.effective_role == Role.ESTATE_MANAGER:
        return ("estates", tuple(sorted(user.estates.values_list("pk", flat=True))))
    return ("none",)


class EnterpriseQuerySet(models.QuerySet):
    def confidential_to(self, user) -> EnterpriseQuerySet:
        """The enterprises whose confidential figures ``user`` may see and correct (DESIGN §5)."""
        kind, *ids = confidential_scope(user)
        if kind == "all":
            return self
        if kind == "enterprises":
            return self.filter(pk__in=ids[0])
        if kind == "estates":
            return self.filter(estate__in=ids[0])
        return self.none()

    def in_dataset(self, dataset) -> EnterpriseQuerySet:
        """The enterprises of ``dataset`` (a :class:`Dataset`; None: the national returns)."""
        return (
            self.filter(dataset__isnull=True) if dataset is None else self.filter(dataset=dataset)
        )


def name_or_id_matches(query: str, prefix: str = "") -> models.Q | None:
    """Enterprises whose Persian name (read as :func:`search_key` reads it) or English
    name contains ``query``, or whose national ID starts with its digits; None for an
    empty query. ``prefix`` reaches the enterprise from another model."""
    key = search_key(query)
    if not key:
        return None
    match = models.Q(**{f"{prefix}search_name__icontains": key}) | models.Q(
        **{f"{prefix}name_en__icontains": key}
    )
    digits = to_latin_digits(key).replace(" ", "")
    if digits.isdigit():
        match |= models.Q(**{f"{prefix}national_id__startswith": digits})
    return match


def _folded(field: str):
    expression = models.F(field)
    for typed, folded in SEARCH_FOLDS:
        expression = Replace(expression, models.Value(typed), models.Value(folded))
    return expression


class Enterprise(BilingualNameMixin):
    national_id = models.CharField(
        _("national ID"),
        max_length=11,
        unique=True,
        validators=[validate_national_id],
        help_text=_("The 11-digit national ID of the legal entity, with its check digit."),
    )
    isic = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        related_name="enterprises",
        limit_choices_to={"level": Sector.Level.CLASS},
        verbose_name=_("ISIC class"),
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("province")
    )
    estate = models.ForeignKey(
        IndustrialEstate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("industrial estate"),
    )
    founding_year = models.PositiveSmallIntegerField(
        _("founding year (Jalali)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1250), MaxValueValidator(1500)],
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    dataset = models.ForeignKey(
        Dataset,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("research panel"),
        help_text=_("Blank for an enterprise of the national returns."),
    )
    source_code = models.CharField(
        _("code in its panel"),
        max_length=120,
        blank=True,
        help_text=_("The firm's own code (or name) in its research panel."),
    )

    # The Persian name as a search reads it (rasad.iran.text.search_key): kept by the
    # database itself, so every way a name is written (a form, an import, bulk_create,
    # update()) keeps it right, on SQLite and PostgreSQL alike. Folding at query time
    # instead would run these replacements on every row of every search.
    search_name = models.GeneratedField(
        expression=_folded("name_fa"),
        output_field=models.CharField(max_length=200),
        db_persist=True,
        editable=False,
    )

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name_fa"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        indexes = [models.Index(fields=["province", "isic"])]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "source_code"],
                condition=~models.Q(source_code=""),
                name="unique_source_code_per_panel",
            ),
        ]

    def clean(self):
        errors = {}
        if self.isic_id and self.isic.level != Sector.Level.CLASS:
            errors["isic"] = _("Choose a 4-digit ISIC class, not a %(level)s.") % {
                "level": self.isic.get_level_display()
            }
        if self.estate_id and self.province_id and self.estate.province_id != self.province_id:
            errors["estate"] = _(
                "The estate %(estate)s is in %(estate_province)s, not in %(province)s."
            ) % {
                "estate": self.estate.name,
                "estate_province": self.estate.province.name,
                "province": self.province.name,
            }
        if errors:
            raise ValidationError(errors)


class Cluster(BilingualNameMixin):
    """A group of related enterprises in one place: designated by ISIPO or found by analysis."""

    class Kind(models.TextChoices):
        DESIGNATED = "designated", _("designated")
        IDENTIFIED = "identified", _("identified")

    code = models.CharField(_("code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.DESIGNATED)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="clusters", verbose_name=_("province")
    )
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        related_name="clusters",
        verbose_name=_("ISIC division"),
        limit_choices_to={"level": Sector.Level.DIVISION},
    )
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        Enterprise, through="ClusterMembership", related_name="clusters", verbose_name=_("members")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")


class ClusterMembership(models.Model):
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, verbose_name=_("cluster"))
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, verbose_name=_("enterprise")
    )
    since_year = models.PositiveSmallIntegerField(
        _("member since (Jalali year)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("cluster membership")
        verbose_name_plural = _("cluster memberships")
        constraints = [
            models.UniqueConstraint(fields=["cluster", "enterprise"], name="unique_cluster_member")
        ]
