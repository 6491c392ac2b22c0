"""The default methodology's verdicts hold for editions computed by the platform from the
database, not only for the engine on frames (SQLite and PostgreSQL alike): the Top-100
of an edition has the sector mix of the firms it ranks, and a firm that sends its return
again with a figure left blank never climbs."""

import numpy as np
import pandas as pd
import pytest

from rasad.demo import generate
from rasad.index.audit import mix_test
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import load_demo
from rasad.platform.rankings.bundled import bundled_methodology
from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.rankings.services import compute_edition
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Period, Return
from rasad.platform.returns.services import record_return

YEAR = 1403


@pytest.fixture(scope="module")
def population():
    return generate(n_enterprises=3000, seed=2)


@pytest.fixture
def period(db, population, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher"
    ]  # demo users, fast
    load_demo(population)
    return Period.objects.get(year=YEAR, quarter__isnull=True)


def computed(period, name="SME-100 1403") -> pd.DataFrame:
    edition = Edition.objects.create(
        name_fa=name, name_en=name, period=period, methodology=bundled_methodology()
    )
    compute_edition(edition)
    rows = EditionResult.objects.filter(edition=edition).values("enterprise__national_id", "rank")
    ranks = pd.DataFrame.from_records(list(rows)).set_index("enterprise__national_id")["rank"]
    sectors = dict(Enterprise.objects.values_list("national_id", "isic__code"))
    return pd.DataFrame(
        {"rank": ranks.astype(float), "sector": ranks.index.map(lambda n: sectors[n][:2])}
    )


def test_an_edition_top_100_has_the_sector_mix_of_the_ranked_firms(period):
    ranked = computed(period).dropna(subset=["rank"])
    top = (ranked["rank"] <= 100).to_numpy()
    assert top.sum() == 100
    test = mix_test(ranked["sector"].to_numpy(), top, draws=5000, rng=np.random.default_rng(0))
    assert test.p_value >= 0.01 and not test.table["flagged"].any(), test.table


def test_a_return_sent_again_with_a_blank_never_climbs(period):
    """Firms ranked 51–800 send their return again with one reported figure left blank
    (a new version, as a correction would be): recomputed, none of them climbs."""
    before = computed(period)
    analyst = User.objects.create_user("analyst-blank", password="x", role=Role.ANALYST)
    rng = np.random.default_rng(3)
    candidates = before.index[(before["rank"] >= 51) & (before["rank"] <= 800)]
    firms = rng.choice(candidates.to_numpy(), 3, replace=False)
    for firm, figure in zip(firms, ("exports", "rd_expenditure", "training_hours"), strict=True):
        enterprise = Enterprise.objects.get(national_id=firm)
        values = Return.objects.get(enterprise=enterprise, period=period).current_version.values()
        if figure not in values:  # not reported: blank another reported one
            figure = next(code for code in ("sales", "employees", "ebit") if code in values)
        values.pop(figure)
        assert record_return(enterprise, period, values, user=analyst).changed
        after = computed(period, f"after {firm}")
        assert (
            np.isnan(after.at[firm, "rank"]) or after.at[firm, "rank"] >= before.at[firm, "rank"]
        ), (firm, figure)
        before = after
