"""Closing a round: only the audit office, once, recorded; afterwards the page offers no upload and an
answer is refused with the date it closed."""

import pytest
from django.test import Client
from django.urls import reverse

from auditreg.models import ChangeLog
from imports import inquiry
from imports.models import InquiryRound

from .test_inquiry_common import build_world, edit, snapshot, upload


@pytest.fixture
def w(make_user, report):
    return build_world(make_user, report)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_audit_office_closes_a_round_once_and_it_is_recorded(w):
    page = client_for(w.auditor).get(reverse("imports:round_detail", args=[w.round.pk])).content.decode()
    assert "この照会を締め切る" in page
    response = client_for(w.auditor).post(reverse("imports:round_close", args=[w.round.pk]), follow=True)
    assert "照会を締め切りました" in response.content.decode()
    w.round.refresh_from_db()
    assert w.round.closed_at is not None
    entry = ChangeLog.objects.get(action="inquiry.closed", object_id=w.round.pk)
    assert entry.actor == w.auditor
    again = client_for(w.auditor).post(reverse("imports:round_close", args=[w.round.pk]), follow=True)
    assert "すでに締め切られています" in again.content.decode()
    assert ChangeLog.objects.filter(action="inquiry.closed").count() == 1


@pytest.mark.parametrize("who", ["staff", "head", "admin"])
def test_others_cannot_close_a_round(w, who):
    response = client_for(getattr(w, who)).post(reverse("imports:round_close", args=[w.round.pk]))
    assert response.status_code == 403
    assert InquiryRound.objects.get(pk=w.round.pk).closed_at is None


def test_a_section_outside_the_round_gets_404(w):
    response = client_for(w.outside_staff).post(reverse("imports:round_close", args=[w.round.pk]))
    assert response.status_code == 404


def test_after_closing_the_section_page_has_no_upload_and_an_answer_is_refused(w):
    content = inquiry.section_workbook(inquiry_round=w.round, section=w.section, by=w.staff)
    inquiry.round_close(inquiry_round=w.round, by=w.auditor)
    staff = client_for(w.staff)
    page = staff.get(reverse("imports:round_detail", args=[w.round.pk])).content.decode()
    assert "締め切られています" in page and "アップロードして内容を確認する" not in page
    before = snapshot()
    edited = edit(content, {w.m01: {"措置状況": "措置中", "措置（対応）の内容": "締切後の回答"}})
    response = staff.post(reverse("imports:round_upload", args=[w.round.pk]), {"file": upload(edited)}, follow=True)
    assert "締め切られています" in response.content.decode()
    assert snapshot() == before


def test_a_heading_given_twice_is_a_problem(w):
    from imports import pipeline
    from imports.choices import BatchKind, BatchState

    from .test_inquiry_common import columns, header_row, open_book, save_book

    book = open_book(inquiry.section_workbook(inquiry_round=w.round, section=w.section, by=w.staff))
    ws = book.worksheets[0]
    ws.protection.sheet = False
    row = header_row(ws)
    ws.cell(row, ws.max_column + 1).value = ws.cell(row, columns(ws)["措置状況"]).value
    before = snapshot()
    batch = pipeline.stage(
        kind=BatchKind.INQUIRY, upload=upload(save_book(book)), by=w.staff, inquiry_round=w.round, section=w.section
    )
    assert batch.state == BatchState.INVALID
    assert any(p[1] == "措置状況" and "複数" in p[2] for p in batch.problems), batch.problems
    assert snapshot() == before
