"""The restore drill restores for real and notices any difference.

The end-to-end run uses its own SQLite file in a subprocess: the drill must see committed data,
which a test inside a rolled-back transaction cannot give it. CI also runs the command on PostgreSQL."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from auditreg.management.commands.restore_drill import _table_digests, compare_files, compare_tables

SETUP = """
import django; django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from auditreg.models import Section, User
from findings import services
from findings.models import Finding
call_command("migrate", verbosity=0)
call_command("import_report", "fixtures/kanazawa-2024-dx", verbosity=0)
section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
auditor = User.objects.create_user("aud", password="x" * 16, role="auditor", last_name="監査")
staff = User.objects.create_user("stf", password="x" * 16, role="section_staff", section=section, last_name="担当")
finding = Finding.objects.get(report__code="kanazawa-2024-dx", code="指摘01")
(measure,) = services.finding_assign(finding=finding, sections=[section], reply_by=None, by=auditor)
services.evidence_add(measure=measure, by=staff, upload=SimpleUploadedFile("点検表.pdf", b"%PDF-1.4 drill"))
"""


@pytest.mark.slow
def test_drill_end_to_end_on_a_file_database(tmp_path):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="auditreg.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        EVIDENCE_ROOT=str(tmp_path / "evidence"),
        PUBLICATION_ROOT=str(tmp_path / "publications"),
    )

    def run(*args):
        return subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)

    setup = run("-c", SETUP)
    assert setup.returncode == 0, setup.stderr
    drill = run("manage.py", "restore_drill")
    assert drill.returncode == 0, drill.stdout + drill.stderr
    figures = json.loads(drill.stdout.splitlines()[0])
    assert figures["problems"] == 0 and figures["files"] == 1 and figures["rows"] > 1000
    assert "すべて一致しました" in drill.stdout


def test_a_changed_or_missing_file_is_a_difference(tmp_path):
    original, restored = tmp_path / "a", tmp_path / "b"
    for root in (original, restored):
        (root / "evidence" / "1").mkdir(parents=True)
    (original / "evidence" / "1" / "x").write_bytes(b"same")
    (restored / "evidence" / "1" / "x").write_bytes(b"same")
    assert compare_files({"e": original}, {"e": restored}) == (1, [])
    (restored / "evidence" / "1" / "x").write_bytes(b"changed")
    (original / "evidence" / "1" / "y").write_bytes(b"lost in the backup")
    count, problems = compare_files({"e": original}, {"e": restored})
    assert count == 2 and len(problems) == 2


@pytest.mark.django_db
def test_a_changed_table_is_a_difference():
    source = _table_digests(connection)
    assert compare_tables(source, dict(source)) == []
    damaged = dict(source, findings_finding=(source["findings_finding"][0] - 1, "x"))
    assert compare_tables(source, damaged) == [
        f"表 findings_finding: 元 {source['findings_finding']} / 復元 {damaged['findings_finding']}"
    ]
