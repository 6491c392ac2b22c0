"""The platform's commands before the database is set up: one message, no traceback."""

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).parents[2] / "src"


def test_a_platform_command_before_migrate_says_what_to_run(tmp_path):
    env = {**os.environ, "RASAD_VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(SRC)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("RASAD_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "rasad", "template", "--out", str(tmp_path / "t.xlsx")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "rasad manage migrate" in done.stderr and "هنوز آماده نیست" in done.stderr
    assert not (tmp_path / "t.xlsx").exists()
