"""An import's file reaches the storage only when its transaction commits (issue 16):
one refused or crashing mid-commit leaves no file in MEDIA_ROOT, nor a record."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from rasad.errors import RasadInputError
from rasad.platform.accounts.models import Role, User
from rasad.platform.registry.models import Enterprise, IndustrialEstate, Province
from rasad.platform.returns import importing
from rasad.platform.returns.models import SourceFile

NEW_A, NEW_B = "10380284790", "14007650912"


def csv_file(sales_b="2500") -> bytes:
    rows = [
        [
            "شناسه ملی",
            "نام بنگاه",
            "کد آیسیک",
            "استان",
            "شهرک صنعتی",
            "دوره",
            "تعداد شاغلان",
            "فروش (میلیون ریال)",
        ],
        [NEW_A, "نساجی الف", "1311", "یزد", "T01", "1403", "12", "1200"],
        [NEW_B, "ریسندگی ب", "1311", "یزد", "T01", "1403", "30", sales_b],
    ]
    return "\n".join(",".join(f'"{v}"' for v in row) for row in rows).encode("utf-8-sig")


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def admin_user(db):
    IndustrialEstate.objects.get_or_create(
        code="T01",
        defaults={
            "name_fa": "شهرک صنعتی یزد",
            "name_en": "Yazd",
            "province": Province.objects.get(name_en="Yazd"),
        },
    )
    return User.objects.create(username="boss", role=Role.ADMIN, is_superuser=True, is_staff=True)


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _crash(*args, **kwargs):
    raise RuntimeError("power cut")


@pytest.mark.django_db(transaction=True)
def test_a_crash_mid_commit_leaves_no_file(media, admin_user, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(importing, "record_returns", _crash)  # after the record of the file is made
        with pytest.raises(RuntimeError):
            importing.commit_upload(csv_file(), "r.csv", user=admin_user)
    assert (
        files_in(media) == []
        and not SourceFile.objects.exists()
        and not Enterprise.objects.exists()
    )

    outcome = importing.commit_upload(
        csv_file(), "r.csv", user=admin_user
    )  # committed: the file is kept
    assert outcome.committed
    stored = SourceFile.objects.get()
    assert files_in(media) == [media / stored.content.name]
    assert default_storage.open(stored.content.name).read() == csv_file()


@pytest.mark.django_db(transaction=True)
def test_a_refusal_raised_mid_commit_leaves_no_file(media, admin_user, monkeypatch):
    def refuse(*args, **kwargs):
        raise RasadInputError("refused", "رد شد")

    monkeypatch.setattr(importing, "record_returns", refuse)
    with pytest.raises(RasadInputError):
        importing.commit_upload(csv_file(), "r.csv", user=admin_user)
    assert files_in(media) == [] and not SourceFile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_panel_import_crashing_mid_commit_leaves_no_file(media, admin_user, monkeypatch):
    import pandas as pd

    enterprises = pd.DataFrame(
        {
            "national_id": [NEW_A],
            "name_fa": ["نساجی الف"],
            "isic_class": ["1311"],
            "province": ["یزد"],
        }
    )
    returns = pd.DataFrame({"national_id": [NEW_A], "period": ["1403"], "employees": [12.0]})
    monkeypatch.setattr(importing, "record_returns", _crash)
    with pytest.raises(RuntimeError):
        importing.import_frames(enterprises, returns, user=admin_user, source_name="panel.csv")
    assert files_in(media) == [] and not SourceFile.objects.exists()


def test_a_record_left_without_its_bytes_gets_them_on_the_next_import(
    media, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        importing.commit_upload(csv_file(), "r.csv", user=admin_user)
    stored = SourceFile.objects.get()
    default_storage.delete(stored.content.name)  # the process died between the commit and the write
    with django_capture_on_commit_callbacks(execute=True):
        assert importing.commit_upload(csv_file(), "r.csv", user=admin_user).changed_nothing
    assert default_storage.open(SourceFile.objects.get().content.name).read() == csv_file()


def test_the_storage_may_choose_another_name(media, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        importing.commit_upload(csv_file(), "r.csv", user=admin_user)
    stored = SourceFile.objects.get()
    default_storage.save(
        stored.content.name, ContentFile(b"someone else's")
    )  # the name was taken meanwhile
    for callback in callbacks:
        callback()
    stored.refresh_from_db()
    assert default_storage.open(stored.content.name).read() == csv_file()
