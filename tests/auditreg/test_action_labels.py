"""Every change-log action the code writes has a Japanese label for the history pages."""

import re
from pathlib import Path

from django.conf import settings

from auditreg.choices import ACTION_LABELS

WRITTEN = re.compile(r'action="([a-z_]+\.[a-z_]+)"')


def test_every_action_written_by_the_code_has_a_label():
    root = Path(settings.BASE_DIR)
    written = set()
    for app in ("auditreg", "findings", "systems", "budgets", "imports"):
        for path in (root / app).rglob("*.py"):
            written |= set(WRITTEN.findall(path.read_text(encoding="utf-8")))
    assert "report.created" in written and "import.applied" in written  # the scan finds the calls
    assert written - set(ACTION_LABELS) == set()


def test_an_unknown_action_shows_its_code():
    from auditreg.models import ChangeLog

    assert ChangeLog(action="report.accepted").action_label == "受理"
    assert ChangeLog(action="something.new").action_label == "something.new"
