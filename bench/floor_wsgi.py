"""gunicorn entry point for bench/load.py's floor: the project's WSGI app with bench/floor.py's URLs
(the project's pages plus the minimal page /bench-floor/rows/minimal/)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.conf import settings  # noqa: E402

from auditreg.wsgi import application  # noqa: E402, F401

settings.ROOT_URLCONF = "floor"
