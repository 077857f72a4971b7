"""The inquiry round from the command line: export_inquiry writes a section's workbook, import_inquiry
previews it (--dry-run) or imports it through the same pipeline, exiting non-zero on problems."""

import io

import pytest
from django.core.management import CommandError, call_command

from findings.choices import ReportState, StatusCode
from findings.models import MeasureReport
from imports import inquiry
from imports.choices import BatchState
from imports.models import ImportBatch, InquiryResponse
from tests.imports.test_inquiry_common import build_world, edit, open_book, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(make_user, report):
    return build_world(make_user, report)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_writes_the_sections_workbook_without_marking_it_downloaded(w, tmp_path):
    target = tmp_path / "回答.xlsx"
    out, _ = run("export_inquiry", "--round", str(w.round.pk), "--section", str(w.section.pk), "-o", str(target))
    assert "広報広聴課 の回答様式" in out
    wb = open_book(target.read_bytes())
    assert wb["_meta"]["B3"].value == w.section.pk
    assert not InquiryResponse.objects.filter(downloaded_at__isnull=False).exists()
    # --user records the section user's download, as the web page does
    args = ["--round", str(w.round.pk), "--section", str(w.section.pk), "-o", str(target), "--user", "staff"]
    run("export_inquiry", *args)
    assert InquiryResponse.objects.get(round=w.round, section=w.section).downloaded_by == w.staff


def test_export_refuses_sections_outside_the_round_and_other_sections_users(w, tmp_path):
    target = str(tmp_path / "x.xlsx")
    with pytest.raises(CommandError, match="対象ではありません"):
        run("export_inquiry", "--round", str(w.round.pk), "--section", str(w.outside.pk), "-o", target)
    with pytest.raises(CommandError, match="他の課"):
        run(
            "export_inquiry",
            "--round",
            str(w.round.pk),
            "--section",
            str(w.section.pk),
            "-o",
            target,
            "--user",
            "other_staff",
        )
    with pytest.raises(CommandError, match="照会 9999 がありません"):
        run("export_inquiry", "--round", "9999", "--section", str(w.section.pk), "-o", target)


def _answer_file(w, tmp_path):
    content = inquiry.section_workbook(inquiry_round=w.round, section=w.section, by=None)
    path = tmp_path / "回答.xlsx"
    path.write_bytes(edit(content, {w.m01: {"措置状況": "措置中", "措置（対応）の内容": "コマンドで回答"}}))
    return path


def test_import_dry_run_prints_the_preview_and_writes_nothing(w, tmp_path):
    path = _answer_file(w, tmp_path)
    before = snapshot()
    out, _ = run("import_inquiry", str(path), "--round", str(w.round.pk), "--user", "staff", "--dry-run")
    assert "措置の報告" in out and "   1     0     1     0" in out
    assert "指摘01 / 広報広聴課 措置（対応）の内容: （空欄） → コマンドで回答" in out
    assert "ドライラン" in out
    assert snapshot() == before
    assert ImportBatch.objects.get().state == BatchState.DISCARDED


def test_import_applies_as_a_draft_of_the_named_user(w, tmp_path):
    path = _answer_file(w, tmp_path)
    out, _ = run("import_inquiry", str(path), "--round", str(w.round.pk), "--user", "staff2")
    assert "取り込みました" in out
    report = MeasureReport.objects.get(measure=w.m01)
    assert (report.state, report.status.code, report.text, report.drafted_by) == (
        ReportState.DRAFT,
        StatusCode.IN_PROGRESS,
        "コマンドで回答",
        w.staff2,
    )
    assert ImportBatch.objects.get().state == BatchState.APPLIED
    assert InquiryResponse.objects.get(round=w.round, section=w.section).answered_by == w.staff2


def test_import_with_problems_exits_non_zero_and_writes_nothing(w, tmp_path):
    content = inquiry.section_workbook(inquiry_round=w.round, section=w.section, by=None)
    path = tmp_path / "回答.xlsx"
    path.write_bytes(edit(content, {w.m01: {"措置状況": "完了", "措置（対応）の内容": "x"}}))
    before = snapshot()
    with pytest.raises(CommandError, match="1 件の問題があるため、何も取り込みませんでした"):
        run("import_inquiry", str(path), "--round", str(w.round.pk), "--user", "staff")
    assert snapshot() == before
    # another section's user importing this section's workbook
    with pytest.raises(CommandError, match="問題があるため"):
        run("import_inquiry", str(_answer_file(w, tmp_path)), "--round", str(w.round.pk), "--user", "other_staff")
    assert snapshot() == before


def test_import_refuses_unreadable_files_and_unknown_users(w, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="空のファイル"):
        run("import_inquiry", str(path), "--round", str(w.round.pk), "--user", "staff")
    with pytest.raises(CommandError, match="所管課の担当・課長ではありません"):
        run("import_inquiry", str(path), "--round", str(w.round.pk), "--user", "auditor")
    with pytest.raises(CommandError, match="がいません"):
        run("import_inquiry", str(path), "--round", str(w.round.pk), "--user", "nobody")
    with pytest.raises(CommandError, match="ファイルを開けません"):
        run("import_inquiry", str(tmp_path / "missing.xlsx"), "--round", str(w.round.pk), "--user", "staff")
    assert not ImportBatch.objects.exists()
