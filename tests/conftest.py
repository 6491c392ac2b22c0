"""What every test shares: under CI (``CI`` or ``RASAD_CI`` set, as ``.ci/run`` does),
Hypothesis draws the same examples on every run and keeps no example database, so a CI
result depends on the code alone; on a developer's machine it keeps exploring."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
if os.environ.get("CI") or os.environ.get("RASAD_CI"):
    settings.load_profile("ci")
