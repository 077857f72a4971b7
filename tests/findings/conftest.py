"""Fixtures shared by several test modules of tests/findings (each block says which)."""

import pytest
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import Section
from findings import services, workflow_views
from findings.choices import StatusCode
from findings.models import Finding, Measure
from findings.services import finding_assign

from .dashboard_helpers import FAR_PAST, FUTURE, PAST, TODAY, Mix, Office
from .permissions_matrix import World
from .report_data_helpers import REPORT_TEXT
from .services_helpers import REPLY_BY, People  # the same date as permissions_matrix.REPLY_BY
from .status_report_helpers import build_history

# -- fixtures of test_permission_matrix.py, test_permission_requests.py --


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


# -- fixtures of test_services_workflow.py, test_services_checks.py --


@pytest.fixture
def section(db):
    return Section.objects.get(bureau__name="都市政策局", name="広報広聴課")


@pytest.fixture
def other_section(db):
    return Section.objects.get(bureau__name="都市政策局", name="交通政策課")


@pytest.fixture
def people(make_user, section, other_section):
    return People(
        auditor=make_user("auditor", Role.AUDITOR, last_name="監査"),
        admin=make_user("admin", Role.ADMIN, last_name="管理"),
        staff1=make_user("staff1", Role.SECTION_STAFF, section, last_name="担当一"),
        staff2=make_user("staff2", Role.SECTION_STAFF, section, last_name="担当二"),
        head1=make_user("head1", Role.SECTION_HEAD, section, last_name="課長一"),
        head2=make_user("head2", Role.SECTION_HEAD, section, last_name="課長二"),
        outsider=make_user("outsider", Role.SECTION_STAFF, other_section, last_name="他課"),
        outsider_head=make_user("outsider_head", Role.SECTION_HEAD, other_section, last_name="他課長"),
    )


@pytest.fixture
def finding(report):
    return Finding.objects.get(report=report, code="指摘01")


@pytest.fixture
def opinion(report):
    return Finding.objects.get(report=report, code="意見01")


@pytest.fixture
def measure(finding, section, people):
    (measure,) = finding_assign(finding=finding, sections=[section], reply_by=REPLY_BY, by=people.auditor)
    return measure


# -- fixtures of test_report_findings.py, test_report_texts.py --


@pytest.fixture(scope="module")
def report_text():
    if not REPORT_TEXT.exists():
        pytest.skip(f"report text not available at {REPORT_TEXT}")
    return REPORT_TEXT.read_text(encoding="utf-8")


# -- fixtures of test_dashboard.py, test_dashboard_charts.py --


@pytest.fixture
def office(make_user, db):
    sections = {
        "A": Section.objects.get(bureau__name="都市政策局", name="広報広聴課"),  # 都市政策局 (order 1), 課 order 3
        "B": Section.objects.get(bureau__name="都市政策局", name="交通政策課"),  # 都市政策局 (order 1), 課 order 2
        "C": Section.objects.get(bureau__name="市民局", name="市民課"),  # 市民局 (order 6), 課 order 1
    }
    return Office(
        auditor=make_user("auditor", Role.AUDITOR),
        admin=make_user("admin", Role.ADMIN),
        staff={k: make_user(f"staff{k}", Role.SECTION_STAFF, s) for k, s in sections.items()},
        head={k: make_user(f"head{k}", Role.SECTION_HEAD, s) for k, s in sections.items()},
        sections=sections,
    )


@pytest.fixture
def mix(office, report):
    """Twelve findings of kanazawa-2024-dx assigned; the 2021 report's two 意見 stay unassigned.

    finding  sections  reply_by  what happened                                  finding status
    指摘01   A         FUTURE    A: accepted 措置済                              措置済
    指摘02   C         FAR_PAST  C: accepted 措置中                              措置中
    指摘03   B         PAST      nothing reported                               未着手
    意見01   A + B     PAST      A: accepted 措置済, B: accepted 措置中           措置中 (least advanced open)
    意見02   B         FUTURE    B: accepted 措置しない (with reason)              措置しない
    意見03   B         FUTURE    B: accepted 措置済                              措置済
    意見04   A         TODAY     A: accepted 措置予定・検討中                      措置予定・検討中
    意見05   A + C     FUTURE    A: accepted 措置済, C: accepted 措置しない        措置しない (closed, not all done)
    意見06   C         PAST      C: 措置済 submitted, not yet reviewed           未着手 (only accepted counts)
    意見07   A         none      A: 措置済 draft only                            未着手
    意見08   A         PAST      A: accepted 措置中, later accepted 措置済         措置済 (latest accepted)
    意見09   B         FUTURE    B: 措置済 submitted and returned (差戻し)        未着手
    """
    m = Mix(office, report)
    DONE, IN_PROGRESS, PLANNED, NOT_TAKING = (
        StatusCode.DONE,
        StatusCode.IN_PROGRESS,
        StatusCode.PLANNED,
        StatusCode.NOT_TAKING,
    )
    m.accept(m.assign("指摘01", "A", FUTURE)["A"], "A", DONE)
    m.accept(m.assign("指摘02", "C", FAR_PAST)["C"], "C", IN_PROGRESS)
    m.assign("指摘03", "B", PAST)
    both = m.assign("意見01", "AB", PAST)
    m.accept(both["A"], "A", DONE)
    m.accept(both["B"], "B", IN_PROGRESS)
    m.accept(m.assign("意見02", "B", FUTURE)["B"], "B", NOT_TAKING)
    m.accept(m.assign("意見03", "B", FUTURE)["B"], "B", DONE)
    m.accept(m.assign("意見04", "A", TODAY)["A"], "A", PLANNED)
    both = m.assign("意見05", "AC", FUTURE)
    m.accept(both["A"], "A", DONE)
    m.accept(both["C"], "C", NOT_TAKING)
    m.submit(m.assign("意見06", "C", PAST)["C"], "C", DONE)
    m.draft(m.assign("意見07", "A", None)["A"], "A", DONE)
    measure = m.assign("意見08", "A", PAST)["A"]
    m.accept(measure, "A", IN_PROGRESS)
    m.accept(measure, "A", DONE)
    m.return_(m.assign("意見09", "B", FUTURE)["B"], "B", DONE)
    return m


@pytest.fixture
def page(mix, office, client, monkeypatch):
    monkeypatch.setattr(workflow_views, "_today", lambda: TODAY)
    client.force_login(office.auditor)
    response = client.get(reverse("findings:dashboard"))
    assert response.status_code == 200
    return response


# -- fixtures of test_status_report.py, test_status_report_filters.py --


@pytest.fixture
def history(make_user, report):
    return build_history(make_user, report)
