"""What the scorecard reuses between views, and when it must not (issue 6, page speed).

The scorecard reads two things computed for many enterprises at once: the figures of
its peer group in a published edition (cached per ISIC division and size band with the
frozen edition) and the shared monitoring run (kept per data state: a new return
version makes a new one). Reused figures must equal freshly computed ones, and a new
return version must show on the very next view.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from rasad.platform.accounts.models import Role, User
from rasad.platform.monitoring import choice, compute
from rasad.platform.monitoring.presenters import enterprise_monitoring
from rasad.platform.public import data
from rasad.platform.public import peers as public_peers
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Return
from rasad.platform.returns.services import record_return


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, module_data, published_demo):
    compute.clear()
    with module_data(django_db_blocker):
        try:
            yield published_demo(240, 13, "c-analyst")
        finally:
            compute.clear()


def _reference(edition, result, codes) -> public_peers.Peers:
    """The peers read straight from the stored results, level by level, for one
    enterprise: what every scorecard computed for itself before the groups were cached."""
    ranked = edition.results.filter(rank__isnull=False)
    division = result.enterprise.isic.code[:2]
    for level, rows in (
        (
            "sector_size",
            ranked.filter(
                size_class=result.size_class, enterprise__isic__code__startswith=division
            ),
        ),
        ("size", ranked.filter(size_class=result.size_class)),
        ("all", ranked),
    ):
        members = list(rows.values_list("score", "node_scores"))
        if len(members) >= public_peers.MIN_PEERS or level == "all":
            break
    group = public_peers.Peers(
        level=level, n=len(members), score=data.quantiles(s for s, _ in members)
    )
    group.stats = {code: data.quantiles((n or {}).get(code) for _, n in members) for code in codes}
    return group


def test_peer_figures_are_read_once_and_equal_each_enterprises_own(world, db):
    edition = world["edition"]
    codes = [p.code for p in data.pillars(data.methodology_of(edition))]
    results = list(edition.results.select_related("enterprise__isic").order_by("rank", "pk"))
    cache.clear()
    public_peers.peers(edition, results[0], codes)
    with CaptureQueriesContext(connection) as queries:
        cached = [public_peers.peers(edition, result, codes) for result in results]
    assert len(queries) == 0  # every group, every level: from the one cached read
    levels = set()
    for result, peers in zip(results, cached, strict=True):  # ranked or not, every group
        assert peers == _reference(edition, result, codes), result.enterprise.national_id
        levels.add(peers.level)
    assert levels >= {"sector_size", "size"}  # the fallback is exercised too


def test_a_new_return_version_shows_on_the_next_scorecard(world, client, db):
    period = world["period"]
    record = (
        Return.objects.filter(period=period, current_version__isnull=False)
        .select_related("enterprise", "current_version")
        .order_by("enterprise__national_id")
        .first()
    )
    enterprise = record.enterprise
    url = f"/enterprises/{enterprise.national_id}/"
    client.force_login(world["analyst"])
    before = client.get(url)
    assert before.status_code == 200
    version = before.context["figures"]["version"].number

    values = record.current_version.values()
    values["sales"] = 3 * (values.get("sales") or 1000.0)
    values["net_profit"] = -abs(values.get("net_profit") or 100.0)
    record_return(enterprise, period, values, user=world["analyst"], note="a correction")

    after = client.get(url)
    assert after.status_code == 200
    assert after.context["figures"]["version"].number == version + 1
    figures = {f["indicator"].code: f["value"] for f in after.context["figures"]["figures"]}
    assert figures["sales"] == values["sales"]
    # the monitoring section follows the correction: it is what a run computed from
    # scratch on the corrected data shows, and no longer what the first view showed
    shown = after.context["monitoring"]
    assert shown != before.context["monitoring"]
    compute.clear()
    with translation.override("fa"):
        fresh = compute.population()
        chosen = choice.Choice(fresh, after.context["choice"].period, None, "national", [])
        assert shown == enterprise_monitoring(Enterprise.objects.get(pk=enterprise.pk), chosen)


def _rows(response) -> str:
    html = response.content.decode()
    return html[html.index("<tbody>") : html.index("</tbody>")]


@pytest.mark.parametrize("url", ["/top100/", "/top100/?scope=all&page=2"])
def test_cached_top100_rows_are_the_readers_own(world, client, db, url):
    """The rows of the Top-100 are rendered once per edition, page, filters, language and
    set of names the reader may open: each reader still gets exactly the uncached rows."""
    readers = [("analyst", "fa"), ("anonymous", "fa"), ("analyst", "en"), ("anonymous", "en")]

    def get(reader, language):
        client.logout()
        if reader == "analyst":
            client.force_login(world["analyst"])
        client.cookies["django_language"] = language
        return _rows(client.get(url))

    cache.clear()
    first = {reader: get(*reader) for reader in readers}  # each one rendered and stored
    again = {reader: get(*reader) for reader in readers}  # each one read from the cache
    fresh = {}
    for reader in readers:
        cache.clear()
        fresh[reader] = get(*reader)
    assert first == again == fresh
    assert 'href="/enterprises/' in first[("analyst", "fa")]
    assert 'href="/enterprises/' not in first[("anonymous", "fa")]
    assert first[("analyst", "fa")] != first[("analyst", "en")]


@pytest.mark.parametrize(
    "url", ["/top100/", "/top100/?scope=all&size=small", "/top100/?scope=all&page=2"]
)
def test_a_cached_top100_reads_no_result_row(world, client, db, url):
    """Once its rows and count are cached, the Top-100 reads none of the ranking's rows,
    does not count them again, nor reads the previous edition's ranks."""
    client.force_login(world["analyst"])
    cache.clear()
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url)
    assert answer.status_code == 200 and 'data-national-id="' in answer.content.decode()
    assert _rows(answer) == _rows(first)  # (the pages differ only in their CSRF tokens)
    assert not [q["sql"] for q in queries.captured_queries if "rankings_editionresult" in q["sql"]]


def test_a_cached_filtered_count_follows_the_registry(world, client, db):
    """The filters read the registry (an enterprise's province), so the cached count and
    rows are keyed on the data state: moving a ranked enterprise to another province
    changes the filtered count on the next view."""
    client.force_login(world["analyst"])
    cache.clear()
    edition = world["edition"]
    moved = (
        edition.results.filter(rank__isnull=False)
        .select_related("enterprise__province")
        .order_by("rank")[0]
    )
    province = moved.enterprise.province
    url = f"/top100/?scope=all&province={province.code}"
    before = client.get(url).context["page"].paginator.count
    assert (
        before == edition.results.filter(rank__isnull=False, enterprise__province=province).count()
    )
    other = Enterprise.objects.exclude(province=province).values_list("province", flat=True).first()
    Enterprise.objects.filter(pk=moved.enterprise_id).update(province=other, estate=None)
    assert client.get(url).context["page"].paginator.count == before - 1


def test_an_estate_managers_links_follow_their_estates(world, client, db):
    """The cached rows are keyed on whose scorecards the reader may open, so an estate
    manager given another estate sees its enterprises linked on the next view."""
    edition = world["edition"]
    top = edition.results.filter(rank__isnull=False, enterprise__estate__isnull=False).order_by(
        "rank"
    )[0]
    manager = User.objects.create_user("c-manager", password="x", role=Role.ESTATE_MANAGER)
    client.force_login(manager)
    cache.clear()
    link = f'href="/enterprises/{top.enterprise.national_id}/"'
    assert link not in client.get("/top100/?scope=all").content.decode()
    manager.estates.add(top.enterprise.estate)
    assert link in client.get("/top100/?scope=all").content.decode()


def test_with_redis_the_page_cache_is_redis(world, client, db, redis_cache):
    """With ``RASAD_REDIS_URL`` (docs/deploy.md) the Top-100's cached rows, count and
    edition summary are keys in Redis, where every app server reads them: a second
    browser's view reads no result row; with the keys gone, it reads them again."""
    redis, prefix = redis_cache.client, redis_cache.prefix
    edition = world["edition"]
    client.force_login(world["analyst"])
    first = client.get("/top100/")
    assert first.status_code == 200
    keys = {key.decode() for key in redis.scan_iter(match=f"{prefix}:*", count=1000)}
    assert cache.make_key(data._key(edition, "summary")) in keys
    pages = {key for key in keys if "django.contrib.sessions" not in key}
    assert (
        len(pages) >= 3
    )  # the summary, the count and the rows at least (the session is there too)

    other = client.__class__()
    other.force_login(world["analyst"])
    with CaptureQueriesContext(connection) as queries:
        again = other.get("/top100/")
    assert _rows(again) == _rows(first)
    assert not [q["sql"] for q in queries.captured_queries if "rankings_editionresult" in q["sql"]]

    redis.delete(*pages)
    with CaptureQueriesContext(connection) as queries:
        fresh = other.get("/top100/")
    assert _rows(fresh) == _rows(first)
    assert [q["sql"] for q in queries.captured_queries if "rankings_editionresult" in q["sql"]]
