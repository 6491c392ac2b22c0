"""Importing files of enterprises and returns: a dry run first, then all or nothing.

The pure :mod:`rasad.intake` reads and checks a file against reference data this module
takes from the database (the estates, the registered enterprises, their earlier returns
for the unit-slip warning, and what the sender may write: :func:`scope_of`). Nothing is
written until :func:`commit_upload`, which checks the file again (the database may have
moved since the dry run) and writes the file, the new enterprises and every return in
one transaction: one error anywhere and nothing of the file is stored (its bytes reach
the storage only when that transaction commits). The same file
imported twice changes nothing, and the outcome says so.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.expressions import RawSQL
from django.utils import timezone

from rasad.errors import RasadInputError
from rasad.intake import Checks, IntakeReport, Scope, read_bytes, validate_frames, validate_workbook
from rasad.intake.reference import national_id_text
from rasad.iran.text import format_number
from rasad.platform.accounts.models import Role
from rasad.platform.registry.models import Dataset, Enterprise, IndustrialEstate, Province, Sector
from rasad.platform.returns.models import Period, Return, ReturnVersion, SourceFile
from rasad.platform.returns.services import (
    BulkOutcome,
    insert_rows,
    record_returns,
    write_lock,
)
from rasad.platform.returns.state import data_state

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did (or, for a dry run, would check): the report, the file's hash,
    and after a commit the counts of enterprises registered and returns written."""

    report: IntakeReport
    sha256: str
    stamp: tuple = ()  # the reference data the report was checked against (see _stamp)
    committed: bool = False
    enterprises_created: int = 0
    returns: BulkOutcome | None = None
    source_file: SourceFile | None = None
    file_seen_before: bool = False  # these very bytes were imported before

    @property
    def awaits_confirmation(self) -> bool:
        """Not committed, and nothing but implausible figures a person has not confirmed
        stands in the way."""
        return not self.committed and not self.report.blocking and self.report.needs_confirmation

    @property
    def changed_nothing(self) -> bool:
        return (
            self.committed
            and self.enterprises_created == 0
            and self.returns is not None
            and self.returns.written == 0
        )

    def summary(self, language: str = "fa") -> str:
        """One line for the page and the terminal."""
        if not self.committed:
            if self.report.blocking:
                return (
                    "فایل خطا دارد و چیزی از آن ثبت نشد."
                    if language == "fa"
                    else "The file has errors; nothing of it was stored."
                )
            if self.report.needs_confirmation:
                n = len(self.report.implausible)
                return (
                    f"فایل خطا ندارد، اما {format_number(n)} رقم آن نامحتمل است: آن‌ها را بررسی کنید؛ "
                    "فایل تنها پس از تأیید آن‌ها وارد می‌شود."
                    if language == "fa"
                    else f"The file has no errors, but {n} of its figures are implausible: check them; "
                    "the file is imported only once they are confirmed."
                )
            return (
                "فایل بی‌خطاست و آمادهٔ ثبت است."
                if language == "fa"
                else "The file has no errors and is ready to import."
            )
        if self.changed_nothing and self.file_seen_before:
            return (
                "این فایل پیش‌تر وارد شده بود؛ چیزی تغییر نکرد."
                if language == "fa"
                else "This file was imported before; nothing changed."
            )
        if self.changed_nothing:
            return (
                "چیز تازه‌ای نبود: همهٔ ردیف‌های فایل پیش‌تر ثبت شده‌اند."
                if language == "fa"
                else "Nothing new: every row of the file is already on record."
            )
        r = self.returns
        if language == "fa":
            created, new, changed, unchanged = (
                format_number(n)
                for n in (self.enterprises_created, r.created, r.changed, r.unchanged)
            )
            return (
                f"{created} بنگاه ثبت شد؛ {new} اظهارنامهٔ تازه، {changed} اصلاحیه "
                f"(نسخهٔ پیشین نگه داشته شد) و {unchanged} بی‌تغییر."
            )
        return (
            f"{self.enterprises_created} enterprise(s) registered; {r.created} new return(s), {r.changed} "
            f"corrected (earlier versions kept), {r.unchanged} unchanged."
        )


def scope_of(user, national_ids=None) -> Scope | None:
    """What ``user`` may write: analysts and administrators anything, an estate manager
    the enterprises of their estates (and new ones there), an enterprise its own.
    Given ``national_ids`` (what one submission names), the estate manager's
    enterprises are looked up among those only, not listed in full."""
    role = getattr(user, "effective_role", None)
    if role in (Role.ANALYST, Role.ADMIN):
        return None
    if role == Role.ESTATE_MANAGER:
        estates = list(user.estates.values_list("code", flat=True))
        return Scope(
            enterprises=_registered(
                Enterprise.objects.filter(estate__code__in=estates), national_ids
            ),
            estates=estates,
        )
    if role == Role.ENTERPRISE and user.enterprise_id:
        return Scope(enterprises=[user.enterprise.national_id], estates=())
    raise RasadInputError(
        "Your account may not send data.", "حساب شما اجازهٔ فرستادن داده ندارد.", field="user"
    )


def _registered(enterprises, national_ids=None) -> list[str]:
    """The national IDs of ``enterprises``, all of them or only those among ``national_ids``."""
    if national_ids is None:
        return list(enterprises.values_list("national_id", flat=True))
    return list(
        enterprises.filter(national_id__in=_among(national_ids)).values_list(
            "national_id", flat=True
        )
    )


def _among(national_ids) -> RawSQL:
    """National IDs for ``__in`` as one parameter (an array; JSON on SQLite), not one
    parameter each: a file names 20,000 enterprises."""
    ids = sorted(national_ids)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", [ids])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def _refuse_file_import(user) -> None:
    """Files are for estate managers, analysts and administrators (DESIGN §5); an
    enterprise sends its own returns through the form."""
    if getattr(user, "effective_role", None) not in (Role.ESTATE_MANAGER, Role.ANALYST, Role.ADMIN):
        raise RasadInputError(
            "Your account may not import files; an enterprise sends its returns through the return form.",
            "حساب شما اجازهٔ ورود فایل ندارد؛ بنگاه اظهارنامهٔ خود را با فرم اظهارنامه می‌فرستد.",
            field="user",
        )


def reference_checks(user, national_ids=None, *, estates: bool = True) -> Checks:
    """The checks of a submission by ``user``: the estates (unless ``estates`` is
    false: a return form registers no enterprise, so names none), the registered
    enterprises, the earlier returns of ``national_ids`` and the user's scope.

    Given ``national_ids`` (every enterprise the file or form names), only those
    enterprises are looked up, so a form submitted at 100,000 enterprises reads a
    handful of rows: the checks only ever ask about the enterprises named."""
    if national_ids is not None:
        national_ids = {national_id_text(value) for value in national_ids}
    table = None
    if estates:
        table = pd.DataFrame(
            IndustrialEstate.objects.values_list("code", "name_fa", "name_en", "province__code"),
            columns=["code", "name_fa", "name_en", "province_code"],
        )
    return Checks.build(
        estates=table,
        previous=_previous_returns(national_ids) if national_ids else None,
        known_enterprises=_registered(Enterprise.objects.all(), national_ids),
        scope=scope_of(user, national_ids),
    )


def check_upload(data: bytes, name: str, *, user) -> ImportOutcome:
    """The dry run: read and check a file; nothing is written."""
    _refuse_file_import(user)
    stamp = _stamp(user)
    workbook = read_bytes(data, name)
    checks = reference_checks(user, _file_national_ids(workbook))
    return ImportOutcome(
        validate_workbook(workbook, checks=checks), hashlib.sha256(data).hexdigest(), stamp
    )


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
        if checked is None or checked.sha256 != digest or checked.stamp != _stamp(user):
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


def _stamp(user) -> tuple:
    """A fingerprint of what a dry run depends on besides the file: the data state of
    the registry and the returns, and the user's role and estates."""
    parts = [getattr(user, "effective_role", None), getattr(user, "enterprise_id", None)]
    if getattr(user, "pk", None):
        parts.append(tuple(sorted(user.estates.values_list("pk", flat=True))))
    parts.append(data_state())
    return tuple(parts)


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
    _refuse_file_import(user)
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
        Enterprise.objects.filter(national_id__in=_among(national_ids))
        .exclude(dataset__code=code)
        .values_list("national_id", "dataset__code")
        .first()
    )
    if elsewhere is not None:
        national_id, other = elsewhere
        other_en = f"the research panel {other}" if other else "the national returns"
        other_fa = f"مجموعهٔ پژوهشی {other}" if other else "اظهارنامه‌های ملی"
        raise RasadInputError(
            f"The enterprise {national_id} is registered in {other_en}; the panel {code} cannot take it over. "
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
            national_id__in=_among(returns["national_id"].unique())
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
    known = set(_registered(Enterprise.objects.all(), enterprises["national_id"]))
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


def _file_national_ids(workbook) -> set[str]:
    """The national IDs a file names, as Latin-digit text (each distinct cell once)."""
    cells = set()
    for sheet in workbook.sheets:
        cells.update(sheet.values.get("national_id", ()))
    cells.discard(None)
    return {national_id_text(value) for value in cells}


def _previous_returns(national_ids) -> pd.DataFrame | None:
    """The current figures of these enterprises' returns of the latest two years on
    record: what the unit-slip warning compares a new figure with."""
    years = sorted(
        set(
            Period.objects.filter(Exists(Return.objects.filter(period=OuterRef("pk")))).values_list(
                "year", flat=True
            )
        )
    )[-2:]
    if not years:
        return None
    records = []
    for national_id, year, quarter, figures in ReturnVersion.objects.filter(
        return_record__enterprise__national_id__in=_among(national_ids),
        return_record__period__year__in=years,
        return_record__current_version=F("pk"),
    ).values_list(
        "return_record__enterprise__national_id",
        "return_record__period__year",
        "return_record__period__quarter",
        "figures",
    ):
        records.extend((national_id, year, quarter, code, value) for code, value in figures.items())
    if not records:
        return None
    frame = pd.DataFrame(records, columns=["national_id", "year", "quarter", "code", "value"])
    frame["period"] = [
        str(y) if q is None or pd.isna(q) else f"{y}-Q{int(q)}"
        for y, q in zip(frame["year"], frame["quarter"], strict=True)
    ]
    return frame.pivot_table(
        index=["national_id", "period"], columns="code", values="value"
    ).reset_index()
