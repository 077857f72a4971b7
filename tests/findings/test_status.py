"""A finding's status derived from its measures (findings/status.py): one grouped query, labels as data."""

import datetime

import pytest
from django.utils import timezone

from auditreg.choices import Role
from auditreg.models import Section
from findings.choices import StatusCode
from findings.models import Finding, Measure, MeasureStatus
from findings.services import finding_assign, report_accept, report_save_draft, report_submit
from findings.status import UNASSIGNED, annotate_status_parts, derive_for

pytestmark = pytest.mark.django_db

S = StatusCode


@pytest.fixture
def sections(db):
    """Three sections of 都市政策局, in organisation order."""
    names = ["広報広聴課", "交通政策課", "地域力再生課"]
    by_name = {s.name: s for s in Section.objects.filter(bureau__name="都市政策局", name__in=names)}
    return [by_name[n] for n in names]


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", Role.AUDITOR)


@pytest.fixture
def finding(report):
    return Finding.objects.get(report=report, code="指摘01")


def give_measures(finding, codes, sections, auditor):
    """One measure per section with the given status codes (as the accept service leaves them)."""
    assert len(codes) <= len(sections)
    for code, section in zip(codes, sections, strict=False):
        Measure.objects.create(
            finding=finding,
            section=section,
            assigned_by=auditor,
            assigned_at=timezone.now(),
            status=MeasureStatus.objects.get(code=code),
        )


def derived(finding) -> str:
    annotated = annotate_status_parts(Finding.objects.filter(pk=finding.pk)).get()
    return derive_for(annotated, list(MeasureStatus.objects.all()))


def test_seeded_statuses():
    rows = MeasureStatus.objects.order_by("order").values_list(
        "code", "label", "is_done", "is_closed", "requires_reason"
    )
    assert list(rows) == [
        (S.NOT_STARTED, "未着手", False, False, False),
        (S.PLANNED, "措置予定・検討中", False, False, False),
        (S.IN_PROGRESS, "措置中", False, False, False),
        (S.DONE, "措置済", True, True, False),
        (S.NOT_TAKING, "措置しない", False, True, True),
    ]


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ((), UNASSIGNED),
        ((S.NOT_STARTED,), "未着手"),
        ((S.PLANNED,), "措置予定・検討中"),
        ((S.IN_PROGRESS,), "措置中"),
        ((S.DONE,), "措置済"),
        ((S.NOT_TAKING,), "措置しない"),
        ((S.DONE, S.IN_PROGRESS), "措置中"),
        ((S.DONE, S.DONE), "措置済"),
        ((S.DONE, S.NOT_TAKING), "措置しない"),
        ((S.PLANNED, S.IN_PROGRESS), "措置予定・検討中"),
        ((S.IN_PROGRESS, S.PLANNED), "措置予定・検討中"),
        ((S.NOT_STARTED, S.DONE), "未着手"),
        ((S.NOT_TAKING, S.IN_PROGRESS), "措置中"),
        ((S.DONE, S.DONE, S.DONE), "措置済"),
        ((S.DONE, S.NOT_TAKING, S.IN_PROGRESS), "措置中"),
        ((S.NOT_TAKING, S.NOT_TAKING, S.DONE), "措置しない"),
    ],
    ids=lambda v: ("+".join(v) or "none") if isinstance(v, tuple) else v,
)
def test_derived_status(codes, expected, finding, sections, auditor):
    give_measures(finding, codes, sections, auditor)
    assert UNASSIGNED == "未割当"
    assert derived(finding) == expected


def test_whole_report_in_one_query(report, sections, auditor, django_assert_num_queries):
    cases = {
        "指摘01": ((S.DONE, S.IN_PROGRESS), "措置中"),
        "指摘02": ((S.DONE, S.DONE), "措置済"),
        "指摘03": ((S.DONE, S.NOT_TAKING), "措置しない"),
        "意見01": ((S.PLANNED, S.IN_PROGRESS), "措置予定・検討中"),
        "意見02": ((S.NOT_STARTED,), "未着手"),
    }
    findings = {f.code: f for f in Finding.objects.filter(report=report)}
    for code, (codes, _) in cases.items():
        give_measures(findings[code], codes, sections, auditor)
    statuses = list(MeasureStatus.objects.all())

    with django_assert_num_queries(1):
        rows = list(annotate_status_parts(Finding.objects.filter(report=report)))
        result = {f.code: derive_for(f, statuses) for f in rows}

    assert len(result) == 33
    assert {code: result[code] for code in cases} == {code: expected for code, (_, expected) in cases.items()}
    assert {label for code, label in result.items() if code not in cases} == {UNASSIGNED}


def test_renamed_label_is_used_without_code_change(finding, sections, auditor):
    give_measures(finding, (S.DONE, S.DONE), sections, auditor)
    assert derived(finding) == "措置済"

    done = MeasureStatus.objects.get(code=S.DONE)
    done.label = "改善済み"
    done.save()

    assert derived(finding) == "改善済み"


def test_renamed_open_label_is_used_for_mixed_measures(finding, sections, auditor):
    give_measures(finding, (S.DONE, S.IN_PROGRESS), sections, auditor)
    MeasureStatus.objects.filter(code=S.IN_PROGRESS).update(label="改善中")
    assert derived(finding) == "改善中"


def test_status_follows_the_accepted_reports(finding, sections, auditor, make_user):
    """End to end: the derived status moves only when the audit office accepts a report."""
    staff = make_user("staff", Role.SECTION_STAFF, sections[0])
    head = make_user("head", Role.SECTION_HEAD, sections[0])
    (measure,) = finding_assign(finding=finding, sections=sections[:1], reply_by=None, by=auditor)
    assert derived(finding) == "未着手"

    values = {
        "status": MeasureStatus.objects.get(code=S.DONE),
        "reported_on": datetime.date(2025, 6, 30),
        "text": "作成者と承認者の ID を分けた。",
        "completed_on": datetime.date(2025, 6, 1),
    }
    report = report_save_draft(measure=measure, by=staff, values=values, version=None)
    report_submit(report=report, by=head)
    assert derived(finding) == "未着手"  # not yet accepted

    report_accept(report=report, by=auditor)
    assert derived(finding) == "措置済"
