"""Schemathesis against the API's own OpenAPI schema (issue 6 Proof): for every operation
and three callers (no token, an enterprise user's token, an analyst's token), no answer is
a 5xx and every answer matches the schema: a documented status code, its content type and
headers, a body of its schema; and invalid requests are refused with a 4xx.

The requests go in-process to the Django WSGI application, on a small real data set (a
demo population, a published edition with rank intervals, a draft). Two tests:

- every case Schemathesis derives from the schema (its examples, the boundary cases of
  its coverage phase, then random ones), with the path parameters it generated, so
  mostly unknown ids on the detail routes;
- random cases on real records: each path parameter is, by Hypothesis' choice, either
  the generated one or the id of a real edition, methodology, enterprise or period, and a
  submitted return either the generated figures, the same values under real indicator
  codes, or a real return with one generated figure, so the routes answer with real
  bodies (results, league tables, returns, stored submissions) and not only 404s.

Every example runs in a savepoint rolled back after it, so a return one example submits
is gone for the next. Generation is derandomized and seeded: the same cases on every run,
so a failure in CI is a failure on a developer's machine too.

``positive_data_acceptance`` is left out: the schema cannot say which values the data
holds (an indicator of this edition's methodology, a catalogue code in a return), so a
schema-valid request may rightly be refused with a 422.
"""

from contextlib import contextmanager
from importlib.resources import files
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from rasad.demo import generate
from rasad.platform.accounts.models import Role, User
from rasad.platform.api.models import ApiToken
from rasad.platform.demo_data import DEMO_USERS, load_demo
from rasad.platform.rankings.models import Edition, EditionResult, Methodology
from rasad.platform.rankings.services import compute_edition, publish_edition
from rasad.platform.returns.models import Indicator, Period, Return
from rasad.platform.wsgi import application

N = 120
YEAR = 1403
SPEC = """\
weights:
  1: {uniform: 0.25}
normalise:
  - {method: percentile_rank}
"""
SME100 = (files("rasad.methodologies") / "sme100.yaml").read_text(encoding="utf-8")
CALLERS = ("public", "enterprise", "analyst")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
]
# what a path parameter may be replaced with (a field of the world below)
REAL = {
    "edition_id": "edition_ids",
    "methodology_id": "methodology_ids",
    "national_id": "national_ids",
    "period": "periods",
}
HEALTH = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.filter_too_much,
    HealthCheck.data_too_large,
]


def load_schema(*, every_phase: bool):
    """The schema the app serves; ``every_phase`` adds the schema's examples and the
    coverage phase to the random cases (they cannot be combined with ``@schema.given``).
    The security schemes are not generated: each test sends its caller's token."""
    return schemathesis.openapi.from_wsgi(
        "/api/openapi.json",
        application,
        config=(
            schemathesis.config.SchemathesisConfig.from_dict(
                {
                    "seed": 1403,
                    "generation": {"deterministic": True, "with-security-parameters": False},
                    "phases": {
                        "examples": {"enabled": every_phase},
                        "coverage": {"enabled": every_phase},
                    },
                }
            )
        ),
    )


schema = load_schema(every_phase=True)
random_schema = load_schema(every_phase=False)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data):
    with module_data(django_db_blocker):
        load_demo(generate(n_enterprises=N, seed=11))
        period = Period.objects.get(year=YEAR, quarter__isnull=True)
        analyst = User.objects.get(username=DEMO_USERS[Role.ANALYST])
        owner = User.objects.get(username=DEMO_USERS[Role.ENTERPRISE])
        methodology = Methodology.objects.create(
            text=SME100, name_fa="رتبه‌بندی", name_en="SME-100", version="1"
        )
        published = publish_edition(
            compute_edition(
                Edition.objects.create(
                    name_fa="۱۰۰ برتر", name_en="Top 100", period=period, methodology=methodology
                ),
                spec_text=SPEC,
                runs=10,
                seed=3,
                top_k=20,
            ),
            analyst,
        )
        draft = compute_edition(
            Edition.objects.create(
                name_fa="پیش‌نویس", name_en="Draft", period=period, methodology=methodology
            )
        )
        ranked = EditionResult.objects.filter(edition=published, rank__isnull=False).select_related(
            "enterprise"
        )
        owner.enterprise = ranked.order_by("rank").last().enterprise
        owner.save()
        other = ranked.exclude(enterprise=owner.enterprise).order_by("rank").first().enterprise
        connection.check_constraints()
        yield SimpleNamespace(
            headers={
                "public": {},
                **{
                    name: {"Authorization": f"Bearer {ApiToken.issue(user, name)[1]}"}
                    for name, user in (("enterprise", owner), ("analyst", analyst))
                },
            },
            edition_ids=[published.pk, draft.pk],
            methodology_ids=[methodology.pk],
            national_ids=[owner.enterprise.national_id, other.national_id],
            periods=[str(YEAR), f"{YEAR}-Q2"],
            codes=sorted(Indicator.objects.values_list("code", flat=True)),
            figures=Return.objects.get(
                enterprise=owner.enterprise, period=period
            ).current_version.values(),
        )


@pytest.fixture(scope="module")
def wsgi_keeps_the_connection():
    """Django closes "old" database connections when a request starts and ends, which
    would close the one holding the test's transaction. Its test client turns this off
    around each request; here the WSGI application is called directly, so it is off for
    the module."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize("caller", CALLERS)
@schema.parametrize()
@settings(
    max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=HEALTH
)
def test_generated_requests(case, caller, world, db, wsgi_keeps_the_connection):
    with rolled_back():
        case.call_and_validate(headers=world.headers[caller], checks=CHECKS)


@pytest.mark.parametrize("caller", CALLERS)
@random_schema.parametrize()
@random_schema.given(
    picks=st.fixed_dictionaries({name: st.integers(0, 2) for name in [*REAL, "values"]})
)
@settings(
    max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=HEALTH
)
def test_requests_on_real_records(case, caller, picks, world, db, wsgi_keeps_the_connection):
    for name, field in REAL.items():
        choices = getattr(world, field)
        if name in (case.path_parameters or {}) and picks[name] < len(choices):
            case.path_parameters[name] = choices[picks[name]]
    values = case.body.get("values") if isinstance(case.body, dict) else None
    if isinstance(values, dict) and picks["values"]:
        generated = dict(zip(world.codes, values.values(), strict=False))
        if picks["values"] == 2:  # a real return, one figure changed
            generated = {**world.figures, **dict(list(generated.items())[:1])}
        case.body["values"] = generated
    with rolled_back():
        case.call_and_validate(headers=world.headers[caller], checks=CHECKS)
