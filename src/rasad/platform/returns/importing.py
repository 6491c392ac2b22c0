"""Importing files of enterprises and returns: a dry run first, then all or nothing.

The dry run is :mod:`rasad.platform.returns.checking`. Nothing is written until
:func:`commit_upload`, which checks the file again (the database may have moved since
the dry run) and writes the file, the new enterprises and every return in one
transaction: one error anywhere and nothing of the file is stored (its bytes reach the
storage only when that transaction commits). The same file imported twice changes
nothing, and the outcome says so. :func:`import_frames` does the same for frames that
come from no file (a research panel through its mapping).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from rasad.errors import RasadInputError
from rasad.intake import IntakeReport, validate_frames
from rasad.platform.registry.models import Dataset, Enterprise, IndustrialEstate, Province, Sector
from rasad.platform.returns.bulk import insert_rows
from rasad.platform.returns.checking import (
    ImportOutcome,
    check_upload,
    national_ids_param,
    reference_checks,
    reference_stamp,
    refuse_file_import,
    registered_ids,
)
from rasad.platform.returns.models import Period, ReturnVersion, SourceFile
from rasad.platform.returns.services import record_returns, write_lock

logger = logging.getLogger(__name__)


def commit_upload(
    data: bytes,
    name: str,
    *,
    user,
    checked: ImportOutcome | None = None,
    progress: Callable[[int, int], None] | None = None,
    confirm_implausible: bool = False,
) -> ImportOutcome:
    """Store the file and everything in it in one transaction if nothing blocks
    (warnings are accepted; implausible figures only with ``confirm_implausible``, a
    person's word that they checked them). The file is checked again unless
    ``checked``, its dry run, was made of the same bytes against the same reference
    data (no enterprise, return or estate added, no version written, the user's estates
    the same since). With errors, or implausible figures not confirmed, the outcome's
    report lists them and nothing is written."""
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        # Under the write lock, so that an import committed meanwhile (the same file
        # sent twice at once, say) is seen: this one is then checked again against it.
        write_lock()
        if checked is None or checked.sha256 != digest or checked.stamp != reference_stamp(user):
            checked = check_upload(data, name, user=user)
        if checked.report.blocking or (
            checked.report.needs_confirmation and not confirm_implausible
        ):
            return checked
        seen = SourceFile.objects.filter(sha256=checked.sha256).exists()
        source_file = _source_file(data, name, checked.sha256, user)
        outcome = _commit(
            checked.report,
            checked.sha256,
            user=user,
            source_file=source_file,
            progress=progress,
            confirm_implausible=confirm_implausible,
        )
        return replace(outcome, file_seen_before=seen)


@dataclass(frozen=True)
class PanelTarget:
    """The research panel a mapped import goes into (created on its first import; its
    name, citation, currency and price index refreshed by later ones), and each firm's
    code in the panel, by national ID."""

    code: str
    name_fa: str
    name_en: str
    citation: str = ""
    currency: str = ""
    prices: dict | None = None
    prices_note: str = ""
    source_codes: dict = field(default_factory=dict)

    def store(self) -> Dataset:
        fields = {
            "name_fa": self.name_fa,
            "name_en": self.name_en,
            "citation": self.citation,
            "currency": "" if self.currency == "IRR" else self.currency,
        }
        if self.prices:
            fields.update(
                prices={str(year): float(value) for year, value in sorted(self.prices.items())},
                prices_note=self.prices_note,
            )
        dataset, _ = Dataset.objects.update_or_create(code=self.code, defaults=fields)
        return dataset


def import_frames(
    enterprises: pd.DataFrame,
    returns: pd.DataFrame,
    *,
    user,
    source_name: str,
    commit: bool = True,
    progress=None,
    panel: PanelTarget | None = None,
    confirm_implausible: bool = False,
) -> ImportOutcome:
    """Canonical frames (a research panel through its mapping, say) checked and stored
    the way a file is: the same checks (implausible figures stored only with
    ``confirm_implausible``), the same transaction. With ``panel`` they go
    into that research panel, kept apart from the national returns; an enterprise
    already registered elsewhere (nationally or in another panel) is refused."""
    refuse_file_import(user)
    national_ids = set(returns["national_id"].dropna()) | set(enterprises["national_id"].dropna())
    if panel is not None:
        _refuse_other_datasets(national_ids, panel.code)
    report = validate_frames(enterprises, returns, checks=reference_checks(user, national_ids))
    digest = hashlib.sha256(
        enterprises.to_csv(index=False).encode() + returns.to_csv(index=False).encode()
    ).hexdigest()
    if report.blocking or not commit or (report.needs_confirmation and not confirm_implausible):
        return ImportOutcome(report, digest)
    with transaction.atomic():
        write_lock()
        if panel is not None:
            _refuse_other_datasets(national_ids, panel.code)
        seen = SourceFile.objects.filter(sha256=digest).exists()
        source_file = _source_file(
            f"{source_name}\n".encode() + digest.encode(), source_name, digest, user
        )
        outcome = _commit(
            report,
            digest,
            user=user,
            source_file=source_file,
            progress=progress,
            panel=panel,
            confirm_implausible=confirm_implausible,
        )
        return replace(outcome, file_seen_before=seen)


def _refuse_other_datasets(national_ids, code: str) -> None:
    """A panel's firms are its own: one registered nationally or in another panel is not
    moved or mixed in, and the import is refused with the first such firm named."""
    elsewhere = (
        Enterprise.objects.filter(national_id__in=national_ids_param(national_ids))
        .exclude(dataset__code=code)
        .values_list("national_id", "dataset__code")
        .first()
    )
    if elsewhere is not None:
        national_id, other = elsewhere
        other_en = f"the research panel {other}" if other else "the national returns"
        other_fa = f"مجموعهٔ پژوهشی {other}" if other else "اظهارنامه‌های ملی"
        raise RasadInputError(
            f"The enterprise {national_id} is registered in {other_en}; "
            f"the panel {code} cannot take it over. "
            "Give the panel other national IDs (the mapping's enterprise.national_id.prefix).",
            f"بنگاه {national_id} در {other_fa} ثبت است و مجموعهٔ {code} نمی‌تواند آن را بگیرد. "
            "شناسه‌های دیگری به مجموعه بدهید (enterprise.national_id.prefix در نگاشت).",
            field="national_id",
            value=national_id,
        )


def _commit(
    report: IntakeReport,
    digest: str,
    *,
    user,
    source_file,
    progress,
    panel: PanelTarget | None = None,
    confirm_implausible: bool = False,
) -> ImportOutcome:
    enterprises, returns = report.records_to_commit(confirm_implausible=confirm_implausible)
    created = _register(enterprises, panel)
    ids = dict(
        Enterprise.objects.filter(
            national_id__in=national_ids_param(returns["national_id"].unique())
        ).values_list("national_id", "pk")
    )
    periods = _periods(returns)
    codes = [c for c in returns.columns if c not in ("national_id", "period", "year", "quarter")]
    rows = pd.DataFrame(
        {
            "enterprise_id": returns["national_id"].map(ids).to_numpy(dtype=np.int64),
            "period_id": returns["period"].map(periods).to_numpy(dtype=np.int64),
        }
    )
    rows = pd.concat([rows, returns[codes].reset_index(drop=True).astype(float)], axis=1)
    written = record_returns(
        rows,
        user=user,
        source=ReturnVersion.Source.FILE,
        source_file=source_file,
        progress=progress,
    )
    return ImportOutcome(
        report,
        digest,
        committed=True,
        enterprises_created=created,
        returns=written,
        source_file=source_file,
    )


def _source_file(data: bytes, name: str, digest: str, user) -> SourceFile:
    """The record of the file ``digest``, made in the import's transaction; its bytes are
    written to the storage only once that transaction commits, so an import that is
    refused or crashes leaves no file behind (nor a record). Through the field's storage,
    never a path: the storage may be a remote store.

    Should the process die between the commit and the write, the record stands without
    its bytes; importing the same file again writes them then."""
    stored = SourceFile.objects.filter(sha256=digest).first()
    if (
        stored is not None
        and stored.content.name
        and stored.content.storage.exists(stored.content.name)
    ):
        return stored
    if stored is None:
        stored = SourceFile(name=name[:255], sha256=digest, size=len(data), uploaded_by=user)
        stored.content.name = _CONTENT.generate_filename(stored, f"{digest[:16]}-{name[-80:]}")
        stored.save()
    elif not stored.content.name:
        stored.content.name = _CONTENT.generate_filename(
            stored, f"{digest[:16]}-{stored.name[-80:]}"
        )
    transaction.on_commit(functools.partial(_write_content, stored, data))
    return stored


_CONTENT = SourceFile._meta.get_field("content")


def _write_content(stored: SourceFile, data: bytes) -> None:
    """Write a committed record's bytes under its name; the storage may choose another
    (that one already taken), which is then recorded."""
    try:
        saved = stored.content.storage.save(
            stored.content.name, ContentFile(data), max_length=_CONTENT.max_length
        )
    except Exception:  # the import is committed whatever happens here: say so, do not undo it
        logger.exception(
            "the bytes of the imported file %s (SHA-256 %s) could not be stored; "
            "importing the same file again stores them",
            stored.name,
            stored.sha256,
        )
        return
    SourceFile.objects.filter(pk=stored.pk).exclude(content=saved).update(content=saved)


def _register(enterprises: pd.DataFrame, panel: PanelTarget | None = None) -> int:
    """Create the file's enterprises that are not registered yet (in ``panel``'s data
    set, when given); registered ones are left as the registry has them. They are
    written as plain rows (COPY on PostgreSQL) like the returns: 20,000 model instances
    took longer than all the returns."""
    dataset_id = panel.store().pk if panel is not None else None
    known = set(registered_ids(Enterprise.objects.all(), enterprises["national_id"]))
    new = enterprises[~enterprises["national_id"].isin(known)]
    if new.empty:
        return 0
    source_codes = panel.source_codes if panel is not None else {}
    provinces = dict(Province.objects.values_list("code", "pk"))
    sectors = dict(
        Sector.objects.filter(code__in=list(new["isic_class"].astype(str))).values_list(
            "code", "pk"
        )
    )
    estates = dict(
        IndustrialEstate.objects.filter(code__in=list(new["estate_code"].dropna())).values_list(
            "code", "pk"
        )
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    insert_rows(
        Enterprise,
        (
            "national_id",
            "name_fa",
            "name_en",
            "isic_id",
            "province_id",
            "estate_id",
            "founding_year",
            "created_at",
            "dataset_id",
            "source_code",
        ),
        (
            (
                row.national_id,
                row.name_fa,
                "" if pd.isna(row.name_en) else row.name_en,
                sectors[str(row.isic_class)],
                provinces[int(row.province_code)],
                None if pd.isna(row.estate_code) else estates[row.estate_code],
                None if pd.isna(row.founding_year) else int(row.founding_year),
                now,
                dataset_id,
                str(source_codes.get(row.national_id, ""))[:120],
            )
            for row in new.itertuples()
        ),
    )
    return len(new)


def _periods(returns: pd.DataFrame) -> dict[str, int]:
    periods = {}
    for code, year, quarter in (
        returns[["period", "year", "quarter"]].drop_duplicates().itertuples(index=False)
    ):
        period, _ = Period.objects.get_or_create(
            year=int(year), quarter=None if pd.isna(quarter) else int(quarter)
        )
        periods[code] = period.pk
    return periods
