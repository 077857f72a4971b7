"""Write a checked bundle to the database in one transaction.

Each entity is synchronised by its natural key: new keys are created, changed fields updated,
keys absent from the bundle deleted (report-scoped entities only; the organisation master is
shared between reports and is never deleted by an import). `dry_run` runs the very same code
and rolls back, so what it prints is exactly what a real run would do.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max, ProtectedError

from auditreg.models import Bureau, Section
from budgets.models import (
    Contract,
    CoreCityComparison,
    DxField,
    DxFieldFunding,
    DxLine,
    DxProject,
    ProjectFunding,
)
from systems.models import (
    BureauExpenditure,
    BureauSystemCount,
    InformationSystem,
    SystemBudget,
    SystemExpenditure,
)

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
from .checks import finding_key, report_areas
from .history import load_history
from .reader import Bundle, Problem

REPORT_LISTS = ("areas", "kinds")  # reports.yaml lists kept in their own tables


@dataclass
class ModelStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    changes: list[str] = field(default_factory=list)  # "key: field old → new"
    # the same, structured for a preview: (key, field, old, new) as display text; and the keys made / removed
    details: list[tuple[str, str, str, str]] = field(default_factory=list)
    created_keys: list[str] = field(default_factory=list)
    deleted_keys: list[str] = field(default_factory=list)

    @property
    def touched(self):
        return self.created + self.updated + self.deleted


@dataclass
class LoadResult:
    stats: dict[str, ModelStats] = field(default_factory=lambda: defaultdict(ModelStats))

    @property
    def changed(self) -> bool:
        return any(s.touched for s in self.stats.values())


class _DryRunRollback(Exception):
    pass


class LoadRefused(Exception):
    """A rule the loader can only check against the database (the master's order, a finding with
    measures that the bundle drops): nothing is written, the problems say why in Japanese."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _protected_problem(label, obj, exc) -> Problem:
    if isinstance(obj, Finding):
        return Problem(
            "findings.yaml",
            f"{obj.report.code} / {obj.code}",
            "key",
            f"指摘・意見「{obj.code}」（内部キー {obj.key}）には措置が登録されているため削除できません。"
            "番号を付け直すときは key を変えずに code だけを変えてください。",
        )
    return Problem("", str(obj), "", f"{label}「{obj}」はほかのデータから参照されているため削除できません。")


class Loader:
    def __init__(self, bundle: Bundle):
        self.bundle = bundle
        self.result = LoadResult()
        self._deletions: list[tuple[str, list]] = []

    # -- generic sync ---------------------------------------------------------------------
    def sync(self, model, existing_qs, key_of, rows, *, delete=True):
        """rows: list of (key, values) where values use attnames (`section_id`) for FKs.
        Returns {key: instance} for every row."""
        label = model._meta.verbose_name
        stats = self.result.stats[label]
        existing = {key_of(obj): obj for obj in existing_qs}
        out, to_create, to_update, update_fields = {}, [], [], set()
        for key, values in rows:
            obj = existing.pop(key, None)
            if obj is None:
                obj = model(**values)
                to_create.append(obj)
                stats.created += 1
                stats.created_keys.append(_key_text(key))
            else:
                diffs = {
                    name: (getattr(obj, name), value) for name, value in values.items() if getattr(obj, name) != value
                }
                if diffs:
                    for name, (old, new) in diffs.items():
                        setattr(obj, name, new)
                        update_fields.add(name)
                        stats.changes.append(f"{key}: {name} {_short(old)} → {_short(new)}")
                        if _shown(model, name):
                            stats.details.append((_key_text(key), *_field_change(model, name, old, new)))
                    to_update.append(obj)
                    stats.updated += 1
                else:
                    stats.unchanged += 1
            out[key] = obj
        if to_create:
            model.objects.bulk_create(to_create)
        if to_update:
            model.objects.bulk_update(to_update, sorted(update_fields))
        if delete and existing:
            stats.deleted += len(existing)
            stats.deleted_keys.extend(_key_text(k) for k in existing)
            self._deletions.append((label, list(existing.values())))
        return out

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
                transaction.on_commit(_forget_codes)
                if dry_run:
                    raise _DryRunRollback
        except _DryRunRollback:
            pass
        return self.result

    def _load_all(self):
        b = self.bundle
        main_existed = AuditReport.objects.filter(code=b.rows("reports.yaml")[0]["code"]).exists()
        reports = self.sync(
            AuditReport,
            AuditReport.objects.filter(code__in=[r["code"] for r in b.rows("reports.yaml")]),
            lambda o: o.code,
            [
                (r["code"], {k: v for k, v in _plain(r).items() if k not in REPORT_LISTS})
                for r in b.rows("reports.yaml")
            ],
            delete=False,
        )
        self._sync_vocabulary(reports)
        report = reports[b.rows("reports.yaml")[0]["code"]]
        earlier = {reports[r["code"]].pk for r in b.rows("reports.yaml")[1:]}
        if set(report.earlier_reports.values_list("pk", flat=True)) != earlier:
            report.earlier_reports.set(earlier)
            stats = self.result.stats[AuditReport._meta.verbose_name]
            if main_existed:
                stats.updated += 1
            stats.changes.append(f"{report.code}: earlier_reports → {sorted(earlier)}")
            codes = sorted(r["code"] for r in b.rows("reports.yaml")[1:])
            stats.details.append((report.code, "earlier_reports", "", "、".join(codes)))

        bureaus = self.sync(
            Bureau,
            Bureau.objects.all(),
            lambda o: (o.name, o.valid_from),
            [((r["name"], r["valid_from"]), dict(r)) for r in b.rows("organisation/bureaus.csv")],
            delete=False,
        )
        bureau_by_name = _current_by_name(bureaus.values(), report)
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
        section_by_name = {(s.bureau.name, s.name): s for s in _current(sections.values(), report)}
        self._link_parents(sections, section_by_name)
        self._check_master_order(report)

        def sec(r):
            return section_by_name[(r["bureau"], r["section"])].pk

        # Systems
        audited = {a["number"]: a for a in b.rows("systems/audited_systems.yaml")}
        system_rows = []
        for r in b.rows("systems/systems.csv"):
            a = audited.get(r["number"])
            values = {
                "report_id": report.pk,
                "number": r["number"],
                "section_id": sec(r),
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
            system_rows.append((r["number"], values))
        systems = self.sync(InformationSystem, report.systems.all(), lambda o: o.number, system_rows)
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

        # DX budget
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
        lines = self.sync(
            DxLine,
            DxLine.objects.filter(field__report=report).select_related("field"),
            lambda o: (o.field.name, o.major_no, o.minor_no),
            line_rows,
        )
        projects = self.sync(
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
                        "section_id": sec(p),
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

        # Findings (of every report in the bundle)
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
        bundle_reports = [reports[code] for code in reports]
        groups = self.sync(
            FindingGroup,
            FindingGroup.objects.filter(report__in=bundle_reports).select_related("report"),
            lambda o: (o.report.code, o.title),
            group_rows,
        )
        finding_rows = []
        position = defaultdict(int)
        for f in b.rows("findings.yaml"):
            position[f["report"]] += 1
            values = {
                "report_id": reports[f["report"]].pk,
                "order": position[f["report"]],
                "group_id": groups[(f["report"], f["group"])].pk if f["group"] else None,
            }
            values |= {
                k: f[k]
                for k in (
                    "code",
                    "kind",
                    "number",
                    "area",
                    "title",
                    "body_title",
                    "summary",
                    "page",
                    "source_publication",
                    "source_url",
                    "detected",
                    "problem",
                    "recommendation",
                    "recorded_measure",
                    "source_line",
                )
            }
            values["key"] = finding_key(f)
            values["blocks"] = [{"label": x["label"], "text": x["text"]} for x in f["blocks"]]
            probe = Finding(**{k: v for k, v in values.items() if not k.endswith("_id")})
            values["search_text"] = probe.build_search_text()
            finding_rows.append(((f["report"], finding_key(f)), values))
        # keyed by the internal key: a renumbered finding (new code, same key) keeps its measures
        findings = self.sync(
            Finding,
            Finding.objects.filter(report__in=bundle_reports).select_related("report"),
            lambda o: (o.report.code, o.key),
            finding_rows,
        )
        self.findings = findings
        project_by_name = {name: obj.pk for name, obj in projects.items()}
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
                    {"finding_id": findings[(f["report"], finding_key(f))].pk, "section_id": sec(s)},
                )
                for f in b.rows("findings.yaml")
                for s in f["sections"]
            ],
        )
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
        self.sections = section_by_name
        self.reports = reports

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


def _plain(value):
    """Records (dict subclasses with `where`) to plain JSON-able values for JSONFields."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _pairs(mapping):
    """Printed label → value rows, kept as [label, value] pairs: PostgreSQL's jsonb would reorder a dict."""
    return [
        [str(k), v if isinstance(v, (str, int, float, bool, type(None))) else str(v)]
        for k, v in (mapping or {}).items()
    ]


def _current(units, report):
    day = report.published_on
    return [
        u
        for u in units
        if day is None or ((u.valid_from is None or u.valid_from <= day) and (u.valid_to is None or u.valid_to > day))
    ]


def _current_by_name(units, report):
    return {u.name: u for u in _current(units, report)}


def _key_text(key) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return " / ".join(str(p) for p in parts if p is not None)


def _shown(model, attname) -> bool:
    """Derived columns (the search text) change with the fields they come from: not shown twice."""
    return all(f.editable for f in model._meta.concrete_fields if f.attname == attname)


def _field_change(model, attname, old, new) -> tuple[str, str, str]:
    """(field label, old, new) for people: the verbose name, and a foreign key as the object it names."""
    try:
        field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    except StopIteration:
        return attname, _full(old), _full(new)
    label = str(field.verbose_name)
    if field.is_relation:
        names = {o.pk: str(o) for o in field.related_model._default_manager.filter(pk__in=[old, new])}
        return label, names.get(old, _full(old)), names.get(new, _full(new))
    return label, _full(old), _full(new)


def _full(value, limit=5000) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value, limit=40):
    text = "空" if value in (None, "") else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _forget_codes():
    from ..filtersets import forget_codes  # the list filters' cached kinds and areas: new ones count at once

    forget_codes()


def load_bundle(bundle: Bundle, *, dry_run=False) -> LoadResult:
    return Loader(bundle).load(dry_run=dry_run)
