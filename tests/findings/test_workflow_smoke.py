"""One full pass through the workflow pages as the four roles would click through it."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import Section
from findings.choices import ReportState
from findings.models import Finding, MeasureReport, MeasureStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    return {
        "auditor": make_user("aud", Role.AUDITOR),
        "staff": make_user("staff", Role.SECTION_STAFF, section),
        "head": make_user("head", Role.SECTION_HEAD, section),
    }


def as_(client, user):
    client.force_login(user)
    return client


def test_full_flow_through_the_pages(client, people, report):
    finding = Finding.objects.get(report=report, code="指摘01")
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    # the audit office assigns (pre-filled with the section the report names)
    c = as_(client, people["auditor"])
    page = c.get(reverse("findings:finding_assign", args=[finding.pk]))
    assert page.status_code == 200 and section in page.context["form"].initial["sections"]
    r = c.post(
        reverse("findings:finding_assign", args=[finding.pk]), {"sections": [section.pk], "reply_by": "2025-09-30"}
    )
    assert r.status_code == 302
    measure = finding.measures.get()
    # 担当 drafts with evidence
    c = as_(client, people["staff"])
    assert c.get(reverse("findings:worklist")).status_code == 200
    in_progress = MeasureStatus.objects.get(code="in_progress")
    r = c.post(
        reverse("findings:measure_save", args=[measure.pk]),
        {
            "status": in_progress.pk,
            "reported_on": "2025-06-01",
            "text": "作成者IDと承認者IDの分離を各課に確認中。",
        },
    )
    assert r.status_code == 302, r.content.decode()[:500]
    pdf = SimpleUploadedFile("確認表.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    assert c.post(reverse("findings:evidence_upload", args=[measure.pk]), {"file": pdf}).status_code == 302
    report_obj = MeasureReport.objects.get(measure=measure)
    # the drafter cannot submit (staff role), and the head who did not draft can
    assert c.post(reverse("findings:report_submit", args=[measure.pk, report_obj.pk])).status_code == 403
    c = as_(client, people["head"])
    assert c.post(reverse("findings:report_submit", args=[measure.pk, report_obj.pk])).status_code == 302
    # the audit office returns with a comment, the section sees it
    c = as_(client, people["auditor"])
    dash = c.get(reverse("findings:dashboard"))
    assert dash.status_code == 200 and len(dash.context["awaiting_review"]) == 1
    r = c.post(
        reverse("findings:report_review", args=[measure.pk, report_obj.pk]), {"decision": "return", "comment": ""}
    )
    assert r.status_code == 400  # a return needs a comment
    r = c.post(
        reverse("findings:report_review", args=[measure.pk, report_obj.pk]),
        {"decision": "return", "comment": "確認した課の一覧を添付してください。"},
    )
    assert r.status_code == 302
    c = as_(client, people["staff"])
    page = c.get(reverse("findings:measure_detail", args=[measure.pk]))
    assert "確認した課の一覧を添付してください。" in page.content.decode()
    report_obj.refresh_from_db()
    done = MeasureStatus.objects.get(code="done")
    r = c.post(
        reverse("findings:measure_save", args=[measure.pk]),
        {
            "status": done.pk,
            "reported_on": "2025-07-01",
            "text": "全課の確認を終え、一覧を添付した。",
            "completed_on": "2025-06-30",
            "version": report_obj.version,
        },
    )
    assert r.status_code == 302
    c = as_(client, people["head"])
    assert c.post(reverse("findings:report_submit", args=[measure.pk, report_obj.pk])).status_code == 302
    c = as_(client, people["auditor"])
    r = c.post(reverse("findings:report_review", args=[measure.pk, report_obj.pk]), {"decision": "accept"})
    assert r.status_code == 302
    report_obj.refresh_from_db()
    measure.refresh_from_db()
    assert report_obj.state == ReportState.ACCEPTED and measure.status == done
    assert report_obj.completed_on == datetime.date(2025, 6, 30)
    detail = c.get(reverse("findings:finding_detail", args=[finding.pk])).content.decode()
    assert "差戻し" in detail and "report.returned" not in detail and "確認した課の一覧を添付してください。" in detail
    listing = c.get(reverse("findings:finding_list") + f"?report={report.pk}&kind=指摘")
    labels = {f.code: f.status_label for f in listing.context["page"]}
    assert labels == {"指摘01": "措置済", "指摘02": "未割当", "指摘03": "未割当"}


def test_second_save_of_the_same_draft_is_refused_and_keeps_what_was_typed(client, people, report):
    finding = Finding.objects.get(report=report, code="指摘01")
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    as_(client, people["auditor"]).post(
        reverse("findings:finding_assign", args=[finding.pk]), {"sections": [section.pk]}
    )
    measure = finding.measures.get()
    in_progress = MeasureStatus.objects.get(code="in_progress")
    form = {"status": in_progress.pk, "reported_on": "2025-06-01", "text": "最初の下書き"}
    assert (
        as_(client, people["staff"]).post(reverse("findings:measure_save", args=[measure.pk]), form).status_code == 302
    )
    opened_version = MeasureReport.objects.get(measure=measure).version
    # the head saves first …
    head_form = form | {"text": "課長が先に直した内容", "version": opened_version}
    assert (
        as_(client, people["head"]).post(reverse("findings:measure_save", args=[measure.pk]), head_form).status_code
        == 302
    )
    # … then the staff member, on the version they opened
    staff_form = form | {"text": "担当が打ち込んだ長い文章", "version": opened_version}
    response = as_(client, people["staff"]).post(reverse("findings:measure_save", args=[measure.pk]), staff_form)
    assert response.status_code == 409
    html = response.content.decode()
    assert "保存できませんでした" in html
    assert "課長が先に直した内容" in html  # the other person's change is shown
    assert "担当が打ち込んだ長い文章" in html  # and nothing typed is lost: it is back in the form
    assert MeasureReport.objects.get(measure=measure).text == "課長が先に直した内容"
