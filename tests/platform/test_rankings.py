"""Methodologies and published editions are frozen: what was published can be reproduced."""

import hashlib

import pytest
from django.core.exceptions import ValidationError

from rasad.platform.rankings.models import Edition, Methodology

TEXT = "name: {fa: رتبه‌بندی, en: SME-100}\nversion: '1403.1'\n"


@pytest.mark.django_db
def test_methodology_is_stored_with_its_content_hash():
    methodology = Methodology.objects.create(name_fa="رتبه‌بندی", version="1403.1", text=TEXT)
    assert methodology.sha256 == hashlib.sha256(TEXT.encode()).hexdigest()
    methodology.text = TEXT + "# changed\n"
    with pytest.raises(ValidationError):
        methodology.save()


@pytest.mark.django_db
def test_published_edition_is_frozen(period):
    methodology = Methodology.objects.create(name_fa="رتبه‌بندی", version="1403.1", text=TEXT)
    edition = Edition.objects.create(
        name_fa="۱۰۰ برتر ۱۴۰۳", period=period, methodology=methodology, data_sha256="a" * 64
    )
    assert edition.methodology_sha256 == methodology.sha256
    edition.data_sha256 = "b" * 64
    edition.status = Edition.Status.PUBLISHED
    edition.save()
    edition.data_sha256 = "c" * 64
    with pytest.raises(ValidationError):
        edition.save()
    edition.refresh_from_db()
    edition.status = Edition.Status.DRAFT
    with pytest.raises(ValidationError):
        edition.save()
    assert Edition.objects.get().data_sha256 == "b" * 64
