"""Write a report (and the earlier reports it refers to) back out as a bundle.

The output is the canonical form of the fixtures: import → export reproduces them byte for byte.
"""

import csv
import io
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml
from django.utils import timezone

from auditreg.models import Bureau, Section
from budgets.models import CoreCityComparison, DxField, DxFieldFunding, DxLine, DxProject
from systems.models import BureauExpenditure, BureauSystemCount, InformationSystem, SystemExpenditure

from ..models import AuditReport, Finding, FindingKindLabel, MeasureReport, Publication, StatedTotal, TextRepair
from .schema import CSV_FILES, YAML_FILES


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True  # never & / *: the reader refuses them


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=False)


def dump_csv(name: str, rows: list[dict]) -> str:
    # an optional column (added after the first format) is written only when some row has a value
    columns = [c.name for c in CSV_FILES[name] if not c.optional or any(_cell(r.get(c.name)) for r in rows)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value):
    if value is None or value is False:
        return ""
    if value is True:
        return "true"
    return str(value)


def _yaml_value(value):
    """Empty text is written as null so that absent and empty read the same."""
    return None if value == "" else value


def _ordered(name: str, values: dict) -> dict:
    """Keys in schema order; an optional key (added after the first format) only when it has a value."""
    return _sub(YAML_FILES[name], values)


def _sub(cols, values):
    return {
        c.name: _yaml_value(values.get(c.name))
        for c in cols
        if not c.optional or values.get(c.name) not in (None, "", [], {})
    }


def _sec(section):
    return {"bureau": section.bureau.name, "section": section.name}


@dataclass
class _Export:
    """The report being exported and the rows several files share (each read once)."""

    report: AuditReport
    reports: list[AuditReport]  # the report, then the earlier reports it refers to

    @cached_property
    def systems(self) -> list:
        return list(
            InformationSystem.objects.filter(report=self.report)
            .select_related("section__bureau")
            .prefetch_related("budgets")
            .order_by("number")
        )

    @cached_property
    def fields(self) -> list:
        return list(DxField.objects.filter(report=self.report).order_by("order"))


def bundle_files(report: AuditReport) -> dict[str, str]:
    """Every file of the report's bundle, in FILE_ORDER; a file whose part of the report is absent (no
    systems inventory, no DX budget …) is left out."""
    ctx = _Export(report, [report, *report.earlier_reports.order_by("-fiscal_year", "code")])
    files: dict[str, str] = {}
    for name, rows_of in WRITERS:
        rows = rows_of(ctx)
        if rows is None:
            continue
        files[name] = dump_yaml([_ordered(name, r) for r in rows]) if name in YAML_FILES else dump_csv(name, rows)
    files.update(history_files(report, ctx.reports))
    return files


def _reports(ctx: _Export) -> list[dict]:
    report_cols = {c.name: c for c in YAML_FILES["reports.yaml"]}
    return [
        {
            **{name: getattr(r, name) for name in report_cols if name not in ("assistants", "areas", "kinds")},
            "stated_counts": dict(sorted(r.stated_counts.items())),  # jsonb keeps no key order
            "assistants": [_sub(report_cols["assistants"].children, a) for a in r.assistants],
            "areas": [{"code": a.code, "label": a.label} for a in r.areas.order_by("order")],
            "kinds": [
                {"code": k.code, "label": k.label}
                for k in FindingKindLabel.objects.filter(
                    code__in=Finding.objects.filter(report=r).values("kind")
                ).order_by("order", "code")
            ],
        }
        for r in ctx.reports
    ]


def _bureaus(ctx: _Export) -> list[dict]:
    return [
        {
            "order": b.order,
            "name": b.name,
            "valid_from": _iso(b.valid_from),
            "valid_to": _iso(b.valid_to),
            "kind": b.kind,
        }
        for b in Bureau.objects.order_by("order", "name", "valid_from")
    ]


def _sections(ctx: _Export) -> list[dict]:
    return [
        {
            "bureau": s.bureau.name,
            "order": s.order,
            "name": s.name,
            "valid_from": _iso(s.valid_from),
            "valid_to": _iso(s.valid_to),
            "parent": s.parent.name if s.parent else None,
            "kind": s.kind,
        }
        for s in Section.objects.select_related("bureau", "parent").order_by(
            "bureau__order", "order", "name", "valid_from"
        )
    ]


# -- systems (all five files, or none: a report without a systems inventory) ----------------------------------


def _systems(ctx: _Export) -> list[dict] | None:
    if not ctx.systems:
        return None
    return [{"number": s.number, **_sec(s.section), "name": s.name, "source_line": s.source_line} for s in ctx.systems]


def _bureau_counts(ctx: _Export) -> list[dict] | None:
    if not ctx.systems:
        return None
    return [
        {"bureau": c.bureau.name, "stated_count": c.stated_count, "source_line": c.source_line}
        for c in BureauSystemCount.objects.filter(report=ctx.report).select_related("bureau").order_by("bureau__order")
    ]


def _audited_systems(ctx: _Export) -> list[dict] | None:
    if not ctx.systems:
        return None
    audited = sorted((s for s in ctx.systems if s.audited), key=lambda s: (s.audited_source_line or 0, s.number))
    return [
        {
            "number": s.number,
            "name": s.audited_name,
            **_sec(s.section),
            "purpose": s.purpose,
            "introduced_fiscal_year": s.introduced_fiscal_year,
            "introduced_text": s.introduced_text,
            "network": s.network,
            "cloud": bool(s.cloud),
            "cloud_text": s.cloud_text,
            "importance": s.importance,
            "page": s.page,
            "source_line": s.audited_source_line,
            "budgets": [
                {
                    "fiscal_year": b.fiscal_year,
                    "budget_thousand_yen": b.budget_thousand_yen,
                    "actual_thousand_yen": b.actual_thousand_yen,
                    "note": b.note or None,
                }
                for b in s.budgets.all()
            ],
        }
        for s in audited
    ]


def _expenditure_by_bureau(ctx: _Export) -> list[dict] | None:
    if not ctx.systems:
        return None
    return [
        {
            "bureau": e.bureau.name,
            "fiscal_year": e.fiscal_year,
            "budget_million_yen": e.budget_million_yen,
            "actual_million_yen": e.actual_million_yen,
            "source_line": e.source_line,
        }
        for e in BureauExpenditure.objects.filter(report=ctx.report)
        .select_related("bureau")
        .order_by("bureau__order", "fiscal_year")
    ]


def _expenditure_by_system(ctx: _Export) -> list[dict] | None:
    if not ctx.systems:
        return None
    return [
        {
            "table_bureau": e.table_bureau.name,
            "number": e.system.number,
            "name_as_printed": e.name_as_printed,
            "fiscal_year": e.fiscal_year,
            "budget_million_yen": e.budget_million_yen,
            "actual_million_yen": e.actual_million_yen,
            "source_line": e.source_line,
        }
        for e in SystemExpenditure.objects.filter(report=ctx.report)
        .select_related("table_bureau", "system")
        .order_by("table_bureau__order", "system__number", "fiscal_year")
    ]


# -- DX budget (the three tables, or none) --------------------------------------------------------------------


def _fields(ctx: _Export) -> list[dict] | None:
    if not ctx.fields:
        return None
    return [
        {
            "order": f.order,
            "name": f.name,
            "budget_thousand_yen": f.budget_thousand_yen,
            "actual_thousand_yen": f.actual_thousand_yen,
            "source_line": f.source_line,
        }
        for f in ctx.fields
    ]


def _field_funding(ctx: _Export) -> list[dict] | None:
    if not ctx.fields:
        return None
    return [
        {
            "field": x.field.name,
            "basis": x.basis,
            "total_thousand_yen": x.total_thousand_yen,
            "general_thousand_yen": x.general_thousand_yen,
            "national_thousand_yen": x.national_thousand_yen,
            "prefectural_thousand_yen": x.prefectural_thousand_yen,
            "source_line": x.source_line,
        }
        for x in DxFieldFunding.objects.filter(field__report=ctx.report)
        .select_related("field")
        .order_by("-basis", "field__order")
    ]


def _lines(ctx: _Export) -> list[dict] | None:
    if not ctx.fields:
        return None
    return [
        {
            "field": ln.field.name,
            "major_no": ln.major_no,
            "minor_no": ln.minor_no,
            "title": ln.title,
            "budget_thousand_yen": ln.budget_thousand_yen,
            "actual_thousand_yen": ln.actual_thousand_yen,
            "reprint": ln.reprint,
            "source_line": ln.source_line,
        }
        for ln in DxLine.objects.filter(field__report=ctx.report)
        .select_related("field")
        .order_by("field__order", "order")
    ]


def _projects(ctx: _Export) -> list[dict] | None:
    projects = list(
        DxProject.objects.filter(report=ctx.report)
        .select_related("section__bureau", "line__field")
        .prefetch_related("fundings", "contracts")
        .order_by("order")
    )
    if not projects:
        return None
    pcols = {c.name: c for c in YAML_FILES["budgets/projects.yaml"]}
    return [
        {
            "name": p.name,
            **_sec(p.section),
            "field": p.line.field.name if p.line else "",
            "major_no": p.line.major_no if p.line else None,
            "minor_no": p.line.minor_no if p.line else None,
            "content": p.content,
            "results": p.results,
            "page": p.page,
            "source_line": p.source_line,
            "funding": [
                _sub(pcols["funding"].children, vars(f))
                for f in sorted(p.fundings.all(), key=lambda f: f.basis != "budget")
            ],
            "contracts": [
                _sub(pcols["contracts"].children, vars(c) | {"extra": dict(c.extra)}) for c in p.contracts.all()
            ],
            "extra": dict(p.extra),
        }
        for p in projects
    ]


def _core_city_comparison(ctx: _Export) -> list[dict] | None:
    cells = CoreCityComparison.objects.filter(report=ctx.report).order_by("id")  # fixture (insertion) order
    if not cells.exists():
        return None
    return [
        {
            "table": c.table,
            "order": c.order,
            "item": c.item,
            "city": c.city,
            "value": c.value,
            "source_line": c.source_line,
        }
        for c in cells
    ]


# -- findings and what the report states ----------------------------------------------------------------------


def _findings(ctx: _Export) -> list[dict]:
    findings = (
        Finding.objects.filter(report__in=ctx.reports)
        .select_related("report", "group")
        .prefetch_related("subjects__project", "subjects__system", "report_sections__section__bureau")
    )
    order = {r.pk: i for i, r in enumerate(ctx.reports)}
    return [_finding(f) for f in sorted(findings, key=lambda f: (order[f.report_id], f.order))]


def _finding(f: Finding) -> dict:
    fcols = {c.name: c for c in YAML_FILES["findings.yaml"]}
    return {
        "report": f.report.code,
        "code": f.code,
        "key": f.key if f.key != f.code else None,
        "kind": f.kind,
        "number": f.number,
        "area": f.area,
        "group": f.group.title if f.group else "",
        "title": f.title,
        "body_title": f.body_title,
        "summary": f.summary,
        "page": f.page,
        "source_publication": f.source_publication,
        "source_url": f.source_url,
        "detected": f.detected,
        "problem": f.problem,
        "recommendation": f.recommendation,
        "recorded_measure": f.recorded_measure,
        "source_line": f.source_line,
        "blocks": [_sub(fcols["blocks"].children, x) for x in f.blocks or []],
        "subjects": [
            _sub(
                fcols["subjects"].children,
                {
                    "kind": s.kind,
                    "name": s.name,
                    "project": s.project.name if s.project else "",
                    "system": s.system.number if s.system else None,
                    "note": s.note,
                    "detected": s.detected,
                    "problem": s.problem,
                    "source_line": s.source_line,
                },
            )
            for s in f.subjects.all()
        ],
        "sections": [_sec(fs.section) for fs in sorted(f.report_sections.all(), key=lambda x: x.pk)],
    }


def _stated_totals(ctx: _Export) -> list[dict]:
    return [
        {
            "table": t.table,
            "label": t.label,
            "column": t.column,
            "value": t.value,
            "unit": t.unit,
            "source_line": t.source_line,
        }
        for t in StatedTotal.objects.filter(report=ctx.report).order_by("id")  # fixture (insertion) order
    ]


def _repairs(ctx: _Export) -> list[dict]:
    return [
        {k: getattr(r, k) for k in ("file", "record", "field", "source_line", "original", "repaired", "why")}
        for r in TextRepair.objects.filter(report=ctx.report).order_by("order")
    ]


# One writer per file, in FILE_ORDER (the history files follow: history_files); a writer gives the file's rows
# (YAML items before key ordering), or None to leave the file out.
WRITERS = (
    ("reports.yaml", _reports),
    ("organisation/bureaus.csv", _bureaus),
    ("organisation/sections.csv", _sections),
    ("systems/systems.csv", _systems),
    ("systems/bureau_counts.csv", _bureau_counts),
    ("systems/audited_systems.yaml", _audited_systems),
    ("systems/expenditure_by_bureau.csv", _expenditure_by_bureau),
    ("systems/expenditure_by_system.csv", _expenditure_by_system),
    ("budgets/fields.csv", _fields),
    ("budgets/field_funding.csv", _field_funding),
    ("budgets/lines.csv", _lines),
    ("budgets/projects.yaml", _projects),
    ("budgets/core_city_comparison.csv", _core_city_comparison),
    ("findings.yaml", _findings),
    ("stated_totals.csv", _stated_totals),
    ("repairs.csv", _repairs),
)


def history_files(report: AuditReport, reports: list[AuditReport]) -> dict[str, str]:
    """Adopted history (earlier measures from the city's records) and registered past publications."""
    files = {}
    adopted = (
        MeasureReport.objects.filter(adopted=True, measure__finding__report__in=reports)
        .select_related("measure__finding__report", "measure__section__bureau", "status")
        .order_by("reported_on", "measure__finding__report__fiscal_year", "measure__finding__order", "pk")
    )
    entries = [
        _ordered(
            "history/measures.yaml",
            {
                "report": r.measure.finding.report.code,
                "finding": r.measure.finding.key,
                **_sec(r.measure.section),
                "status": r.status.code,
                "reported_on": r.reported_on,
                "text": r.reason if r.status.requires_reason else r.text,
                "completed_on": r.completed_on,
                "notice_number": r.notice_number,
                "notice_on": r.notice_on,
                "accepted_on": r.reviewed_at.astimezone(timezone.get_current_timezone()).date()
                if r.reviewed_at.astimezone(timezone.get_current_timezone()).date() != r.reported_on
                else None,
                "reply_by": r.measure.reply_by,
            },
        )
        for r in adopted
    ]
    if entries:
        files["history/measures.yaml"] = dump_yaml(entries)
    registered = [
        p for p in Publication.objects.filter(reports=report).order_by("number") if p.snapshot.get("registered")
    ]
    if registered:
        files["history/publications.csv"] = dump_csv(
            "history/publications.csv",
            [
                {
                    "number": p.number,
                    "published_on": _iso(p.published_on),
                    "as_of": _iso(p.as_of),
                    "title": p.title,
                    "per": p.per,
                    "reports": " ".join(r.code for r in p.reports.order_by("-fiscal_year", "code")),
                }
                for p in registered
            ],
        )
    return files


def _iso(day):
    return day.isoformat() if day else None


def export_bundle(report: AuditReport, directory: Path | str) -> list[Path]:
    directory = Path(directory)
    written = []
    for name, content in bundle_files(report).items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
