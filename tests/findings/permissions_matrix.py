"""The permission matrix shared by tests/findings/test_permission_*.py: the actors, the world every cell
starts from (its fixture is in conftest.py), each endpoint's call with what success changes, and the
expected outcome of every endpoint × actor (MATRIX, checked against ENDPOINTS when imported)."""

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from auditreg.models import ChangeLog, Section
from findings import services
from findings.choices import ReportState, StatusCode
from findings.models import EvidenceFile, Finding, Measure, MeasureReport, MeasureStatus

REPLY_BY = datetime.date(2025, 9, 30)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
RETURN_COMMENT = "確認した課の一覧を添付してください。"

ACTORS = (  # abbreviated in the matrix header below
    "anonymous",
    "admin",
    "auditor",
    "staff",  # 担当 of the measure's section
    "head",  # 課長 of the measure's section
    "other_staff",  # 担当 of another section (which has its own measure on the same finding)
    "other_head",
    "inactive_auditor",  # signed in, then the account was deactivated
    "inactive_head",
)


# outcomes
LOGIN = "302 → login"
DONE = "302 → page"  # the action was carried out
DASH = "302 → dashboard"


# -- the world every cell starts from ------------------------------------------------------------


@dataclass
class World:
    section: Section
    other_section: Section
    finding: Finding
    measure: Measure  # the section's measure: the target of every request
    other_measure: Measure  # the other section's measure on the same finding
    users: dict


def snapshot() -> dict:
    """Every row the workflow writes, to prove that a refused request wrote nothing."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Measure, MeasureReport, EvidenceFile, ChangeLog)
    }


def status(code) -> MeasureStatus:
    return MeasureStatus.objects.get(code=code)


def draft_values(**overrides) -> dict:
    return {
        "status": status(StatusCode.IN_PROGRESS),
        "reported_on": datetime.date(2025, 6, 30),
        "text": "作成者IDと承認者IDを分け、各課に確認を依頼した。",
        "planned_completion_on": datetime.date(2026, 3, 31),
        "completed_on": None,
        "reason": "",
    } | overrides


def form_data(report=None, **overrides) -> dict:
    """The measure_save form as the page posts it."""
    data = {
        "status": status(StatusCode.IN_PROGRESS).pk,
        "reported_on": "2025-06-30",
        "text": "作成者IDと承認者IDを分け、各課に確認を依頼した。",
        "planned_completion_on": "2026-03-31",
    }
    if report is not None:
        report.refresh_from_db()
        data["version"] = report.version
    return data | overrides


def draft(w: World, by="staff") -> MeasureReport:
    return services.report_save_draft(measure=w.measure, by=w.users[by], values=draft_values(), version=None)


def revise(w: World, report: MeasureReport, by: str, text: str) -> MeasureReport:
    """Save the open draft again on the version it is at (as the page does)."""
    report.refresh_from_db()
    return services.report_save_draft(
        measure=w.measure, by=w.users[by], values=draft_values(text=text), version=report.version
    )


def submitted(w: World) -> MeasureReport:
    return services.report_submit(report=draft(w), by=w.users["head"])


def pdf(name="確認表.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def client_for(actor: str, w: World, **kwargs) -> Client:
    client = Client(**kwargs)
    if actor != "anonymous":
        user = w.users[actor]
        client.force_login(user)
        if actor.startswith("inactive"):
            user.is_active = False
            user.save(update_fields=["is_active"])
    return client


def measure_page(w: World) -> str:
    return reverse("findings:measure_detail", args=[w.measure.pk])


# -- the endpoints: state each needs, the request, and what success changes ----------------------


@dataclass
class Call:
    method: str
    url: str
    data: dict | None
    success_url: str | None  # where an allowed write redirects to
    check_effect: Any = None  # (world, actor) -> None, asserts the allowed write happened


def call_finding_assign(w):
    def effect(w, actor):
        w.measure.refresh_from_db()
        assert w.measure.reply_by == datetime.date(2025, 12, 31)
        assert ChangeLog.objects.filter(action="measure.reply_by_changed", actor=w.users[actor]).count() == 2

    return Call(
        "post",
        reverse("findings:finding_assign", args=[w.finding.pk]),
        {"sections": [w.section.pk, w.other_section.pk], "reply_by": "2025-12-31"},
        reverse("findings:finding_detail", args=[w.finding.pk]),
        effect,
    )


def call_measure_save(w):
    def effect(w, actor):
        report = MeasureReport.objects.get(measure=w.measure)
        assert (report.state, report.drafted_by, report.last_edited_by) == (
            ReportState.DRAFT,
            w.users[actor],
            w.users[actor],
        )

    return Call("post", reverse("findings:measure_save", args=[w.measure.pk]), form_data(), measure_page(w), effect)


def call_report_submit(w):
    report = draft(w)  # drafted by the section's 担当

    def effect(w, actor):
        report.refresh_from_db()
        assert (report.state, report.approved_by) == (ReportState.SUBMITTED, w.users[actor])

    return Call("post", reverse("findings:report_submit", args=[w.measure.pk, report.pk]), {}, measure_page(w), effect)


def call_report_review(decision):
    def build(w):
        report = submitted(w)

        def effect(w, actor):
            report.refresh_from_db()
            w.measure.refresh_from_db()
            assert report.reviewed_by == w.users[actor]
            if decision == "accept":
                assert report.state == ReportState.ACCEPTED
                assert w.measure.status.code == StatusCode.IN_PROGRESS
            else:
                assert (report.state, report.review_comment) == (ReportState.RETURNED, RETURN_COMMENT)
                assert w.measure.status.code == StatusCode.NOT_STARTED

        return Call(
            "post",
            reverse("findings:report_review", args=[w.measure.pk, report.pk]),
            {"decision": decision, "comment": RETURN_COMMENT if decision == "return" else ""},
            measure_page(w),
            effect,
        )

    return build


def call_evidence_upload(w):
    def effect(w, actor):
        evidence = EvidenceFile.objects.get(measure=w.measure)
        assert (evidence.original_name, evidence.uploaded_by) == ("確認表.pdf", w.users[actor])

    return Call(
        "post", reverse("findings:evidence_upload", args=[w.measure.pk]), {"file": pdf()}, measure_page(w), effect
    )


def call_evidence_download(w):
    evidence = services.evidence_add(measure=w.measure, by=w.users["staff"], upload=pdf())
    return Call("get", reverse("findings:evidence_download", args=[evidence.pk]), None, None)


def call_measure_detail(w):
    return Call("get", measure_page(w), None, None)


def call_worklist(w):
    return Call("get", reverse("findings:worklist"), None, None)


def call_dashboard(w):
    return Call("get", reverse("findings:dashboard"), None, None)


ENDPOINTS = {
    "finding_assign": call_finding_assign,
    "measure_save": call_measure_save,
    "report_submit": call_report_submit,
    "report_review_accept": call_report_review("accept"),
    "report_review_return": call_report_review("return"),
    "evidence_upload": call_evidence_upload,
    "evidence_download": call_evidence_download,
    "measure_detail": call_measure_detail,
    "worklist": call_worklist,
    "dashboard": call_dashboard,
}

# fmt: off
MATRIX = {
    #                        anon   admin  auditor  staff  head   o_staff  o_head  in_aud  in_head
    "finding_assign":       (LOGIN, 403,   DONE,    403,   403,   403,     403,    LOGIN,  LOGIN),
    "measure_save":         (LOGIN, 403,   403,     DONE,  DONE,  404,     404,    LOGIN,  LOGIN),
    "report_submit":        (LOGIN, 403,   403,     403,   DONE,  404,     404,    LOGIN,  LOGIN),
    "report_review_accept": (LOGIN, 403,   DONE,    403,   403,   404,     404,    LOGIN,  LOGIN),
    "report_review_return": (LOGIN, 403,   DONE,    403,   403,   404,     404,    LOGIN,  LOGIN),
    "evidence_upload":      (LOGIN, 403,   403,     DONE,  DONE,  404,     404,    LOGIN,  LOGIN),
    "evidence_download":    (LOGIN, 200,   200,     200,   200,   404,     404,    LOGIN,  LOGIN),
    "measure_detail":       (LOGIN, 200,   200,     200,   200,   404,     404,    LOGIN,  LOGIN),
    "worklist":             (LOGIN, DASH,  DASH,    200,   200,   200,     200,    LOGIN,  LOGIN),
    "dashboard":            (LOGIN, 200,   200,     403,   403,   403,     403,    LOGIN,  LOGIN),
}
# fmt: on
assert set(MATRIX) == set(ENDPOINTS) and all(len(row) == len(ACTORS) for row in MATRIX.values())

CELLS = [
    pytest.param(
        endpoint,
        actor,
        outcome,
        id=f"{endpoint}-{actor}",
        marks=[],
    )
    for endpoint, row in MATRIX.items()
    for actor, outcome in zip(ACTORS, row, strict=True)
]
