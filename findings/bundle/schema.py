"""The one description of the bundle's files, used by the reader and by the exporter.

Each column or key has a type: str (required text), text (optional text, "" when absent),
int / optint, date (optional ISO date), bool (true / empty). YAML nested lists are described
by nested schemas. A type ending in "?" marks a column a file or sheet may leave out altogether
(read as empty): the columns added after the first format, so that older files still read.
Hand-written rather than a schema library: the rules are few, and the error messages must name
file, record and field in Japanese.
"""

import re
from dataclasses import dataclass, field, replace

from .meanings import LABELS, MEANINGS


@dataclass(frozen=True)
class Col:
    name: str
    type: str  # str | text | int | optint | date | bool | list | dict | any
    children: tuple["Col", ...] = field(default=())
    optional: bool = False  # the column may be absent from a file or sheet
    # what the column holds, in Japanese (the Excel template's 説明 sheet prints both); set from meanings.py
    label: str = field(default="", compare=False)
    meaning: str = field(default="", compare=False)


def cols(spec: str) -> tuple[Col, ...]:
    """'order:int name:str kind:text?' -> (Col('order','int'), Col('name','str'), Col('kind','text', optional=True))"""
    out = []
    for item in spec.split():
        name, kind = item.split(":")
        out.append(Col(name, kind.rstrip("?"), optional=kind.endswith("?")))
    return tuple(out)


CSV_FILES: dict[str, tuple[Col, ...]] = {
    "organisation/bureaus.csv": cols("order:int name:str valid_from:date valid_to:date kind:text?"),
    "organisation/sections.csv": cols(
        "bureau:str order:int name:str valid_from:date valid_to:date parent:text? kind:text?"
    ),
    "systems/systems.csv": cols("number:int bureau:str section:str name:str source_line:optint"),
    "systems/bureau_counts.csv": cols("bureau:str stated_count:int source_line:optint"),
    "systems/expenditure_by_bureau.csv": cols(
        "bureau:str fiscal_year:int budget_million_yen:optint actual_million_yen:optint source_line:optint"
    ),
    "systems/expenditure_by_system.csv": cols(
        "table_bureau:str number:int name_as_printed:str fiscal_year:int budget_million_yen:optint"
        " actual_million_yen:optint source_line:optint"
    ),
    "budgets/fields.csv": cols(
        "order:int name:str budget_thousand_yen:optint actual_thousand_yen:optint source_line:optint"
    ),
    "budgets/field_funding.csv": cols(
        "field:str basis:str total_thousand_yen:optint general_thousand_yen:optint national_thousand_yen:optint"
        " prefectural_thousand_yen:optint source_line:optint"
    ),
    "budgets/lines.csv": cols(
        "field:str major_no:int minor_no:optint title:str budget_thousand_yen:optint actual_thousand_yen:optint"
        " reprint:bool source_line:optint"
    ),
    "budgets/core_city_comparison.csv": cols("table:str order:int item:str city:str value:text source_line:optint"),
    "stated_totals.csv": cols("table:str label:str column:str value:optint unit:str source_line:optint"),
    "repairs.csv": cols("file:str record:str field:text source_line:text original:text repaired:text why:str"),
    "history/publications.csv": cols("number:int published_on:date as_of:date title:text? per:text? reports:text?"),
}

SECTION_REF = (Col("bureau", "str"), Col("section", "str"))

YAML_FILES: dict[str, tuple[Col, ...]] = {
    "reports.yaml": (
        *cols("code:str kind:str fiscal_year:int target_fiscal_year:optint theme:str auditor:text auditor_title:text"),
        Col("assistants", "list", cols("name:str title:text")),
        *cols(
            "audit_period_start:date audit_period_end:date submitted_on:date published_on:date"
            " gazette_number:text publication_number:text legal_basis:text source:text"
        ),
        Col("stated_counts", "dict"),
        # the report's areas / themes (findings.area), and the kinds of finding it uses (findings.kind)
        Col("areas", "list", cols("code:str label:text")),
        Col("kinds", "list", cols("code:str label:text")),
    ),
    "systems/audited_systems.yaml": (
        *cols(
            "number:int name:str bureau:str section:str purpose:text introduced_fiscal_year:optint"
            " introduced_text:text network:text cloud:bool cloud_text:text importance:text page:optint"
            " source_line:optint"
        ),
        Col("budgets", "list", cols("fiscal_year:int budget_thousand_yen:optint actual_thousand_yen:optint note:text")),
    ),
    "budgets/projects.yaml": (
        *cols(
            "name:str bureau:str section:str field:text major_no:optint minor_no:optint content:text"
            " results:text page:optint source_line:optint"
        ),
        Col(
            "funding",
            "list",
            cols(
                "basis:str total_thousand_yen:optint national_thousand_yen:optint prefectural_thousand_yen:optint"
                " general_thousand_yen:optint"
            ),
        ),
        Col(
            "contracts",
            "list",
            (
                *cols(
                    "name:str method:text contractor:text bidders:optint bidders_text:text"
                    " price_disclosed_in_advance:text estimated_price_text:text contract_amount_thousand_yen:optint"
                    " contract_amount_yen:optint minimum_price_text:text note:text"
                ),
                Col("extra", "dict"),
            ),
        ),
        Col("extra", "dict"),
    ),
    "findings.yaml": (
        *cols(
            "report:str code:str key:text? kind:str number:optint area:text group:text title:str body_title:text"
            " summary:text? page:optint source_publication:text? source_url:text? detected:text problem:text"
            " recommendation:text recorded_measure:text source_line:optint"
        ),
        Col("blocks", "list", cols("label:text text:text"), optional=True),
        Col(
            "subjects",
            "list",
            cols(
                "kind:str name:text? project:text system:optint note:text detected:text problem:text source_line:optint"
            ),
        ),
        Col("sections", "list", SECTION_REF),
    ),
    # Earlier measures adopted from the city's records: one entry per dated report on a measure
    # (finding × section), in date order; a finding's later entries supersede its earlier ones.
    "history/measures.yaml": cols(
        "report:str finding:str bureau:str section:str status:str reported_on:date text:text"
        " completed_on:date? notice_number:text? notice_on:date? accepted_on:date? publication_number:optint?"
        " published_on:date? reply_by:date?"
    ),
    # 措置状況 publications made before the register: their number, date and as-of date, so that
    # "what changed since the last publication" works from the first one made here.
}

# The sheet a nested list (or dict) of a YAML file becomes in the Excel template, and the columns of a dict
# kept as (key, value) rows.
CHILD_TITLES = {
    ("reports.yaml", "assistants"): "report_assistants",
    ("reports.yaml", "stated_counts"): "report_stated_counts",
    ("reports.yaml", "areas"): "report_areas",
    ("reports.yaml", "kinds"): "report_kinds",
    ("findings.yaml", "blocks"): "finding_blocks",
    ("systems/audited_systems.yaml", "budgets"): "audited_system_budgets",
    ("budgets/projects.yaml", "funding"): "project_funding",
    ("budgets/projects.yaml", "contracts"): "project_contracts",
    ("findings.yaml", "subjects"): "finding_subjects",
    ("findings.yaml", "sections"): "finding_sections",
}
COUNT_COLUMNS = (Col("key", "str"), Col("value", "int"))


def sheet_title(name: str) -> str:
    """A file's sheet in the Excel template: its stem (organisation/bureaus.csv -> bureaus)."""
    return name.rsplit("/", 1)[-1].split(".", 1)[0]


def described(title: str, col: Col) -> Col:
    """`col` of the sheet `title` with its Japanese label and meaning (meanings.py), children included."""
    meaning = MEANINGS.get(f"{title}.{col.name}") or MEANINGS.get(col.name, "")
    label = LABELS.get(f"{title}.{col.name}") or LABELS.get(col.name) or re.split(r"[（。:：]", meaning, maxsplit=1)[0]
    return replace(col, label=label.strip(), meaning=meaning)


def _described_file(name: str, columns: tuple[Col, ...]) -> tuple[Col, ...]:
    out = []
    for col in columns:
        child_title = CHILD_TITLES.get((name, col.name))
        if child_title and col.type == "list":
            col = replace(col, children=tuple(described(child_title, c) for c in col.children))
        out.append(col if child_title else described(sheet_title(name), col))
    return tuple(out)


CSV_FILES = {name: _described_file(name, columns) for name, columns in CSV_FILES.items()}
YAML_FILES = {name: _described_file(name, columns) for name, columns in YAML_FILES.items()}
COUNT_COLUMNS = tuple(described("report_stated_counts", c) for c in COUNT_COLUMNS)

# Load order (a file may refer only to files before it).
FILE_ORDER = [
    "reports.yaml",
    "organisation/bureaus.csv",
    "organisation/sections.csv",
    "systems/systems.csv",
    "systems/bureau_counts.csv",
    "systems/audited_systems.yaml",
    "systems/expenditure_by_bureau.csv",
    "systems/expenditure_by_system.csv",
    "budgets/fields.csv",
    "budgets/field_funding.csv",
    "budgets/lines.csv",
    "budgets/projects.yaml",
    "budgets/core_city_comparison.csv",
    "findings.yaml",
    "stated_totals.csv",
    "repairs.csv",
    "history/measures.yaml",
    "history/publications.csv",
]

# Optional files may be absent (an earlier report may have no systems inventory, say).
REQUIRED_FILES = {"reports.yaml", "organisation/bureaus.csv", "organisation/sections.csv", "findings.yaml"}

MAX_FILE_BYTES = 5 * 1024 * 1024
