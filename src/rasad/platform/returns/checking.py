"""The dry run of an import: a file (or a return form's figures) read and checked,
nothing written.

The pure :mod:`rasad.intake` reads and checks a file against reference data this module
takes from the database (the estates, the registered enterprises, their earlier returns
for the unit-slip warning, and what the sender may write: :func:`scope_of`). What a dry
run was checked against is fingerprinted (:func:`reference_stamp`), so that the commit
(:mod:`rasad.platform.returns.importing`) can tell whether it may reuse the report.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pandas as pd
from django.db import connection
from django.db.models import Exists, F, OuterRef
from django.db.models.expressions import RawSQL

from rasad.errors import RasadInputError
from rasad.intake import (
    Checks,
    IntakeReport,
    Scope,
    read_bytes,
    validate_records,
    validate_workbook,
)
from rasad.intake.reference import national_id_text
from rasad.iran.text import format_number
from rasad.platform.accounts.models import Role
from rasad.platform.registry.models import Enterprise, IndustrialEstate
from rasad.platform.returns.models import Period, Return, ReturnVersion, SourceFile
from rasad.platform.returns.services import BulkOutcome
from rasad.platform.returns.state import data_state


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did (or, for a dry run, would check): the report, the file's hash,
    and after a commit the counts of enterprises registered and returns written."""

    report: IntakeReport
    sha256: str
    stamp: tuple = ()  # the reference data the report was checked against (see reference_stamp)
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
                    f"فایل خطا ندارد، اما {format_number(n)} رقم آن نامحتمل است: "
                    "آن‌ها را بررسی کنید؛ "
                    "فایل تنها پس از تأیید آن‌ها وارد می‌شود."
                    if language == "fa"
                    else f"The file has no errors, but {n} of its figures are implausible: "
                    "check them; "
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
            f"{self.enterprises_created} enterprise(s) registered; "
            f"{r.created} new return(s), {r.changed} "
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
            enterprises=registered_ids(
                Enterprise.objects.filter(estate__code__in=estates), national_ids
            ),
            estates=estates,
        )
    if role == Role.ENTERPRISE and user.enterprise_id:
        return Scope(enterprises=[user.enterprise.national_id], estates=())
    raise RasadInputError(
        "Your account may not send data.", "حساب شما اجازهٔ فرستادن داده ندارد.", field="user"
    )


def registered_ids(enterprises, national_ids=None) -> list[str]:
    """The national IDs of ``enterprises``, all of them or only those among ``national_ids``."""
    if national_ids is None:
        return list(enterprises.values_list("national_id", flat=True))
    return list(
        enterprises.filter(national_id__in=national_ids_param(national_ids)).values_list(
            "national_id", flat=True
        )
    )


def national_ids_param(national_ids) -> RawSQL:
    """National IDs for ``__in`` as one parameter (an array; JSON on SQLite), not one
    parameter each: a file names 20,000 enterprises."""
    ids = sorted(national_ids)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", [ids])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def refuse_file_import(user) -> None:
    """Files are for estate managers, analysts and administrators (DESIGN §5); an
    enterprise sends its own returns through the form."""
    if getattr(user, "effective_role", None) not in (Role.ESTATE_MANAGER, Role.ANALYST, Role.ADMIN):
        raise RasadInputError(
            "Your account may not import files; "
            "an enterprise sends its returns through the return form.",
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
        known_enterprises=registered_ids(Enterprise.objects.all(), national_ids),
        scope=scope_of(user, national_ids),
    )


def check_return(national_id: str, period_code: str, values: dict, *, user) -> IntakeReport:
    """A return form's figures checked as a file's row is: within ``user``'s scope,
    against the enterprise's earlier returns (no estates: a form registers no
    enterprise, so names none)."""
    record = {"national_id": national_id, "period": period_code, **values}
    return validate_records([record], checks=reference_checks(user, {national_id}, estates=False))


def check_upload(data: bytes, name: str, *, user) -> ImportOutcome:
    """The dry run: read and check a file; nothing is written."""
    refuse_file_import(user)
    stamp = reference_stamp(user)
    workbook = read_bytes(data, name)
    checks = reference_checks(user, _file_national_ids(workbook))
    return ImportOutcome(
        validate_workbook(workbook, checks=checks), hashlib.sha256(data).hexdigest(), stamp
    )


def reference_stamp(user) -> tuple:
    """A fingerprint of what a dry run depends on besides the file: the data state of
    the registry and the returns, and the user's role and estates."""
    parts = [getattr(user, "effective_role", None), getattr(user, "enterprise_id", None)]
    if getattr(user, "pk", None):
        parts.append(tuple(sorted(user.estates.values_list("pk", flat=True))))
    parts.append(data_state())
    return tuple(parts)


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
        return_record__enterprise__national_id__in=national_ids_param(national_ids),
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
