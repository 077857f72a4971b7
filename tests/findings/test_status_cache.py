"""Finding.status_code (kept by the services) always equals the status derived from the measures."""

import datetime

import pytest

from auditreg.choices import Role
from auditreg.models import Section
from findings import services
from findings.models import Finding, MeasureStatus
from findings.status import annotate_status_parts, derive_code

pytestmark = pytest.mark.django_db


def assert_consistent():
    statuses = list(MeasureStatus.objects.order_by("order"))
    for f in annotate_status_parts(Finding.objects.all()):
        derived = derive_code(
            n_measures=f.n_measures,
            n_done=f.n_done,
            n_closed=f.n_closed,
            min_open_order=f.min_open_order,
            statuses=statuses,
        )
        assert f.status_code == derived, f.code


def test_stored_status_follows_every_step(make_user, report):
    a = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    b = Section.objects.get(bureau__name="総務局", name="デジタル行政戦略課")
    auditor = make_user("aud", Role.AUDITOR)
    people = {
        s.pk: (make_user(f"st{s.pk}", Role.SECTION_STAFF, s), make_user(f"hd{s.pk}", Role.SECTION_HEAD, s))
        for s in (a, b)
    }
    finding = Finding.objects.get(report=report, code="意見04")
    assert_consistent()
    measures = services.finding_assign(finding=finding, sections=[a, b], reply_by=None, by=auditor)
    assert Finding.objects.get(pk=finding.pk).status_code == "not_started"
    for m, code in zip(measures, ["done", "in_progress"], strict=True):
        staff, head = people[m.section_id]
        status = MeasureStatus.objects.get(code=code)
        r = services.report_save_draft(
            measure=m,
            by=staff,
            version=None,
            values={
                "status": status,
                "reported_on": datetime.date(2025, 6, 1),
                "text": "対応",
                "completed_on": datetime.date(2025, 6, 1) if code == "done" else None,
            },
        )
        services.report_submit(report=r, by=head)
        services.report_accept(report=r, by=auditor)
        assert_consistent()
    assert Finding.objects.get(pk=finding.pk).status_code == "in_progress"
    services.finding_assign(finding=finding, sections=[a, b], reply_by=datetime.date(2026, 3, 31), by=auditor)
    assert_consistent()
