"""The Excel as downloaded at scale (issue #16.6): the same SQL queries for one report as for several, every
row of every report in its sheets, and the row writer's zip (rows deflated as written, the CRC joined) read
back whole, with what its cells hold."""

import datetime
import io
import random
import zipfile
import zlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.safestring import mark_safe
from openpyxl import load_workbook

from auditreg import xlsx
from auditreg.choices import Role
from auditreg.models import CitySettings, User
from auditreg.wareki import format_datetime, format_fiscal_year
from findings import renderers
from findings.models import Finding, Measure, MeasureReport, MeasureStatus
from findings.status_report import build
from tests.factories import bulk_report

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2031, 12, 31)


def with_history(report, *, year: int, per_finding: int = 2) -> int:
    """Each finding of `report` assigned to its section with `per_finding` accepted reports, the report dated
    `year`; returns the number of accepted reports."""
    report.fiscal_year = year
    report.save(update_fields=["fiscal_year"])
    staff, head = (
        User.objects.get_or_create(username=f"scale_{name}", defaults={"role": Role.AUDITOR, "last_name": name})[0]
        for name in ("担当", "課長")
    )
    status = MeasureStatus.objects.get(code="in_progress")
    when = timezone.make_aware(datetime.datetime(2031, 6, 1, 10))
    findings = list(Finding.objects.filter(report=report).prefetch_related("report_sections"))
    measures = Measure.objects.bulk_create(
        [
            Measure(
                finding=f,
                section=f.report_sections.all()[0].section,
                status=status,
                assigned_by=staff,
                assigned_at=when,
            )
            for f in findings
        ]
    )
    MeasureReport.objects.bulk_create(
        [
            MeasureReport(
                measure=m,
                state="accepted",
                status=status,
                reported_on=datetime.date(2031, 6, 1),
                text=f"第{k + 1}回の報告 & <確認> {m.finding.code}",
                drafted_by=staff,
                drafted_at=when + datetime.timedelta(days=k),
                last_edited_by=staff,
                updated_at=when,
                approved_by=head,
                approved_at=when,
                reviewed_by=staff,
                reviewed_at=when + datetime.timedelta(days=k, hours=1),
            )
            for m in measures
            for k in range(per_finding)
        ]
    )
    return len(measures) * per_finding


def downloaded(reports, *, data_sheets: bool = True) -> tuple[int, bytes]:
    """Queries and content of the Excel as the download builds it: the status report, then the workbook."""
    with CaptureQueriesContext(connection) as ctx:
        content = renderers.render_xlsx(build(reports=reports, as_of=AS_OF), data_sheets=data_sheets)
    return len(ctx.captured_queries), content


@pytest.fixture
def several():
    return [bulk_report(n, code=f"scale-{i}") for i, n in enumerate((5, 12, 30, 7))]


def test_queries_are_the_same_for_one_report_and_several(several, django_assert_max_num_queries):
    one = several[:1]
    with_history(one[0], year=2031)
    for i, r in enumerate(several[1:]):
        with_history(r, year=2028 + i)
    CitySettings.current()  # cached per process, as when serving
    # statuses, findings, measures, hand-overs, latest reports, the kinds' labels; with the data sheets also the
    # reports, 指摘・意見, 措置履歴, 情報システム, DX予算's fields and lines
    for data_sheets, bound in ((False, 6), (True, 12)):
        with django_assert_max_num_queries(bound):
            n_one, _ = downloaded(one, data_sheets=data_sheets)
        with django_assert_max_num_queries(bound):
            n_several, _ = downloaded(several, data_sheets=data_sheets)
        assert n_one == n_several, (data_sheets, n_one, n_several)


def test_several_reports_every_row_with_its_year(several):
    accepted = sum(with_history(r, year=2027 + i) for i, r in enumerate(several))
    _, content = downloaded(several)
    book = load_workbook(io.BytesIO(content))
    findings = Finding.objects.filter(report__in=several)
    table = [r for r in book["措置状況"].iter_rows(min_row=renderers.HEADER_ROW + 1, values_only=True)]
    assert len(table) == findings.count() == 5 + 12 + 30 + 7
    # each row's 番号 after its own report's 年度 (looked up per row from the reports)
    expected = sorted(f"{format_fiscal_year(f.report.fiscal_year)} {f.code}" for f in findings.select_related("report"))
    assert sorted(r[0] for r in table) == expected
    history = list(book["措置履歴"].iter_rows(min_row=2, values_only=True))
    assert len(history) == accepted == MeasureReport.objects.filter(measure__finding__report__in=several).count()
    latest = MeasureReport.objects.filter(measure__finding__report=several[-1]).latest("reviewed_at")
    assert format_datetime(latest.reviewed_at) in {r[12] for r in history}
    assert {r[6] for r in history} >= {f"第2回の報告 & <確認> {latest.measure.finding.code}"}  # escaped, read back
    assert len(list(book["指摘・意見"].iter_rows(min_row=2))) == findings.count()


def test_crc32_combine_is_the_crc_of_the_joined_bytes():
    rnd = random.Random(16)
    for size_a, size_b in [(0, 0), (0, 5), (5, 0), (1, 1), (1000, 70_000), (70_000, 3)]:
        a, b = rnd.randbytes(size_a), rnd.randbytes(size_b)
        assert xlsx._crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_rows_read_back_whole_across_buffers():
    """More rows than one buffer (500), every kind of value, texts needing escaping and cleaning: the archive's
    CRCs hold and every cell reads back as written."""
    book = xlsx.Book()
    ws = book.sheet("表", widths=[10, 20, 8, 8])
    ws.append(["見出し", "本文", "数", "可否"], xlsx.HEAD)
    rows = [
        [f"行{i}", f"A & B <{i}> 改行\r\nあり" if i % 7 == 0 else "本文" * (i % 30), i, i % 2 == 0] for i in range(1234)
    ]
    for row in rows:
        ws.append(row)
    ws.append([mark_safe("<安全>"), "制御\x01文字\x1f", None, 1.5])
    ws.append(["", None, 0, False], [xlsx.CELL, xlsx.CELL, xlsx.MONEY, xlsx.CELL])
    content = book.save()
    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None  # every entry's CRC-32 matches
    sheet = load_workbook(io.BytesIO(content))["表"]
    read = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert read[: len(rows)] == [[a, b.replace("\r\n", "\n") or None, n, flag] for a, b, n, flag in rows]
    assert read[-2] == ["<安全>", "制御文字", None, 1.5]
    assert read[-1] == [None, None, 0, False]
    assert sheet.max_row == len(rows) + 3
    # a row as tall as its wrapped text: 本文 × 29 is 116 half-width units, in a 20-wide column (17 a line) 7 lines
    assert sheet.row_dimensions[31].height == pytest.approx(7 * xlsx.FONT_SIZE * xlsx.LINE_HEIGHT + xlsx.ROW_PADDING)
    assert sheet.row_dimensions[3].height is None  # 本文 × 1: one line
