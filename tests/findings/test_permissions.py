"""Who may do what on the workflow pages: a matrix of every write endpoint and page × every kind of
actor, each cell checking the status code AND that a refused request wrote nothing (Measure,
MeasureReport, EvidenceFile and ChangeLog rows compared before and after).

Expected outcomes: anonymous (and a deactivated account) → 302 to the login page; another section's
measure → 404 (it is simply not in the user's querysets); a role that may see the measure but not
take the action → 403; a right role on the wrong state → 400; allowed → 302 to the page or 200."""

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section
from findings import services
from findings.choices import ReportState, StatusCode
from findings.models import EvidenceFile, Finding, Measure, MeasureReport, MeasureStatus

pytestmark = pytest.mark.django_db

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


@pytest.fixture
def world(make_user, report):
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    other_section = Section.objects.get(bureau__name="都市政策局", name="交通政策課")
    users = {
        "admin": make_user("admin", Role.ADMIN, last_name="管理"),
        "auditor": make_user("auditor", Role.AUDITOR, last_name="監査"),
        "staff": make_user("staff", Role.SECTION_STAFF, section, last_name="担当"),
        "head": make_user("head", Role.SECTION_HEAD, section, last_name="課長"),
        "other_staff": make_user("other_staff", Role.SECTION_STAFF, other_section, last_name="他課担当"),
        "other_head": make_user("other_head", Role.SECTION_HEAD, other_section, last_name="他課長"),
        "inactive_auditor": make_user("inactive_auditor", Role.AUDITOR, last_name="退職"),
        "inactive_head": make_user("inactive_head", Role.SECTION_HEAD, section, last_name="異動"),
    }
    finding = Finding.objects.get(report=report, code="指摘01")
    services.finding_assign(finding=finding, sections=[section, other_section], reply_by=REPLY_BY, by=users["auditor"])
    return World(
        section=section,
        other_section=other_section,
        finding=finding,
        measure=Measure.objects.get(finding=finding, section=section),
        other_measure=Measure.objects.get(finding=finding, section=other_section),
        users=users,
    )


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


@pytest.mark.parametrize(("endpoint", "actor", "expected"), CELLS)
def test_permission_matrix(endpoint, actor, expected, world):
    call = ENDPOINTS[endpoint](world)
    client = client_for(actor, world)
    before = snapshot()

    response = getattr(client, call.method)(call.url, call.data) if call.data is not None else client.get(call.url)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif expected == DASH:
        assert response.status_code == 302
        assert response["Location"] == reverse("findings:dashboard")
    elif expected == DONE:
        assert response.status_code == 302, response.content.decode()[:500]
        assert response["Location"] == call.success_url
    else:
        assert response.status_code == expected
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)  # the test client closes the file once it is read
        if expected == 200:
            assert body == PDF
            assert response["Content-Disposition"].startswith("attachment")

    if expected == DONE:
        assert snapshot() != before
        call.check_effect(world, actor)
    else:  # refused, or a read: nothing was written
        assert snapshot() == before


def test_worklist_of_another_section_does_not_list_the_measure(world):
    for actor, own, foreign in (("other_staff", world.other_measure, world.measure), ("staff", world.measure, None)):
        measures = client_for(actor, world).get(reverse("findings:worklist")).context["measures"]
        assert own in measures
        assert foreign not in measures
        assert {m.section for m in measures} == {world.users[actor].section}


# -- forged and cross-wired requests -------------------------------------------------------------


def test_forged_measure_save_with_a_guessed_measure_id(world):
    """Another section's 担当 posts a valid form to measure ids around their own and to one that does not exist."""
    client = client_for("other_staff", world)
    guesses = {world.measure.pk, world.other_measure.pk - 1, world.other_measure.pk + 1}
    guesses.discard(world.other_measure.pk)
    guesses.add(Measure.objects.order_by("-pk").first().pk + 1000)  # no such measure: the same 404
    before = snapshot()
    for pk in sorted(guesses):
        response = client.post(reverse("findings:measure_save", args=[pk]), form_data())
        assert response.status_code == 404, pk
        # the page of the guessed measure does not open either: no way to tell "exists" from "not yours"
        assert client.get(reverse("findings:measure_detail", args=[pk])).status_code == 404
    assert snapshot() == before


def test_saving_through_the_page_creates_then_edits_the_draft(world):
    """The 担当 saves a new draft through the page, the 課長 revises it on the version the page showed."""
    url = reverse("findings:measure_save", args=[world.measure.pk])
    assert client_for("staff", world).post(url, form_data()).status_code == 302
    report = MeasureReport.objects.get(measure=world.measure)
    response = client_for("head", world).post(url, form_data(report, text="課長が補足した。"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.version, report.text, report.last_edited_by) == (2, "課長が補足した。", world.users["head"])


@pytest.mark.parametrize("actor", ["other_staff", "other_head"])
def test_another_section_cannot_download_evidence(world, actor):
    evidence = services.evidence_add(measure=world.measure, by=world.users["staff"], upload=pdf("内部資料.pdf"))
    client = client_for(actor, world)
    response = client.get(reverse("findings:evidence_download", args=[evidence.pk]))
    assert response.status_code == 404
    assert b"%PDF" not in response.content
    # nor does the measure page (which lists the evidence) open for them
    assert client.get(measure_page(world)).status_code == 404


def test_report_id_of_another_measure_is_not_found(world):
    """A URL pairing a measure the user sees with a report of another measure: 404, nothing written."""
    report = submitted(world)
    other_report = services.report_save_draft(
        measure=world.other_measure, by=world.users["other_staff"], values=draft_values(), version=None
    )
    before = snapshot()
    auditor = client_for("auditor", world)
    url = reverse("findings:report_review", args=[world.other_measure.pk, report.pk])
    assert auditor.post(url, {"decision": "accept"}).status_code == 404
    # the other section's head names their own measure with the first section's report …
    other_head = client_for("other_head", world)
    url = reverse("findings:report_submit", args=[world.other_measure.pk, report.pk])
    assert other_head.post(url).status_code == 404
    # … and the first section's head names their own measure with the other section's draft
    head = client_for("head", world)
    url = reverse("findings:report_submit", args=[world.measure.pk, other_report.pk])
    assert head.post(url).status_code == 404
    assert snapshot() == before


def test_head_cannot_approve_a_draft_they_edited(world):
    report = draft(world)  # 担当 drafts
    head = client_for("head", world)
    revise(world, report, "head", "課長が内容を書き直した。")  # the 課長 revises the text …
    before = snapshot()
    # … and then tries to approve it: refused with a message, nothing written
    response = head.post(reverse("findings:report_submit", args=[world.measure.pk, report.pk]))
    assert response.status_code == 400
    assert "作成・編集した人は、同じ報告を承認できません" in response.content.decode()
    assert snapshot() == before
    report.refresh_from_db()
    assert (report.state, report.approved_by) == (ReportState.DRAFT, None)


def test_head_cannot_approve_a_draft_they_wrote(world):
    report = draft(world, by="head")
    before = snapshot()
    response = client_for("head", world).post(reverse("findings:report_submit", args=[world.measure.pk, report.pk]))
    assert response.status_code == 400
    assert snapshot() == before


def edited_in_between(world) -> MeasureReport:
    """担当 drafts, the 課長 rewrites it, the 担当 saves once more: the 課長 is neither the drafter nor
    the last editor, but did write part of the report."""
    report = draft(world)
    revise(world, report, "head", "課長が内容を書き直した。")
    revise(world, report, "staff", "課長が内容を書き直した。（誤字修正）")
    report.refresh_from_db()
    assert (report.drafted_by, report.last_edited_by) == (world.users["staff"], world.users["staff"])
    return report


def test_head_cannot_approve_a_draft_they_edited_in_between(world):
    report = edited_in_between(world)
    before = snapshot()
    response = client_for("head", world).post(reverse("findings:report_submit", args=[world.measure.pk, report.pk]))
    assert response.status_code == 400
    assert snapshot() == before


def test_page_does_not_offer_approval_to_a_head_who_edited_in_between(world):
    """The page offers the button by the same rule as report_submit (services.may_approve)."""
    edited_in_between(world)
    page = client_for("head", world).get(measure_page(world))
    assert page.status_code == 200
    assert page.context["can_submit"] is False


def test_page_offers_approval_to_a_head_who_did_not_edit(world):
    draft(world)
    page = client_for("head", world).get(measure_page(world))
    assert page.context["can_submit"] is True
    assert reverse("findings:report_submit", args=[world.measure.pk, world.measure.reports.get().pk]) in (
        page.content.decode()
    )


@pytest.mark.parametrize(
    ("actor", "endpoint", "state"),
    [
        ("auditor", "report_review", ReportState.DRAFT),  # not submitted yet
        ("head", "report_submit", ReportState.SUBMITTED),  # already submitted
        pytest.param("staff", "measure_save", ReportState.SUBMITTED),  # submitted is frozen
    ],
)
def test_right_role_on_the_wrong_state_is_refused(world, actor, endpoint, state):
    report = draft(world) if state == ReportState.DRAFT else submitted(world)
    client = client_for(actor, world)
    before = snapshot()
    if endpoint == "report_review":
        url = reverse("findings:report_review", args=[world.measure.pk, report.pk])
        response = client.post(url, {"decision": "accept"})
    elif endpoint == "report_submit":
        response = client.post(reverse("findings:report_submit", args=[world.measure.pk, report.pk]))
    else:
        response = client.post(reverse("findings:measure_save", args=[world.measure.pk]), form_data(report))
    assert response.status_code == 400
    assert snapshot() == before


# -- HTTP method and CSRF ------------------------------------------------------------------------


def post_only_urls(w: World) -> dict:
    report = draft(w)
    return {
        "measure_save": reverse("findings:measure_save", args=[w.measure.pk]),
        "report_submit": reverse("findings:report_submit", args=[w.measure.pk, report.pk]),
        "report_review": reverse("findings:report_review", args=[w.measure.pk, report.pk]),
        "evidence_upload": reverse("findings:evidence_upload", args=[w.measure.pk]),
    }


@pytest.mark.parametrize("actor", ["auditor", "staff", "head"])
def test_get_on_post_only_endpoints_is_405(world, actor):
    urls = post_only_urls(world)
    client = client_for(actor, world)
    before = snapshot()
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 405, name
        assert response["Allow"] == "POST"
    assert snapshot() == before


def test_get_on_post_only_endpoint_as_anonymous_goes_to_login(world):
    for url in post_only_urls(world).values():
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


CSRF_CASES = [
    "finding_assign",
    pytest.param("measure_save"),
    "report_submit",
    "report_review_accept",
    "evidence_upload",
]
CSRF_ACTOR = {"finding_assign": "auditor", "report_review_accept": "auditor", "report_submit": "head"}


@pytest.mark.parametrize("endpoint", CSRF_CASES)
def test_post_without_csrf_token_is_refused(world, endpoint):
    call = ENDPOINTS[endpoint](world)
    actor = CSRF_ACTOR.get(endpoint, "staff")
    client = client_for(actor, world, enforce_csrf_checks=True)
    before = snapshot()

    response = client.post(call.url, call.data)
    assert response.status_code == 403
    assert snapshot() == before

    # the same request with the token the page hands out goes through
    page = client.get(measure_page(world) if endpoint != "finding_assign" else call.url)
    assert page.status_code == 200
    data = {"file": pdf()} if endpoint == "evidence_upload" else call.data  # an upload is read once
    response = client.post(call.url, data | {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 302
    assert response["Location"] == call.success_url
    call.check_effect(world, actor)


# -- the read-only 監査委員 (Role.COMMISSIONER): the matrix's new rows -------------------------------
# Sees everything the audit office sees, changes nothing: every cell as for the admin, who also reads
# every measure and takes none of the workflow's actions.

# fmt: off
COMMISSIONER_ROW = {
    "finding_assign":       403,
    "measure_save":         403,
    "report_submit":        403,
    "report_review_accept": 403,
    "report_review_return": 403,
    "evidence_upload":      403,
    "evidence_download":    200,
    "measure_detail":       200,
    "worklist":             DASH,
    "dashboard":            200,
}
# fmt: on
assert set(COMMISSIONER_ROW) == set(ENDPOINTS)


@pytest.fixture
def commissioner_world(world, make_user):
    world.users["commissioner"] = make_user("commissioner", Role.COMMISSIONER, last_name="委員")
    return world


@pytest.mark.parametrize(("endpoint", "expected"), COMMISSIONER_ROW.items())
def test_permission_matrix_commissioner(endpoint, expected, commissioner_world):
    test_permission_matrix(endpoint, "commissioner", expected, commissioner_world)


@pytest.mark.parametrize(
    ("url_name", "expected"),
    [
        ("findings:status_report", 200),
        ("findings:publication_list", 200),
        ("findings:publication_create", 403),
        ("imports:import_list", 403),
        ("account_review", 403),
        ("deputies", 403),
    ],
)
def test_commissioner_reads_the_office_pages_and_changes_nothing(url_name, expected, commissioner_world):
    client = client_for("commissioner", commissioner_world)
    before = snapshot()
    assert client.get(reverse(url_name)).status_code == expected
    assert snapshot() == before


def test_commissioner_sees_every_section_on_the_finding_page(commissioner_world):
    w = commissioner_world
    page = client_for("commissioner", w).get(reverse("findings:finding_detail", args=[w.finding.pk]))
    assert page.status_code == 200
    assert {w.measure, w.other_measure} <= set(page.context["measures"])
    assert page.context["can_assign"] is False
    nav = page.content.decode().split("</nav>")[0]
    assert "ダッシュボード" in nav and "措置状況・公表" in nav
    assert "自課の措置" not in nav and "データ取込" not in nav


def test_commissioner_takes_no_write_in_the_table(commissioner_world):
    """Of every action in the table the 監査委員 may take only the reads: seeing everything, and
    downloading the status report as filtered."""
    from auditreg.access import RULES, allowed

    user = commissioner_world.users["commissioner"]
    assert {action for action in RULES if allowed(user, action)} == {"view_all", "export"}
