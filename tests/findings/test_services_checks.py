"""Workflow services: validation, the 指摘01 control (service and database), stale edits, history
completeness and evidence upload. Every refusal also checks that nothing was written."""

import datetime
import hashlib
import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from auditreg.models import ChangeLog
from findings import services
from findings.choices import ReportState, StatusCode
from findings.models import EvidenceFile, MeasureReport
from findings.services import (
    StaleEdit,
    WorkflowError,
    evidence_add,
    finding_assign,
    report_accept,
    report_return,
    report_save_draft,
    report_submit,
)

from .services_helpers import PDF, REPLY_BY, draft, edit, report_in_state, snapshot, validation_keys, values

pytestmark = pytest.mark.django_db

# -- 3. validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"code": StatusCode.NOT_TAKING, "reason": ""}, "reason"),
        ({"code": StatusCode.NOT_TAKING, "reason": "  \n "}, "reason"),
        ({"code": StatusCode.DONE, "completed_on": None}, "completed_on"),
        ({"code": StatusCode.IN_PROGRESS, "completed_on": datetime.date(2025, 6, 1)}, "completed_on"),
        ({"code": StatusCode.NOT_STARTED}, "status"),
        ({"code": StatusCode.PLANNED, "text": ""}, "text"),
        ({"code": StatusCode.PLANNED, "text": None}, "text"),
        ({"code": StatusCode.IN_PROGRESS, "text": "　 \n"}, "text"),
    ],
    ids=[
        "no-reason",
        "blank-reason",
        "done-no-date",
        "date-not-done",
        "not-started",
        "no-text",
        "none-text",
        "blank-text",
    ],
)
def test_invalid_reports_are_refused(overrides, key, measure, people):
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        draft(measure, people.staff1, **overrides)
    assert validation_keys(excinfo) == {key}
    assert snapshot() == before


def test_invalid_edit_of_an_existing_draft_is_refused(measure, people):
    report = draft(measure, people.staff1)
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        edit(report, people.staff2, code=StatusCode.NOT_TAKING, reason="")
    assert validation_keys(excinfo) == {"reason"}
    assert snapshot() == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"code": StatusCode.NOT_TAKING, "reason": "費用対効果が見込めないため。", "text": ""},
        {"code": StatusCode.DONE},
        {"code": StatusCode.PLANNED},
    ],
)
def test_valid_reports_are_saved(overrides, measure, people):
    report = draft(measure, people.staff1, **overrides)
    row = MeasureReport.objects.get(pk=report.pk)
    assert row.status.code == overrides["code"]
    assert row.state == ReportState.DRAFT


# -- 4. the database enforces 指摘01 too ------------------------------------------------------


def test_db_refuses_approval_by_the_drafter(measure, people):
    report = draft(measure, people.head1)
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureReport.objects.filter(pk=report.pk).update(approved_by=people.head1, approved_at=timezone.now())
    assert MeasureReport.objects.get(pk=report.pk).approved_by is None


def test_db_refuses_approval_by_the_last_editor(measure, people):
    report = draft(measure, people.staff1)
    edit(report, people.head1, text="課長の編集")
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureReport.objects.filter(pk=report.pk).update(approved_by=people.head1, approved_at=timezone.now())
    assert MeasureReport.objects.get(pk=report.pk).approved_by is None

    # control: someone else may be recorded as the approver
    MeasureReport.objects.filter(pk=report.pk).update(approved_by=people.head2, approved_at=timezone.now())
    assert MeasureReport.objects.get(pk=report.pk).approved_by == people.head2


# -- 5. stale edits ----------------------------------------------------------------------------


def test_second_save_on_the_same_version_is_stale(measure, people):
    report = draft(measure, people.staff1, text="初版")
    opened_version = report.version  # staff2 and head1 both open the form on this version

    first = report_save_draft(
        measure=measure, by=people.staff2, values=values(text="担当二の修正"), version=opened_version
    )
    assert first.version == opened_version + 1
    before = snapshot()

    with pytest.raises(StaleEdit) as excinfo:
        report_save_draft(measure=measure, by=people.head1, values=values(text="課長一の修正"), version=opened_version)

    current = excinfo.value.current
    assert (current.pk, current.version, current.text) == (report.pk, opened_version + 1, "担当二の修正")
    assert current.last_edited_by == people.staff2
    assert str(excinfo.value) == "他の人がこの報告を先に更新しました。"
    assert snapshot() == before
    assert MeasureReport.objects.get(pk=report.pk).text == "担当二の修正"


def test_two_new_report_forms_second_is_stale(measure, people):
    first = draft(measure, people.staff1, text="担当一の新規報告")
    before = snapshot()
    with pytest.raises(StaleEdit) as excinfo:
        draft(measure, people.staff2, text="担当二の新規報告")
    assert excinfo.value.current.pk == first.pk
    assert excinfo.value.current.text == "担当一の新規報告"
    assert snapshot() == before


def test_saving_a_form_opened_on_a_since_accepted_report_is_stale(measure, people):
    report = report_in_state(ReportState.ACCEPTED, measure, people)
    before = snapshot()
    with pytest.raises(StaleEdit) as excinfo:
        report_save_draft(measure=measure, by=people.staff2, values=values(text="古い画面から"), version=report.version)
    assert excinfo.value.current.pk == report.pk
    assert snapshot() == before


# -- 6. history --------------------------------------------------------------------------------


def test_full_flow_is_recorded_in_order_with_before_and_after(finding, section, people):
    (measure,) = finding_assign(finding=finding, sections=[section], reply_by=REPLY_BY, by=people.auditor)
    report = draft(measure, people.staff1, code=StatusCode.PLANNED, text="初版の内容")
    edit(report, people.staff2, code=StatusCode.IN_PROGRESS, text="修正した内容")
    report_submit(report=report, by=people.head1)
    report_return(report=report, by=people.auditor, comment="完了予定日を具体的に。")
    edit(report, people.staff1, text="差戻し後の内容")
    report_submit(report=report, by=people.head2)
    report_accept(report=report, by=people.auditor, comment="受理")

    logs = list(ChangeLog.objects.filter(finding_id=finding.pk).order_by("pk"))
    assert [(log.action, log.actor.username) for log in logs] == [
        ("measure.assigned", "auditor"),
        ("report.created", "staff1"),
        ("report.edited", "staff2"),
        ("report.submitted", "head1"),
        ("report.returned", "auditor"),
        ("report.edited", "staff1"),
        ("report.submitted", "head2"),
        ("report.accepted", "auditor"),
    ]
    assert [log.at for log in logs] == sorted(log.at for log in logs)
    assigned, created, edited, submitted, returned, revised, resubmitted, accepted = logs

    assert (assigned.object_type, assigned.object_id) == ("findings.measure", measure.pk)
    assert assigned.changes == {"section": [None, str(section)], "reply_by": [None, "2025-09-30"]}
    assert all((log.object_type, log.object_id) == ("findings.measurereport", report.pk) for log in logs[1:])

    assert created.changes["text"] == [None, "初版の内容"]
    assert created.changes["status"] == [None, "措置予定・検討中"]
    assert created.changes["state"] == [None, "draft"]
    assert created.changes["reported_on"] == [None, "2025-06-30"]

    assert edited.changes == {"status": ["措置予定・検討中", "措置中"], "text": ["初版の内容", "修正した内容"]}
    assert submitted.changes == {"state": ["draft", "submitted"]}
    assert returned.changes == {"state": ["submitted", "returned"]}
    assert returned.comment == "完了予定日を具体的に。"
    assert revised.changes == {"text": ["修正した内容", "差戻し後の内容"], "state": ["returned", "draft"]}
    assert resubmitted.changes == {"state": ["draft", "submitted"]}
    assert accepted.changes == {"state": ["submitted", "accepted"], "status": ["未着手", "措置中"]}
    assert accepted.comment == "受理"


# -- 7. evidence -------------------------------------------------------------------------------


def evidence_storage():
    return EvidenceFile._meta.get_field("file").storage


def stored_files() -> set:
    """Every file name under evidence/ in the evidence storage (in memory under test settings)."""
    storage, names, stack = evidence_storage(), set(), ["evidence"]
    while stack:
        folder = stack.pop()
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        names |= {f"{folder}/{f}" for f in files}
        stack += [f"{folder}/{d}" for d in dirs]
    return names


STORED_NAME = re.compile(r"^evidence/\d+/[0-9a-f]{32}$")


def test_valid_pdf_is_stored_with_hash_and_size(measure, people):
    report = draft(measure, people.staff1)
    files_before = stored_files()

    evidence = evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile("規程改正.pdf", PDF))

    row = EvidenceFile.objects.get(pk=evidence.pk)
    assert row.sha256 == hashlib.sha256(PDF).hexdigest()
    assert row.size == len(PDF)
    assert (row.original_name, row.content_type) == ("規程改正.pdf", "application/pdf")
    assert (row.measure, row.report, row.uploaded_by) == (measure, report, people.staff1)
    assert row.file.name.startswith(f"evidence/{measure.pk}/")
    assert STORED_NAME.match(row.file.name)
    assert stored_files() - files_before == {row.file.name}
    with evidence_storage().open(row.file.name) as stored:
        assert stored.read() == PDF
    log = ChangeLog.objects.filter(finding_id=measure.finding_id).order_by("pk").last()
    assert (log.action, log.actor) == ("evidence.added", people.staff1)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("no-extension", PDF),
        ("偽装.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
        ("偽装.png", PDF),
        ("空.pdf", b""),
        ("shift_jis.csv", "番号,名称\n1,広報広聴課\n".encode("cp932")),
    ],
    ids=["exe", "no-extension", "mz-as-pdf", "pdf-as-png", "empty", "not-utf8-csv"],
)
def test_bad_files_are_refused(name, content, measure, people):
    before, files_before = snapshot(), stored_files()
    with pytest.raises(ValidationError) as excinfo:
        evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile(name, content))
    assert validation_keys(excinfo) == {"file"}
    assert snapshot() == before
    assert stored_files() == files_before


def test_file_over_the_size_limit_is_refused(measure, people, monkeypatch):
    monkeypatch.setattr(services, "MAX_EVIDENCE_BYTES", 16)
    before, files_before = snapshot(), stored_files()
    with pytest.raises(ValidationError) as excinfo:
        evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile("大きい.pdf", PDF))
    assert validation_keys(excinfo) == {"file"}
    assert snapshot() == before
    assert stored_files() == files_before

    small = b"%PDF-1.4\n%%EOF\n"
    assert len(small) <= 16
    assert evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile("小さい.pdf", small)).size == 15


@pytest.mark.parametrize(
    "upload",
    [
        lambda: SimpleUploadedFile("../../etc/passwd.pdf", PDF),
        # a file object whose name nobody sanitised before the service (not an UploadedFile)
        lambda: File(io.BytesIO(PDF), name="../../etc/passwd.pdf"),
        lambda: File(io.BytesIO(PDF), name="..\\..\\etc\\passwd.pdf"),
    ],
    ids=["uploaded-file", "raw-file", "backslashes"],
)
def test_path_traversal_names_are_not_used_for_storage(upload, measure, people):
    evidence = evidence_add(measure=measure, by=people.staff1, upload=upload())
    row = EvidenceFile.objects.get(pk=evidence.pk)
    assert row.original_name == "passwd.pdf"
    assert STORED_NAME.match(row.file.name), row.file.name
    assert ".." not in row.file.name and "passwd" not in row.file.name
    assert row.sha256 == hashlib.sha256(PDF).hexdigest()


@pytest.mark.parametrize("who", ["outsider", "outsider_head", "auditor", "admin"])
def test_evidence_only_from_the_section(who, measure, people):
    before, files_before = snapshot(), stored_files()
    with pytest.raises(PermissionDenied):
        evidence_add(measure=measure, by=getattr(people, who), upload=SimpleUploadedFile("資料.pdf", PDF))
    assert snapshot() == before
    assert stored_files() == files_before


def test_text_evidence_in_utf8_is_accepted(measure, people):
    content = "番号,名称\n1,広報広聴課\n".encode()
    evidence = evidence_add(measure=measure, by=people.head1, upload=SimpleUploadedFile("一覧.csv", content))
    assert (evidence.content_type, evidence.size) == ("text/csv", len(content))
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()


def test_long_file_name_keeps_its_extension(measure, people):
    name = "令和6年度包括外部監査に係る措置の根拠資料" * 10 + ".pdf"  # 214 characters
    evidence = evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile(name, PDF))
    assert evidence.original_name.endswith(".pdf")
    assert len(evidence.original_name) <= 200


def test_anyone_who_ever_edited_the_draft_cannot_approve_it(measure, people):
    """Not only the creator and the last editor: head1 edited in between, so head1 may not approve."""
    report = draft(measure, people.staff1)
    report = edit(report, people.head1, text="課長が加筆した。")
    report = edit(report, people.staff1, text="担当が最終版にした。")
    before = snapshot()
    with pytest.raises(WorkflowError, match="承認できません"):
        report_submit(report=report, by=people.head1)
    assert snapshot() == before
    assert report_submit(report=report, by=people.head2).state == ReportState.SUBMITTED


def test_no_evidence_can_be_added_while_the_approved_report_awaits_review(measure, people):
    report = draft(measure, people.staff1)
    report_submit(report=report, by=people.head1)
    before = snapshot()
    with pytest.raises(WorkflowError, match="審査中"):
        evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile("追加.pdf", PDF))
    assert snapshot() == before


def test_done_needs_the_measure_text_too(measure, people):
    with pytest.raises(ValidationError) as excinfo:
        draft(measure, people.staff1, code=StatusCode.DONE, text="")
    assert "text" in excinfo.value.message_dict
