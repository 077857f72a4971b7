"""Whole-bundle checks run before anything is written: counts, references, uniqueness, sums.

Amounts in the report are truncated to the unit, so a sum of n printed rows may fall short of
the printed total by up to n-1 units; such a shortfall is reported as a notice, not an error.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from auditreg.validators import CONTROL_CHARACTERS, CONTROL_MESSAGE
from findings.choices import SubjectKind
from findings.models import FindingKindLabel, SubjectType

from .history import check_history
from .reader import Bundle, Problem

# the lengths the findings' short text columns hold (the database's limits, told before writing)
FINDING_LIMITS = {"code": 40, "key": 60, "kind": 20, "area": 40, "title": 300, "body_title": 300}

# stated_counts key for the number of findings the report states, where the bundle holds only some
STATED_FINDINGS = "findings"


def finding_key(f) -> str:
    """A finding's internal key in a bundle: its `key`, else its printed code."""
    return f.get("key") or f["code"]


def known_kinds(bundle: Bundle) -> set[str]:
    """Kinds a finding may have: the city's (FindingKindLabel) and those the bundle's reports declare."""
    declared = {k["code"] for r in bundle.rows("reports.yaml") for k in r.get("kinds") or []}
    return declared | set(FindingKindLabel.objects.values_list("code", flat=True))


def known_subject_types() -> set[str]:
    return set(SubjectType.objects.values_list("code", flat=True)) | set(SubjectKind.values)


def report_areas(bundle: Bundle) -> dict[str, list[str]]:
    """Each report's area codes, in order: those it declares, else those its findings use (first use first)."""
    out = {r["code"]: [a["code"] for a in r.get("areas") or []] for r in bundle.rows("reports.yaml")}
    derived = {code for code, areas in out.items() if not areas}
    for f in bundle.rows("findings.yaml"):
        if f["area"] and f["report"] in derived and f["area"] not in out[f["report"]]:
            out[f["report"]].append(f["area"])
    return out


@dataclass
class CheckResult:
    errors: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def _dupes(records, key):
    counts = Counter(key(r) for r in records)
    return [k for k, n in counts.items() if n > 1]


def compare_sum(result: CheckResult, where: Problem, stated, parts: list, what: str) -> None:
    """Compare a printed total with the sum of printed parts (`None` parts count as zero)."""
    values = [p for p in parts if p is not None]
    if stated is None:
        if values and any(values):
            result.errors.append(
                Problem(
                    where.file, where.record, where.field, f"{what}: 合計が空欄ですが内訳の合計は {sum(values):,} です"
                )
            )
        return
    total = sum(values)
    shortfall = stated - total
    if shortfall == 0:
        return
    if 0 < shortfall < max(len(values), 1):
        result.notices.append(
            f"{where.location}: {what}: 記載の合計 {stated:,} に対し内訳の合計 {total:,}"
            f"（{shortfall} 不足、単位未満切り捨てによる差）"
        )
        return
    result.errors.append(
        Problem(
            where.file,
            where.record,
            where.field,
            f"{what}: 記載の合計 {stated:,} と内訳の合計 {total:,} が一致しません",
        )
    )


@dataclass
class _Context:
    """What the per-file checks share: the bundle, the result and the keys earlier files define (a file may
    refer only to files before it, so the checks run in schema.FILE_ORDER)."""

    bundle: Bundle
    result: CheckResult
    main_report: dict
    report_codes: set = field(default_factory=set)
    stated: dict = field(default_factory=dict)
    bureau_names: set = field(default_factory=set)
    section_keys: set = field(default_factory=set)
    system_numbers: set = field(default_factory=set)
    field_names: set = field(default_factory=set)
    line_keys: set = field(default_factory=set)
    project_names: set = field(default_factory=set)
    kinds: set = field(default_factory=set)

    @property
    def day(self):
        """Organisation references resolve among the units in force on the report's publication date."""
        return self.main_report.get("published_on")

    def problem(self, file, record, fld, message) -> None:
        self.result.errors.append(Problem(file, record, fld, message))

    def current(self, unit) -> bool:
        day = self.day
        return day is None or (
            (unit["valid_from"] is None or unit["valid_from"] <= day)
            and (unit["valid_to"] is None or unit["valid_to"] > day)
        )

    def check_section(self, file, record, bureau, section) -> None:
        if (bureau, section) not in self.section_keys:
            self.problem(file, record.where, "section", f"課「{bureau} {section}」が sections.csv にありません")

    def check_bureau(self, file, record, fld, bureau) -> None:
        if bureau not in self.bureau_names:
            self.problem(file, record.where, fld, f"局「{bureau}」が bureaus.csv にありません")


def check_bundle(bundle: Bundle) -> CheckResult:
    result = CheckResult()
    reports = bundle.rows("reports.yaml")
    if not reports:
        result.errors.append(Problem("reports.yaml", "", "", "報告書が 1 件もありません"))
        return result
    ctx = _Context(bundle, result, reports[0], report_codes={r["code"] for r in reports})
    for code in _dupes(reports, lambda r: r["code"]):
        ctx.problem("reports.yaml", code, "code", "同じ識別子の報告書が複数あります")
    for check in CHECKS:
        check(ctx)
    return result


# -- organisation ---------------------------------------------------------------------------------------------


def _check_units(ctx: _Context) -> None:
    bureaus = ctx.bundle.rows("organisation/bureaus.csv")
    sections = ctx.bundle.rows("organisation/sections.csv")
    for file, units in (("organisation/bureaus.csv", bureaus), ("organisation/sections.csv", sections)):
        for unit in units:
            if isinstance(unit.get("name"), str) and CONTROL_CHARACTERS.search(unit["name"]):
                ctx.problem(file, unit.where, "name", CONTROL_MESSAGE.removesuffix("。"))
    ctx.bureau_names = {b["name"] for b in bureaus if ctx.current(b)}
    for name in _dupes(bureaus, lambda b: (b["name"], b["valid_from"])):
        ctx.problem("organisation/bureaus.csv", name[0], "name", "同じ局が重複しています")
    for s in sections:
        if s["bureau"] not in ctx.bureau_names:
            ctx.problem(
                "organisation/sections.csv", s.where, "bureau", f"局「{s['bureau']}」が bureaus.csv にありません"
            )
        if ctx.current(s):
            ctx.section_keys.add((s["bureau"], s["name"]))
    for key in _dupes(sections, lambda s: (s["bureau"], s["name"], s["valid_from"])):
        ctx.problem("organisation/sections.csv", f"{key[0]} {key[1]}", "name", "同じ課が重複しています")
    # one order per bureau, whatever the depth: two units in force cannot share a place
    for key in _dupes([s for s in sections if ctx.current(s)], lambda s: (s["bureau"], s["order"])):
        ctx.problem("organisation/sections.csv", f"{key[0]} 順 {key[1]}", "order", "同じ局の中で表示順が重複しています")
    for key in _dupes([b for b in bureaus if ctx.current(b)], lambda b: b["order"]):
        ctx.problem("organisation/bureaus.csv", f"順 {key}", "order", "局の表示順が重複しています")
    _check_parents(ctx, sections)


def _check_parents(ctx: _Context, sections) -> None:
    names_in_bureau = {(s["bureau"], s["name"]) for s in sections}
    for s in sections:
        if s.get("parent") and (s["bureau"], s["parent"]) not in names_in_bureau:
            ctx.problem(
                "organisation/sections.csv", s.where, "parent", f"上位の組織「{s['parent']}」が同じ局の中にありません"
            )
        if s.get("parent") == s["name"]:
            ctx.problem("organisation/sections.csv", s.where, "parent", "自分自身を上位の組織にはできません")


def _check_units_in_force(ctx: _Context) -> None:
    """A unit that exists in the master but not on the publication day is named in its own file."""
    bundle, day = ctx.bundle, ctx.day
    bureaus = bundle.rows("organisation/bureaus.csv")
    sections = bundle.rows("organisation/sections.csv")
    for b in bureaus:
        if not ctx.current(b) and any(s["bureau"] == b["name"] for s in sections if ctx.current(s)):
            ctx.problem(
                "organisation/bureaus.csv",
                b.where,
                "valid_to" if b["valid_to"] else "valid_from",
                f"局「{b['name']}」は報告書の公表日（{day}）に存在しない期間になっていますが、課から参照されています",
            )
    referenced = {
        (r["bureau"], r["section"])
        for name in ("systems/systems.csv", "systems/audited_systems.yaml", "budgets/projects.yaml")
        for r in bundle.rows(name)
    }
    referenced |= {(x["bureau"], x["section"]) for f in bundle.rows("findings.yaml") for x in f["sections"]}
    for s_row in sections:
        if not ctx.current(s_row) and (s_row["bureau"], s_row["name"]) in referenced:
            ctx.problem(
                "organisation/sections.csv",
                s_row.where,
                "valid_to" if s_row["valid_to"] else "valid_from",
                f"課「{s_row['bureau']} {s_row['name']}」は公表日（{day}）に存在しない期間ですが参照されています",
            )


# -- systems --------------------------------------------------------------------------------------------------


def _check_systems(ctx: _Context) -> None:
    systems = ctx.bundle.rows("systems/systems.csv")
    ctx.system_numbers = {s["number"] for s in systems}
    for number in _dupes(systems, lambda s: s["number"]):
        ctx.problem("systems/systems.csv", f"No.{number}", "number", "同じ番号のシステムが複数あります")
    for s in systems:
        ctx.check_section("systems/systems.csv", s, s["bureau"], s["section"])
    main_report = ctx.main_report
    stated = main_report["stated_counts"] if main_report.get("stated_counts") else {}
    if any(not isinstance(k, str) or not isinstance(v, int) or isinstance(v, bool) for k, v in stated.items()):
        ctx.problem("reports.yaml", main_report.where, "stated_counts", "件数は「名前: 整数」で書いてください")
        stated = {}
    ctx.stated = stated
    if systems and "systems" in stated and len(systems) != stated["systems"]:
        ctx.problem(
            "systems/systems.csv", "", "", f"システム数が {len(systems)} です（報告書では {stated['systems']}）"
        )


def _check_bureau_counts(ctx: _Context) -> None:
    per_bureau = Counter(s["bureau"] for s in ctx.bundle.rows("systems/systems.csv"))
    counts = ctx.bundle.rows("systems/bureau_counts.csv")
    for c in counts:
        ctx.check_bureau("systems/bureau_counts.csv", c, "bureau", c["bureau"])
        if per_bureau.get(c["bureau"], 0) != c["stated_count"]:
            ctx.problem(
                "systems/bureau_counts.csv",
                c.where,
                "stated_count",
                f"{c['bureau']} のシステムは {per_bureau.get(c['bureau'], 0)} 件です（報告書では {c['stated_count']}）",
            )
    counted = {c["bureau"] for c in counts}
    if counts:
        for b in per_bureau:
            if b not in counted:
                ctx.problem("systems/bureau_counts.csv", "", "bureau", f"{b} の記載件数がありません")


def _check_audited_systems(ctx: _Context) -> None:
    file = "systems/audited_systems.yaml"
    audited = ctx.bundle.rows(file)
    for a in audited:
        if a["number"] not in ctx.system_numbers:
            ctx.problem(file, a.where, "number", f"No.{a['number']} が systems.csv にありません")
        ctx.check_section(file, a, a["bureau"], a["section"])
        if a["importance"] not in ("", "A", "B", "C"):
            ctx.problem(file, a.where, "importance", "重要度は A, B, C のいずれかです")
        for fy in _dupes(a["budgets"], lambda b: b["fiscal_year"]):
            ctx.problem(file, a.where, "budgets", f"{fy} 年度が重複しています")
    for number in _dupes(audited, lambda a: a["number"]):
        ctx.problem(file, f"No.{number}", "number", "同じシステムが複数あります")


def _check_expenditure_by_bureau(ctx: _Context) -> None:
    file = "systems/expenditure_by_bureau.csv"
    for e in ctx.bundle.rows(file):
        ctx.check_bureau(file, e, "bureau", e["bureau"])
    for key in _dupes(ctx.bundle.rows(file), lambda e: (e["bureau"], e["fiscal_year"])):
        ctx.problem(file, f"{key[0]} {key[1]}", "", "同じ局・年度が重複しています")


def _check_expenditure_by_system(ctx: _Context) -> None:
    file = "systems/expenditure_by_system.csv"
    for e in ctx.bundle.rows(file):
        ctx.check_bureau(file, e, "table_bureau", e["table_bureau"])
        if e["number"] not in ctx.system_numbers:
            ctx.problem(file, e.where, "number", f"No.{e['number']} が systems.csv にありません")
    for key in _dupes(ctx.bundle.rows(file), lambda e: (e["table_bureau"], e["number"], e["fiscal_year"])):
        ctx.problem(file, f"{key[0]} No.{key[1]} {key[2]}", "", "重複しています")


# -- DX budget ------------------------------------------------------------------------------------------------


def _check_fields(ctx: _Context) -> None:
    fields = ctx.bundle.rows("budgets/fields.csv")
    ctx.field_names = {f["name"] for f in fields}
    for name in _dupes(fields, lambda f: f["name"]):
        ctx.problem("budgets/fields.csv", name, "name", "同じ分野が重複しています")


def _check_field_funding(ctx: _Context) -> None:
    file = "budgets/field_funding.csv"
    fields = ctx.bundle.rows("budgets/fields.csv")
    for f in ctx.bundle.rows(file):
        if f["field"] not in ctx.field_names:
            ctx.problem(file, f.where, "field", f"分野「{f['field']}」が fields.csv にありません")
        if f["basis"] not in ("budget", "actual"):
            ctx.problem(file, f.where, "basis", "basis は budget か actual です")
            continue
        compare_sum(
            ctx.result,
            Problem(file, f.where, "total_thousand_yen", ""),
            f["total_thousand_yen"],
            [f["general_thousand_yen"], f["national_thousand_yen"], f["prefectural_thousand_yen"]],
            f"{f['field']} {f['basis']} の財源内訳",
        )
        field_row = next((x for x in fields if x["name"] == f["field"]), None)
        if field_row and field_row[f"{f['basis']}_thousand_yen"] != f["total_thousand_yen"]:
            ctx.problem(
                file,
                f.where,
                "total_thousand_yen",
                f"分野表の{'予算額' if f['basis'] == 'budget' else '決算額'}と一致しません",
            )
    for key in _dupes(ctx.bundle.rows(file), lambda f: (f["field"], f["basis"])):
        ctx.problem(file, f"{key[0]} {key[1]}", "", "重複しています")


def _check_lines(ctx: _Context) -> None:
    lines = ctx.bundle.rows("budgets/lines.csv")
    for ln in lines:
        if ln["field"] not in ctx.field_names:
            ctx.problem("budgets/lines.csv", ln.where, "field", f"分野「{ln['field']}」が fields.csv にありません")
        key = (ln["field"], ln["major_no"], ln["minor_no"])
        if key in ctx.line_keys:
            ctx.problem("budgets/lines.csv", ln.where, "minor_no", "同じ番号の取組が重複しています")
        ctx.line_keys.add(key)
    for ln in lines:
        if ln["minor_no"] is not None and (ln["field"], ln["major_no"], None) not in ctx.line_keys:
            ctx.problem("budgets/lines.csv", ln.where, "major_no", "この小項目の大項目がありません")
    for column in ("budget_thousand_yen", "actual_thousand_yen"):
        _check_line_sums(ctx, lines, column)


def _check_line_sums(ctx: _Context, lines, column: str) -> None:
    """Each major line is the sum of its minor lines, each field the sum of its major lines."""
    for major in (ln for ln in lines if ln["minor_no"] is None):
        minors = [
            ln[column]
            for ln in lines
            if ln["field"] == major["field"] and ln["major_no"] == major["major_no"] and ln["minor_no"] is not None
        ]
        if minors:
            compare_sum(
                ctx.result,
                Problem("budgets/lines.csv", major.where, column, ""),
                major[column],
                minors,
                f"{major['field']} {major['major_no']} の小項目計",
            )
    for f in ctx.bundle.rows("budgets/fields.csv"):
        majors = [ln[column] for ln in lines if ln["field"] == f["name"] and ln["minor_no"] is None]
        if majors:
            compare_sum(
                ctx.result,
                Problem("budgets/fields.csv", f.where, column, ""),
                f[column],
                majors,
                f"{f['name']} の大項目計",
            )


def _check_projects(ctx: _Context) -> None:
    file = "budgets/projects.yaml"
    projects = ctx.bundle.rows(file)
    ctx.project_names = {p["name"] for p in projects}
    for name in _dupes(projects, lambda p: p["name"]):
        ctx.problem(file, name, "name", "同じ事業名が複数あります")
    for p in projects:
        ctx.check_section(file, p, p["bureau"], p["section"])
        if p["field"] and (p["field"], p["major_no"], p["minor_no"]) not in ctx.line_keys:
            ctx.problem(
                file,
                p.where,
                "minor_no",
                f"分類 {p['field']} {p['major_no']}-{p['minor_no']} が lines.csv にありません",
            )
        for fund in p["funding"]:
            if fund["basis"] not in ("budget", "actual"):
                ctx.problem(file, fund.where, "basis", "basis は budget か actual です")
            compare_sum(
                ctx.result,
                Problem(file, fund.where, "total_thousand_yen", ""),
                fund["total_thousand_yen"],
                [fund["national_thousand_yen"], fund["prefectural_thousand_yen"], fund["general_thousand_yen"]],
                f"{p['name']} の財源内訳",
            )
        for basis in _dupes(p["funding"], lambda f: f["basis"]):
            ctx.problem(file, p.where, "funding", f"{basis} が重複しています")
        for c in p["contracts"]:
            if c["contract_amount_thousand_yen"] is not None and c["contract_amount_yen"] is not None:
                ctx.problem(file, c.where, "contract_amount_yen", "契約金額は一つの単位で書いてください")


# -- findings: kinds, areas and subject types are data (the city's tables and the report's own lists) ----------


def _check_findings(ctx: _Context) -> None:
    ctx.kinds = known_kinds(ctx.bundle)
    areas_of = report_areas(ctx.bundle)
    subject_types = known_subject_types()
    groups_by_report = defaultdict(dict)
    for r in ctx.bundle.rows("reports.yaml"):
        for code in _dupes(r.get("areas") or [], lambda a: a["code"]):
            ctx.problem("reports.yaml", r.where, "areas", f"分野「{code}」が重複しています")
        for code in _dupes(r.get("kinds") or [], lambda k: k["code"]):
            ctx.problem("reports.yaml", r.where, "kinds", f"区分「{code}」が重複しています")
    findings = ctx.bundle.rows("findings.yaml")
    for f in findings:
        _check_finding(ctx, f, areas_of.get(f["report"], []))
        if f["group"]:
            seen_area = groups_by_report[f["report"]].setdefault(f["group"], f["area"])
            if seen_area != f["area"]:
                ctx.problem("findings.yaml", f.where, "group", "同じ見出しが二つの分野にあります")
        for s in f["subjects"]:
            _check_subject(ctx, s, subject_types)
        for sec in f["sections"]:
            ctx.check_section("findings.yaml", sec, sec["bureau"], sec["section"])
    for key in _dupes(findings, lambda f: (f["report"], finding_key(f))):
        ctx.problem(
            "findings.yaml",
            f"{key[0]} {key[1]}",
            "key",
            "同じ内部キーの指摘・意見が複数あります（番号が重なるときは key 列で区別してください）",
        )


def _check_finding(ctx: _Context, f, declared: list[str]) -> None:
    for name, limit in FINDING_LIMITS.items():
        if len(f.get(name) or "") > limit:
            ctx.problem("findings.yaml", f.where, name, f"{limit} 文字以内で書いてください（{len(f[name])} 文字）")
    if f["report"] not in ctx.report_codes:
        ctx.problem("findings.yaml", f.where, "report", f"報告書「{f['report']}」が reports.yaml にありません")
    if f["kind"] and f["kind"] not in ctx.kinds:
        ctx.problem(
            "findings.yaml",
            f.where,
            "kind",
            f"区分「{f['kind']}」は登録されていません（reports.yaml の kinds に書くか、管理画面で登録してください。"
            f"登録済み: {'、'.join(sorted(ctx.kinds))}）",
        )
    if f["area"] and declared and f["area"] not in declared:
        ctx.problem(
            "findings.yaml",
            f.where,
            "area",
            f"分野「{f['area']}」は報告書の areas にありません（{'、'.join(declared)}）",
        )


def _check_subject(ctx: _Context, s, subject_types: set[str]) -> None:
    if s["kind"] not in subject_types:
        ctx.problem(
            "findings.yaml",
            s.where,
            "kind",
            f"対象の種類「{s['kind']}」は登録されていません（{'、'.join(sorted(subject_types))}）",
        )
    if s["kind"] == SubjectKind.PROJECT and s["project"] not in ctx.project_names:
        ctx.problem("findings.yaml", s.where, "project", f"事業「{s['project']}」が projects.yaml にありません")
    if s["kind"] == SubjectKind.SYSTEM and s["system"] not in ctx.system_numbers:
        ctx.problem("findings.yaml", s.where, "system", f"No.{s['system']} が systems.csv にありません")
    if s["kind"] != SubjectKind.SYSTEM and s["system"] is not None:
        ctx.problem("findings.yaml", s.where, "system", "システム番号は kind が system の対象にだけ書けます")
    if s["kind"] != SubjectKind.PROJECT and s["project"]:
        ctx.problem("findings.yaml", s.where, "project", "事業名は kind が project の対象にだけ書けます")


def _check_finding_counts(ctx: _Context) -> None:
    """The counts the report states (stated_counts) against the findings of the main report."""
    main_report = ctx.main_report
    main_findings = [f for f in ctx.bundle.rows("findings.yaml") if f["report"] == main_report["code"]]
    kind_counts = Counter(f["kind"] for f in main_findings)
    area_counts = Counter((f["kind"], f["area"]) for f in main_findings)
    for key, expected in ctx.stated.items():
        actual = None
        if key == STATED_FINDINGS:  # the report's own total where only some findings are loaded
            if expected < len(main_findings):
                ctx.problem("reports.yaml", main_report.where, "stated_counts", f"{key} が取り込む件数より少ないです")
            continue
        if key in ctx.kinds:
            actual = kind_counts.get(key, 0)
        elif "_" in key and key.split("_", 1)[0] in ctx.kinds:
            actual = area_counts.get(tuple(key.split("_", 1)), 0)
        if actual is not None and actual != expected:
            ctx.problem("findings.yaml", "", "", f"{key} は {actual} 件です（報告書では {expected} 件）")


def _check_history(ctx: _Context) -> None:
    finding_keys = {(f["report"], finding_key(f)) for f in ctx.bundle.rows("findings.yaml")}
    check_history(ctx.bundle, finding_keys, ctx.section_keys, ctx.problem)


# -- stated totals: the IT-expenditure tables (the DX ones are checked above against fields.csv) ---------------


def _check_stated_totals(ctx: _Context) -> None:
    totals = ctx.bundle.rows("stated_totals.csv")
    for key in _dupes(totals, lambda t: (t["table"], t["label"], t["column"])):
        ctx.problem("stated_totals.csv", " ".join(key), "", "重複しています")
    for t in totals:
        if not t["column"].endswith("_yen"):
            ctx.problem("stated_totals.csv", t.where, "column", "列は金額の列（…_yen）を指定してください")
            continue
        table = t["table"]
        if table == "dx_fields":
            _total_of_fields(ctx, t)
        elif table.startswith("dx_funding_"):
            _total_of_funding(ctx, t)
        elif table.startswith("dx_lines_"):
            _total_of_lines(ctx, t)
        elif table == "it_by_bureau" or table.startswith("it_by_system_"):
            _total_of_expenditure(ctx, t)


def _total_of_fields(ctx: _Context, t) -> None:
    fields = ctx.bundle.rows("budgets/fields.csv")
    where = Problem("stated_totals.csv", t.where, "value", "")
    compare_sum(
        ctx.result, where, t["value"], [f[t["column"]] for f in fields if t["column"] in f], f"分野計 {t['column']}"
    )


def _total_of_funding(ctx: _Context, t) -> None:
    basis = t["table"].removeprefix("dx_funding_")
    rows = [f for f in ctx.bundle.rows("budgets/field_funding.csv") if f["basis"] == basis]
    where = Problem("stated_totals.csv", t.where, "value", "")
    compare_sum(ctx.result, where, t["value"], [r.get(t["column"]) for r in rows], f"財源計 {basis} {t['column']}")


def _total_of_lines(ctx: _Context, t) -> None:
    name = t["table"].removeprefix("dx_lines_")
    f = next((x for x in ctx.bundle.rows("budgets/fields.csv") if x["name"] == name), None)
    if f is None:
        ctx.problem("stated_totals.csv", t.where, "table", f"分野「{name}」がありません")
    elif t["column"] in f and f[t["column"]] != t["value"]:
        ctx.problem("stated_totals.csv", t.where, "value", f"{name}合計が分野表と一致しません")


def _total_of_expenditure(ctx: _Context, t) -> None:
    m = re.match(r"^(\d{4})_(budget|actual)_million_yen$", t["column"])
    if not m:
        ctx.problem("stated_totals.csv", t.where, "column", "列は 2023_budget_million_yen の形で書いてください")
        return
    fy, basis = int(m.group(1)), m.group(2)
    if t["table"] == "it_by_bureau":
        rows = [e for e in ctx.bundle.rows("systems/expenditure_by_bureau.csv") if e["fiscal_year"] == fy]
    else:
        table_bureau = t["table"].removeprefix("it_by_system_")
        rows = [
            e
            for e in ctx.bundle.rows("systems/expenditure_by_system.csv")
            if e["fiscal_year"] == fy and e["table_bureau"] == table_bureau
        ]
    where = Problem("stated_totals.csv", t.where, "value", "")
    compare_sum(ctx.result, where, t["value"], [e[f"{basis}_million_yen"] for e in rows], f"{t['table']} {t['column']}")


# One check per file (or entity), in the order the errors have always been listed: a check may use the keys an
# earlier one defined (ctx.section_keys, ctx.system_numbers …), as a file may refer only to files before it.
CHECKS = (
    _check_units,  # organisation/bureaus.csv, organisation/sections.csv
    _check_units_in_force,
    _check_systems,  # systems/systems.csv (and reports.yaml stated_counts)
    _check_bureau_counts,
    _check_audited_systems,
    _check_expenditure_by_bureau,
    _check_expenditure_by_system,
    _check_fields,
    _check_field_funding,
    _check_lines,
    _check_projects,
    _check_findings,
    _check_finding_counts,
    _check_history,  # history/measures.yaml, history/publications.csv
    _check_stated_totals,
)
