"""`manage.py import_report` goes through the browser's recorded import (imports.pipeline): an import
record (取込の記録) and the findings' change history, by the system account or --user; a dry run and a
refused import write nothing at all."""

import pytest
from django.core.management import CommandError, call_command

from auditreg.choices import Role
from auditreg.models import ChangeLog, User
from findings.models import Finding
from imports.choices import BatchKind, BatchState
from imports.models import ImportBatch

from .test_bundle_import import bundle, edit, snapshot  # noqa: F401 - bundle: a fixture

pytestmark = pytest.mark.django_db

TITLE = "title: KPI の補完的分析"


def test_import_report_leaves_an_import_record_and_the_findings_history(bundle, capsys):  # noqa: F811
    edit(bundle / "findings.yaml", TITLE, f"{TITLE}（訂正）")
    call_command("import_report", str(bundle))
    assert "取り込みました。" in capsys.readouterr().out
    batch = ImportBatch.objects.get()
    system = User.objects.get(username="system")
    assert (batch.kind, batch.state, batch.uploaded_by, batch.applied_by) == (
        BatchKind.BUNDLE,
        BatchState.APPLIED,
        system,
        system,
    )
    assert not system.is_active and not system.has_usable_password()  # nobody logs in as the system
    assert ChangeLog.objects.filter(action="import.applied", object_id=batch.pk, actor=system).exists()
    finding = Finding.objects.get(report__code="kanazawa-2024-dx", code="意見01")
    entry = ChangeLog.objects.get(action="finding.imported", finding_id=finding.pk)
    assert entry.actor == system
    assert list(entry.changes.values()) == [["KPI の補完的分析", "KPI の補完的分析（訂正）"]], entry.changes


def test_user_names_the_importer_and_must_be_office(bundle, make_user):  # noqa: F811
    auditor = make_user("aud1", Role.AUDITOR, last_name="監査")
    make_user("staff1", Role.SECTION_STAFF, last_name="担当")
    edit(bundle / "findings.yaml", TITLE, f"{TITLE}（訂正）")
    with pytest.raises(CommandError, match="監査事務局とシステム管理者だけ"):
        call_command("import_report", str(bundle), "--user", "staff1")
    call_command("import_report", str(bundle), "--user", "aud1")
    assert ImportBatch.objects.get().uploaded_by == auditor
    assert ChangeLog.objects.filter(action="finding.imported", actor=auditor).count() == 1
    assert not User.objects.filter(username="system").exists()


def test_dry_run_and_refusal_write_nothing_not_even_the_system_account(bundle, capsys):  # noqa: F811
    edit(bundle / "findings.yaml", TITLE, f"{TITLE}（訂正）")
    before = snapshot(), ImportBatch.objects.count(), User.objects.count()
    call_command("import_report", str(bundle), "--dry-run")
    out = capsys.readouterr().out
    assert "ドライラン: 上の内容で取り込まれます" in out and "KPI の補完的分析（訂正）" in out
    assert (snapshot(), ImportBatch.objects.count(), User.objects.count()) == before
    edit(bundle / "systems" / "systems.csv", "広報広聴課", "存在しない課")
    with pytest.raises(CommandError, match="何も取り込みませんでした"):
        call_command("import_report", str(bundle))
    assert "systems/systems.csv / 行" in capsys.readouterr().err
    assert (snapshot(), ImportBatch.objects.count(), User.objects.count()) == before
