"""No dead end in the section's approval (issue 13, point 1): 課内差戻し, deputy approvers, and the rule
that the person who prepared a version never approves it (指摘01), whatever anyone edited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from auditreg.choices import DeputyTitle, Role
from auditreg.models import ChangeLog, User
from findings.choices import ReportState
from findings.models import MeasureReport
from findings.services import (
    WorkflowError,
    approval_bar,
    may_approve,
    report_save_draft,
    report_section_return,
    report_submit,
)

from .services_helpers import draft, edit, snapshot

# the workflow fixtures of test_services_*.py (section, other_section, people, finding, measure; in conftest.py):
# a 広報広聴課 with two 担当 and two 課長, 指摘01 assigned to it

pytestmark = pytest.mark.django_db


@pytest.fixture
def single_head(make_user, section):
    """A section as many are: one 課長 and one 担当."""
    return (
        make_user("solo_head", Role.SECTION_HEAD, section, last_name="課長"),
        make_user("solo_staff", Role.SECTION_STAFF, section, last_name="担当"),
    )


def test_head_hands_a_draft_back_then_approves_what_the_staff_saved(measure, people):
    report = draft(measure, people.staff1)
    returned = report_section_return(report=report, by=people.head1, comment="「速やかに」を「令和7年度中に」に。")
    assert returned.state == ReportState.REVISING
    # nothing can be approved while the 担当 revises
    with pytest.raises(WorkflowError):
        report_submit(report=returned, by=people.head1)
    revised = edit(returned, people.staff1, text="令和7年度中に手順を改める。")
    assert revised.state == ReportState.DRAFT
    submitted = report_submit(report=revised, by=people.head1)
    assert (submitted.state, submitted.approved_by, submitted.drafted_by) == (
        ReportState.SUBMITTED,
        people.head1,
        people.staff1,
    )
    log = ChangeLog.objects.get(action="report.section_returned", object_id=report.pk)
    assert (log.actor, log.comment) == (people.head1, "「速やかに」を「令和7年度中に」に。")


def test_the_one_head_who_edited_has_a_way_out(measure, single_head):
    """The dead end of the issue: the section's only 課長 changed a phrase. A hand-back and the 担当's
    save make the text the 担当's; the 課長 then approves."""
    head, staff = single_head
    report = draft(measure, staff)
    report = edit(report, head, text="課長が一語直した。")
    assert not may_approve(report, head)
    assert "課内差戻し" in approval_bar(report, head)
    report = report_section_return(report=report, by=head, comment="この表現で確定してください。")
    report = edit(report, staff, text="課長が一語直した。担当が確認した。")
    assert may_approve(report, head)
    assert report_submit(report=report, by=head).approved_by == head


def test_editing_after_the_hand_back_bars_again(measure, single_head):
    head, staff = single_head
    report = draft(measure, staff)
    report = report_section_return(report=report, by=head, comment="直してください。")
    report = edit(report, staff, text="担当が直した。")
    report = edit(report, head, text="課長がまた直した。")
    before = snapshot()
    with pytest.raises(WorkflowError, match="作成・編集した人"):
        report_submit(report=report, by=head)
    assert snapshot() == before


def test_a_hand_back_alone_does_not_clear_the_head(measure, single_head):
    """Returning and approving without the 担当 saving is impossible: approval starts only from 作成中."""
    head, staff = single_head
    report = edit(draft(measure, staff), head, text="課長が直した。")
    report = report_section_return(report=report, by=head, comment="確認してください。")
    with pytest.raises(WorkflowError):
        report_submit(report=report, by=head)


def test_the_drafter_never_approves_even_after_a_hand_back(measure, people):
    """The creator is the drafter of record for good (and a database constraint says so too)."""
    report = draft(measure, people.head1)
    report = report_section_return(report=report, by=people.head1, comment="担当が仕上げてください。")
    report = edit(report, people.staff1, text="担当が仕上げた。")
    with pytest.raises(WorkflowError, match="作成"):
        report_submit(report=report, by=people.head1)
    assert report_submit(report=report, by=people.head2).approved_by == people.head2


def test_section_return_needs_a_comment_and_an_approver(measure, people):
    report = draft(measure, people.staff1)
    before = snapshot()
    with pytest.raises(ValidationError):
        report_section_return(report=report, by=people.head1, comment="  ")
    with pytest.raises(PermissionDenied):
        report_section_return(report=report, by=people.staff2, comment="直して")
    with pytest.raises(PermissionDenied):  # another section's 課長
        report_section_return(report=report, by=people.outsider_head, comment="直して")
    assert snapshot() == before


def test_a_deputy_approves_like_a_head_but_never_their_own(measure, people, single_head):
    head, staff = single_head
    people.staff2.deputy_title = DeputyTitle.HOSA
    people.staff2.save()
    report = draft(measure, head)  # the only 課長 wrote it himself
    assert not may_approve(report, head)
    assert may_approve(report, people.staff2)
    assert not may_approve(report, staff)  # a plain 担当 approves nothing
    with pytest.raises(PermissionDenied):
        report_submit(report=report, by=staff)
    submitted = report_submit(report=report, by=people.staff2)
    assert (submitted.approved_by, submitted.state) == (people.staff2, ReportState.SUBMITTED)


def test_a_deputy_may_hand_back_and_a_deputy_who_wrote_is_barred(measure, people):
    people.staff2.deputy_title = DeputyTitle.DAIRI
    people.staff2.save()
    report = draft(measure, people.staff2)
    assert not may_approve(report, people.staff2)
    report = report_section_return(report=report, by=people.staff2, comment="担当一さん、仕上げを")
    assert report.state == ReportState.REVISING


def test_only_a_staff_member_can_be_named_deputy(make_user, section):
    head = make_user("h", Role.SECTION_HEAD, section, last_name="課長")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=head.pk).update(deputy_title=DeputyTitle.HOSA)


def test_saving_unchanged_values_is_not_an_edit(measure, people):
    """A 課長 who only attaches evidence in the same form (no text change) stays free to approve."""
    report = draft(measure, people.staff1)
    report.refresh_from_db()
    again = report_save_draft(
        measure=measure,
        by=people.head1,
        values={k: getattr(report, k) for k in ("status", "reported_on", "text", "planned_completion_on")}
        | {"completed_on": report.completed_on, "reason": report.reason},
        version=report.version,
    )
    again.refresh_from_db()
    assert (again.version, again.last_edited_by) == (report.version, people.staff1)
    assert may_approve(again, people.head1)


def test_the_database_still_refuses_the_drafter_as_approver(measure, people):
    report = draft(measure, people.staff1)
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureReport.objects.filter(pk=report.pk).update(approved_by=people.staff1)


# -- the page --------------------------------------------------------------------------------


def test_page_warns_an_approver_before_saving_and_offers_the_hand_back(client, measure, people):
    draft(measure, people.staff1)
    client.force_login(people.head1)
    page = client.get(reverse("findings:measure_detail", args=[measure.pk])).content.decode()
    assert "保存すると、あなたはこの報告を承認できなくなります。" in page
    assert "担当に差し戻す（課内差戻し）" in page
    assert "課長として承認し、監査事務局へ提出する" in page
    client.force_login(people.staff1)
    page = client.get(reverse("findings:measure_detail", args=[measure.pk])).content.decode()
    assert "承認できなくなります" not in page
    assert "担当に差し戻す（課内差戻し）" not in page


def test_section_return_through_the_page(client, measure, people):
    report = draft(measure, people.staff1)
    client.force_login(people.head1)
    url = reverse("findings:report_section_return", args=[measure.pk, report.pk])
    refused = client.post(url, {"comment": ""})
    assert refused.status_code == 400
    assert "入力内容を確認してください" in refused.content.decode()
    response = client.post(url, {"comment": "期限を書いてください。"})
    assert response.status_code == 302
    client.force_login(people.staff1)
    page = client.get(reverse("findings:measure_detail", args=[measure.pk])).content.decode()
    assert f"課内差戻し：{people.head1.display_name} さんから修正の依頼があります" in page
    assert "期限を書いてください。" in page
    client.force_login(people.staff2)
    assert client.post(url, {"comment": "x"}).status_code == 403


def test_a_head_names_a_deputy_on_the_page(client, measure, people):
    client.force_login(people.head1)
    url = reverse("deputies")
    page = client.get(url).content.decode()
    assert people.staff1.display_name in page and people.outsider.display_name not in page
    assert client.post(url, {f"title_{people.staff1.pk}": DeputyTitle.HOSA}).status_code == 302
    people.staff1.refresh_from_db()
    assert people.staff1.deputy_title == DeputyTitle.HOSA
    assert ChangeLog.objects.filter(action="user.deputy_changed", object_id=people.staff1.pk).exists()
    # the deputy may now approve a draft staff2 wrote
    report = draft(measure, people.staff2)
    assert may_approve(report, people.staff1)
    client.force_login(people.staff1)
    assert client.get(url).status_code == 403  # only a 課長 names deputies
