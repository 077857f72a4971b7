"""Write a checked bundle to the database in one transaction.

Each entity is synchronised by its natural key: new keys are created, changed fields updated,
keys absent from the bundle deleted (report-scoped entities only; the organisation master is
shared between reports and is never deleted by an import). `dry_run` runs the very same code
and rolls back, so what it prints is exactly what a real run would do.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import Max, ProtectedError

from auditreg.models import Bureau, Section
from budgets.models import Contract, CoreCityComparison, DxField, DxFieldFunding, DxLine, DxProject, ProjectFunding
from systems.models import BureauExpenditure, BureauSystemCount, InformationSystem, SystemBudget, SystemExpenditure

from ..filtersets import forget_codes
from ..models import (
    AuditReport,
    Finding,
    FindingGroup,
    FindingKindLabel,
    FindingSection,
    FindingSubject,
    ReportArea,
    StatedTotal,
    TextRepair,
)
from ..status import recount_findings
from .checks import finding_key, report_areas
from .history import load_history
from .reader import Bundle, Problem
from .sync import (
    LoadRefused,
    LoadResult,
    ModelStats,
    Syncer,
    _current,
    _current_by_name,
    _field_change,
    _key_text,
    _pairs,
    _plain,
    _protected_problem,
)

__all__ = ["LoadRefused", "LoadResult", "Loader", "ModelStats", "load_bundle"]  # the results live in sync.py

REPORT_LISTS = ("areas", "kinds")  # reports.yaml lists kept in their own tables


class _DryRunRollback(Exception):
    pass


# the findings.yaml columns a Finding takes as they are
FINDING_COLUMNS = (
    "code kind number area title body_title summary page source_publication source_url detected problem"
    " recommendation recorded_measure source_line"
).split()


class Loader(Syncer):
    """Loads a checked bundle: one method per file or entity, in schema.FILE_ORDER (a file refers only to
    files before it), each syncing its model(s) by natural key."""

    # -- entities -----------------------------------------------------------------------
    def load(self, *, dry_run=False) -> LoadResult:
        try:
            with transaction.atomic():
                self._load_all()
                for label, objs in reversed(self._deletions):
                    for obj in objs:
                        try:
                            with transaction.atomic():
                                obj.delete()
                        except ProtectedError as exc:
                            raise LoadRefused([_protected_problem(label, obj, exc)]) from None
                load_history(self)
                if self.result.changed:  # the dashboard's kept counts: findings created, changed, deleted here
                    recount_findings()
                transaction.on_commit(_forget_codes)
                if dry_run:
                    raise _DryRunRollback
        except _DryRunRollback:
            pass
        return self.result

    def _load_all(self):
        for step in (
            self._load_reports,
            self._load_organisation,
            self._load_systems,
            self._load_system_tables,
            self._load_dx_budget,
            self._load_projects,
            self._load_findings,
            self._load_finding_children,
            self._load_report_tables,
        ):
            step()

    def _sec(self, r) -> int:
        return self.section_by_name[(r["bureau"], r["section"])].pk

    # -- reports.yaml ---------------------------------------------------------------------------
    def _load_reports(self):
        rows = self.bundle.rows("reports.yaml")
        main_existed = AuditReport.objects.filter(code=rows[0]["code"]).exists()
        reports = self.sync(
            AuditReport,
            AuditReport.objects.filter(code__in=[r["code"] for r in rows]),
            lambda o: o.code,
            [(r["code"], {k: v for k, v in _plain(r).items() if k not in REPORT_LISTS}) for r in rows],
            delete=False,
        )
        self._sync_vocabulary(reports)
        report = reports[rows[0]["code"]]
        earlier = {reports[r["code"]].pk for r in rows[1:]}
        if set(report.earlier_reports.values_list("pk", flat=True)) != earlier:
            report.earlier_reports.set(earlier)
            stats = self.result.stats[AuditReport._meta.verbose_name]
            if main_existed:
                stats.updated += 1
            stats.changes.append(f"{report.code}: earlier_reports → {sorted(earlier)}")
            codes = sorted(r["code"] for r in rows[1:])
            stats.details.append((report.code, "earlier_reports", "", "、".join(codes)))
        self.reports, self.report = reports, report

    # -- organisation (the shared master: never deleted by an import) -----------------------------
    def _load_organisation(self):
        b, report = self.bundle, self.report
        bureaus = self.sync(
            Bureau,
            Bureau.objects.all(),
            lambda o: (o.name, o.valid_from),
            [((r["name"], r["valid_from"]), dict(r)) for r in b.rows("organisation/bureaus.csv")],
            delete=False,
        )
        self.bureau_by_name = bureau_by_name = _current_by_name(bureaus.values(), report)
        sections = self.sync(
            Section,
            Section.objects.select_related("bureau"),
            lambda o: (o.bureau.name, o.name, o.valid_from),
            [
                (
                    (r["bureau"], r["name"], r["valid_from"]),
                    {
                        "bureau_id": bureau_by_name[r["bureau"]].pk,
                        "name": r["name"],
                        "kind": r["kind"],
                        "order": r["order"],
                        "valid_from": r["valid_from"],
                        "valid_to": r["valid_to"],
                    },
                )
                for r in b.rows("organisation/sections.csv")
            ],
            delete=False,
        )
        for obj in sections.values():  # keep bureau names resolvable for keys of new rows
            obj.bureau = next(x for x in bureaus.values() if x.pk == obj.bureau_id)
        self.section_by_name = {(s.bureau.name, s.name): s for s in _current(sections.values(), report)}
        self.sections = self.section_by_name
        self._link_parents(sections, self.section_by_name)
        self._check_master_order(report)

    # -- systems --------------------------------------------------------------------------------
    def _load_systems(self):
        b, report = self.bundle, self.report
        audited = {a["number"]: a for a in b.rows("systems/audited_systems.yaml")}
        system_rows = [
            (r["number"], self._system_values(r, audited.get(r["number"]))) for r in b.rows("systems/systems.csv")
        ]
        self.systems = systems = self.sync(InformationSystem, report.systems.all(), lambda o: o.number, system_rows)
        self.sync(
            SystemBudget,
            SystemBudget.objects.filter(system__report=report).select_related("system"),
            lambda o: (o.system.number, o.fiscal_year),
            [
                (
                    (a["number"], x["fiscal_year"]),
                    {
                        "system_id": systems[a["number"]].pk,
                        "fiscal_year": x["fiscal_year"],
                        "budget_thousand_yen": x["budget_thousand_yen"],
                        "actual_thousand_yen": x["actual_thousand_yen"],
                        "note": x["note"],
                    },
                )
                for a in b.rows("systems/audited_systems.yaml")
                for x in a["budgets"]
            ],
        )

    def _system_values(self, r, a) -> dict:
        """A systems.csv row, with its audited_systems.yaml entry `a` (or None: not audited)."""
        values = {
            "report_id": self.report.pk,
            "number": r["number"],
            "section_id": self._sec(r),
            "name": r["name"],
            "source_line": r["source_line"],
            "audited": a is not None,
        }
        detail = {
            "audited_name": "",
            "purpose": "",
            "introduced_fiscal_year": None,
            "introduced_text": "",
            "network": "",
            "cloud": None,
            "cloud_text": "",
            "importance": "",
            "page": None,
            "audited_source_line": None,
        }
        if a:
            detail = {
                "audited_name": a["name"],
                "purpose": a["purpose"],
                "introduced_fiscal_year": a["introduced_fiscal_year"],
                "introduced_text": a["introduced_text"],
                "network": a["network"],
                "cloud": a["cloud"] if a["cloud_text"] else None,
                "cloud_text": a["cloud_text"],
                "importance": a["importance"],
                "page": a["page"],
                "audited_source_line": a["source_line"],
            }
        values |= detail
        values["search_text"] = InformationSystem(**values).build_search_text(r["section"])
        return values

    def _load_system_tables(self):
        b, report, bureau_by_name, systems = self.bundle, self.report, self.bureau_by_name, self.systems
        self.sync(
            BureauSystemCount,
            report.bureau_system_counts.select_related("bureau"),
            lambda o: o.bureau.name,
            [
                (
                    r["bureau"],
                    {
                        "report_id": report.pk,
                        "bureau_id": bureau_by_name[r["bureau"]].pk,
                        "stated_count": r["stated_count"],
                        "source_line": r["source_line"],
                    },
                )
                for r in b.rows("systems/bureau_counts.csv")
            ],
        )
        self.sync(
            BureauExpenditure,
            report.bureau_expenditures.select_related("bureau"),
            lambda o: (o.bureau.name, o.fiscal_year),
            [
                (
                    (r["bureau"], r["fiscal_year"]),
                    {
                        "report_id": report.pk,
                        "bureau_id": bureau_by_name[r["bureau"]].pk,
                        "fiscal_year": r["fiscal_year"],
                        "budget_million_yen": r["budget_million_yen"],
                        "actual_million_yen": r["actual_million_yen"],
                        "source_line": r["source_line"],
                    },
                )
                for r in b.rows("systems/expenditure_by_bureau.csv")
            ],
        )
        self.sync(
            SystemExpenditure,
            report.system_expenditures.select_related("table_bureau", "system"),
            lambda o: (o.table_bureau.name, o.system.number, o.fiscal_year),
            [
                (
                    (r["table_bureau"], r["number"], r["fiscal_year"]),
                    {
                        "report_id": report.pk,
                        "table_bureau_id": bureau_by_name[r["table_bureau"]].pk,
                        "system_id": systems[r["number"]].pk,
                        "name_as_printed": r["name_as_printed"],
                        "fiscal_year": r["fiscal_year"],
                        "budget_million_yen": r["budget_million_yen"],
                        "actual_million_yen": r["actual_million_yen"],
                        "source_line": r["source_line"],
                    },
                )
                for r in b.rows("systems/expenditure_by_system.csv")
            ],
        )

    # -- DX budget ------------------------------------------------------------------------------
    def _load_dx_budget(self):
        b, report = self.bundle, self.report
        fields = self.sync(
            DxField,
            report.dx_fields.all(),
            lambda o: o.name,
            [(r["name"], {"report_id": report.pk} | dict(r)) for r in b.rows("budgets/fields.csv")],
        )
        self.sync(
            DxFieldFunding,
            DxFieldFunding.objects.filter(field__report=report).select_related("field"),
            lambda o: (o.field.name, o.basis),
            [
                (
                    (r["field"], r["basis"]),
                    {"field_id": fields[r["field"]].pk} | {k: v for k, v in r.items() if k != "field"},
                )
                for r in b.rows("budgets/field_funding.csv")
            ],
        )
        order_in_field = defaultdict(int)
        line_rows = []
        for r in b.rows("budgets/lines.csv"):
            order_in_field[r["field"]] += 1
            line_rows.append(
                (
                    (r["field"], r["major_no"], r["minor_no"]),
                    {"field_id": fields[r["field"]].pk, "order": order_in_field[r["field"]]}
                    | {k: v for k, v in r.items() if k != "field"},
                )
            )
        self.lines = self.sync(
            DxLine,
            DxLine.objects.filter(field__report=report).select_related("field"),
            lambda o: (o.field.name, o.major_no, o.minor_no),
            line_rows,
        )

    def _load_projects(self):
        b, report, lines = self.bundle, self.report, self.lines
        self.projects = projects = self.sync(
            DxProject,
            report.dx_projects.all(),
            lambda o: o.name,
            [
                (
                    p["name"],
                    {
                        "report_id": report.pk,
                        "order": i,
                        "name": p["name"],
                        "section_id": self._sec(p),
                        "line_id": lines[(p["field"], p["major_no"], p["minor_no"])].pk if p["field"] else None,
                        "content": p["content"],
                        "results": p["results"],
                        "page": p["page"],
                        "source_line": p["source_line"],
                        "extra": _pairs(p["extra"]),
                    },
                )
                for i, p in enumerate(b.rows("budgets/projects.yaml"), start=1)
            ],
        )
        self.sync(
            ProjectFunding,
            ProjectFunding.objects.filter(project__report=report).select_related("project"),
            lambda o: (o.project.name, o.basis),
            [
                ((p["name"], f["basis"]), {"project_id": projects[p["name"]].pk} | dict(f))
                for p in b.rows("budgets/projects.yaml")
                for f in p["funding"]
            ],
        )
        self.sync(
            Contract,
            Contract.objects.filter(project__report=report).select_related("project"),
            lambda o: (o.project.name, o.order),
            [
                (
                    (p["name"], i),
                    {"project_id": projects[p["name"]].pk, "order": i} | _plain(c) | {"extra": _pairs(c["extra"])},
                )
                for p in b.rows("budgets/projects.yaml")
                for i, c in enumerate(p["contracts"], start=1)
            ],
        )
        self.sync(
            CoreCityComparison,
            report.core_city_cells.all(),
            lambda o: (o.table, o.item, o.city),
            [
                ((r["table"], r["item"], r["city"]), {"report_id": report.pk} | dict(r))
                for r in b.rows("budgets/core_city_comparison.csv")
            ],
        )

    # -- findings (of every report in the bundle) --------------------------------------------------
    def _load_findings(self):
        b, reports = self.bundle, self.reports
        group_rows, seen = [], set()
        order_in_report = defaultdict(int)
        for f in b.rows("findings.yaml"):
            if f["group"] and (f["report"], f["group"]) not in seen:
                seen.add((f["report"], f["group"]))
                order_in_report[f["report"]] += 1
                group_rows.append(
                    (
                        (f["report"], f["group"]),
                        {
                            "report_id": reports[f["report"]].pk,
                            "area": f["area"],
                            "order": order_in_report[f["report"]],
                            "title": f["group"],
                        },
                    )
                )
        self.bundle_reports = bundle_reports = [reports[code] for code in reports]
        groups = self.sync(
            FindingGroup,
            FindingGroup.objects.filter(report__in=bundle_reports).select_related("report"),
            lambda o: (o.report.code, o.title),
            group_rows,
        )
        position = defaultdict(int)
        finding_rows = []
        for f in b.rows("findings.yaml"):
            position[f["report"]] += 1
            finding_rows.append(((f["report"], finding_key(f)), self._finding_values(f, position[f["report"]], groups)))
        # keyed by the internal key: a renumbered finding (new code, same key) keeps its measures
        self.findings = self.sync(
            Finding,
            Finding.objects.filter(report__in=bundle_reports).select_related("report"),
            lambda o: (o.report.code, o.key),
            finding_rows,
        )

    def _finding_values(self, f, order: int, groups) -> dict:
        values = {
            "report_id": self.reports[f["report"]].pk,
            "order": order,
            "group_id": groups[(f["report"], f["group"])].pk if f["group"] else None,
        }
        values |= {k: f[k] for k in FINDING_COLUMNS}
        values["key"] = finding_key(f)
        values["blocks"] = [{"label": x["label"], "text": x["text"]} for x in f["blocks"]]
        probe = Finding(**{k: v for k, v in values.items() if not k.endswith("_id")})
        values["search_text"] = probe.build_search_text()
        return values

    def _load_finding_children(self):
        b, findings, systems, bundle_reports = self.bundle, self.findings, self.systems, self.bundle_reports
        project_by_name = {name: obj.pk for name, obj in self.projects.items()}
        self.sync(
            FindingSubject,
            FindingSubject.objects.filter(finding__report__in=bundle_reports).select_related("finding__report"),
            lambda o: (o.finding.report.code, o.finding.key, o.order),
            [
                (
                    (f["report"], finding_key(f), i),
                    {
                        "finding_id": findings[(f["report"], finding_key(f))].pk,
                        "order": i,
                        "kind": s["kind"],
                        "name": s["name"],
                        "project_id": project_by_name[s["project"]] if s["kind"] == "project" else None,
                        "system_id": systems[s["system"]].pk if s["kind"] == "system" else None,
                        "note": s["note"],
                        "detected": s["detected"],
                        "problem": s["problem"],
                        "source_line": s["source_line"],
                    },
                )
                for f in b.rows("findings.yaml")
                for i, s in enumerate(f["subjects"], start=1)
            ],
        )
        self.sync(
            FindingSection,
            FindingSection.objects.filter(finding__report__in=bundle_reports).select_related(
                "finding__report", "section__bureau"
            ),
            lambda o: (o.finding.report.code, o.finding.key, o.section.bureau.name, o.section.name),
            [
                (
                    (f["report"], finding_key(f), s["bureau"], s["section"]),
                    {"finding_id": findings[(f["report"], finding_key(f))].pk, "section_id": self._sec(s)},
                )
                for f in b.rows("findings.yaml")
                for s in f["sections"]
            ],
        )

    # -- what the report states, and the repairs of its extracted text ------------------------------
    def _load_report_tables(self):
        b, report = self.bundle, self.report
        self.sync(
            StatedTotal,
            report.stated_totals.all(),
            lambda o: (o.table, o.label, o.column),
            [
                ((r["table"], r["label"], r["column"]), {"report_id": report.pk} | dict(r))
                for r in b.rows("stated_totals.csv")
            ],
        )
        self.sync(
            TextRepair,
            report.text_repairs.all(),
            lambda o: o.order,
            [(i, {"report_id": report.pk, "order": i} | dict(r)) for i, r in enumerate(b.rows("repairs.csv"), start=1)],
        )

    # -- vocabulary and organisation -------------------------------------------------------------
    def _sync_vocabulary(self, reports):
        """The kinds the bundle declares join the city's table (an existing kind keeps the city's label);
        each report's areas are its own: declared, else the areas its findings use, in order of first use."""
        b = self.bundle
        existing = set(FindingKindLabel.objects.values_list("code", flat=True))
        next_order = (FindingKindLabel.objects.aggregate(m=Max("order"))["m"] or 0) + 1
        stats = self.result.stats[FindingKindLabel._meta.verbose_name]
        for r in b.rows("reports.yaml"):
            for k in r.get("kinds") or []:
                if k["code"] in existing:
                    stats.unchanged += 1
                else:
                    FindingKindLabel.objects.create(code=k["code"], label=k["label"] or k["code"], order=next_order)
                    existing.add(k["code"])
                    next_order += 1
                    stats.created += 1
                    stats.created_keys.append(k["code"])
        areas = report_areas(b)
        labels = {(r["code"], a["code"]): a["label"] for r in b.rows("reports.yaml") for a in r.get("areas") or []}
        self.sync(
            ReportArea,
            ReportArea.objects.filter(report__in=list(reports.values())).select_related("report"),
            lambda o: (o.report.code, o.code),
            [
                (
                    (code, area),
                    {
                        "report_id": reports[code].pk,
                        "code": area,
                        "label": labels.get((code, area)) or area,
                        "order": i,
                    },
                )
                for code, codes in areas.items()
                for i, area in enumerate(codes, start=1)
            ],
        )

    def _link_parents(self, sections, section_by_name):
        """A unit's parent (部 above 課 …) names a unit of the same bureau; set after every unit exists."""
        stats = self.result.stats[Section._meta.verbose_name]
        changed = []
        for r in self.bundle.rows("organisation/sections.csv"):
            obj = sections[(r["bureau"], r["name"], r["valid_from"])]
            parent = section_by_name.get((r["bureau"], r["parent"])) if r.get("parent") else None
            parent_id = parent.pk if parent else None
            if obj.parent_id != parent_id:
                old = obj.parent_id
                obj.parent_id = parent_id
                changed.append(obj)
                key = _key_text((r["bureau"], r["name"], r["valid_from"]))
                stats.details.append((key, *_field_change(Section, "parent_id", old, parent_id)))
        if changed:
            Section.objects.bulk_update(changed, ["parent"])

    def _check_master_order(self, report):
        """The master keeps one order per bureau: an import may not leave two units in force at one place."""
        day = report.published_on
        units = Section.objects.select_related("bureau").order_by("bureau__order", "order", "name")
        seen: dict[tuple, str] = {}
        problems = []
        for u in _current(units, report) if day else units.filter(valid_to__isnull=True):
            key = (u.bureau_id, u.order)
            if key in seen:
                problems.append(
                    Problem(
                        "organisation/sections.csv",
                        f"{u.bureau.name} {u.name}",
                        "order",
                        f"表示順 {u.order} は組織マスタの「{seen[key]}」と重なります（マスタの順序に合わせてください）",
                    )
                )
            seen[key] = u.name
        if problems:
            raise LoadRefused(problems)


def _forget_codes():
    forget_codes()


def load_bundle(bundle: Bundle, *, dry_run=False) -> LoadResult:
    return Loader(bundle).load(dry_run=dry_run)
