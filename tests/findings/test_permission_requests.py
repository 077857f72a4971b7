"""Forged and cross-wired requests on the workflow pages (a guessed measure or report id, another
section's evidence, a head approving a draft they edited, the right role on the wrong state), and the
HTTP method and CSRF checks of the POST-only endpoints; each refused request writes nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from findings import services
from findings.choices import ReportState
from findings.models import Measure, MeasureReport

from .permissions_matrix import (
    ENDPOINTS,
    World,
    client_for,
    draft,
    draft_values,
    form_data,
    measure_page,
    pdf,
    revise,
    snapshot,
    submitted,
)

pytestmark = pytest.mark.django_db

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
