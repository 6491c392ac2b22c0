"""``--lang`` on the database's commands: edition list and notify in Persian, with
Persian digits and no English sentence; in English as before."""

import pytest

from rasad.cli import main

PERSIAN_DIGITS = set("۰۱۲۳۴۵۶۷۸۹")


@pytest.fixture(scope="module")
def world(django_db_blocker, module_data, published_demo):
    with module_data(django_db_blocker):
        yield published_demo(60, 5, "lang-analyst")


def test_edition_list_in_persian_and_english(world, db, capsys):
    assert main(["edition", "list", "--lang", "fa"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["شناسه", "سال", "روش‌شناسی"]
    assert "منتشرشده" in row and PERSIAN_DIGITS & set(row) and not set("0123456789") & set(row)
    assert main(["edition", "list", "--lang", "en"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["id", "year", "methodology"] and "published" in row


def test_notify_in_persian_and_english(world, db, capsys):
    assert main(["notify", "--lang", "fa"]) == 0
    said = capsys.readouterr().out
    assert "آگاه‌سازی هشدار" in said and "چکیده" in said and "notification" not in said
    assert not set("0123456789") & set(said)
    assert main(["notify", "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("0 alert notification(s), 0 return-due")


def test_no_edition_of_a_year_in_persian(world, db, capsys):
    assert main(["edition", "list", "--period", "1390", "--lang", "fa"]) == 0
    assert capsys.readouterr().out == "هنوز ویرایشی نیست.\n"
