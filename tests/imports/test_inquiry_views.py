"""The inquiry pages through the Django test client: each view as anonymous, as a user without the right
and as one with it; the CSRF-protected upload; the whole journey in the browser's terms (download →
upload → preview → confirm); the round detail page's query count at two data sizes."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from auditreg.choices import Role
from auditreg.wareki import format_date, format_fiscal_year
from findings.choices import ReportState, StatusCode
from findings.models import Finding, MeasureReport
from imports import inquiry
from imports.choices import BatchState, ResponseState
from imports.models import ImportBatch, InquiryItem, InquiryResponse, InquiryRound
from tests.checkboxes import checkboxes
from tests.imports.test_inquiry_common import (
    XLSX,
    big_round,
    build_world,
    edit,
    open_book,
    snapshot,
    upload,
)
from tests.query_counts import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(make_user, report):
    """The shared world, with the round's deadline a month ahead of the real today (pages use today)."""
    world = build_world(make_user, report)
    world.round.reply_by = timezone.localdate() + datetime.timedelta(days=30)
    world.round.save(update_fields=["reply_by"])
    return world


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def urls(w):
    pk = w.round.pk
    return {
        "list": reverse("imports:round_list"),
        "create": reverse("imports:round_create"),
        "detail": reverse("imports:round_detail", args=[pk]),
        "workbook": reverse("imports:round_workbook", args=[pk]),
        "upload": reverse("imports:round_upload", args=[pk]),
    }


def test_routes():
    assert reverse("imports:round_list") == "/imports/inquiries/"
    assert reverse("imports:round_create") == "/imports/inquiries/new/"
    assert reverse("imports:round_detail", args=[3]) == "/imports/inquiries/3/"
    assert reverse("imports:round_workbook", args=[3]) == "/imports/inquiries/3/workbook.xlsx"
    assert reverse("imports:round_upload", args=[3]) == "/imports/inquiries/3/upload/"


def test_anonymous_users_are_sent_to_the_login_page(w, client):
    for name, url in urls(w).items():
        response = client.post(url) if name == "upload" else client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), name


# -- list and creation ------------------------------------------------------------------------


def test_round_list_per_role(w):
    page = client_for(w.auditor).get(urls(w)["list"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "令和7年度 第1回 措置状況照会" in html and format_date(w.round.reply_by) in html
    assert "新しい照会を作成する" in html and "未開封 2" in html
    staff_page = client_for(w.staff).get(urls(w)["list"]).content.decode()
    assert "令和7年度 第1回 措置状況照会" in staff_page and "新しい照会を作成する" not in staff_page
    outside_page = client_for(w.outside_staff).get(urls(w)["list"]).content.decode()
    assert "令和7年度 第1回 措置状況照会" not in outside_page and "照会はまだありません" in outside_page


@pytest.mark.parametrize("who", ["staff", "head", "admin"])
def test_only_the_audit_office_may_open_the_creation_form(w, who):
    client = client_for(getattr(w, who))
    assert client.get(urls(w)["create"]).status_code == 403
    before = InquiryRound.objects.count()
    response = client.post(urls(w)["create"], {"title": "x", "reply_by": "2025-10-31", "findings": [w.m01.finding_id]})
    assert response.status_code == 403
    assert InquiryRound.objects.count() == before


def test_creating_a_round_on_screen(w, report):
    client = client_for(w.auditor)
    form = client.get(urls(w)["create"])
    assert form.status_code == 200
    html = form.content.decode()
    boxes = {b.label.split()[0]: b for b in checkboxes(html, "findings")}
    assert "指摘01" in boxes and "意見30" not in boxes  # 意見30: not assigned to any section, not offered
    # ticked as a user would: the boxes labelled 指摘01 and 意見03 send the ids the listbox sent
    f02 = Finding.objects.get(report=report, code="意見03")
    chosen = [boxes["指摘01"].value, boxes["意見03"].value]
    assert chosen == [str(w.m01.finding_id), str(f02.pk)]
    response = client.post(
        urls(w)["create"],
        {"title": "第2回照会", "reply_by": "2025-12-26", "note": "", "findings": chosen, "sections": [w.section.pk]},
    )
    new = InquiryRound.objects.get(title="第2回照会")
    assert response.status_code == 302 and response["Location"] == reverse("imports:round_detail", args=[new.pk])
    assert set(InquiryItem.objects.filter(round=new).values_list("measure_id", flat=True)) == {w.m01.pk, w.m03.pk}
    assert new.reply_by == datetime.date(2025, 12, 26) and new.created_by == w.auditor


def test_creating_a_round_without_an_assigned_pair_shows_why(w):
    before = InquiryRound.objects.count()
    response = client_for(w.auditor).post(
        urls(w)["create"],
        {"title": "空", "reply_by": "2025-12-26", "findings": [w.m16_other.finding_id], "sections": [w.section.pk]},
    )
    assert response.status_code == 400
    assert "割り当て済みの措置がありません" in response.content.decode()
    bad = client_for(w.auditor).post(
        urls(w)["create"], {"title": "x", "reply_by": "2025-12-26", "findings": ["9" * 30], "sections": ["abc"]}
    )
    assert bad.status_code == 400
    assert InquiryRound.objects.count() == before


def test_the_creation_form_picks_sections_with_checkboxes_grouped_by_bureau_and_keeps_them(w):
    """No Ctrl+click listbox: one checkbox per section with measures, under its 局, kept after an error."""
    client = client_for(w.auditor)
    html = client.get(urls(w)["create"]).content.decode()
    assert '<select name="sections"' not in html
    box = f'<input type="checkbox" name="sections" value="{w.section.pk}" id="section-{w.section.pk}" data-section>'
    assert box in html
    group = html[html.index(f'data-bureau="{w.section.bureau.name}"') :].split("</fieldset>")[0]
    assert box in group and 'name="reply_by_' not in html  # no per-section date on this form
    refused = client.post(
        urls(w)["create"],
        {"title": "x", "reply_by": "1900-01-01", "findings": [w.m01.finding_id], "sections": [w.section.pk]},
    ).content.decode()
    assert box.replace(" data-section>", " data-section checked>") in refused


def test_the_creation_form_picks_findings_with_checkboxes_grouped_by_report_and_keeps_them(w, report):
    """No Ctrl+click listbox: a fieldset 指摘・意見 with one labelled box per assigned finding under a heading
    per report (with its "select all" box), searchable; after an error the ticked boxes stay ticked."""
    client = client_for(w.auditor)
    html = client.get(urls(w)["create"]).content.decode()
    assert '<select name="findings"' not in html and "Ctrl" not in html
    boxes = checkboxes(html, "findings")
    heading = f"{format_fiscal_year(report.fiscal_year)} {report.theme[:40]}（すべて）"
    assert boxes and all(b.legends == ("指摘・意見 （必須）", heading) for b in boxes)
    assert {int(b.value) for b in boxes} == set(
        Finding.objects.filter(measures__isnull=False).values_list("pk", flat=True)
    )
    assert '<fieldset class="picker" data-picker aria-describedby="id_findings_helptext">' in html
    assert 'id="id_findings_search" data-picker-search' in html
    # the error summary's link goes to the field (the wrapper of the fieldset has its id)
    refused = client.post(
        urls(w)["create"],
        {"title": "x", "reply_by": "1900-01-01", "findings": [w.m01.finding_id], "sections": [w.section.pk]},
    ).content.decode()
    assert [b.value for b in checkboxes(refused, "findings") if b.checked] == [str(w.m01.finding_id)]
    unknown = client.post(
        urls(w)["create"], {"title": "x", "reply_by": "2025-12-26", "findings": ["999999"], "sections": [w.section.pk]}
    )
    assert unknown.status_code == 400
    page = unknown.content.decode()
    assert 'href="#id_findings">指摘・意見：正しく選択してください。 999999 は候補にありません。' in page
    assert '<div class="field has-error" id="id_findings" tabindex="-1">' in page
    assert 'aria-describedby="id_findings_helptext id_findings_error"' in page


# -- detail -----------------------------------------------------------------------------------


def test_detail_for_the_office_shows_every_section(w):
    inquiry.section_workbook(inquiry_round=w.round, section=w.section, by=w.staff)
    html = client_for(w.auditor).get(urls(w)["detail"]).content.decode()
    assert "広報広聴課" in html and "交通政策課" in html
    assert ResponseState.DOWNLOADED.label in html and "担当 太郎" in html
    assert f"?section={w.other.pk}" in html  # support download per section
    assert 'action="' + urls(w)["upload"] not in html  # the office does not answer
    assert html.count("<h1>") == 1


def test_detail_for_a_section_shows_only_its_own_row_with_download_and_upload(w):
    html = client_for(w.staff).get(urls(w)["detail"]).content.decode()
    assert "交通政策課" not in html  # the other section in the round: neither its row nor its measures
    assert 'id="own-state">未開封<' in html
    assert 'href="' + urls(w)["workbook"] + '"' in html
    assert 'action="' + urls(w)["upload"] + '"' in html and 'enctype="multipart/form-data"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_detail_of_a_round_without_the_users_section_is_404(w):
    assert client_for(w.outside_staff).get(urls(w)["detail"]).status_code == 404
    missing = reverse("imports:round_detail", args=[w.round.pk + 1000])
    assert client_for(w.auditor).get(missing).status_code == 404


# -- workbook download --------------------------------------------------------------------------


def _meta_section(content: bytes) -> int:
    return open_book(content)["_meta"]["B3"].value


def test_a_section_downloads_its_own_workbook_whatever_it_asks_for(w):
    client = client_for(w.staff)
    response = client.get(urls(w)["workbook"] + f"?section={w.other.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    assert _meta_section(response.content) == w.section.pk
    assert InquiryResponse.objects.get(round=w.round, section=w.section).downloaded_by == w.staff
    assert InquiryResponse.objects.get(round=w.round, section=w.other).downloaded_at is None


def test_workbook_download_outside_the_users_sections_is_404(w):
    assert client_for(w.outside_staff).get(urls(w)["workbook"]).status_code == 404
    office = client_for(w.auditor)
    assert office.get(urls(w)["workbook"]).status_code == 404  # no ?section=
    assert office.get(urls(w)["workbook"] + f"?section={w.outside.pk}").status_code == 404  # not in the round
    assert office.get(urls(w)["workbook"] + "?section=x1").status_code == 404
    assert office.get(urls(w)["workbook"] + "?section=" + "9" * 40).status_code == 404


def test_the_office_downloads_a_sections_workbook_without_marking_it(w):
    response = client_for(w.auditor).get(urls(w)["workbook"] + f"?section={w.other.pk}")
    assert response.status_code == 200 and _meta_section(response.content) == w.other.pk
    assert not InquiryResponse.objects.filter(downloaded_at__isnull=False).exists()


# -- upload -----------------------------------------------------------------------------------


def _answered_workbook(w, client) -> bytes:
    content = client.get(urls(w)["workbook"]).content
    return edit(content, {w.m01: {"措置状況": "措置中", "措置（対応）の内容": "画面からアップロードした回答"}})


def test_upload_requires_the_csrf_token(w):
    client = client_for(w.staff, enforce_csrf_checks=True)
    content = _answered_workbook(w, client)
    n = ImportBatch.objects.count()
    refused = client.post(urls(w)["upload"], {"file": upload(content)})
    assert refused.status_code == 403
    assert ImportBatch.objects.count() == n
    client.get(urls(w)["detail"])  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(urls(w)["upload"], {"file": upload(content), "csrfmiddlewaretoken": token})
    batch = ImportBatch.objects.get()
    assert accepted.status_code == 302 and accepted["Location"] == reverse("imports:batch_detail", args=[batch.pk])
    assert (batch.state, batch.round, batch.section, batch.uploaded_by) == (
        BatchState.PREVIEWED,
        w.round,
        w.section,
        w.staff,
    )


def test_whole_journey_in_the_browser(w):
    client = client_for(w.staff)
    content = _answered_workbook(w, client)
    response = client.post(urls(w)["upload"], {"file": upload(content)})
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert "画面からアップロードした回答" in preview.content.decode()
    assert not MeasureReport.objects.exists()
    batch = ImportBatch.objects.get()
    done = client.post(reverse("imports:batch_confirm", args=[batch.pk]))
    assert done.status_code == 302
    report = MeasureReport.objects.get(measure=w.m01)
    assert (report.state, report.status.code, report.text, report.drafted_by) == (
        ReportState.DRAFT,
        StatusCode.IN_PROGRESS,
        "画面からアップロードした回答",
        w.staff,
    )
    html = client.get(urls(w)["detail"]).content.decode()
    assert f'id="own-state">{ResponseState.ANSWERED.label}<' in html


def test_an_unreadable_upload_re_renders_the_page_with_the_reason(w):
    before = snapshot()
    response = client_for(w.staff).post(urls(w)["upload"], {"file": upload(b"a,b\n1,2\n", "回答.csv")})
    assert response.status_code == 400
    assert "テキスト（CSV など）のファイル単体は取り込めません" in response.content.decode()
    assert snapshot() == before and not ImportBatch.objects.exists()
    empty = client_for(w.staff).post(urls(w)["upload"], {})
    assert empty.status_code == 400


def test_upload_is_for_the_sections_in_the_round_only(w):
    content = _answered_workbook(w, client_for(w.staff))
    assert client_for(w.auditor).post(urls(w)["upload"], {"file": upload(content)}).status_code == 403
    assert client_for(w.outside_staff).post(urls(w)["upload"], {"file": upload(content)}).status_code == 404
    assert client_for(w.staff).get(urls(w)["upload"]).status_code == 405
    # another section in the round uploading this section's workbook: staged for its own section, refused
    response = client_for(w.other_staff).post(urls(w)["upload"], {"file": upload(content)})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.section == w.other and batch.state == BatchState.INVALID
    assert "他の課の回答様式です" in batch.problems[0][2]
    assert not MeasureReport.objects.exists()


# -- query counts -------------------------------------------------------------------------------


@pytest.mark.slow
def test_round_detail_query_count_does_not_grow(w, make_user):
    url = reverse("imports:round_detail", args=[w.round.pk])
    small_office, _ = count_queries(client_for(w.auditor), url)
    small_section, _ = count_queries(client_for(w.staff), url)
    small_list, _ = count_queries(client_for(w.auditor), reverse("imports:round_list"))
    large, people = big_round(make_user, 60)  # 6 sections, 60 measures with reports
    url = reverse("imports:round_detail", args=[large.pk])
    large_office, page = count_queries(client_for(w.auditor), url)
    assert page.content.decode().count("<tr>") > 60
    large_section, _ = count_queries(client_for(people[1]), url)
    large_list, _ = count_queries(client_for(w.auditor), reverse("imports:round_list"))
    # measured: 7 (office), 8 (section: base.html reads the user's section), 6 (list); one spare each
    assert small_office == large_office <= 8, (small_office, large_office)
    assert small_section == large_section <= 9, (small_section, large_section)
    assert small_list == large_list <= 7, (small_list, large_list)


def test_overdue_sections_show_as_overdue(w):
    InquiryRound.objects.filter(pk=w.round.pk).update(reply_by=timezone.localdate() - datetime.timedelta(days=1))
    html = client_for(w.auditor).get(urls(w)["detail"]).content.decode()
    assert "期限を過ぎています" in html and html.count(ResponseState.OVERDUE.label) == 2


def test_inactive_users_see_no_rounds(w, make_user):
    nobody = make_user("nobody", Role.SECTION_STAFF, w.section)
    nobody.is_active = False
    nobody.save()
    assert list(inquiry.rounds_for(nobody)) == []
