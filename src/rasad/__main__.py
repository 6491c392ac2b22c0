"""``python -m rasad``: the ``rasad`` command."""

import sys

from rasad.cli import main

sys.exit(main())
