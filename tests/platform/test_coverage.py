"""Coverage beside every rank (issue 14): the share of the methodology's indicators each
enterprise reported and which it left blank are stored with its result, equal to the
engine's, and shown with its rank on the pages and in the API; an edition stored before
coverage was recorded shows "—" and null, never a guess.

One demo population and two published editions of its latest year serve the module: one
computed now, and one whose rows are stored as an edition computed before this change
was (no coverage, no composite).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from rasad.demo import generate
from rasad.index import build
from rasad.index.inputs import sme_inputs
from rasad.iran.text import to_persian_digits
from rasad.platform.accounts.models import Role, User
from rasad.platform.rankings.bundled import bundled_methodology
from rasad.platform.rankings.models import Edition, EditionResult
from rasad.platform.rankings.services import compute_edition, publish_edition

N, SEED = 300, 7


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data, published_demo):
    with module_data(django_db_blocker):
        made = published_demo(N, SEED, "cov-analyst")
        edition, period, analyst = made["edition"], made["period"], made["analyst"]
        population = generate(n_enterprises=N, seed=SEED)
        engine = build(edition.methodology.parsed(),
                       sme_inputs(population.returns, population.enterprises, period.year), keep="final")
        # an edition as one computed before coverage was recorded: its rows hold none
        legacy = Edition.objects.create(name_fa="پیشین", name_en="Before coverage", period=period,
                                        methodology=bundled_methodology(analyst))
        compute_edition(legacy, seed=1)
        EditionResult.objects.filter(edition=legacy).update(coverage=None, missing=None, composite=None)
        legacy = publish_edition(legacy, analyst)
        results = EditionResult.objects.filter(edition=edition).select_related("enterprise")
        # a ranked enterprise that left an indicator blank, and its own user
        gappy = next(r for r in results.filter(rank__isnull=False).order_by("rank") if r.missing)
        owner = User.objects.create_user("cov-owner", password="x", role=Role.ENTERPRISE,
                                         enterprise=gappy.enterprise)
        yield {"edition": edition, "legacy": legacy, "engine": engine, "analyst": analyst, "gappy": gappy,
               "owner": owner, "method": edition.methodology.parsed()}


def test_stored_coverage_is_the_engines(world, db):
    coverage = world["engine"].coverage
    rows = {r.enterprise.national_id: r for r in
            EditionResult.objects.filter(edition=world["edition"]).select_related("enterprise")}
    assert sorted(rows) == sorted(coverage.index)
    codes = world["method"].indicator_codes
    for national_id, expected in coverage.iterrows():
        row = rows[national_id]
        assert row.coverage == expected["coverage"]
        assert row.missing == (expected["missing"].split(",") if expected["missing"] else [])
        assert len(codes) - len(row.missing) == expected["reported"]
    # the demo leaves real gaps, in several indicators, and some firms report everything
    assert 0 < sum(1 for r in rows.values() if r.missing) < len(rows)
    assert len({code for r in rows.values() for code in r.missing}) >= 3
    composite = world["engine"].composite
    assert composite is not None
    for national_id, row in rows.items():
        expected = composite[national_id]
        assert (row.composite is None) if expected != expected else row.composite == expected


def test_a_legacy_edition_holds_no_coverage(world, db):
    rows = EditionResult.objects.filter(edition=world["legacy"])
    assert rows.exists() and not rows.filter(coverage__isnull=False).exists()
    assert not rows.filter(missing__isnull=False).exists()
