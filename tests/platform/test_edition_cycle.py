"""The yearly cycle without surprises (issue 15, parts 3–5): editions rank the national
returns only, report their filing coverage, refuse to be computed thin without an
explicit override and never publish thin; a newer edition of a year supersedes the
earlier one and the public pages show the newest; the new-edition form offers the year
enough enterprises have filed for; and ``rasad edition list | compute | publish`` runs
the cycle from a script with the same services.

The module's database is a demo of 150 firms (147 filed for 1403, every one founded by
1402) with its 1403 edition published, then changed by hand: three 1403 filers moved
into a research panel, two firms that have not filed for 1404 recorded as founded in
1405, and two firms' 1403 returns filed again as 1404 (plus one for a panel firm). So:

- 1403: 147 − 3 = 144 of the 147 national firms have filed (98%);
- 1404: 2 of 150 − 3 − 2 = 145 national firms expected have filed (1.4%).
"""

from __future__ import annotations

import html
import re

import pytest
from django.core.exceptions import PermissionDenied

from rasad.cli import main
from rasad.platform.accounts.models import Role, User
from rasad.platform.monitoring import compute
from rasad.platform.rankings import thin
from rasad.platform.rankings.bundled import bundled_methodology
from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.rankings.services import compute_edition, edition_data, publish_edition
from rasad.platform.registry.models import Dataset, Enterprise, Sector
from rasad.platform.returns.models import Period, Return
from rasad.platform.returns.services import record_return

N, SEED = 150, 23
EN_1404 = "1404: 2 of 145 enterprises expected have filed (1.4%); an edition needs 50%."
FA_1404 = (
    "۱۴۰۴: ۲ از ۱۴۵ بنگاهی که باید اظهارنامه می‌دادند اظهارنامه داده‌اند (۱٫۴٪)؛ "
    "ویرایش رتبه‌بندی دست‌کم ۵۰٪ پوشش می‌خواهد."
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data, published_demo):
    compute.clear()
    with module_data(django_db_blocker):
        try:
            made = published_demo(N, SEED, "cycle-analyst")
            first, analyst = made["edition"], made["analyst"]
            admin = (
                User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
            )  # the demo's
            # two complete, ranked firms file their 1403 figures again for 1404
            complete = (
                EditionResult.objects.filter(edition=first, rank__isnull=False, missing=[])
                .order_by("rank")
                .values_list("enterprise_id", flat=True)
            )
            early = list(Enterprise.objects.filter(pk__in=list(complete[:2])))
            # three other 1403 filers are a research panel's, not national firms
            panel = Dataset.objects.create(
                code="cycle-panel", name_fa="پنل آزمون", name_en="Test panel"
            )
            ranked_1403 = EditionResult.objects.filter(edition=first, rank__isnull=False).values(
                "enterprise_id"
            )
            moved = list(
                Enterprise.objects.filter(pk__in=ranked_1403)
                .exclude(pk__in=[e.pk for e in early])
                .order_by("national_id")[:3]
            )
            Enterprise.objects.filter(pk__in=[e.pk for e in moved]).update(dataset=panel)
            # two firms that have not filed for 1404 were founded after it
            later = list(
                Enterprise.objects.filter(dataset__isnull=True)
                .exclude(pk__in=[e.pk for e in early])
                .order_by("-national_id")[:2]
            )
            Enterprise.objects.filter(pk__in=[e.pk for e in later]).update(founding_year=1405)
            p1404 = Period.objects.create(year=1404)
            for firm in [*early, moved[0]]:
                values = Return.objects.get(
                    enterprise=firm, period=made["period"]
                ).current_version.values()
                record_return(firm, p1404, values, user=analyst, note="an early 1404 return")
            compute.clear()
            yield {
                **made,
                "first": first,
                "admin": admin,
                "early": early,
                "moved": moved,
                "p1404": p1404,
            }
        finally:
            compute.clear()


def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


# --- coverage, on a registry built by hand ----------------------------------------------------


def test_coverage_counts_national_enterprises_expected_to_file(db, settings):
    """Four national firms (founded 1380, no year, 1390, and 1405 but filed anyway) and
    a panel firm: 2 of the 4 expected have filed for 1404; the panel's return never counts."""
    from rasad.iran.ids import make_legal_id
    from rasad.platform.registry.models import Province

    province, sector = Province.objects.get(name_en="Yazd"), Sector.objects.get(code="1311")
    panel = Dataset.objects.create(code="hand-panel", name_fa="پنل", name_en="Panel")
    firms = [
        Enterprise.objects.create(
            national_id=make_legal_id(f"14012345{i:02d}"),
            name_fa=f"بنگاه {i}",
            isic=sector,
            province=province,
            founding_year=year,
            dataset=dataset,
        )
        for i, (year, dataset) in enumerate(
            [(1380, None), (None, None), (1390, None), (1405, None), (1380, panel)]
        )
    ]
    period = Period.objects.create(year=1404)
    for firm in (firms[0], firms[3], firms[4]):
        record_return(firm, period, {"employees": 20, "sales": 1e9})

    coverage = thin.period_coverage(period)
    assert (coverage.year, coverage.expected, coverage.filed, coverage.share) == (1404, 4, 2, 0.5)
    assert not coverage.thin  # 50% reaches the default 50%
    settings.RASAD_EDITION_MIN_COVERAGE = 0.6
    coverage = thin.period_coverage(period)
    assert coverage.thin
    assert (
        coverage.figures("en")
        == "1404: 2 of 4 enterprises expected have filed (50%); an edition needs 60%."
    )
    assert coverage.figures("fa") == (
        "۱۴۰۴: ۲ از ۴ بنگاهی که باید اظهارنامه می‌دادند اظهارنامه داده‌اند (۵۰٪)؛ "
        "ویرایش رتبه‌بندی دست‌کم ۶۰٪ پوشش می‌خواهد."
    )
    with pytest.raises(thin.ThinEdition) as refused:
        thin.refuse_thin_compute(coverage, allow_thin=False)
    assert refused.value.message_en.startswith(coverage.figures("en"))
    thin.refuse_thin_compute(coverage, allow_thin=True)
    # a share just below the one needed never reads as it
    assert (
        thin.FilingCoverage(1404, 2999, 1499, 1499 / 2999, 0.5).short("en")
        == "1,499 of 2,999 (49.98%)"
    )


# --- A: the national data set only --------------------------------------------------------------


def test_editions_rank_the_national_enterprises_only(world, db):
    edition = compute_edition(
        Edition.objects.create(
            name_fa="ملی",
            name_en="national",
            period=world["period"],
            methodology=world["first"].methodology,
        )
    )
    moved = {e.pk for e in world["moved"]}
    ranked_firms = set(edition.results.values_list("enterprise_id", flat=True))
    assert ranked_firms and not ranked_firms & moved
    assert (
        world["first"].results.filter(enterprise__in=moved, rank__isnull=False).count() == 3
    )  # ranked as national
    table, versions = edition_data(world["period"])
    assert not set(table["national_id"]) & {e.national_id for e in world["moved"]}
    assert (edition.expected_count, edition.filed_count) == (147, 144)
    assert edition.filing_coverage == pytest.approx(144 / 147)
    assert edition.ranked_count == edition.results.filter(rank__isnull=False).count()
    assert edition.ranked_count <= edition.eligible_count <= 144
    assert not edition.thin_allowed


# --- B: thin editions ----------------------------------------------------------------------------


def test_a_thin_edition_is_computed_only_on_request_and_never_published(world, db):
    edition = Edition.objects.create(
        name_fa="نازک",
        name_en="thin",
        period=world["p1404"],
        methodology=world["first"].methodology,
    )
    with pytest.raises(thin.ThinEdition) as refused:
        compute_edition(edition)
    assert refused.value.message_en.startswith(EN_1404)
    assert refused.value.message_fa.startswith(FA_1404)
    edition.refresh_from_db()
    assert edition.computed_at is None and not edition.results.exists()

    compute_edition(edition, allow_thin=True)
    assert (
        edition.expected_count,
        edition.filed_count,
        edition.eligible_count,
        edition.ranked_count,
    ) == (145, 2, 2, 2)
    assert edition.thin_allowed and edition.coverage_figures().thin
    assert {r.enterprise_id for r in edition.results.all()} == {e.pk for e in world["early"]}
    with pytest.raises(thin.ThinEdition) as refused:
        publish_edition(edition, world["analyst"])
    assert refused.value.message_en == f"{EN_1404} A thin edition cannot be published."
    assert refused.value.message_fa == f"{FA_1404} ویرایش کم‌پوشش منتشر نمی‌شود."
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT


def test_a_thin_edition_no_one_can_be_ranked_in_is_stored_and_says_why(world, db, client, capsys):
    """Both early filers send their 1404 return again without employees: no size band,
    so no one is eligible. The edition is computed (nothing ranked) and says why."""
    from rasad.platform.rankings import jobs

    for firm in world["early"]:
        values = Return.objects.get(enterprise=firm, period=world["p1404"]).current_version.values()
        record_return(firm, world["p1404"], {**values, "employees": None}, user=world["analyst"])
    edition = Edition.objects.create(
        name_fa="خالی",
        name_en="empty",
        period=world["p1404"],
        methodology=world["first"].methodology,
    )
    job = jobs.run_job(
        jobs.start_compute(edition, world["analyst"], spec_text="", runs=5, allow_thin=True).pk
    )
    assert job.status == "done" and job.unranked.field == "eligibility"
    edition.refresh_from_db()
    assert (edition.filed_count, edition.eligible_count, edition.ranked_count) == (2, 0, 0)
    assert not edition.results.exists() and edition.computed_at is not None and edition.thin_allowed
    assert job.message_en == (
        f"Done: 0 enterprises ranked. {EN_1404} No enterprise could be ranked: "
        "No unit is eligible for this ranking."
    )
    english(client).force_login(world["analyst"])
    page = client.get(f"/analysis/editions/{edition.pk}/")
    assert page.status_code == 200 and "No unit is eligible for this ranking." in text_of(page)
    with pytest.raises(thin.ThinEdition):  # refused for being thin, not for having no results
        publish_edition(edition, world["analyst"])

    assert main(["edition", "compute", "--period", "1404", "--allow-thin"]) == 0
    out, _ = capsys.readouterr()
    # the coverage in the language asked for (RASAD_LANG=en here), then the summary
    assert out.splitlines()[1].endswith("'SME-100 1404', 0 enterprises eligible, 0 ranked.")
    assert (
        out.splitlines()[2]
        == "No enterprise could be ranked: No unit is eligible for this ranking."
    )


def test_the_coverage_needed_is_read_when_publishing(world, db, settings):
    edition = compute_edition(
        Edition.objects.create(
            name_fa="ب", name_en="b", period=world["period"], methodology=world["first"].methodology
        )
    )
    settings.RASAD_EDITION_MIN_COVERAGE = 0.99
    with pytest.raises(thin.ThinEdition) as refused:
        publish_edition(edition, world["analyst"])
    assert refused.value.message_en == (
        "1403: 144 of 147 enterprises expected have filed (98%); an edition needs "
        "99%. A thin edition cannot be published."
    )


def test_an_edition_computed_before_coverage_was_recorded_is_computed_again_before_publishing(
    world, db
):
    edition = compute_edition(
        Edition.objects.create(
            name_fa="پ", name_en="p", period=world["period"], methodology=world["first"].methodology
        )
    )
    Edition.objects.filter(pk=edition.pk).update(
        filing_coverage=None, expected_count=None, filed_count=None
    )
    with pytest.raises(Exception) as refused:
        publish_edition(edition, world["analyst"])
    assert "compute it again" in refused.value.message_en


def test_the_review_page_and_the_list_show_the_coverage_and_refuse_thin(world, db, client):
    edition = compute_edition(
        Edition.objects.create(
            name_fa="نازک",
            name_en="thin page",
            period=world["p1404"],
            methodology=world["first"].methodology,
        ),
        allow_thin=True,
    )
    english(client).force_login(world["analyst"])
    page = text_of(client.get(f"/analysis/editions/{edition.pk}/"))
    assert 'id="thin-edition"' in page and EN_1404 in page
    assert "2 of 145 enterprises expected (1.4%)" in page
    assert 'id="publish"' not in page
    response = client.post(f"/analysis/editions/{edition.pk}/publish/", follow=True)
    assert "A thin edition cannot be published." in text_of(response)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT

    listing = text_of(client.get("/analysis/editions/"))
    assert "2 of 145 (1.4%)" in listing
    assert (
        "147 of 150 (98%)" in listing
    )  # the published edition, computed before the panel was split off

    client.post("/i18n/setlang/", {"language": "fa", "next": "/"})
    page = text_of(client.get(f"/analysis/editions/{edition.pk}/"))
    assert FA_1404 in page


def test_the_api_shows_the_coverage(world, db, client):
    edition = compute_edition(
        Edition.objects.create(
            name_fa="نازک",
            name_en="thin api",
            period=world["p1404"],
            methodology=world["first"].methodology,
        ),
        allow_thin=True,
    )
    client.force_login(world["analyst"])
    detail = client.get(f"/api/editions/{edition.pk}").json()
    assert (detail["expected_count"], detail["filed_count"], detail["eligible_count"]) == (
        145,
        2,
        2,
    )
    assert detail["filing_coverage"] == pytest.approx(2 / 145) and detail["thin"] is True
    assert detail["coverage_message_en"] == EN_1404 and detail["coverage_message_fa"] == FA_1404
    assert (
        not detail["superseded"]
        and detail["supersedes"] is None
        and detail["superseded_by"] is None
    )
    listed = client.get("/api/editions?year=1404").json()
    assert [e["thin"] for e in listed["items"]] == [True]


# --- C: superseding ------------------------------------------------------------------------------


def test_a_newer_edition_of_a_year_supersedes_the_earlier_one(world, db, client):
    first = world["first"]
    newer = publish_edition(
        compute_edition(
            Edition.objects.create(
                name_fa="۱۰۰ برتر ۱۴۰۳ بازنگری",
                name_en="Top 100 1403 revised",
                period=world["period"],
                methodology=first.methodology,
            )
        ),
        world["analyst"],
    )
    first = Edition.objects.get(pk=first.pk)
    assert first.superseded_by == newer and newer.supersedes == first
    assert newer.superseded_by is None and first.supersedes is None
    assert (first.state, newer.state) == ("superseded", "published")
    assert list(Edition.objects.current()) == [newer]
    assert {e.pk: e.superseded for e in Edition.objects.published().with_superseded()} == {
        first.pk: True,
        newer.pk: False,
    }

    from rasad.platform.public import data

    assert data.latest_edition() == newer
    assert data.editions_menu() == [newer]
    assert data.editions_menu(first) == [newer, first]

    english(client)
    latest = text_of(client.get("/top100/"))
    assert "Top 100 1403 revised" in latest and 'id="supersedes"' in latest
    assert f'href="/editions/{first.pk}/"' in latest
    old = text_of(client.get(f"/editions/{first.pk}/"))
    assert 'id="superseded-by"' in old and f'href="/editions/{newer.pk}/"' in old
    listed = text_of(client.get("/editions/"))
    assert "superseded by" in listed

    client.force_login(world["analyst"])
    review = text_of(client.get(f"/analysis/editions/{first.pk}/"))
    assert 'id="superseded-by"' in review and f'href="/analysis/editions/{newer.pk}/"' in review
    review = text_of(client.get(f"/analysis/editions/{newer.pk}/"))
    assert 'id="supersedes"' in review and f'href="/analysis/editions/{first.pk}/"' in review
    dashboard = client.get("/dashboard/")
    assert dashboard.status_code == 200 and dashboard.context["edition"] == newer
    assert [t["edition"] for t in dashboard.context["trends"]] == [newer]
    assert [e.pk for e in dashboard.context["editions"]] == [newer.pk]

    detail = client.get(f"/api/editions/{first.pk}").json()
    assert (
        detail["superseded"]
        and detail["superseded_by"]["id"] == newer.pk
        and detail["supersedes"] is None
    )
    detail = client.get(f"/api/editions/{newer.pk}").json()
    assert not detail["superseded"] and detail["supersedes"]["id"] == first.pk


# --- D: the new-edition form ----------------------------------------------------------------------


def test_the_new_edition_form_offers_the_year_enough_have_filed_for(world, db, client, settings):
    settings.RASAD_JOBS_INLINE = True
    english(client).force_login(world["analyst"])
    response = client.get("/analysis/editions/new/")
    form = response.context["form"]
    assert form.fields["period"].initial == world["period"]  # 1403, not 1404
    page = text_of(response)
    assert re.search(r'<option value="\d+" selected>1403 \(144 of 147 filed, 98%\)</option>', page)
    assert "1404 (2 of 145 filed, 1.4%)" in page
    reason = compute.population(None).default.explain("en")
    assert reason.startswith("1403 is shown") and "1404" in reason and html.unescape(reason) in page

    chosen = {
        "period": world["p1404"].pk,
        "methodology": bundled_methodology().pk,
        "runs": "10",
        "seed": "1",
        "top_k": "100",
        "sensitivity_n": "0",
        "spec": "",
    }
    refused = client.post("/analysis/editions/new/", chosen)
    assert refused.status_code == 200 and EN_1404 in text_of(refused)
    before = Edition.objects.count()
    accepted = client.post("/analysis/editions/new/", {**chosen, "allow_thin": "on"})
    assert accepted.status_code == 302 and Edition.objects.count() == before + 1
    made = Edition.objects.latest("pk")
    assert made.thin_allowed and made.ranked_count == 2


# --- E: the command line -------------------------------------------------------------------------


def test_the_yearly_cycle_from_the_command_line(world, db, capsys):
    before = Edition.objects.count()
    assert main(["edition", "compute", "--period", "1404"]) == 1
    out, err = capsys.readouterr()
    assert f"error: {EN_1404}" in err and "--allow-thin" in err and FA_1404 in err
    assert Edition.objects.count() == before  # nothing made when refused

    assert (
        main(["edition", "compute", "--period", "1404", "--allow-thin", "--as", "cycle-analyst"])
        == 0
    )
    out, err = capsys.readouterr()
    thin_edition = Edition.objects.latest("pk")
    assert out.startswith(f"{EN_1404}\n") and FA_1404 not in out
    assert (
        f"Edition {thin_edition.pk} computed" in out and "2 enterprises eligible, 2 ranked" in out
    )
    assert "cannot be published" in out
    assert (
        thin_edition.created_by == world["analyst"]
        and thin_edition.methodology == bundled_methodology()
    )

    assert (
        main(["edition", "publish", "--edition", str(thin_edition.pk)]) == 1
    )  # as the first administrator
    out, err = capsys.readouterr()
    assert (
        err == f"error: {EN_1404} A thin edition cannot be published.\n"
        f"خطا: {FA_1404} ویرایش کم‌پوشش منتشر نمی‌شود.\n"
    )
    thin_edition.refresh_from_db()
    assert thin_edition.status == Edition.Status.DRAFT

    assert (
        main(
            [
                "edition",
                "compute",
                "--period",
                "1403",
                "--spec",
                "sme100-uncertainty",
                "--runs",
                "5",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    out, _ = capsys.readouterr()
    good = Edition.objects.latest("pk")
    assert out.startswith(
        "1403: 144 of 147 enterprises expected have filed (98%); an edition needs 50%.\n"
    )
    assert good.runs == 5 and good.seed == 3 and good.created_by == world["admin"]
    assert f"rasad edition publish --edition {good.pk}" in out
    assert main(["edition", "publish", "--edition", str(good.pk), "--as", "cycle-analyst"]) == 0
    out, _ = capsys.readouterr()
    assert (
        f"Edition {good.pk} published" in out
        and f"It supersedes edition {world['first'].pk}" in out
    )

    assert main(["edition", "list"]) == 0
    out, _ = capsys.readouterr()
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert out.splitlines()[0].split()[:4] == ["id", "year", "methodology", "status"]
    assert re.search(
        r"1404 +SME-100 2\.0 +computed +2 of 145 \(1\.4%\) thin +2$", lines[str(thin_edition.pk)]
    )
    assert re.search(r"1403 +SME-100 2\.0 +published +144 of 147 \(98%\) +\d+", lines[str(good.pk)])
    assert re.search(
        r"1403 +SME-100 2\.0 +superseded +147 of 150 \(98%\)", lines[str(world["first"].pk)]
    )

    public = User.objects.create_user("cycle-public", password="x", role=Role.PUBLIC)
    assert (
        main(["edition", "publish", "--edition", str(thin_edition.pk), "--as", public.username])
        == 2
    )
    assert main(["edition", "publish", "--edition", "999999"]) == 2
    assert main(["edition", "compute", "--period", "1390"]) == 2
    _, err = capsys.readouterr()
    assert (
        "may not compute or publish" in err
        and "no such edition" in err
        and "--period 1390: no such year; the returns cover: 1399, 1400, 1401, 1402, 1403, 1404"
        in err
    )


def test_publishing_needs_an_analyst(world, db):
    edition = compute_edition(
        Edition.objects.create(
            name_fa="ت", name_en="t", period=world["period"], methodology=world["first"].methodology
        )
    )
    with pytest.raises(PermissionDenied):
        publish_edition(
            edition, User.objects.create_user("cycle-public-2", password="x", role=Role.PUBLIC)
        )
