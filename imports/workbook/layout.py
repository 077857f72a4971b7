"""The sheets of the report-data workbook: one per bundle file (schema.FILE_ORDER) and one per nested
list, with their Japanese names, and where a problem is for the workbook's user (`place`)."""

from dataclasses import dataclass

from findings.bundle.reader import Problem
from findings.bundle.schema import (
    CHILD_TITLES,
    COUNT_COLUMNS,
    CSV_FILES,
    FILE_ORDER,
    YAML_FILES,
    Col,
    described,
    sheet_title,
)

GUIDE_SHEET = "説明"


@dataclass(frozen=True)
class SheetSpec:
    title: str
    file: str
    name_ja: str
    columns: tuple[Col, ...]  # the sheet's columns, in order (a child sheet's key columns first)
    parent: str = ""  # a child sheet: the parent sheet's title
    fills: str = ""  # a child sheet: the parent's list (or dict) column it holds
    keys: tuple[tuple[str, str], ...] = ()  # a child sheet: (column here, parent column)

    def record(self, row: int) -> str:
        return f"シート {self.title} 行 {row}" if self.parent else f"行 {row}"

    @property
    def whole(self) -> str:
        """The record of a problem about the whole sheet (a parent sheet is named by its file)."""
        return f"シート {self.title}" if self.parent else ""


# The parent's key columns, named as they appear in the child sheets: (child column, parent column).
PARENT_KEYS = {
    "reports.yaml": (("report", "code"),),
    "systems/audited_systems.yaml": (("number", "number"),),
    "budgets/projects.yaml": (("project", "name"),),
    # a finding's child rows name it by its internal key (its printed code when it has none): printed codes
    # can repeat within a report (numbering restarting per 局)
    "findings.yaml": (("report", "report"), ("code", "key")),
    "history/measures.yaml": (),
}
CHILD_NAMES_JA = {  # (file, nested column) -> the child sheet's Japanese name (its title: schema.CHILD_TITLES)
    ("reports.yaml", "assistants"): "監査報告書の補助者",
    ("reports.yaml", "stated_counts"): "監査報告書に記載の件数",
    ("reports.yaml", "areas"): "監査報告書の分野・テーマ",
    ("reports.yaml", "kinds"): "監査報告書の指摘・意見の区分",
    ("findings.yaml", "blocks"): "指摘・意見の本文（見出し付きの段落）",
    ("systems/audited_systems.yaml", "budgets"): "監査対象システムの年度別予算・決算",
    ("budgets/projects.yaml", "funding"): "監査対象事業の財源内訳",
    ("budgets/projects.yaml", "contracts"): "監査対象事業の契約",
    ("findings.yaml", "subjects"): "指摘・意見の対象（事業・システム・全般）",
    ("findings.yaml", "sections"): "指摘・意見の所管課（報告書の記載）",
}
CORE_CHILDREN = {"subjects", "sections"}  # child sheets a report's workbook keeps even when empty
CHILD_DICTS = {("reports.yaml", "stated_counts")}  # dict columns kept as (key, value) rows instead of JSON
NAMES_JA = {
    "reports.yaml": "監査報告書（今回と、報告書が言及する過年度の報告書）",
    "organisation/bureaus.csv": "局・委員会等",
    "organisation/sections.csv": "課・室・所",
    "systems/systems.csv": "情報システム（台帳）",
    "systems/bureau_counts.csv": "局別の所管システム数（報告書の記載）",
    "systems/audited_systems.yaml": "監査対象の情報システム",
    "systems/expenditure_by_bureau.csv": "局別の情報システム歳出",
    "systems/expenditure_by_system.csv": "システム別の情報システム歳出（局ごとの表）",
    "budgets/fields.csv": "DX 予算の分野",
    "budgets/field_funding.csv": "DX 予算の分野別財源内訳",
    "budgets/lines.csv": "DX 予算の具体的な取組（大項目・小項目）",
    "budgets/projects.yaml": "監査対象の DX 事業",
    "budgets/core_city_comparison.csv": "中核市比較",
    "findings.yaml": "指摘・意見",
    "stated_totals.csv": "表に記載の合計",
    "repairs.csv": "抽出テキストの修復記録",
    "history/measures.yaml": "過去の措置の報告（市の記録から取り込む）",
    "history/publications.csv": "過去の措置状況の公表",
}


def _layout() -> list[SheetSpec]:
    specs = []
    for name in FILE_ORDER:
        title = sheet_title(name)
        if name in CSV_FILES:
            specs.append(SheetSpec(title, name, NAMES_JA[name], CSV_FILES[name]))
            continue
        columns = YAML_FILES[name]
        nested = [c for c in columns if c.type == "list" or (name, c.name) in CHILD_DICTS]
        specs.append(SheetSpec(title, name, NAMES_JA[name], tuple(c for c in columns if c not in nested)))
        by_name = {c.name: c for c in columns}
        keys = PARENT_KEYS[name]
        for col in nested:
            child, name_ja = CHILD_TITLES[(name, col.name)], CHILD_NAMES_JA[(name, col.name)]
            key_columns = tuple(described(child, Col(here, by_name[there].type)) for here, there in keys)
            children = COUNT_COLUMNS if col.type == "dict" else col.children
            specs.append(SheetSpec(child, name, name_ja, key_columns + children, title, col.name, keys))
    assert len({s.title.casefold() for s in specs}) == len(specs) and all(len(s.title) <= 31 for s in specs)
    return specs


LAYOUT = _layout()
SHEETS: dict[str, str] = {s.file: s.title for s in LAYOUT if not s.parent}  # bundle file -> parent sheet
_CHILDREN = {name: [s for s in LAYOUT if s.file == name and s.parent] for name in FILE_ORDER}


def place(problem: Problem) -> str:
    """Where a problem is, for the workbook's user: "シート findings / 行 5" (the column is `problem.field`)."""
    record = problem.record or ""
    if record.startswith("シート "):
        return record.replace(" 行 ", " / 行 ", 1)
    sheet = SHEETS.get(problem.file)
    return " / ".join(part for part in (f"シート {sheet}" if sheet else problem.file, record) if part)


def _parent_value(item: dict, column: str):
    """A parent row's key value; a finding's `key` defaults to its `code`."""
    if column == "key":
        return item.get("key") or item.get("code")
    return item.get(column)
