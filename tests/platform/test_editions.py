"""Editions computed from the database equal the engine's numbers on the same table, store
their rank intervals, and once published never change (issue 4 item 6, issue 6 item 5)."""

from importlib.resources import files

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from rasad.demo import generate
from rasad.errors import RasadInputError
from rasad.index import build, data_hash, loads
from rasad.index.inputs import sme_inputs
from rasad.index.methodology import MethodologyError
from rasad.index.uncertainty import loads_spec, uncertainty
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import load_demo
from rasad.platform.rankings.models import Edition, EditionResult, EditionReturnVersion, Methodology
from rasad.platform.rankings.services import compute_edition, edition_data, publish_edition
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Period, Return, ReturnVersion
from rasad.platform.returns.services import record_return

N = 300
YEAR = 1403
RUNS = 40
SEED = 5
TOP_K = 50
SPEC = """\
# SME-100's uncertain choices, for tests
weights:
  1: {uniform: 0.25}
  2: {uniform: 0.25}
normalise:
  - {method: percentile_rank}
  - {method: percentile, within: null}
aggregate: [arithmetic, {method: generalised, p: 0.5}]
drop: [rd_intensity, current_ratio]
"""
SME100 = (files("rasad.methodologies") / "sme100.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def population():
    return generate(n_enterprises=N, seed=7)


@pytest.fixture(scope="module")
def engine(population):
    """What the engine says on the demo frames directly, without the database."""
    methodology = loads(SME100)
    table = sme_inputs(population.returns, population.enterprises, YEAR)
    spec = loads_spec(SPEC, methodology=methodology)
    return {
        "methodology": methodology,
        "table": table,
        "results": build(methodology, table, keep="final"),
        "uncertainty": uncertainty(methodology, table, spec, RUNS, seed=SEED, top_k=TOP_K),
    }


@pytest.fixture
def loaded(db, population, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher"
    ]  # demo users, fast
    load_demo(population)
    return Period.objects.get(year=YEAR, quarter__isnull=True)


@pytest.fixture
def analyst(loaded):
    return User.objects.create_user("analyst-x", password="x", role=Role.ANALYST)


def new_edition(period, name="۱۰۰ برتر ۱۴۰۳"):
    methodology, _ = Methodology.objects.get_or_create(
        text=SME100, defaults={"name_fa": "رتبه‌بندی", "name_en": "SME-100", "version": "1403.1"}
    )
    return Edition.objects.create(
        name_fa=name, name_en="Top 100", period=period, methodology=methodology
    )


def stored(edition) -> pd.DataFrame:
    rows = EditionResult.objects.filter(edition=edition).values(
        "enterprise__national_id",
        "score",
        "rank",
        "node_scores",
        "size_class",
        *EditionResult.INTERVAL_FIELDS,
    )
    return pd.DataFrame.from_records(list(rows)).set_index("enterprise__national_id").sort_index()


def current_versions(years) -> set[int]:
    firms = Return.objects.filter(period__year=YEAR).values("enterprise_id")
    return set(
        Return.objects.filter(period__year__in=years, enterprise__in=firms).values_list(
            "current_version_id", flat=True
        )
    )


def nan_equal(stored_values, engine_values):
    """Stored (None for missing) against the engine's floats (NaN), exactly."""
    np.testing.assert_array_equal(
        pd.to_numeric(pd.Series(stored_values), errors="coerce").to_numpy(dtype=float),
        np.asarray(engine_values, dtype=float),
    )


def test_the_database_table_is_the_engine_input(loaded, engine):
    table, versions = edition_data(loaded)
    direct = engine["table"].drop(columns=["submitted_on"])
    ours = table.set_index("national_id").sort_index()
    direct = direct.set_index("national_id").sort_index()
    assert list(ours.index) == list(direct.index)
    pd.testing.assert_frame_equal(
        ours.drop(columns="estate"),
        direct.drop(columns="estate"),
        check_like=True,
        check_dtype=False,
        check_index_type=False,
    )
    assert (ours["estate"].fillna("") == direct["estate"].fillna("")).all()
    assert data_hash(engine["methodology"], table) == data_hash(
        engine["methodology"], engine["table"]
    )
    assert sorted(versions) == versions and set(versions) == current_versions([YEAR, YEAR - 1])
    # growth needs last year
    assert ReturnVersion.objects.filter(
        pk__in=versions, return_record__period__year=YEAR - 1
    ).exists()


def test_a_computed_edition_stores_the_engine_numbers(loaded, engine):
    edition = new_edition(loaded)
    steps = []
    edition = compute_edition(
        edition,
        spec_text=SPEC,
        runs=RUNS,
        seed=SEED,
        top_k=TOP_K,
        progress=lambda stage, done, total: steps.append((stage, done, total)),
    )
    results, analysis = engine["results"], engine["uncertainty"]
    rows = stored(edition)

    units = results.score.index.sort_values()
    assert list(rows.index) == list(units)
    np.testing.assert_array_equal(
        rows["rank"].astype(float), results.rank.reindex(units).to_numpy()
    )
    np.testing.assert_array_equal(
        rows["score"].astype(float), results.score.reindex(units).to_numpy()
    )
    for node in ("growth", "exports", "finance", "skills"):
        nan_equal(
            [scores[node] for scores in rows["node_scores"]], results.scores[node].reindex(units)
        )
    assert "SME100" not in rows["node_scores"].iloc[0]
    assert (
        rows["size_class"].tolist()
        == results.groups["size_class"].reindex(units).astype(str).tolist()
    )
    assert set(rows["size_class"]) == {"small", "medium"}  # the methodology ranks SMEs only
    assert rows["rank"].notna().sum() > 150

    stats, score_stats = analysis.stats.reindex(units), analysis.score_stats.reindex(units)
    for field, column in (
        ("rank_mean", "mean"),
        ("rank_median", "median"),
        ("rank_q05", "q05"),
        ("rank_q95", "q95"),
        ("p_top", "p_top"),
    ):
        nan_equal(rows[field], stats[column])
    for field, column in (("score_q05", "q05"), ("score_median", "median"), ("score_q95", "q95")):
        nan_equal(rows[field], score_stats[column])
    assert (
        stats["nominal"].astype(float).to_numpy() == rows["rank"].astype(float).to_numpy()
    ).all()
    assert 0 < rows["p_top"].gt(0).sum() and rows["p_top"].between(0, 1).all()
    assert (rows["rank_q95"] > rows["rank_q05"]).any()  # the spec really moves ranks

    assert edition.crossing_top == analysis.crossing_top > 0
    assert (edition.runs, edition.seed, edition.top_k) == (RUNS, SEED, TOP_K)
    assert edition.uncertainty_spec == SPEC
    assert (
        edition.uncertainty_spec_sha256 == __import__("hashlib").sha256(SPEC.encode()).hexdigest()
    )
    assert edition.data_sha256 == data_hash(engine["methodology"], engine["table"])
    assert edition.methodology_sha256 == engine["methodology"].sha256
    assert set(edition.return_versions.values_list("pk", flat=True)) == current_versions(
        [YEAR, YEAR - 1]
    )
    assert edition.computed_at is not None and edition.status == Edition.Status.DRAFT
    assert [s for s, done, _ in steps if done == 0] == ["data", "ranking", "uncertainty", "storing"]
    assert ("uncertainty", RUNS, RUNS) in steps


def test_without_a_spec_there_are_no_intervals(loaded, engine):
    edition = compute_edition(new_edition(loaded))
    rows = stored(edition)
    results = engine["results"]
    np.testing.assert_array_equal(
        rows["rank"].astype(float), results.rank.reindex(rows.index).to_numpy()
    )
    assert rows[list(EditionResult.INTERVAL_FIELDS)].isna().all().all()
    assert (edition.runs, edition.seed, edition.crossing_top, edition.uncertainty_spec) == (
        None,
        None,
        None,
        "",
    )
    assert not edition.has_intervals


def test_recomputing_replaces_the_results_and_costs_no_query_per_enterprise(loaded):
    edition = compute_edition(new_edition(loaded), spec_text=SPEC, runs=RUNS, seed=SEED)
    first = stored(edition)
    with CaptureQueriesContext(connection) as queries:
        compute_edition(edition, spec_text=SPEC, runs=RUNS, seed=SEED)
    assert len(queries) < 40 < len(first)
    pd.testing.assert_frame_equal(stored(edition), first)
    assert EditionResult.objects.filter(edition=edition).count() == len(first)
    edition = compute_edition(edition, spec_text=SPEC, runs=RUNS, seed=SEED + 1)
    assert not stored(edition)["rank_q05"].equals(first["rank_q05"])
    np.testing.assert_array_equal(stored(edition)["rank"], first["rank"])


def test_deleting_a_draft_deletes_its_frozen_version_links(loaded):
    """The links have no foreign keys in the database (an edition writes some 200,000 at
    100,000 enterprises, BENCHMARKS.md), so it is Django's cascade that removes them."""
    edition = compute_edition(new_edition(loaded))
    assert EditionReturnVersion.objects.filter(edition=edition).count() == len(
        current_versions([YEAR, YEAR - 1])
    )
    edition.delete()
    assert not EditionReturnVersion.objects.exists() and not EditionResult.objects.exists()


def test_a_correction_reaches_a_draft_but_never_a_published_edition(loaded, analyst, engine):
    published = compute_edition(
        new_edition(loaded), spec_text=SPEC, runs=RUNS, seed=SEED, top_k=TOP_K
    )
    published = publish_edition(published, analyst)
    draft = compute_edition(
        new_edition(loaded, "پیش‌نویس"), spec_text=SPEC, runs=RUNS, seed=SEED, top_k=TOP_K
    )
    before = stored(published)
    versions_before = set(published.return_versions.values_list("pk", flat=True))

    firm = before["rank"].astype(float).idxmin()  # the leader's sales are corrected downwards
    enterprise = Enterprise.objects.get(national_id=firm)
    old = Return.objects.get(enterprise=enterprise, period=loaded).current_version
    values = old.values()
    values["sales"] = values["sales"] * 0.5
    values["net_profit"] = -abs(values.get("net_profit", 1.0))
    outcome = record_return(enterprise, loaded, values, user=analyst)
    assert outcome.changed

    published.refresh_from_db()
    pd.testing.assert_frame_equal(stored(published), before)
    assert set(published.return_versions.values_list("pk", flat=True)) == versions_before
    assert published.data_sha256 == data_hash(engine["methodology"], engine["table"])

    draft = compute_edition(draft, spec_text=SPEC, runs=RUNS, seed=SEED, top_k=TOP_K)
    used = set(draft.return_versions.values_list("pk", flat=True))
    assert outcome.version.pk in used and old.pk not in used
    assert used == current_versions([YEAR, YEAR - 1])
    table, _ = edition_data(loaded)
    assert draft.data_sha256 == data_hash(engine["methodology"], table) != published.data_sha256
    after = stored(draft)
    assert after.loc[firm, "score"] < before.loc[firm, "score"]
    results = build(engine["methodology"], table, keep="final")
    np.testing.assert_array_equal(
        after["rank"].astype(float), results.rank.reindex(after.index).to_numpy()
    )


def test_a_published_edition_is_refused_in_both_languages(loaded, analyst):
    edition = publish_edition(compute_edition(new_edition(loaded)), analyst)
    assert edition.status == Edition.Status.PUBLISHED
    assert edition.published_by == analyst and edition.published_at is not None
    before = stored(edition)
    with pytest.raises(RasadInputError) as refused:
        compute_edition(edition, spec_text=SPEC, runs=RUNS)
    assert "published" in refused.value.message("en") and "Top 100" in refused.value.message("en")
    assert "منتشر شده" in refused.value.message("fa") and "۱۰۰ برتر ۱۴۰۳" in refused.value.message(
        "fa"
    )
    with pytest.raises(RasadInputError):
        publish_edition(edition, analyst)
    pd.testing.assert_frame_equal(stored(edition), before)


def test_a_published_edition_cannot_be_changed_by_hand(loaded, analyst):
    edition = publish_edition(
        compute_edition(new_edition(loaded), spec_text=SPEC, runs=RUNS), analyst
    )
    result = EditionResult.objects.filter(edition=edition).first()
    result.rank = 1
    for change in (
        result.save,
        result.delete,
        lambda: EditionResult.objects.filter(edition=edition).update(p_top=1.0),
        lambda: EditionResult.objects.filter(edition=edition).delete(),
        lambda: EditionResult.objects.bulk_create(
            [EditionResult(edition=edition, enterprise=result.enterprise)]
        ),
        lambda: edition.return_versions.clear(),
        lambda: edition.return_versions.first().editions.clear(),
        edition.delete,
    ):
        with (
            pytest.raises(ValidationError),
            transaction.atomic(),
        ):  # m2m refusals break the transaction
            change()
    for field, value in (
        ("crossing_top", 0),
        ("runs", 7),
        ("seed", 9),
        ("top_k", 10),
        ("uncertainty_spec", ""),
    ):
        fresh = Edition.objects.get(pk=edition.pk)
        setattr(fresh, field, value)
        with pytest.raises(ValidationError):
            fresh.save()
    fresh = Edition.objects.get(pk=edition.pk)
    fresh.name_en = "Top 100 of 1403"  # a typo in the name may still be corrected
    fresh.save()
    assert EditionResult.objects.filter(edition=edition, rank=1).count() == 1


def test_only_analysts_publish_and_only_computed_editions(loaded, analyst):
    edition = new_edition(loaded)
    with pytest.raises(RasadInputError) as refused:
        publish_edition(edition, analyst)
    assert "محاسبه نشده" in refused.value.message("fa")
    compute_edition(edition)
    public = User.objects.create_user("someone", password="x", role=Role.PUBLIC)
    for user in (None, public):
        with pytest.raises(PermissionDenied):
            publish_edition(edition, user)
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT


def test_bad_settings_are_refused_before_anything_is_stored(loaded):
    edition = new_edition(loaded)
    with pytest.raises(MethodologyError) as bad_spec:
        compute_edition(edition, spec_text="weights:\n  2: {uniform: 1.5}\n")
    assert bad_spec.value.message_fa
    for settings in ({"runs": 0}, {"seed": -1}, {"top_k": True}):
        with pytest.raises(RasadInputError):
            compute_edition(edition, spec_text=SPEC, **settings)
    quarter = Period.objects.create(year=YEAR, quarter=2)
    with pytest.raises(RasadInputError) as quarterly:
        compute_edition(new_edition(quarter))
    assert "فصل" in quarterly.value.message("fa")
    empty = Period.objects.create(year=1404)
    with pytest.raises(RasadInputError):
        compute_edition(new_edition(empty))
    assert not EditionResult.objects.exists()
    assert Edition.objects.filter(computed_at__isnull=False).count() == 0


def test_the_admin_shows_the_intervals_read_only_in_persian(loaded, analyst, client):
    edition = publish_edition(
        compute_edition(new_edition(loaded), spec_text=SPEC, runs=RUNS, seed=SEED), analyst
    )
    admin = User.objects.create_superuser("root-x", password="x", role=Role.ADMIN)
    client.force_login(admin)
    page = client.get(f"/admin/rankings/edition/{edition.pk}/change/", HTTP_ACCEPT_LANGUAGE="fa")
    assert page.status_code == 200
    text = page.content.decode()
    assert "اجراهای مونت کارلو" in text and str(RUNS) in text
    assert 'name="crossing_top"' not in text and 'name="name_en"' in text  # frozen but renamable
    listing = client.get(
        f"/admin/rankings/editionresult/?edition__id__exact={edition.pk}", HTTP_ACCEPT_LANGUAGE="fa"
    )
    assert listing.status_code == 200 and "احتمال" in listing.content.decode()
    result = EditionResult.objects.filter(edition=edition).first()
    detail = client.get(
        f"/admin/rankings/editionresult/{result.pk}/change/", HTTP_ACCEPT_LANGUAGE="fa"
    )
    assert detail.status_code == 200 and 'name="rank_q05"' not in detail.content.decode()
    assert (
        client.post(f"/admin/rankings/edition/{edition.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Edition.objects.filter(pk=edition.pk).exists()
