"""Reading PDFs back in tests: poppler's ``pdftotext`` and ``pdftoppm`` (Debian's
poppler-utils, which ``.ci/run`` installs)."""

import os

import pytest

BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def _poppler(tool: str) -> str:
    """The path of a poppler tool (pdftotext, pdftoppm); without it the PDF tests skip,
    except under CI (``.ci/run`` installs poppler-utils), where they fail."""
    import shutil

    path = shutil.which(tool)
    if path is None:
        reason = f"{tool} not found (Debian: apt-get install poppler-utils)"
        if os.environ.get("CI") or os.environ.get("RASAD_CI"):
            pytest.fail(f"{reason} — under CI the PDF tests must run, not skip.", pytrace=False)
        pytest.skip(reason)
    return path


def pdf_text(content: bytes, *, layout: bool = False) -> str:
    """The text of a PDF as ``pdftotext`` extracts it, in logical order, without the
    direction marks it puts around right-to-left runs."""
    import subprocess

    command = [_poppler("pdftotext"), *(["-layout"] if layout else []), "-", "-"]
    out = subprocess.run(command, input=content, capture_output=True, check=True)
    return out.stdout.decode("utf-8").translate(BIDI_CONTROLS)


def pdf_pages(content: bytes, folder, *, dpi: int = 50) -> list:
    """The PDF's pages rendered by ``pdftoppm`` as PNG files in ``folder``, to look at."""
    import subprocess
    from pathlib import Path

    source = Path(folder) / "report.pdf"
    source.write_bytes(content)
    subprocess.run(
        [_poppler("pdftoppm"), "-r", str(dpi), "-png", str(source), str(Path(folder) / "page")],
        check=True,
    )
    return sorted(Path(folder).glob("page*.png"))
