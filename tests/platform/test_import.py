"""Importing files: dry run first, then all or nothing; the same file twice changes
nothing; a correction is a new version naming its file; real panels land intact."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rasad.cli import main
from rasad.platform.accounts.models import Role, User
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Return, ReturnVersion, SourceFile

PANELS = Path(__file__).parent.parent / "fixtures" / "firm_panels"
NEW_A, NEW_B = "10380284790", "14007650912"


@pytest.fixture
def admin(db):
    return User.objects.create(username="boss", role=Role.ADMIN, is_superuser=True, is_staff=True)


def write_file(path: Path, *, sales_b="۲٬۵۰۰", id_b=NEW_B) -> Path:
    """Two new firms of the estate T01 (Yazd) and their 1403 returns, as a sender
    would type them: Persian digits and separators, Persian headers."""
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
        [id_b, "ریسندگی ب", "1311", "یزد", "T01", "۱۴۰۳", "۳۰", sales_b],
    ]
    path.write_text(
        "\n".join(",".join(f'"{v}"' for v in row) for row in rows), encoding="utf-8-sig"
    )
    return path


@pytest.mark.django_db
def test_dry_run_then_import_then_nothing_changes(tmp_path, admin, estate, capsys):
    file = write_file(tmp_path / "returns.csv")
    assert main(["import", str(file), "--dry-run", "--lang", "en", "--no-progress"]) == 0
    assert "ready to import" in capsys.readouterr().out
    assert not Enterprise.objects.exists() and not Return.objects.exists()

    assert main(["import", str(file), "--lang", "en", "--no-progress"]) == 0
    assert "2 enterprise(s) registered; 2 new return(s)" in capsys.readouterr().out
    b = Return.objects.get(enterprise__national_id=NEW_B)
    assert b.current_version.values() == {"employees": 30.0, "sales": 2500.0}
    assert b.current_version.source_file.name == "returns.csv"
    assert b.current_version.created_by == admin

    assert main(["import", str(file), "--lang", "en", "--no-progress"]) == 0
    assert "imported before; nothing changed" in capsys.readouterr().out
    assert ReturnVersion.objects.count() == 2 and SourceFile.objects.count() == 1

    same_rows = write_file(tmp_path / "again.csv", sales_b="2500")  # other bytes, same figures
    assert main(["import", str(same_rows), "--lang", "en", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Nothing new: every row of the file is already on record" in out
    assert "imported before" not in out

    corrected = write_file(tmp_path / "corrected.csv", sales_b="2600")
    assert main(["import", str(corrected), "--lang", "en", "--no-progress"]) == 0
    assert "1 corrected" in capsys.readouterr().out
    versions = list(b.versions.order_by("number"))
    assert [v.values()["sales"] for v in versions] == [2500.0, 2600.0]
    assert [v.source_file.name for v in versions] == ["returns.csv", "corrected.csv"]


@pytest.mark.django_db
def test_one_bad_row_blocks_the_whole_file(tmp_path, admin, estate, capsys):
    file = write_file(tmp_path / "bad.csv", id_b="14007650913")  # check digit off by one
    report = tmp_path / "report.xlsx"
    assert (
        main(["import", str(file), "--lang", "en", "--no-progress", "--report", str(report)]) == 1
    )
    out = capsys.readouterr().out
    assert "check digit" in out and "nothing of it was stored" in out
    assert (
        not Enterprise.objects.exists()
        and not Return.objects.exists()
        and not SourceFile.objects.exists()
    )
    rows = pd.read_excel(report, sheet_name="Report")  # --lang en, one header row
    assert rows.iloc[0][["Severity", "Row", "Column letter", "Value"]].tolist() == [
        "error",
        3,
        "A",
        14007650913,
    ]


@pytest.mark.django_db
def test_a_crash_in_the_middle_of_a_commit_leaves_nothing(tmp_path, admin, estate, monkeypatch):
    from rasad.platform.returns import importing

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(importing, "record_returns", crash)  # after the enterprises are created
    with pytest.raises(RuntimeError):
        importing.commit_upload(write_file(tmp_path / "r.csv").read_bytes(), "r.csv", user=admin)
    assert not Enterprise.objects.exists() and not SourceFile.objects.exists()


@pytest.mark.django_db
def test_an_estate_manager_imports_only_for_their_estates(tmp_path, estate, yazd, capsys):
    from rasad.platform.registry.models import IndustrialEstate

    other = IndustrialEstate.objects.create(code="T02", name_fa="شهرک دیگر", province=yazd)
    manager = User.objects.create(username="manager", role=Role.ESTATE_MANAGER)
    manager.estates.add(other)
    file = write_file(tmp_path / "r.csv")
    assert main(["import", str(file), "--as", "manager", "--lang", "en", "--no-progress"]) == 1
    assert not Enterprise.objects.exists()
    from rasad.platform.returns.checking import check_upload

    errors = check_upload(file.read_bytes(), "r.csv", user=manager).report.errors
    assert [(p.code, p.row) for p in errors] == [("scope", 2), ("scope", 3)]
    assert "You may not register a new enterprise in the estate T01" in errors[0].message_en


@pytest.mark.django_db
def test_not_a_spreadsheet(tmp_path, admin, capsys):
    file = tmp_path / "photo.xlsx"
    file.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert main(["import", str(file), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "photo.xlsx" in err and "خطا" in err


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mapping", "csv", "id_column", "columns"),
    [
        (
            "michigan_jtrain",
            "jtrain_michigan_1987_1989.csv",
            "fcode",
            {"employees": ("employ", 1.0), "sales": ("sales", 1e-6)},
        ),
        ("uk_emplUK", "emplUK_1976_1984.csv", "firm", {"employees": ("emp", 1000.0)}),
    ],
)
def test_real_panels_land_with_their_values(admin, capsys, mapping, csv, id_column, columns):
    """Every figure the mapping takes arrives in the database as the source has it
    (times the mapping's stated unit factor), firm by firm and year by year."""
    assert (
        main(
            [
                "import",
                str(PANELS / csv),
                "--mapping",
                mapping,
                "--constant",
                "isic_class=2599",
                "--constant",
                "province=Tehran",
                "--lang",
                "en",
                "--no-progress",
            ]
        )
        == 0
    )
    source = pd.read_csv(PANELS / csv)
    stored = pd.DataFrame(
        [
            (national_id, year, code, value)
            for national_id, year, figures in Return.objects.values_list(
                "enterprise__national_id", "period__year", "current_version__figures"
            )
            for code, value in figures.items()
            if code in columns
        ],
        columns=["national_id", "year", "code", "value"],
    )
    reported = source[[c for c, _ in columns.values()]].notna().any(axis=1)
    assert stored["national_id"].nunique() == source.loc[reported, id_column].nunique()
    from rasad.intake import load_mapping, read_panel

    crosswalk = read_panel(PANELS / csv, load_mapping(mapping)).crosswalk.set_index(
        ["source_id", "source_year"]
    )
    for code, (column, factor) in columns.items():
        expected = source[[id_column, "year", column]].dropna()
        assert len(stored[stored.code == code]) == len(expected)  # no figure more, none less
        mine = stored[stored.code == code].set_index(["national_id", "year"])["value"]
        keys = crosswalk.loc[
            list(zip(expected[id_column].astype(int).astype(str), expected["year"], strict=True))
        ]
        got = mine.loc[
            list(zip(keys["national_id"], keys["period"].astype(int), strict=True))
        ].to_numpy()
        np.testing.assert_allclose(got, expected[column].to_numpy() * factor, rtol=1e-12)


@pytest.mark.django_db
def test_a_commit_reuses_its_dry_run_only_while_nothing_changed(
    tmp_path, admin, estate, yazd, monkeypatch
):
    from rasad.platform.registry.models import Sector
    from rasad.platform.returns import checking, importing

    data = write_file(tmp_path / "r.csv").read_bytes()
    checked = checking.check_upload(data, "r.csv", user=admin)
    calls = []
    real = checking.validate_workbook
    monkeypatch.setattr(
        checking, "validate_workbook", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    Enterprise.objects.create(
        national_id="10320894878",
        name_fa="تازه",
        isic=Sector.objects.get(code="1311"),
        province=yazd,
    )  # the registry moved since the dry run: check again
    importing.commit_upload(data, "r.csv", user=admin, checked=checked)
    assert calls == [1]
    corrected = write_file(tmp_path / "c.csv", sales_b="2700").read_bytes()
    checked = checking.check_upload(corrected, "c.csv", user=admin)
    calls.clear()
    outcome = importing.commit_upload(corrected, "c.csv", user=admin, checked=checked)
    assert (
        calls == [] and outcome.returns.changed == 1
    )  # nothing moved: the dry run's report is used


@pytest.mark.django_db
def test_a_form_looks_up_only_the_enterprise_it_is_for(enterprise, estate, yazd):
    """A return form checks against its own enterprise and earlier returns, not against
    every enterprise on record (issue 6: a form submitted at 100,000 enterprises)."""
    from rasad.platform.registry.models import Sector
    from rasad.platform.returns.checking import reference_checks

    Enterprise.objects.create(
        national_id=NEW_B,
        name_fa="همسایه",
        isic=Sector.objects.get(code="1311"),
        province=yazd,
        estate=estate,
    )
    manager = User.objects.create(username="manager", role=Role.ESTATE_MANAGER)
    manager.estates.add(estate)
    checks = reference_checks(manager, {enterprise.national_id}, estates=False)
    assert checks.known_enterprises == {enterprise.national_id}
    assert checks.scope.enterprises == {enterprise.national_id} and checks.estates is None
    everything = reference_checks(
        manager
    )  # a caller that names nothing still gets the whole registry
    assert (
        everything.known_enterprises == {enterprise.national_id, NEW_B}
        and len(everything.estates) == 1
    )


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_file_at_once_duplicate_nothing(tmp_path, admin, estate):
    """Both commits run together: the second waits for the first's write lock, sees what
    it wrote, checks the file again and changes nothing."""
    import threading

    from django.db import connection

    from rasad.platform.returns.importing import commit_upload

    if connection.vendor == "sqlite":
        pytest.skip(
            "the in-memory SQLite test database shares one cache between threads (table locks, no "
            "waiting); a SQLite file has one writer at a time, which write_lock claims first"
        )
    data = write_file(tmp_path / "r.csv").read_bytes()
    start, outcomes, failures = threading.Barrier(2), [], []

    def commit():
        try:
            start.wait()
            outcomes.append(commit_upload(data, "r.csv", user=admin))
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(
        (o.enterprises_created, o.returns.created, o.changed_nothing) for o in outcomes
    ) == [(0, 0, True), (2, 2, False)]
    assert (
        Enterprise.objects.count() == 2
        and Return.objects.count() == 2
        and ReturnVersion.objects.count() == 2
    )
