"""Public pages. They show registry facts only; confidential figures stay behind roles."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db.models import Count, Max, Min
from django.shortcuts import render

from rasad.platform.accounts.models import Role
from rasad.platform.demo_data import DEMO_PASSWORD, DEMO_USERS
from rasad.platform.registry.models import Enterprise, IndustrialEstate, Province, Sector
from rasad.platform.returns.models import Period, Return


def _share_rows(rows, total):
    top = max((row["n"] for row in rows), default=0) or 1
    for row in rows:
        row["share"] = row["n"] / total if total else 0
        row["bar"] = round(100 * row["n"] / top)
    return rows


def home(request):
    enterprises = Enterprise.objects.all()
    total = enterprises.count()
    by_province = _share_rows(
        list(
            Province.objects.annotate(n=Count("enterprises"))
            .filter(n__gt=0)
            .order_by("-n")
            .values("code", "name_fa", "name_en", "n")
        ),
        total,
    )
    divisions = {s.code: s for s in Sector.objects.filter(level=Sector.Level.DIVISION)}
    by_division = _share_rows(
        [
            {"sector": divisions[row["isic__parent__parent__code"]], "n": row["n"]}
            for row in enterprises.values("isic__parent__parent__code")
            .annotate(n=Count("id"))
            .order_by("-n")
        ],
        total,
    )
    estates = IndustrialEstate.objects.annotate(n=Count("enterprises"))
    periods = list(
        Period.objects.annotate(returns_count=Count("returns")).filter(returns_count__gt=0)
    )
    year_range = Period.objects.filter(returns__isnull=False).aggregate(
        first=Min("year"), last=Max("year")
    )
    context = {
        "total": total,
        "estates_count": estates.count(),
        "estates_by_kind": IndustrialEstate.objects.values("kind")
        .annotate(k=Count("id"))
        .order_by("kind"),
        "top_estates": estates.filter(n__gt=0).select_related("province").order_by("-n")[:12],
        "provinces_count": len(by_province),
        "by_province": by_province,
        "by_division": by_division,
        "periods": periods,
        "year_range": year_range,
        "returns_count": Return.objects.count(),
        "in_estates_share": (enterprises.filter(estate__isnull=False).count() / total)
        if total
        else 0,
    }
    return render(request, "web/home.html", context)


class LoginView(auth_views.LoginView):
    """Lists the demo accounts only where the operator says this installation is a demo."""

    template_name = "web/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.RASAD_SHOW_DEMO_LOGINS:
            context["demo_logins"] = [(Role(role).label, name) for role, name in DEMO_USERS.items()]
            context["demo_password"] = DEMO_PASSWORD
        return context
