"""Shared builders for the inquiry round (照会) tests: people, measures, a round, workbook editing and a
snapshot of everything an answer could write. (No tests here; the test_inquiry_*.py files use it.)"""

import datetime
import io
from dataclasses import dataclass

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section
from findings import services
from findings.choices import StatusCode
from findings.models import Finding, FindingSection, Measure, MeasureReport, MeasureStatus
from imports import inquiry
from imports.models import InquiryResponse
from tests.factories import bulk_report

REPLY_BY = datetime.date(2025, 9, 30)
BEFORE_DEADLINE = datetime.date(2025, 9, 1)
AFTER_DEADLINE = datetime.date(2025, 10, 1)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class World:
    section: Section  # 広報広聴課: the section whose answers the tests upload
    other: Section  # 交通政策課: also in the round
    outside: Section  # a section not in the round
    auditor: object
    admin: object
    staff: object
    staff2: object
    head: object
    other_staff: object
    other_head: object
    outside_staff: object
    m01: Measure  # 指摘01 × section (in the round)
    m03: Measure  # 意見03 × section (in the round)
    m01_other: Measure  # 指摘01 × other (in the round)
    m16_other: Measure  # 意見16 × other (in the round)
    m17: Measure  # 意見17 × section (assigned, but not in the round)
    round: object


def status(code) -> MeasureStatus:
    return MeasureStatus.objects.get(code=code)


def report_values(code=StatusCode.IN_PROGRESS, text="対応を進めている。", **extra) -> dict:
    values = {
        "status": status(code),
        "reported_on": datetime.date(2025, 6, 30),
        "text": text,
        "planned_completion_on": None,
        "completed_on": datetime.date(2025, 6, 1) if code == StatusCode.DONE else None,
        "reason": "",
    }
    return values | extra


def draft(measure, by, **kwargs) -> MeasureReport:
    return services.report_save_draft(measure=measure, by=by, values=report_values(**kwargs), version=None)


def build_world(make_user, report) -> World:
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    other = Section.objects.get(bureau__name="都市政策局", name="交通政策課")
    outside = Section.objects.exclude(pk__in=[section.pk, other.pk]).order_by("pk").first()
    auditor = make_user("auditor", Role.AUDITOR, last_name="監査")
    people = {
        "auditor": auditor,
        "admin": make_user("admin", Role.ADMIN, last_name="管理"),
        "staff": make_user("staff", Role.SECTION_STAFF, section, last_name="担当"),
        "staff2": make_user("staff2", Role.SECTION_STAFF, section, last_name="担当二"),
        "head": make_user("head", Role.SECTION_HEAD, section, last_name="課長"),
        "other_staff": make_user("other_staff", Role.SECTION_STAFF, other, last_name="他課担当"),
        "other_head": make_user("other_head", Role.SECTION_HEAD, other, last_name="他課長"),
        "outside_staff": make_user("outside_staff", Role.SECTION_STAFF, outside, last_name="対象外"),
    }

    def finding(code):
        return Finding.objects.get(report=report, code=code)

    def assign(code, sections):
        return services.finding_assign(finding=finding(code), sections=sections, reply_by=REPLY_BY, by=auditor)

    m01, m01_other = assign("指摘01", [section, other])
    (m03,) = assign("意見03", [section])
    (m16_other,) = assign("意見16", [other])
    (m17,) = assign("意見17", [section])
    round_ = inquiry.round_create(
        title="令和7年度 第1回 措置状況照会",
        reply_by=REPLY_BY,
        findings=[finding("指摘01"), finding("意見03"), finding("意見16")],
        sections=[section, other, outside],
        note="9月末までに回答してください。",
        by=auditor,
    )
    return World(
        section=section,
        other=other,
        outside=outside,
        m01=m01,
        m03=m03,
        m01_other=m01_other,
        m16_other=m16_other,
        m17=m17,
        round=round_,
        **people,
    )


# -- workbooks ----------------------------------------------------------------------------------


def open_book(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def save_book(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def columns(ws) -> dict[str, int]:
    """Header label (first line) -> column number, from the header row."""
    row = header_row(ws)
    return {str(c.value).split("\n")[0]: c.column for c in ws[row] if c.value is not None}


def header_row(ws) -> int:
    for row in ws.iter_rows(min_row=1, max_row=15):
        if row[0].value and str(row[0].value).startswith(inquiry.ID_HEADER):
            return row[0].row
    raise AssertionError("no header row")


def row_of(ws, measure) -> int:
    for row in ws.iter_rows(min_row=header_row(ws) + 1):
        if row[0].value == measure.pk:
            return row[0].row
    raise AssertionError(f"no row for measure {measure.pk}")


def edit(content: bytes, changes: dict) -> bytes:
    """changes: {measure: {header label: value}} written with openpyxl, as a person would in Excel."""
    wb = open_book(content)
    ws = wb[inquiry.SHEET]
    cols = columns(ws)
    for measure, cells in changes.items():
        r = row_of(ws, measure)
        for label, value in cells.items():
            ws.cell(row=r, column=cols[label], value=value)
    return save_book(wb)


def upload(content: bytes, name="回答.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)


# -- what an answer could write -----------------------------------------------------------------


def snapshot() -> dict:
    """Every measure report (all fields), the change log's size and the responses' answer fields."""
    return {
        "reports": sorted(MeasureReport.objects.values_list()),
        "changelog": ChangeLog.objects.count(),
        "responses": sorted(InquiryResponse.objects.values_list("pk", "answered_at", "answered_by")),
        "measures": sorted(Measure.objects.values_list()),
    }


def big_round(make_user, n_findings: int):
    """A round over a synthetic report: n findings, each assigned to its section (n/10 sections), with
    drafts and submitted reports, every section downloaded and every other one answered. Returns the
    round and one staff member per section."""
    auditor = make_user(f"auditor{n_findings}", Role.AUDITOR)
    synthetic = bulk_report(n_findings, code=f"inq{n_findings}")
    links = FindingSection.objects.filter(finding__report=synthetic).select_related("finding", "section")
    for link in links:
        services.finding_assign(finding=link.finding, sections=[link.section], reply_by=REPLY_BY, by=auditor)
    sections = sorted({link.section for link in links}, key=lambda s: s.pk)
    round_ = inquiry.round_create(
        title="大きな照会",
        reply_by=REPLY_BY,
        findings=[link.finding for link in links],
        sections=sections,
        by=auditor,
    )
    people = []
    for i, section in enumerate(sections):
        staff = make_user(f"s{n_findings}-{i}", Role.SECTION_STAFF, section)
        people.append(staff)
        head = make_user(f"h{n_findings}-{i}", Role.SECTION_HEAD, section)
        inquiry.section_workbook(inquiry_round=round_, section=section, by=staff)
        measures = list(Measure.objects.filter(section=section).order_by("pk"))
        report = services.report_save_draft(
            measure=measures[0], by=staff, values=report_values(StatusCode.PLANNED), version=None
        )
        if len(measures) > 1:
            services.report_submit(report=draft(measures[1], staff), by=head)
        if i % 2:
            services.report_submit(report=report, by=head)
            InquiryResponse.objects.filter(round=round_, section=section).update(answered_at=staff.date_joined)
    return round_, people
