"""The analyst's workflow (issue 6 item 5): create an edition, compute it as a background
job with visible progress, review it (score distribution, rank intervals, sensitivity,
changes since the last published edition) and publish it — for analysts and
administrators only."""

import datetime
import html
import re
import time

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rasad.demo import generate
from rasad.index import loads
from rasad.index.sensitivity import sensitivity
from rasad.index.uncertainty import loads_spec
from rasad.platform.accounts.models import Role, User
from rasad.platform.demo_data import DEMO_USERS, load_demo, publish_demo_edition
from rasad.platform.rankings import jobs, review
from rasad.platform.rankings.bundled import bundled_methodology, bundled_spec
from rasad.platform.rankings.models import Edition, EditionJob, EditionResult
from rasad.platform.rankings.services import compute_edition, edition_data, publish_edition
from rasad.platform.returns.models import Period

N = 300
YEAR = 1403
RUNS = 30
SEED = 5
SENS_N = 8


@pytest.fixture(scope="module")
def population():
    return generate(n_enterprises=N, seed=7)


@pytest.fixture
def loaded(db, population, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.RASAD_JOBS_INLINE = True  # the view runs the job before answering
    load_demo(population)
    return Period.objects.get(year=YEAR, quarter__isnull=True)


@pytest.fixture
def analyst(loaded):
    return User.objects.get(username=DEMO_USERS[Role.ANALYST])


def user_of(role):
    return User.objects.get(username=DEMO_USERS[role])


def new_edition(period, name="ویرایش آزمایشی"):
    return Edition.objects.create(
        name_fa=name, name_en="Test edition", period=period, methodology=bundled_methodology()
    )


def computed(
    period, user=None, *, runs=RUNS, seed=SEED, sensitivity_n=SENS_N, spec=None, name="ویرایش"
):
    edition = new_edition(period, name)
    job = jobs.start_compute(
        edition,
        user,
        spec_text=bundled_spec() if spec is None else spec,
        runs=runs,
        seed=seed,
        sensitivity_n=sensitivity_n,
    )
    job = jobs.run_job(job.pk)
    assert job.status == EditionJob.Status.DONE, job.error_en
    edition.refresh_from_db()
    return edition, job


def results_frame(edition):
    rows = EditionResult.objects.filter(edition=edition).values(
        "enterprise_id",
        "score",
        "rank",
        "node_scores",
        "size_class",
        *EditionResult.INTERVAL_FIELDS,
    )
    return pd.DataFrame.from_records(list(rows)).set_index("enterprise_id").sort_index()


# --- who may open the pages --------------------------------------------------------------

PAGES = [
    ("get", "/analysis/editions/"),
    ("get", "/analysis/editions/new/"),
    ("get", "/analysis/editions/{edition}/"),
    ("get", "/analysis/jobs/{job}/"),
    ("get", "/analysis/jobs/{job}/status.json"),
    ("post", "/analysis/editions/new/"),
    ("post", "/analysis/editions/{edition}/run/"),
    ("post", "/analysis/editions/{edition}/publish/"),
]
ROLES = [None, Role.PUBLIC, Role.ENTERPRISE, Role.ESTATE_MANAGER, Role.ANALYST, Role.ADMIN]


def test_role_matrix(loaded, client):
    edition, job = computed(loaded, sensitivity_n=0)
    before = results_frame(edition)
    for role in ROLES:
        client.logout()
        if role is not None:
            client.force_login(user_of(role))
        for method, pattern in PAGES:
            url = pattern.format(edition=edition.pk, job=job.pk)
            if method == "post" and role in (Role.ANALYST, Role.ADMIN):
                continue  # what these do is tested below; here: that the others cannot
            response = getattr(client, method)(url)
            if role is None:
                assert response.status_code == 302 and response["Location"].startswith(
                    "/accounts/login/"
                ), url
            elif role in (Role.ANALYST, Role.ADMIN):
                assert response.status_code == 200, (role, url)
            else:
                assert response.status_code == 403, (role, url)
    # nobody outside the analysts changed anything
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT and Edition.objects.count() == 1
    assert EditionJob.objects.count() == 1
    pd.testing.assert_frame_equal(results_frame(edition), before)


def test_querysets_are_scoped_too(loaded):
    from rasad.platform.rankings.access import editions_for, jobs_for

    edition, job = computed(loaded, sensitivity_n=0)
    for role in (Role.PUBLIC, Role.ENTERPRISE, Role.ESTATE_MANAGER):
        assert not editions_for(user_of(role)).exists() and not jobs_for(user_of(role)).exists()
    for role in (Role.ANALYST, Role.ADMIN):
        assert list(editions_for(user_of(role))) == [edition] and list(jobs_for(user_of(role))) == [
            job
        ]
    inactive = user_of(Role.ANALYST)
    inactive.is_active = False
    assert not editions_for(inactive).exists()


def test_unknown_ids_are_404(loaded, client, analyst):
    client.force_login(analyst)
    for url in (
        "/analysis/editions/999999/",
        "/analysis/jobs/999999/",
        "/analysis/jobs/999999/status.json",
    ):
        assert client.get(url).status_code == 404
    assert client.post("/analysis/editions/999999/publish/").status_code == 404
    assert client.get("/analysis/editions/1/publish/").status_code == 405  # publishing is a POST


def test_csrf_is_required(loaded, analyst):
    from django.test import Client

    edition, _ = computed(loaded, sensitivity_n=0)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(analyst)
    assert strict.post(f"/analysis/editions/{edition.pk}/publish/").status_code == 403
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT


# --- the job -----------------------------------------------------------------------------


def test_the_job_stores_exactly_what_compute_edition_computes(loaded, analyst):
    spec = bundled_spec()
    direct = compute_edition(new_edition(loaded, "مستقیم"), spec_text=spec, runs=RUNS, seed=SEED)
    edition, job = computed(loaded, analyst)

    pd.testing.assert_frame_equal(results_frame(edition), results_frame(direct))
    for field in (
        "data_sha256",
        "methodology_sha256",
        "uncertainty_spec",
        "runs",
        "seed",
        "top_k",
        "crossing_top",
    ):
        assert getattr(edition, field) == getattr(direct, field), field
    assert set(edition.return_versions.all()) == set(direct.return_versions.all())

    # the sensitivity table is the engine's, on the same data
    methodology = loads(edition.methodology.text)
    table, _ = edition_data(loaded)
    expected = sensitivity(
        methodology, table, loads_spec(spec, methodology=methodology), SENS_N, seed=SEED
    )
    stored = pd.DataFrame(job.sensitivity)
    assert list(stored["input"]) == list(expected["input"])
    for column in ("Si", "STi", "Si_q05", "Si_q95", "STi_q05", "STi_q95"):
        np.testing.assert_array_equal(stored[column].astype(float), expected[column].astype(float))

    assert job.status == EditionJob.Status.DONE and job.percent == 100.0
    assert job.created_by == analyst and job.started_at <= job.finished_at
    assert job.params == {
        "spec": spec,
        "runs": RUNS,
        "seed": SEED,
        "top_k": 100,
        "sensitivity_n": SENS_N,
        "allow_thin": False,
        "chunks": 1,
    }
    ranked = EditionResult.objects.filter(edition=edition, rank__isnull=False).count()
    # the demo of 300 firms: 290 filed for 1403, all 300 founded by then
    assert job.message_en == (
        f"Done: {ranked:,} enterprises ranked. "
        "1403: 290 of 300 enterprises expected have filed (96.7%); an edition needs 50%."
    )
    assert "بنگاه رتبه گرفتند" in job.message_fa and re.search("[۰-۹]", job.message_fa)
    assert "۲۹۰ از ۳۰۰" in job.message_fa and "(۹۶٫۷٪)" in job.message_fa


def test_progress_is_written_stage_by_stage_and_only_grows(loaded, monkeypatch):
    seen = []
    original = jobs._Reporter.__call__

    def spy(self, stage, done, total):
        original(self, stage, done, total)
        seen.append(
            (stage, EditionJob.objects.values_list("percent", flat=True).get(pk=self.job.pk))
        )

    monkeypatch.setattr(jobs._Reporter, "__call__", spy)
    monkeypatch.setattr(jobs, "WRITE_EVERY", 0.0)
    computed(loaded)
    stages = [stage for stage, _ in seen]
    assert list(dict.fromkeys(stages)) == [
        "data",
        "ranking",
        "uncertainty",
        "storing",
        "sensitivity",
    ]
    percents = [p for _, p in seen]
    assert percents == sorted(percents) and 0 <= percents[0] < 10 and percents[-1] == 100.0
    assert len(set(percents)) > 10  # the uncertainty and sensitivity stages report per block


def test_overall_percent_weights_the_stages():
    full = {"spec": "x", "sensitivity_n": 8}
    assert jobs.overall_percent(full, "data", 0, 1) == 0
    assert jobs.overall_percent(full, "uncertainty", 50, 100) == pytest.approx(10 + 27.5)
    assert jobs.overall_percent(full, "sensitivity", 10, 10) == 100
    plain = {"spec": ""}
    assert jobs.stages_of(plain) == ["data", "ranking", "storing"]
    assert jobs.overall_percent(plain, "storing", 1, 1) == 100


def test_a_failed_job_keeps_its_error_in_both_languages(loaded, client, analyst):
    quarter = Period.objects.create(year=YEAR, quarter=2)
    edition = new_edition(quarter)
    job = jobs.run_job(jobs.start_compute(edition, analyst, spec_text="", runs=RUNS).pk)
    assert job.status == EditionJob.Status.FAILED and job.finished_at is not None
    assert "quarter" in job.error_en and "فصل" in job.error_fa

    client.force_login(analyst)
    state = client.get(f"/analysis/jobs/{job.pk}/status.json").json()
    assert state["finished"] and state["status"] == "failed" and state["error"] == job.error_fa
    page = client.get(f"/analysis/jobs/{job.pk}/").content.decode()
    assert job.error_fa in page and "ناموفق" in page
    assert job.error_fa in client.get(f"/analysis/editions/{edition.pk}/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.get(f"/analysis/jobs/{job.pk}/status.json").json()["error"] == job.error_en
    assert job.error_en in html.unescape(client.get(f"/analysis/jobs/{job.pk}/").content.decode())


def test_an_unexpected_error_is_reported_without_a_trace(loaded, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr("rasad.platform.rankings.services.compute_edition", explode)
    edition = new_edition(loaded)
    job = jobs.run_job(jobs.start_compute(edition, spec_text="", runs=RUNS).pk)
    assert job.status == EditionJob.Status.FAILED
    assert "ZeroDivisionError" in job.error_en and "ZeroDivisionError" in job.error_fa
    assert "secret internals" not in job.error_en + job.error_fa
    assert "secret internals" in caplog.text  # the server log has it


def test_one_job_at_a_time_and_none_for_a_published_edition(loaded, analyst):
    edition = new_edition(loaded)
    first = jobs.start_compute(edition, analyst, spec_text="", runs=RUNS)
    with pytest.raises(Exception) as refused:
        jobs.start_compute(edition, analyst, spec_text="", runs=RUNS)
    assert "already being computed" in refused.value.message("en")
    assert jobs.run_job(first.pk).status == EditionJob.Status.DONE
    assert (
        jobs.run_job(first.pk).status == EditionJob.Status.DONE
    )  # a finished job is not run again
    publish_edition(edition, analyst)
    with pytest.raises(Exception) as refused:
        jobs.start_compute(edition, analyst, spec_text="", runs=RUNS)
    assert "منتشر شده" in refused.value.message("fa")


def test_a_job_whose_server_died_is_marked_failed(loaded, client, analyst):
    edition = new_edition(loaded)
    job = jobs.start_compute(edition, analyst, spec_text="", runs=RUNS)
    EditionJob.objects.filter(pk=job.pk).update(
        status=EditionJob.Status.RUNNING, updated_at=timezone.now() - datetime.timedelta(hours=1)
    )
    client.force_login(analyst)
    state = client.get(f"/analysis/jobs/{job.pk}/status.json").json()
    assert state["status"] == "failed" and "دوباره" in state["error"]
    # and it no longer blocks a new run
    assert (
        jobs.run_job(jobs.start_compute(edition, analyst, spec_text="", runs=RUNS).pk).status
        == "done"
    )


@pytest.mark.django_db(transaction=True)
def test_launch_queues_the_job_for_a_worker_process(population, settings, queue_worker):
    """The web request only queues the job; a worker takes it from the database queue and
    computes it (here in this process; `rasad worker` in production)."""
    from django_tasks_db.models import DBTaskResult

    settings.RASAD_JOBS_INLINE = False
    load_demo(population)
    period = Period.objects.get(year=YEAR, quarter__isnull=True)
    edition = new_edition(period)
    job = jobs.start_compute(
        edition, spec_text=bundled_spec(), runs=RUNS, seed=SEED, sensitivity_n=0
    )
    jobs.launch(job)
    job.refresh_from_db()
    assert job.status == EditionJob.Status.QUEUED  # nothing ran in the caller
    queued = DBTaskResult.objects.get()
    assert (
        queued.task_path == "rasad.platform.rankings.tasks.compute_edition_job"
        and queued.args_kwargs["args"] == [job.pk]
    )
    queue_worker.run_queued()
    job.refresh_from_db()
    assert job.status == EditionJob.Status.DONE, job.error_en
    assert job.worker and job.heartbeat_at is not None
    assert EditionResult.objects.filter(edition=edition).exists()


@pytest.mark.django_db
def test_a_job_whose_worker_is_lost_fails_with_the_reason_and_can_be_rerun(population):
    load_demo(population)
    edition = new_edition(Period.objects.get(year=YEAR, quarter__isnull=True))
    job = jobs.start_compute(edition, runs=RUNS, seed=SEED, sensitivity_n=0)
    long_ago = timezone.now() - jobs.WORKER_LOST_AFTER - datetime.timedelta(seconds=1)
    EditionJob.objects.filter(pk=job.pk).update(
        status=EditionJob.Status.RUNNING,
        worker="host-a:4242",
        heartbeat_at=long_ago,
        started_at=long_ago,
        updated_at=long_ago,
    )
    recent = EditionJob.objects.get(pk=job.pk)
    EditionJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    assert (
        jobs.mark_if_stale(EditionJob.objects.get(pk=job.pk)).status == EditionJob.Status.RUNNING
    )  # alive
    EditionJob.objects.filter(pk=job.pk).update(heartbeat_at=recent.heartbeat_at)
    assert jobs.reap_lost_jobs() == 1
    job.refresh_from_db()
    assert job.status == EditionJob.Status.FAILED and "host-a:4242" in job.error_en
    assert "stopped answering" in job.error_en and "host-a:4242" in job.error_fa
    # the edition can be computed again at once
    again = jobs.start_compute(edition, runs=RUNS, seed=SEED, sensitivity_n=0)
    assert jobs.run_job(again.pk).status == EditionJob.Status.DONE


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_is_written_while_a_worker_runs_a_job(population):
    from rasad.platform.rankings.tasks import Heartbeat

    load_demo(population)
    edition = new_edition(Period.objects.get(year=YEAR, quarter__isnull=True))
    job = jobs.start_compute(edition, runs=RUNS, seed=SEED, sensitivity_n=0)
    EditionJob.objects.filter(pk=job.pk).update(status=EditionJob.Status.RUNNING, heartbeat_at=None)
    with Heartbeat(EditionJob, job.pk, every=0.05):
        deadline = time.monotonic() + 10
        while (
            EditionJob.objects.get(pk=job.pk).heartbeat_at is None and time.monotonic() < deadline
        ):
            time.sleep(0.05)
    assert EditionJob.objects.get(pk=job.pk).heartbeat_at is not None


# --- the pages ---------------------------------------------------------------------------


def test_create_run_review_publish_through_the_pages(loaded, client, analyst):
    client.force_login(analyst)
    form = client.get("/analysis/editions/new/").content.decode()
    assert "percentile_rank" in form  # the bundled uncertainty spec is the default
    assert 'value="۱۰۰۰"' in form  # runs, in Persian digits
    response = client.post(
        "/analysis/editions/new/",
        {
            "period": loaded.pk,
            "methodology": bundled_methodology().pk,
            "name_fa": "",
            "name_en": "",
            "spec": bundled_spec(),
            "runs": "۳۰",
            "seed": "5",
            "top_k": "100",
            "sensitivity_n": "16",
        },
    )
    edition = Edition.objects.get()
    job = EditionJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/analysis/jobs/{job.pk}/"
    assert job.status == "done" and job.params["runs"] == 30 and job.created_by == analyst
    assert edition.name_fa.endswith("۱۴۰۳") and edition.name_en == "SME-100 1403"
    assert edition.created_by == analyst and edition.runs == 30

    state = client.get(f"/analysis/jobs/{job.pk}/status.json").json()
    assert state["percent"] == 100 and state["percent_text"] == "۱۰۰٪" and state["finished"]
    progress = client.get(f"/analysis/jobs/{job.pk}/").content.decode()
    assert 'aria-valuenow="100.0"' in progress and "rankings/rankings.js" in progress

    page = client.get(f"/analysis/editions/{edition.pk}/").content.decode()
    assert '<html lang="fa" dir="rtl">' in page
    assert page.count('class="hist-bar"') == 20
    assert (
        page.count('<span class="range"')
        == EditionResult.objects.filter(edition=edition, rank__lte=100).count()
    )
    assert "روش نرمال‌سازی" in page  # the sensitivity table, in Persian
    assert 'id="publish"' in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from the internet

    response = client.post(f"/analysis/editions/{edition.pk}/publish/")
    assert response.status_code == 302
    edition.refresh_from_db()
    assert edition.status == Edition.Status.PUBLISHED and edition.published_by == analyst
    page = client.get(f"/analysis/editions/{edition.pk}/").content.decode()
    assert 'id="publish"' not in page and 'id="run"' not in page and "منتشر شد" in page


def test_the_form_explains_a_bad_spec_in_the_readers_language(loaded, client, analyst):
    client.force_login(analyst)
    data = {
        "period": loaded.pk,
        "methodology": bundled_methodology().pk,
        "spec": "winmax: [50, 30]\nbogus: 1\n",
        "runs": "abc",
        "seed": "1",
        "top_k": "100",
        "sensitivity_n": "16",
    }
    page = client.post("/analysis/editions/new/", data).content.decode()
    assert "field-error" in page and "bogus" in page
    assert not Edition.objects.exists() and not EditionJob.objects.exists()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.post("/analysis/editions/new/", data).content.decode()
    assert "Enter a whole number." in page and "bogus" in page


def test_publishing_freezes_the_edition(loaded, client, analyst):
    edition, _ = computed(loaded, analyst, sensitivity_n=0)
    client.force_login(analyst)
    client.post(f"/analysis/editions/{edition.pk}/publish/")
    edition.refresh_from_db()
    assert edition.is_published
    before = results_frame(edition)

    # running it again is refused, with a message, and nothing changes
    response = client.post(f"/analysis/editions/{edition.pk}/run/", follow=True)
    assert "منتشر شده" in response.content.decode()
    assert EditionJob.objects.filter(edition=edition).count() == 1
    with pytest.raises(ValidationError):
        EditionResult.objects.filter(edition=edition).update(score=0)
    response = client.post(f"/analysis/editions/{edition.pk}/publish/", follow=True)
    assert "منتشر شده" in response.content.decode()
    pd.testing.assert_frame_equal(results_frame(edition), before)


def test_an_uncomputed_edition_cannot_be_published(loaded, client, analyst):
    edition = new_edition(loaded)
    client.force_login(analyst)
    page = client.get(f"/analysis/editions/{edition.pk}/").content.decode()
    assert 'id="publish"' not in page and 'id="run"' in page
    response = client.post(f"/analysis/editions/{edition.pk}/publish/", follow=True)
    assert "محاسبه نشده" in response.content.decode()
    edition.refresh_from_db()
    assert not edition.is_published
    # "compute" runs it with the defaults
    response = client.post(f"/analysis/editions/{edition.pk}/run/")
    assert response.status_code == 302
    assert EditionJob.objects.get(edition=edition).params["spec"] == bundled_spec()


def test_no_publishing_while_a_job_runs(loaded, client, analyst):
    edition, _ = computed(loaded, sensitivity_n=0)
    jobs.start_compute(edition, analyst, spec_text="", runs=RUNS)  # queued, not run
    client.force_login(analyst)
    page = client.get(f"/analysis/editions/{edition.pk}/").content.decode()
    assert 'id="publish"' not in page and 'id="job-running"' in page
    client.post(f"/analysis/editions/{edition.pk}/publish/")
    edition.refresh_from_db()
    assert not edition.is_published


def expected_changes(now: Edition, before: Edition, n=10):
    """The movers and entries/exits, computed independently with pandas."""
    a = pd.Series(
        dict(
            EditionResult.objects.filter(edition=now, rank__isnull=False).values_list(
                "enterprise_id", "rank"
            )
        )
    )
    b = pd.Series(
        dict(
            EditionResult.objects.filter(edition=before, rank__isnull=False).values_list(
                "enterprise_id", "rank"
            )
        )
    )
    both = pd.DataFrame({"now": a, "before": b}).dropna().astype(int)
    both["shift"] = both["before"] - both["now"]
    up = both[both["shift"] > 0].sort_values(["shift", "now"], ascending=[False, True]).head(n)
    down = both[both["shift"] < 0].sort_values(["shift", "now"], ascending=[True, True]).head(n)
    entries = sorted(
        (f for f, r in a.items() if r <= now.top_k and b.get(f, 10**9) > before.top_k), key=a.get
    )
    exits = sorted(
        (f for f, r in b.items() if r <= before.top_k and a.get(f, 10**9) > now.top_k), key=b.get
    )
    return list(up.index), list(down.index), entries, exits


def test_the_review_shows_the_movers_since_the_last_published_edition(loaded, client, analyst):
    older = Period.objects.get(year=YEAR - 1, quarter__isnull=True)
    first, _ = computed(older, sensitivity_n=0, name="۱۴۰۲")
    publish_edition(first, analyst)
    draft, _ = computed(loaded, sensitivity_n=0, name="۱۴۰۳")

    assert review.previous_published(draft) == first
    assert review.previous_published(first) is None
    up, down, entries, exits = expected_changes(draft, first)
    assert up and down and entries and exits  # a year later, the ranking really moved
    changes = review.changes(draft, first)
    assert [r["enterprise"].pk for r in changes.up] == up
    assert [r["enterprise"].pk for r in changes.down] == down
    assert [r["enterprise"].pk for r in changes.entries] == entries
    assert [r["enterprise"].pk for r in changes.exits] == exits
    assert all(r["shift"] == r["previous_rank"] - r["rank"] for r in changes.up + changes.down)

    client.force_login(analyst)
    page = client.get(f"/analysis/editions/{draft.pk}/").content.decode()
    section = page[page.index('id="changes"') : page.index('id="intervals"')]
    rises = section[section.index("movers-table up") : section.index("movers-table down")]
    names = re.findall(r"<td>([^<]+)</td>", rises)
    from rasad.platform.registry.models import Enterprise

    assert names == [Enterprise.objects.get(pk=pk).name_fa for pk in up]
    top = changes.up[0]
    assert f"▲ {top['change']}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in rises

    # once the 1403 edition is published too, its own review still compares with 1402
    publish_edition(draft, analyst)
    draft.refresh_from_db()
    assert review.previous_published(draft) == first


def test_the_list_shows_every_edition_with_its_last_job(loaded, client, analyst):
    edition, job = computed(loaded, sensitivity_n=0, name="ویرایش فهرست")
    draft = new_edition(loaded, "بی‌محاسبه")
    client.force_login(analyst)
    page = client.get("/analysis/editions/").content.decode()
    assert "ویرایش فهرست" in page and "بی‌محاسبه" in page
    assert f"/analysis/jobs/{job.pk}/" in page and f"/analysis/editions/{draft.pk}/" in page
    assert "پیش‌نویس" in page


def test_without_a_spec_the_review_says_there_are_no_intervals(loaded, client, analyst):
    edition, job = computed(loaded, spec="", sensitivity_n=SENS_N)
    assert job.sensitivity is None and job.params["sensitivity_n"] == 0
    client.force_login(analyst)
    page = client.get(f"/analysis/editions/{edition.pk}/").content.decode()
    assert "بدون مشخصات عدم قطعیت" in page and 'class="range"' not in page
    assert page.count('class="hist-bar"') == 20


# --- the demo ----------------------------------------------------------------------------


def test_the_demo_edition_is_computed_and_published_once(loaded):
    job = publish_demo_edition(runs=RUNS)
    edition = Edition.objects.get()
    assert job.status == "done" and edition.is_published and edition.period.year == YEAR
    assert edition.runs == RUNS and edition.uncertainty_spec == bundled_spec()
    assert edition.published_by.username == DEMO_USERS[Role.ANALYST]
    assert job.sensitivity and edition.results.filter(rank_q05__isnull=False).exists()
    assert publish_demo_edition(runs=RUNS) is None and Edition.objects.count() == 1
