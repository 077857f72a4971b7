"""Two reports shaped unlike the Kanazawa DX report, each taken through the Excel template: import, the
import of the city's earlier measures, assignment, the workflow, and the 措置状況 as of past dates.

(a) a 補助金 audit numbered （1）…, with 部-level units, no systems and no budget, only some of its
    findings loaded (the report states 10; 4 are loaded);
(b) a 定期監査 with 指摘事項 only, numbering restarting in each 局, and an outside body (a 公社 under the
    出資団体 group) as a responsible unit.

Every expected row below is written out by hand from the data this file states, not computed by the app.
The workbook is filled from the blank template by header names, so the test depends on the template's
columns, not on the app's own writer; (b) also goes through the upload page and the command line.
"""

import datetime
import io
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from auditreg.choices import Role
from auditreg.models import Bureau, Section
from findings import publishing
from findings.bundle.schema import CSV_FILES, YAML_FILES
from findings.models import Finding, FindingKindLabel, Measure, MeasureStatus, Publication, ReportArea
from findings.services import finding_assign, report_accept, report_save_draft, report_submit
from findings.status_report import build, table_cells
from imports import pipeline
from imports.choices import BatchState
from imports.models import ImportBatch
from imports.workbook import LAYOUT, template_bytes
from systems.models import InformationSystem

from .helpers import upload

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
D = datetime.date

# -- (a) the subsidy audit --------------------------------------------------------------------------------------
SUBSIDY = {
    "reports.yaml": [
        {
            "code": "2023-hojokin",
            "kind": "包括外部監査",
            "fiscal_year": 2023,
            "target_fiscal_year": 2022,
            "theme": "補助金等の交付事務について",
            "auditor": "監査 一郎",
            "published_on": D(2024, 3, 29),
            "publication_number": "監査公表第3号",
            "stated_counts": {"findings": 10},  # the report has 10; this file loads 4 of them
            "areas": [{"code": "補助金", "label": "補助金"}, {"code": "負担金", "label": "負担金"}],
            "kinds": [{"code": "指摘", "label": "指摘"}, {"code": "意見", "label": "意見"}],
        }
    ],
    "organisation/bureaus.csv": [
        {"order": 31, "name": "文化観光局", "kind": "局"},
        {"order": 32, "name": "産業局", "kind": "局"},
    ],
    "organisation/sections.csv": [
        {"bureau": "文化観光局", "order": 1, "name": "文化スポーツ部", "kind": "部"},
        {"bureau": "文化観光局", "order": 2, "name": "文化振興課", "kind": "課", "parent": "文化スポーツ部"},
        {"bureau": "産業局", "order": 1, "name": "産業振興部", "kind": "部"},
    ],
    "findings.yaml": [
        {
            "report": "2023-hojokin",
            "code": "（1）",
            "kind": "指摘",
            "number": 1,
            "area": "補助金",
            "title": "補助金の実績報告の確認について",
            "summary": "実績報告書の確認が不十分であった。",
            "page": 12,
            "source_publication": "監査公表第3号",
            "blocks": [{"label": "監査の結果", "text": "実績報告書に領収書の添付がないまま確定していた。"}],
            "subjects": [{"kind": "subsidy", "name": "文化芸術活動補助金"}],
            "sections": [{"bureau": "文化観光局", "section": "文化スポーツ部"}],
        },
        {
            "report": "2023-hojokin",
            "code": "（2）",
            "kind": "指摘",
            "number": 2,
            "area": "補助金",
            "title": "交付要綱の見直しについて",
            "page": 15,
            "blocks": [{"label": "監査の結果", "text": "交付要綱が10年以上見直されていない。"}],
            "subjects": [{"kind": "subsidy", "name": "商店街振興補助金"}],
            "sections": [{"bureau": "産業局", "section": "産業振興部"}],
        },
        {
            "report": "2023-hojokin",
            "code": "（3）",
            "kind": "意見",
            "number": 3,
            "area": "負担金",
            "title": "負担金の効果測定について",
            "page": 20,
            "blocks": [{"label": "意見の要旨", "text": "負担金の効果を測る指標を設けられたい。"}],
            "subjects": [{"kind": "body", "name": "観光協会"}],
            "sections": [],  # the report names no unit: the audit office assigns one
        },
        {
            "report": "2023-hojokin",
            "code": "（4）",
            "kind": "意見",
            "number": 4,
            "area": "補助金",
            "title": "補助対象経費の明確化について",
            "page": 22,
            "blocks": [{"label": "意見の要旨", "text": "補助対象経費の範囲を明確にされたい。"}],
            "subjects": [],
            "sections": [{"bureau": "文化観光局", "section": "文化振興課"}],
        },
    ],
    # the city's own records of earlier measures and its first publication
    "history/measures.yaml": [
        {
            "report": "2023-hojokin",
            "finding": "（1）",
            "bureau": "文化観光局",
            "section": "文化スポーツ部",
            "status": "措置中",
            "reported_on": D(2024, 9, 30),
            "text": "領収書の確認手順を定めた。",
        },
        {
            "report": "2023-hojokin",
            "finding": "（2）",
            "bureau": "産業局",
            "section": "産業振興部",
            "status": "planned",
            "reported_on": D(2024, 9, 30),
            "text": "要綱の見直しを検討している。",
        },
        {
            "report": "2023-hojokin",
            "finding": "（1）",
            "bureau": "文化観光局",
            "section": "文化スポーツ部",
            "status": "措置済",
            "reported_on": D(2025, 3, 31),
            "text": "全件で領収書を確認するようにした。",
            "completed_on": D(2025, 3, 15),
            "notice_number": "市文第12号",
            "notice_on": D(2025, 5, 10),
        },
    ],
    "history/publications.csv": [{"number": 1, "published_on": D(2024, 11, 15), "as_of": D(2024, 9, 30)}],
}

# -- (b) the periodic audit -------------------------------------------------------------------------------------
PERIODIC = {
    "reports.yaml": [
        {
            "code": "2024-teiki",
            "kind": "定期監査",
            "fiscal_year": 2024,
            "theme": "市民生活局・環境保全局及び出資団体の事務の執行",
            "published_on": D(2025, 2, 20),
            "kinds": [{"code": "指摘事項", "label": "指摘事項"}],
        }
    ],
    "organisation/bureaus.csv": [
        {"order": 41, "name": "市民生活局", "kind": "局"},
        {"order": 42, "name": "環境保全局", "kind": "局"},
        {"order": 43, "name": "出資団体", "kind": "外郭団体"},
    ],
    "organisation/sections.csv": [
        {"bureau": "市民生活局", "order": 1, "name": "市民課", "kind": "課"},
        {"bureau": "環境保全局", "order": 1, "name": "環境政策課", "kind": "課"},
        {"bureau": "出資団体", "order": 1, "name": "公益財団法人市民公社", "kind": "外郭団体"},
    ],
    "findings.yaml": [
        {
            "report": "2024-teiki",
            "code": "（1）",
            "key": "市民生活局-1",
            "kind": "指摘事項",
            "number": 1,
            "title": "手数料の収納事務について",
            "blocks": [{"label": "指摘事項", "text": "収納した手数料の日計が照合されていない。"}],
            "sections": [{"bureau": "市民生活局", "section": "市民課"}],
        },
        {
            "report": "2024-teiki",
            "code": "（2）",
            "key": "市民生活局-2",
            "kind": "指摘事項",
            "number": 2,
            "title": "公印の管理について",
            "blocks": [{"label": "指摘事項", "text": "公印の使用簿が記録されていない。"}],
            "sections": [{"bureau": "市民生活局", "section": "市民課"}],
        },
        {
            "report": "2024-teiki",
            "code": "（1）",
            "key": "環境保全局-1",
            "kind": "指摘事項",
            "number": 1,
            "title": "委託契約の検査について",
            "blocks": [{"label": "指摘事項", "text": "完了検査の記録がない。"}],
            "sections": [{"bureau": "環境保全局", "section": "環境政策課"}],
        },
        {
            "report": "2024-teiki",
            "code": "（1）",
            "key": "出資団体-1",
            "kind": "指摘事項",
            "number": 1,
            "title": "備品の管理について",
            "blocks": [{"label": "指摘事項", "text": "備品台帳と現物が一致しない。"}],
            "subjects": [{"kind": "body", "name": "公益財団法人市民公社"}],
            "sections": [{"bureau": "出資団体", "section": "公益財団法人市民公社"}],
        },
    ],
    "history/measures.yaml": [
        {
            "report": "2024-teiki",
            "finding": "市民生活局-1",
            "bureau": "市民生活局",
            "section": "市民課",
            "status": "措置済",
            "reported_on": D(2025, 5, 31),
            "text": "日計の照合を毎日行うこととした。",
            "completed_on": D(2025, 5, 1),
            "publication_number": 1,
            "published_on": D(2025, 7, 1),
        },
        {
            "report": "2024-teiki",
            "finding": "出資団体-1",
            "bureau": "出資団体",
            "section": "公益財団法人市民公社",
            "status": "措置中",
            "reported_on": D(2025, 5, 31),
            "text": "台帳の整理を進めている。",
            "publication_number": 1,
            "published_on": D(2025, 7, 1),
        },
    ],
}


# -- writing the data: as the Excel template (filled by header names), or as a folder -----------------------------


def workbook(data: dict) -> bytes:
    """The blank template, each sheet filled by its header names; sheets without data are removed."""
    book = load_workbook(io.BytesIO(template_bytes()))
    for spec in LAYOUT:
        items = data.get(spec.file, [])
        ws = book[spec.title]
        header = [c.value for c in ws[1]]
        rows = []
        for item in items:
            if not spec.parent:
                rows.append(dict(item))
                continue
            key = {here: item.get(there) or (item.get("code") if there == "key" else None) for here, there in spec.keys}
            nested = item.get(spec.fills) or []
            if isinstance(nested, dict):
                nested = [{"key": k, "value": v} for k, v in nested.items()]
            rows += [key | entry for entry in nested]
        if not rows:
            del book[spec.title]
            continue
        for row in rows:
            ws.append([_cell(row.get(name)) for name in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value):
    if isinstance(value, (list, dict)):
        return None
    return value


def folder(data: dict, root: Path) -> Path:
    """The same data as a bundle folder (CSV and YAML files)."""
    import csv

    for name, items in data.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name in CSV_FILES:
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                columns = [c.name for c in CSV_FILES[name]]
                writer.writerow(columns)
                for item in items:
                    writer.writerow(["" if item.get(c) is None else item.get(c) for c in columns])
        else:
            assert name in YAML_FILES
            path.write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def import_workbook(data: dict, by) -> ImportBatch:
    batch = pipeline.stage(kind=None, upload=upload(workbook(data), "報告書.xlsx"), by=by)
    assert batch.problems == [], batch.problems
    assert batch.state == BatchState.PREVIEWED
    return pipeline.confirm(batch=batch, by=by)


# -- the workflow, with the clock set ------------------------------------------------------------------------------


@contextmanager
def at(moment: datetime.datetime):
    with patch("django.utils.timezone.now", return_value=moment):
        yield


def jst(*args):
    return datetime.datetime(*args, tzinfo=JST)


def take_through_workflow(measure, status_code, text, *, staff, head, auditor, day, completed_on=None):
    status = MeasureStatus.objects.get(code=status_code)
    values = {
        "status": status,
        "reported_on": day,
        "text": text,
        "planned_completion_on": None,
        "completed_on": completed_on,
        "reason": "",
    }
    with at(jst(day.year, day.month, day.day, 10)):
        report = report_save_draft(measure=measure, by=staff, values=values, version=None)
    with at(jst(day.year, day.month, day.day, 11)):
        report = report_submit(report=report, by=head)
    with at(jst(day.year, day.month, day.day, 15)):
        return report_accept(report=report, by=auditor)


def rows_of(built):
    """(番号, 区分, 要旨, 所管, 措置の内容, 措置状況, 措置年月日) as printed."""
    return [tuple(cells[i] for i in (0, 1, 3, 4, 5, 6, 7)) for cells in (table_cells(built, r) for r in built.rows)]


# -- (a) ------------------------------------------------------------------------------------------------------------


def test_a_subsidy_audit_through_the_excel_template(make_user):
    admin = make_user("o-admin", Role.AUDITOR)
    batch = import_workbook(SUBSIDY, admin)
    assert batch.state == BatchState.APPLIED

    # the report's own vocabulary and organisation, nothing forced
    findings = {f.code: f for f in Finding.objects.filter(report__code="2023-hojokin")}
    assert sorted(findings) == ["（1）", "（2）", "（3）", "（4）"]
    assert [(a.code, a.order) for a in ReportArea.objects.filter(report__code="2023-hojokin")] == [
        ("補助金", 1),
        ("負担金", 2),
    ]
    assert findings["（1）"].text_blocks() == [
        {"label": "監査の結果", "text": "実績報告書に領収書の添付がないまま確定していた。"}
    ]
    division = Section.objects.get(name="文化振興課")
    assert division.parent.name == "文化スポーツ部" and division.parent.kind == "部"
    assert not InformationSystem.objects.filter(report__code="2023-hojokin").exists()
    assert str(findings["（3）"].subjects.get()) == "観光協会"

    # the status report as of a date before any entry in the app shows what the city had published
    before = build(reports=[findings["（1）"].report], as_of=D(2024, 10, 1))
    assert rows_of(before) == [
        (
            "（1）",
            "指摘",
            "実績報告書の確認が不十分であった。",
            "文化観光局 文化スポーツ部",
            "領収書の確認手順を定めた。",
            "措置中",
            "",
        ),
        (
            "（2）",
            "指摘",
            "交付要綱の見直しについて",
            "産業局 産業振興部",
            "要綱の見直しを検討している。",
            "措置予定・検討中",
            "",
        ),
        ("（3）", "意見", "負担金の効果測定について", "（所管課未定）", "", "未割当", ""),
        ("（4）", "意見", "補助対象経費の明確化について", "（所管課未定）", "", "未割当", ""),
    ]
    # the registered publication holds the same, and names its number
    first = Publication.objects.get(number=1)
    assert first.as_of == D(2024, 9, 30) and first.snapshot["registered"]
    assert [(r["code"], r["status_code"]) for r in first.snapshot["rows"]] == [
        ("（1）", "in_progress"),
        ("（2）", "planned"),
        ("（3）", ""),
        ("（4）", ""),
    ]
    spring = build(reports=[findings["（1）"].report], as_of=D(2025, 4, 30))
    assert rows_of(spring)[0] == (
        "（1）",
        "指摘",
        "実績報告書の確認が不十分であった。",
        "文化観光局 文化スポーツ部",
        "全件で領収書を確認するようにした。",
        "措置済",
        "令和7年3月15日",
    )
    adopted = Measure.objects.get(finding=findings["（1）"]).accepted_report
    assert (adopted.notice_number, adopted.notice_on, adopted.adopted) == ("市文第12号", D(2025, 5, 10), True)

    # the audit office assigns (3) at 部 level, the 部 reports through the ordinary workflow
    industry = Section.objects.get(name="産業振興部")
    staff = make_user("o-staff", Role.SECTION_STAFF, industry)
    head = make_user("o-head", Role.SECTION_HEAD, industry, last_name="部長")
    with at(jst(2026, 1, 10, 9)):
        (measure,) = finding_assign(finding=findings["（3）"], sections=[industry], reply_by=None, by=admin)
    take_through_workflow(
        measure, "in_progress", "効果測定の指標案を作成中。", staff=staff, head=head, auditor=admin, day=D(2026, 1, 20)
    )
    now = build(reports=[findings["（1）"].report], as_of=D(2026, 2, 1))
    assert [(r[0], r[3], r[5]) for r in rows_of(now)] == [
        ("（1）", "文化観光局 文化スポーツ部", "措置済"),
        ("（2）", "産業局 産業振興部", "措置予定・検討中"),
        ("（3）", "産業局 産業振興部", "措置中"),
        ("（4）", "（所管課未定）", "未割当"),
    ]
    # 措置済率 over the 10 findings the report states, not the 4 loaded
    assert (now.n_done, now.n_findings, now.n_basis) == (1, 4, 10)
    assert now.done_rate == pytest.approx(10.0)
    # the first publication made here compares with the registered one
    with patch("findings.renderers.render_pdf", return_value=b"%PDF-1.7\n%%EOF\n"):
        second = publishing.publish(
            reports=[findings["（1）"].report],
            as_of=D(2026, 2, 1),
            per="finding",
            number=2,
            published_on=D(2026, 2, 20),
            by=admin,
        )
    assert second.previous == first
    assert second.snapshot["changes"]["completed"] == ["（1）"]
    assert second.snapshot["changes"]["progressed"] == ["（3）"]  # 未割当 → 措置中


# -- (b) ------------------------------------------------------------------------------------------------------------


def test_b_a_periodic_audit_through_the_upload_page(client, make_user):
    auditor = make_user("p-auditor", Role.AUDITOR)
    client.force_login(auditor)
    response = client.post(reverse("imports:import_upload"), {"file": upload(workbook(PERIODIC), "定期監査.xlsx")})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.problems == [], batch.problems
    response = client.post(reverse("imports:batch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.state == BatchState.APPLIED

    kind = FindingKindLabel.objects.get(code="指摘事項")
    assert kind.label == "指摘事項" and kind.counted_in_status
    report = Finding.objects.filter(report__code="2024-teiki").first().report
    # numbering restarts in each 局: the printed code repeats, the internal key tells them apart
    assert sorted(Finding.objects.filter(report=report).values_list("code", "key")) == [
        ("（1）", "出資団体-1"),
        ("（1）", "市民生活局-1"),
        ("（1）", "環境保全局-1"),
        ("（2）", "市民生活局-2"),
    ]
    outside = Bureau.objects.get(name="出資団体")
    assert outside.kind == "外郭団体"

    # a date before any entry in the app: what the city published, from the adopted history
    published = build(reports=[report], as_of=D(2025, 6, 30))
    # assigned rows in organisation order (局 by the master's order), then those not yet assigned
    assert rows_of(published) == [
        (
            "（1）",
            "指摘事項",
            "手数料の収納事務について",
            "市民生活局 市民課",
            "日計の照合を毎日行うこととした。",
            "措置済",
            "令和7年5月1日",
        ),
        (
            "（1）",
            "指摘事項",
            "備品の管理について",
            "出資団体 公益財団法人市民公社",
            "台帳の整理を進めている。",
            "措置中",
            "",
        ),
        ("（2）", "指摘事項", "公印の管理について", "（所管課未定）", "", "未割当", ""),
        ("（1）", "指摘事項", "委託契約の検査について", "（所管課未定）", "", "未割当", ""),
    ]
    # before the history's first date nothing was assigned yet
    assert {r[5] for r in rows_of(build(reports=[report], as_of=D(2025, 5, 30)))} == {"未割当"}
    # the publication the entries name was registered, as of their latest date
    first = Publication.objects.get(number=1)
    assert (first.published_on, first.as_of) == (D(2025, 7, 1), D(2025, 5, 31))

    # assignment and the workflow: the outside body reports, 環境保全局 is assigned
    body = Section.objects.get(name="公益財団法人市民公社")
    staff = make_user("p-staff", Role.SECTION_STAFF, body)
    head = make_user("p-head", Role.SECTION_HEAD, body, last_name="事務局長")
    measure = Measure.objects.get(finding__key="出資団体-1")
    take_through_workflow(
        measure,
        "done",
        "台帳と現物を照合し一致させた。",
        staff=staff,
        head=head,
        auditor=auditor,
        day=D(2025, 10, 1),
        completed_on=D(2025, 9, 30),
    )
    env = Section.objects.get(bureau__name="環境保全局", name="環境政策課")
    with at(jst(2025, 10, 2, 9)):
        finding_assign(finding=Finding.objects.get(key="環境保全局-1"), sections=[env], reply_by=None, by=auditor)
    autumn = build(reports=[report], as_of=D(2025, 10, 31))
    assert [(r[0], r[3], r[5], r[6]) for r in rows_of(autumn)] == [
        ("（1）", "市民生活局 市民課", "措置済", "令和7年5月1日"),
        ("（1）", "環境保全局 環境政策課", "未着手", ""),
        ("（1）", "出資団体 公益財団法人市民公社", "措置済", "令和7年9月30日"),
        ("（2）", "（所管課未定）", "未割当", ""),
    ]
    assert [(s["kind"], s["counts"][1:], s["total"]) for s in autumn.summary if s["code"] == "指摘事項"] == [
        ("指摘事項", [1, 0, 0, 2, 0], 4)
    ]
    # filters work on unit ids: the outside body's rows only
    assert [r.code for r in build(reports=[report], as_of=D(2025, 10, 31), bureau=body.bureau).rows] == ["（1）"]
    # the past date still shows what was published then, whatever happened since
    assert rows_of(build(reports=[report], as_of=D(2025, 6, 30))) == rows_of(published)


def test_b_renumbering_after_measures_exist_keeps_them(make_user, tmp_path):
    """Through the command line: a renumbered finding (new printed code, same key) keeps its measures;
    dropping a finding that has measures is refused in Japanese."""
    auditor = make_user("r-auditor", Role.AUDITOR)
    import_workbook(PERIODIC, auditor)
    measure = Measure.objects.get(finding__key="市民生活局-1")
    renumbered = {**PERIODIC, "findings.yaml": [dict(f) for f in PERIODIC["findings.yaml"]]}
    renumbered["findings.yaml"][0]["code"] = "市民-（1）"
    out = io.StringIO()
    call_command("import_report", str(folder(renumbered, tmp_path / "renumbered")), stdout=out)
    measure.refresh_from_db()
    assert measure.finding.code == "市民-（1）" and measure.finding.key == "市民生活局-1"
    assert measure.reports.filter(adopted=True).count() == 1  # the history is not adopted twice

    dropped = {**renumbered, "findings.yaml": renumbered["findings.yaml"][1:]}
    dropped.pop("history/measures.yaml")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_report", str(folder(dropped, tmp_path / "dropped")), stdout=out, stderr=err)
    assert "措置が登録されているため削除できません" in err.getvalue() + out.getvalue()
    assert Finding.objects.filter(key="市民生活局-1").exists()


def test_a_export_then_import_is_a_no_op_with_its_history(make_user, tmp_path):
    """The adopted history and the registered publication are part of the report's export, and importing that
    export changes nothing (no history adopted twice)."""
    from findings.bundle.exporter import export_bundle
    from findings.bundle.importer import import_report_bundle
    from findings.models import AuditReport, MeasureReport

    import_workbook(SUBSIDY, make_user("n-auditor", Role.AUDITOR))
    report = AuditReport.objects.get(code="2023-hojokin")
    names = {p.relative_to(tmp_path / "out").as_posix() for p in export_bundle(report, tmp_path / "out")}
    assert {"history/measures.yaml", "history/publications.csv"} <= names
    assert not names & {"systems/systems.csv", "budgets/fields.csv", "budgets/projects.yaml"}
    exported = yaml.safe_load((tmp_path / "out" / "history/measures.yaml").read_text(encoding="utf-8"))
    assert [(e["finding"], e["status"], e["reported_on"]) for e in exported] == [
        ("（1）", "in_progress", D(2024, 9, 30)),
        ("（2）", "planned", D(2024, 9, 30)),
        ("（1）", "done", D(2025, 3, 31)),
    ]
    before = MeasureReport.objects.count()
    outcome = import_report_bundle(tmp_path / "out")
    assert not outcome.load.changed
    assert MeasureReport.objects.count() == before
