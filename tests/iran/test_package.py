import re
import subprocess
import sys
from pathlib import Path

import rasad.iran


def test_public_names_are_exported():
    for name in rasad.iran.__all__:
        assert getattr(rasad.iran, name) is not None


def test_no_django_in_the_pure_core():
    source = Path(rasad.iran.__file__).parent
    django_import = re.compile(r"^\s*(from|import)\s+django\b", re.MULTILINE)
    for path in source.rglob("*.py"):
        assert not django_import.search(path.read_text(encoding="utf-8")), path
    loaded = subprocess.run(
        [sys.executable, "-c",
         "import sys, rasad.iran; print(any(m.startswith('django') for m in sys.modules))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert loaded.stdout.strip() == "False"


def test_data_files_ship_with_the_package():
    data = Path(rasad.iran.__file__).parent / "data"
    for name in ("provinces.csv", "province_aliases.csv", "isic_rev4.csv", "isic_rev4_fa.csv",
                 "deflator.csv", "README.md"):  # fmt: skip
        assert (data / name).is_file(), name
