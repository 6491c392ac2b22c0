"""The open-data downloads (issue 17): the Top-100, the league tables and the cluster
table as XLSX, CSV and a dictionary CSV; what each role may see in them; the shared
workbook's layout (one header row, right to left in fa, integer ranks, autofilter)."""

import io

import pandas as pd
import pytest
from django.contrib.auth.models import AnonymousUser
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from test_public_pages import ROLES, client_for
from test_public_pages import world as world  # the same published editions and users

from rasad.platform.rankings.league import edition_league
from rasad.platform.rankings.models import EditionResult
from rasad.platform.registry.models import Enterprise

pytestmark = pytest.mark.django_db


def check_layout(content: bytes, rows: int) -> "tuple":
    """One header row, right to left (the client reads Persian), autofilter over the data."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    assert sheet.sheet_view.rightToLeft and all(s.sheet_view.rightToLeft for s in book)
    assert sheet.max_row == rows + 1 and sheet.freeze_panes.endswith("2")
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(sheet.max_column)}{rows + 1}"
    assert book.sheetnames[-2:] == ["راهنمای ستون‌ها", "درباره"]
    about = dict(book["درباره"].iter_rows(min_row=2, values_only=True))
    assert "CC BY 4.0" in about["مجوز"]
    return book, sheet


def test_top100_all_at_once(world, client):
    latest = world["latest"]
    ranked = EditionResult.objects.filter(edition=latest, rank__lte=latest.top_k)
    n = ranked.count()
    base = f"/editions/{latest.pk}/data/"
    response = client.get(base + "top100.xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    book, sheet = check_layout(response.content, n)
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["رتبه", "امتیاز", "رتبه، صدک ۵", "رتبه، صدک ۹۵", header[4]]
    for row in sheet.iter_rows(min_row=2, max_col=4):
        rank, _score, low, high = row
        assert type(rank.value) is int and rank.number_format == "0"
        assert low.value is None or type(low.value) is int
        assert high.value is None or type(high.value) is int
    frame = pd.read_excel(io.BytesIO(response.content))
    assert len(frame) == n and frame.columns[0] == "رتبه"
    csv = pd.read_csv(io.BytesIO(client.get(base + "top100.csv").content), encoding="utf-8-sig")
    assert len(csv) == n
    assert list(csv.columns[:9]) == [
        "rank", "score", "rank_q05", "rank_q95", "p_top",
        "national_id", "name", "province", "estate",
    ]  # fmt: skip
    assert sorted(csv["rank"]) == sorted(ranked.values_list("rank", flat=True))
    assert csv["rank"].dtype.kind == "i"
    dictionary = pd.read_csv(
        io.BytesIO(client.get(base + "top100-dictionary.csv").content), encoding="utf-8-sig"
    )
    assert set(csv.columns) <= set(dictionary["code"].dropna())
    assert dictionary["meaning"].str.contains("CC BY 4.0", na=False).any()


def test_top100_page_shows_the_whole_top_list(world, client):
    latest = world["latest"]
    page = client.get(f"/editions/{latest.pk}/")
    n = EditionResult.objects.filter(edition=latest, rank__lte=latest.top_k).count()
    assert page.context["page"].paginator.num_pages == 1
    assert len(page.context["page"].object_list) == n
    text = page.content.decode()
    assert f"/editions/{latest.pk}/data/top100.xlsx" in text


@pytest.mark.parametrize("role", ROLES)
def test_league_download_values_only_within_the_readers_scope(world, client, role):
    client = client_for(client, world, role)
    latest = world["latest"]
    method, table = edition_league(latest, by="size_class", top=latest.top_k)
    user = world["users"][role] or AnonymousUser()
    scope = set(Enterprise.objects.confidential_to(user).values_list("national_id", flat=True))
    listed = set(Enterprise.objects.values_list("national_id", flat=True))
    expected = table[table[method.unit].astype(str).isin(listed)]
    response = client.get(f"/editions/{latest.pk}/data/league.xlsx")
    assert response.status_code == 200
    check_layout(response.content, len(expected))
    csv = pd.read_csv(
        io.BytesIO(client.get(f"/editions/{latest.pk}/data/league.csv").content),
        dtype={"national_id": str},
        encoding="utf-8-sig",
    )
    assert len(csv) == len(expected) and csv["rank"].dtype.kind == "i"
    shown = set(csv.loc[csv["value"].notna(), "national_id"])
    assert shown <= scope
    if role in ("analyst", "admin"):
        assert shown == set(expected[method.unit].astype(str)) - set(
            csv.loc[csv["value"].isna(), "national_id"]
        )
        assert shown
    if role in ("anonymous", "public"):
        assert not shown


@pytest.mark.parametrize("role", ROLES)
def test_estates_download_is_the_readers_scope(world, client, role):
    client = client_for(client, world, role)
    response = client.get("/estates/export.xlsx")
    if role in ("anonymous",):
        assert response.status_code == 302
        return
    if role in ("public", "enterprise"):
        assert response.status_code == 403
        return
    user = world["users"][role]
    expected = Enterprise.objects.confidential_to(user).filter(
        estate__isnull=False, dataset__isnull=True
    )
    book, sheet = check_layout_internal(response.content, expected.count())
    ids = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert ids == set(expected.values_list("national_id", flat=True))
    rank = [c.value for c in sheet[1]].index("رتبه")
    for row in sheet.iter_rows(min_row=2, values_only=True):
        assert row[rank] is None or type(row[rank]) is int


def check_layout_internal(content: bytes, rows: int):
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    assert all(s.sheet_view.rightToLeft for s in book)
    assert sheet.max_row == rows + 1
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(sheet.max_column)}{rows + 1}"
    about = dict(book["درباره"].iter_rows(min_row=2, values_only=True))
    assert "محرمانه" in about["مجوز"]
    return book, sheet


def test_the_downloads_read_in_english_too(world, client):
    client.cookies["django_language"] = "en"
    content = client.get(f"/editions/{world['latest'].pk}/data/top100.xlsx").content
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames[-2:] == ["Dictionary", "About"]
    assert not book.worksheets[0].sheet_view.rightToLeft
    assert [c.value for c in book.worksheets[0][1]][:2] == ["Rank", "Score"]


def test_unknown_download_names_are_not_found(world, client):
    latest = world["latest"]
    for name in ("top100.pdf", "other.csv", "league.xlsx.zip"):
        assert client.get(f"/editions/{latest.pk}/data/{name}").status_code == 404
