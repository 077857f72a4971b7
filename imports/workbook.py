"""The Excel (.xlsx) form of a report bundle, for staff who edit data in Excel rather than in a folder of files.

One sheet per bundle file, in schema.FILE_ORDER; a nested YAML file becomes a parent sheet with its scalar
columns and one child sheet per nested list, whose rows start with the parent's key columns. The first sheet,
説明, documents every sheet and column in Japanese. `template_bytes` writes the workbook (pre-filled from the
canonical export, so it holds exactly what `bundle_files` holds); `read_workbook` turns it back into the very
`Bundle` that `read_bundle` gives for the equivalent folder, with problems that point at sheets, rows and columns.
"""

import csv
import datetime
import io
import json
import unicodedata
from collections import Counter
from dataclasses import dataclass

from auditreg import wareki
from findings.bundle.reader import Bundle, Located, Problem, read_items, read_table
from findings.bundle.schema import CSV_FILES, FILE_ORDER, REQUIRED_FILES, YAML_FILES, Col

from .uploads import Sheet, read_workbook_values

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
CHILD_SHEETS = {  # (file, nested column) -> (child sheet, Japanese name)
    ("reports.yaml", "assistants"): ("report_assistants", "監査報告書の補助者"),
    ("reports.yaml", "stated_counts"): ("report_stated_counts", "監査報告書に記載の件数"),
    ("reports.yaml", "areas"): ("report_areas", "監査報告書の分野・テーマ"),
    ("reports.yaml", "kinds"): ("report_kinds", "監査報告書の指摘・意見の区分"),
    ("findings.yaml", "blocks"): ("finding_blocks", "指摘・意見の本文（見出し付きの段落）"),
    ("systems/audited_systems.yaml", "budgets"): ("audited_system_budgets", "監査対象システムの年度別予算・決算"),
    ("budgets/projects.yaml", "funding"): ("project_funding", "監査対象事業の財源内訳"),
    ("budgets/projects.yaml", "contracts"): ("project_contracts", "監査対象事業の契約"),
    ("findings.yaml", "subjects"): ("finding_subjects", "指摘・意見の対象（事業・システム・全般）"),
    ("findings.yaml", "sections"): ("finding_sections", "指摘・意見の所管課（報告書の記載）"),
}
CORE_CHILDREN = {"subjects", "sections"}  # child sheets a report's workbook keeps even when empty
CHILD_DICTS = {("reports.yaml", "stated_counts")}  # dict columns kept as (key, value) rows instead of JSON
COUNT_COLUMNS = (Col("key", "str"), Col("value", "int"))
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
        title = name.rsplit("/", 1)[-1].split(".", 1)[0]
        if name in CSV_FILES:
            specs.append(SheetSpec(title, name, NAMES_JA[name], CSV_FILES[name]))
            continue
        columns = YAML_FILES[name]
        nested = [c for c in columns if c.type == "list" or (name, c.name) in CHILD_DICTS]
        specs.append(SheetSpec(title, name, NAMES_JA[name], tuple(c for c in columns if c not in nested)))
        by_name = {c.name: c for c in columns}
        keys = PARENT_KEYS[name]
        key_columns = tuple(Col(here, by_name[there].type) for here, there in keys)
        for col in nested:
            child, name_ja = CHILD_SHEETS[(name, col.name)]
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


# -- writing ----------------------------------------------------------------------------------------------------


def template_bytes(report=None) -> bytes:
    """The workbook: 説明 and one sheet per bundle file (and nested list), pre-filled with `report`'s canonical
    export (`bundle_files`) or, without a report, headers only."""
    from auditreg.xlsx import new_workbook

    records = _export_records(report) if report is not None else {}
    book = new_workbook()  # the body font as the default: a column width counts its half-width characters
    _write_guide(book.active)
    for spec in LAYOUT:
        rows = _sheet_rows(spec, records.get(spec.file, []))
        # a report's workbook holds the sheets it has data for (no empty systems or budget sheets forced on
        # a report without them); the blank template holds every sheet
        if (
            report is not None
            and not rows
            and spec.file not in REQUIRED_FILES
            and (spec.parent or spec.file not in records)
        ):
            continue
        if report is not None and spec.parent and not rows and spec.fills not in CORE_CHILDREN:
            continue
        _write_table(book.create_sheet(spec.title), spec.columns, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _export_records(report) -> dict[str, list[dict]]:
    """The canonical export parsed back: CSV text -> rows of strings, YAML text -> items."""
    import yaml

    from findings.bundle.exporter import bundle_files

    records = {}
    for name, text in bundle_files(report).items():
        if name in CSV_FILES:
            records[name] = list(csv.DictReader(io.StringIO(text, newline="")))
        else:
            records[name] = yaml.safe_load(text) or []
    return records


def _sheet_rows(spec: SheetSpec, items: list[dict]) -> list[list]:
    if not spec.parent:
        return [[_to_excel(item.get(c.name), c.type) for c in spec.columns] for item in items]
    rows = []
    width = len(spec.keys)
    for item in items:
        pairs = zip(spec.keys, spec.columns[:width], strict=True)
        key = [_to_excel(_parent_value(item, there), col.type) for (_, there), col in pairs]
        nested = item.get(spec.fills) or []
        if isinstance(nested, dict):  # stated_counts: one row per (key, value)
            nested = [{"key": k, "value": v} for k, v in nested.items()]
        for entry in nested:
            rows.append(key + [_to_excel(entry.get(c.name), c.type) for c in spec.columns[width:]])
    return rows


def _parent_value(item: dict, column: str):
    """A parent row's key value; a finding's `key` defaults to its `code`."""
    if column == "key":
        return item.get("key") or item.get("code")
    return item.get(column)


def _to_excel(value, kind: str):
    """A value of the export (CSV text or YAML) as the cell to write: numbers and dates as such, text as text."""
    if value is None or value == "" or value is False or value == {}:
        return None
    if kind in ("int", "optint"):
        try:
            return int(value)
        except (TypeError, ValueError):
            return str(value)
    if kind == "date":
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if kind == "bool":
        return "true" if value is True or str(value).lower() == "true" else str(value)
    if kind == "dict":
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


MONEY_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"  # Excel's 文字列 format: what staff type into a text column stays text (0123, 77%)
MAX_WIDTH = 60


def _styles():
    from auditreg import xlsx  # the styles every workbook of the app shares

    return {"header_font": xlsx.BOLD_FONT, "header_fill": xlsx.HEADER_FILL, "wrap": xlsx.WRAP, "top": xlsx.TOP}


def _number_format(col: Col) -> str | None:
    if col.type in ("str", "text", "bool", "dict"):
        return TEXT_FORMAT
    if col.type == "date":
        return DATE_FORMAT
    if col.name.endswith("_yen"):
        return MONEY_FORMAT
    return None


def _write_table(ws, columns: tuple[Col, ...], rows: list[list]) -> None:
    from openpyxl.utils import get_column_letter

    style = _styles()
    for c, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=c, value=col.name)
        cell.font = style["header_font"]
        cell.fill = style["header_fill"]
    widths = [_width(col.name) for col in columns]
    formats = [_number_format(col) for col in columns]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                if value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text
                widths[c - 1] = max(widths[c - 1], _width(value))
            if formats[c - 1]:
                cell.number_format = formats[c - 1]
    for c, fmt in enumerate(formats, start=1):
        dimension = ws.column_dimensions[get_column_letter(c)]
        dimension.width = min(widths[c - 1] + 2, MAX_WIDTH)
        if fmt:
            dimension.number_format = fmt  # the column's default, for rows staff add below
    for c, col in enumerate(columns, start=1):  # long text wraps; a second pass, now that widths are known
        if col.type not in ("str", "text", "dict"):
            continue
        limit = ws.column_dimensions[get_column_letter(c)].width
        for r, values in enumerate(rows, start=2):
            value = values[c - 1]
            if isinstance(value, str) and ("\n" in value or _width(value) > limit):
                ws.cell(row=r, column=c).alignment = style["wrap"]
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"


def _width(text: str) -> int:
    """Display width of the first line, counting East Asian wide characters twice (enough for a column)."""
    line = text.split("\n", 1)[0][: MAX_WIDTH * 2]
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


# -- the 説明 sheet ------------------------------------------------------------------------------------------------

RULES = [
    "このブックは、監査報告書のデータ（フォルダ形式の CSV・YAML ファイルと同じ内容）を Excel にしたものです。"
    "シートごとに一種類のデータで、1 行が 1 件です。シート名と列名は英字のキー（ファイル・列の名前と同じ）です。",
    "1 行目は列名です。列名は変えないでください（列の並び順は変えても構いません）。"
    "必要な列がないとエラー、同じ名前の列が二つあるとエラー、知らない列は警告を出して読み飛ばします。",
    "値だけを読みます。数式のセルは Excel が最後に計算した結果の値を取り込みます（どのセルかを警告で示します）。"
    "計算結果が保存されていない数式はエラーです。値として貼り付けてください。書式・色・コメントは読みません。",
    "空の行は読み飛ばします。行を削除するとそのデータを削除し、行を追加すると新しく作成します"
    "（番号・システム No.・事業名などのキーで突き合わせます）。取り込む前に、変更点を確認画面で確かめられます。",
    "子シート（finding_subjects など）の行は、先頭のキー列（例: report と code）で親シートの行に結び付きます。"
    "並び順は子シートの行の順です。親シートにないキーの行はエラーです。",
    "型: 文字列 / 整数（桁区切りの , は可）/ 日付（日付のセル、または 2025-04-11 の形の文字列）/ "
    '真偽（true または空欄）/ JSON（{"見出し": "値"} の形。空欄は「なし」）。必須の列は空欄にできません。',
    "金額は報告書に印刷された単位の整数です。単位は列名の末尾で示します: _thousand_yen は千円、_million_yen は百万円、"
    "_yen は円。報告書の「-」（なし）は空欄、0 は 0 と書きます。",
    "文字列の列に数値や日付を入れると、その値を文字列にして取り込みます（表示形式は反映されません。"
    "77% は 0.77 になります）。このため文字列の列はあらかじめ「文字列」の表示形式にしてあります。",
    "必須のシートは reports・bureaus・sections・findings とその子シートです。ほかのシートは削除できますが、"
    "削除するとそのデータがないものとして取り込みます（登録済みのデータは削除されます）。"
    "親シートがあるときは子シートも必要です。知らないシートは警告を出して読み飛ばします。この「説明」シートは読みません。",
]

TYPE_JA = {
    "str": "文字列",
    "text": "文字列",
    "int": "整数",
    "optint": "整数",
    "date": "日付 YYYY-MM-DD",
    "bool": "真偽（true または空欄）",
    "dict": 'JSON（{"見出し": "値"}）',
}
UNITS = (("_thousand_yen", "千円"), ("_million_yen", "百万円"), ("_yen", "円"))

SOURCE_LINE = "報告書テキストの行番号"  # which text: CitySettings.source_text_name, shown in the guide
MEANINGS = {  # "sheet.column", or "column" for the same meaning everywhere
    "bureau": "局・委員会等の名前（bureaus の name）",
    "section": "課・室・所の名前（sections の name）",
    "source_line": SOURCE_LINE,
    "fiscal_year": "年度（西暦）",
    "page": "報告書のページ",
    "budget_thousand_yen": "予算額",
    "actual_thousand_yen": "決算額",
    "budget_million_yen": "予算額",
    "actual_million_yen": "決算額",
    "total_thousand_yen": "合計",
    "general_thousand_yen": "一般財源",
    "national_thousand_yen": "国庫支出金",
    "prefectural_thousand_yen": "県支出金",
    "basis": "budget（予算額）または actual（決算額）",
    "valid_from": "適用開始日（空欄は制限なし）",
    "valid_to": "適用終了日（この日からは存在しない。空欄は制限なし）",
    "report": "報告書の識別子（reports の code）",
    "code": "指摘・意見の番号（findings の code）",
    "reports.code": "報告書の識別子（英数字とハイフン。例: 2024-hojokin）",
    "findings.code": "番号（報告書の表記のまま。指摘01、（1）、【意見1】 など）",
    "findings.key": "内部キー（空欄なら番号と同じ。番号を付け直しても変えない。番号が重なるときに区別する）",
    "findings.summary": "要旨（措置状況の「監査の結果（要旨）」に載せる。空欄なら表題）",
    "findings.source_publication": "出典の公表物と号数（例: 監査公表第8号）",
    "findings.source_url": "出典の URL",
    "finding_blocks.label": "段落の見出し（監査の結果、意見の要旨 など）",
    "finding_blocks.text": "段落の本文",
    "report_areas.code": "分野・テーマのコード（findings の area に書く値）",
    "report_areas.label": "分野・テーマの表示名",
    "report_kinds.code": "区分のコード（findings の kind に書く値。指摘、意見、指摘事項 など）",
    "report_kinds.label": "区分の表示名",
    "bureaus.kind": "組織の種類（局、委員会、外郭団体 など。空欄可）",
    "sections.parent": "上位の組織（同じ局の中の部など。空欄なら局の直下）",
    "sections.kind": "組織の種類（部、課、室、所、区役所、外郭団体、指定管理者 など。空欄可）",
    "finding_subjects.name": "対象の名称（補助金・施設・契約・団体など、事業やシステムでない対象）",
    "measures.report": "報告書の識別子（reports の code）",
    "measures.finding": "指摘・意見の内部キー（key、空欄なら番号）",
    "measures.status": "措置状況（コードまたは表示名。措置済 など）",
    "measures.reported_on": "報告の時点（この日現在の状況）",
    "measures.text": "措置（対応）の内容。措置しないときはその理由",
    "measures.completed_on": "措置年月日",
    "measures.notice_number": "通知の文書番号",
    "measures.notice_on": "通知日",
    "measures.accepted_on": "監査事務局が受理した日（空欄なら報告の時点）",
    "measures.publication_number": "この報告を載せた措置状況の公表番号",
    "measures.published_on": "その公表日",
    "measures.reply_by": "回答期限",
    "publications.number": "公表番号（第◯号の数字）",
    "publications.published_on": "公表日",
    "publications.as_of": "時点（◯年◯月◯日現在）",
    "publications.title": "表題（空欄なら市の設定の表題）",
    "publications.per": "行の単位（finding または section。空欄は finding）",
    "publications.reports": "載せた報告書の識別子（空白区切り。空欄は今回の報告書）",
    "reports.kind": "監査の種類（包括外部監査など）",
    "reports.fiscal_year": "監査を実施した年度（西暦）",
    "reports.target_fiscal_year": "監査の対象年度（西暦）",
    "reports.theme": "監査のテーマ（事件名）",
    "reports.auditor": "監査人の氏名",
    "reports.auditor_title": "監査人の資格",
    "reports.audit_period_start": "監査の実施期間（開始日）",
    "reports.audit_period_end": "監査の実施期間（終了日）",
    "reports.submitted_on": "報告書の提出日",
    "reports.published_on": "公表日",
    "reports.gazette_number": "公報の号数",
    "reports.publication_number": "監査公表の番号",
    "reports.legal_basis": "根拠法令",
    "reports.source": "出典",
    "report_assistants.name": "補助者の氏名",
    "report_assistants.title": "補助者の資格",
    "report_stated_counts.key": "件数の名前（systems＝情報システム数、指摘、意見、意見_DX など）",
    "report_stated_counts.value": "報告書に記載の件数",
    "bureaus.order": "市の組織順",
    "bureaus.name": "局・委員会等の名前",
    "sections.order": "局の中での順序",
    "sections.name": "課・室・所の名前",
    "systems.number": "システム No.（台帳の番号）",
    "systems.bureau": "所管局",
    "systems.section": "所管課",
    "systems.name": "システム名（報告書の表記）",
    "bureau_counts.stated_count": "その局の組織が所管するシステム数（報告書の記載）",
    "audited_systems.number": "システム No.（systems の number）",
    "audited_systems.name": "システム名（概要表の表記）",
    "audited_systems.section": "所管課",
    "audited_systems.purpose": "導入目的",
    "audited_systems.introduced_fiscal_year": "導入年度（西暦。令和元年度＝2019）",
    "audited_systems.introduced_text": "導入年度（報告書の表記）",
    "audited_systems.network": "ネットワーク（報告書の表記）",
    "audited_systems.cloud": "クラウドを利用している",
    "audited_systems.cloud_text": "クラウドの利用（報告書の表記 有／無）",
    "audited_systems.importance": "重要度（A・B・C）",
    "audited_system_budgets.number": "システム No.（audited_systems の number）",
    "audited_system_budgets.note": "備考",
    "expenditure_by_system.table_bureau": "表の局（局ごとのシステム別の表）",
    "expenditure_by_system.number": "システム No.（systems の number）",
    "expenditure_by_system.name_as_printed": "表に記載のシステム名",
    "fields.order": "順序",
    "fields.name": "分野名",
    "field": "分野名（fields の name）",
    "lines.major_no": "大項目の番号",
    "lines.minor_no": "小項目の番号（大項目の行は空欄）",
    "lines.title": "取組名（報告書の表記）",
    "lines.reprint": "（再掲）が付いている",
    "projects.name": "事業名",
    "projects.section": "所管課",
    "projects.field": "市 DX アクションプランにおける分類: 分野（lines の field）",
    "projects.major_no": "分類: 大項目の番号",
    "projects.minor_no": "分類: 小項目の番号",
    "projects.content": "内容",
    "projects.results": "成果",
    "projects.extra": "表のそのほかの行（見出しと値の JSON）",
    "project": "事業名（projects の name）",
    "project_contracts.name": "契約名",
    "project_contracts.method": "契約の締結方法",
    "project_contracts.contractor": "落札者又は契約の受嘱者",
    "project_contracts.bidders": "入札者数",
    "project_contracts.bidders_text": "入札者数（報告書の表記）",
    "project_contracts.price_disclosed_in_advance": "予定価格の事前公表（報告書の表記 有／無）",
    "project_contracts.estimated_price_text": "予定価格（報告書の表記。非公表など）",
    "project_contracts.contract_amount_thousand_yen": "契約金額（報告書が千円で記載しているとき）",
    "project_contracts.contract_amount_yen": "契約金額（報告書が円で記載しているとき）",
    "project_contracts.minimum_price_text": "最低制限価格（報告書の表記）",
    "project_contracts.note": "備考",
    "project_contracts.extra": "表のそのほかの行（見出しと値の JSON）",
    "core_city_comparison.table": "表（推進体制等・自治体業務・住民サービス）",
    "core_city_comparison.order": "表の中の項目の順序",
    "core_city_comparison.item": "項目",
    "core_city_comparison.city": "市の名前",
    "core_city_comparison.value": "値（報告書の表記。○、77% など）",
    "findings.kind": "区分（指摘、意見 など。report_kinds か管理画面に登録したもの）",
    "findings.number": "番号の数字（空欄可。指摘01 なら 1）",
    "findings.area": "分野・テーマ（report_areas の code。空欄可）",
    "findings.group": "一覧で掲げられている見出し（括弧なし）",
    "findings.title": "表題（指摘・意見の一覧の表記）",
    "findings.body_title": "本文の《》内の表題（一覧と異なるときだけ）",
    "findings.detected": "① 検出事項",
    "findings.problem": "② 問題点",
    "findings.recommendation": "③ の本文（指摘・意見の内容）",
    "findings.recorded_measure": "措置の内容及び現在の状況（報告書の記載。過年度の指摘・意見）",
    "findings.source_line": "③ の" + SOURCE_LINE,
    "finding_subjects.kind": "対象の種類: project（事業）・system（システム）・general（全般）・subsidy（補助金）・"
    "facility（施設）・contract（契約）・body（団体）など",
    "finding_subjects.project": "事業名（kind が project のとき。projects の name）",
    "finding_subjects.system": "システム No.（kind が system のとき）",
    "finding_subjects.note": "注記（意見04に同じ など）",
    "finding_subjects.detected": "その対象の検出事項",
    "finding_subjects.problem": "その対象の問題点",
    "stated_totals.table": "表の識別子（dx_fields、it_by_bureau など）",
    "stated_totals.label": "合計行の見出し（合計、産業合計 など）",
    "stated_totals.column": "列（budget_thousand_yen、2023_actual_million_yen など）",
    "stated_totals.value": "記載の合計値（単位は unit の列）",
    "stated_totals.unit": "単位（thousand_yen＝千円、million_yen＝百万円）",
    "repairs.file": "修復したファイル",
    "repairs.record": "修復したレコード",
    "repairs.field": "修復した項目",
    "repairs.source_line": SOURCE_LINE + "（複数可）",
    "repairs.original": "抽出されたままの文字列",
    "repairs.repaired": "修復後の文字列",
    "repairs.why": "修復の理由",
}


def _meaning(spec: SheetSpec, col: Col) -> str:
    meaning = MEANINGS.get(f"{spec.title}.{col.name}") or MEANINGS.get(col.name, "")
    if spec.parent and col.name in dict(spec.keys):
        meaning = f"{meaning}。親シート {spec.parent} の行を指すキー".lstrip("。")
    return meaning


def _write_guide(ws) -> None:
    from auditreg import xlsx

    style = _styles()
    ws.title = GUIDE_SHEET
    ws.append(["報告書データ（Excel）の書き方"])
    ws["A1"].font = xlsx.TITLE_FONT
    ws.append([])
    widths = (24, 34, 56, 24, 8, 10)
    from auditreg.models import CitySettings

    source = CitySettings.current().source_text_name
    rules = [*RULES, f"source_line（行番号）は「{source}」の行です。"] if source else RULES
    for i, rule in enumerate(rules, start=1):  # one merged, wrapped cell per rule; Excel does not size merged rows
        ws.append([f"{i}. {rule}"])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=len(widths))
        ws.cell(row=ws.max_row, column=1).alignment = style["wrap"]
        ws.row_dimensions[ws.max_row].height = xlsx.row_height([rule], [xlsx.chars_per_line(sum(widths))])
    ws.append([])
    _guide_table(
        ws,
        style,
        ["シート", "内容", "対応するファイル", "親シート", "親の行を指すキー列", "要否"],
        [
            [
                s.title,
                s.name_ja,
                s.file + (f" の {s.fills}" if s.parent else ""),
                s.parent,
                ", ".join(f"{here}（親の {there}）" for here, there in s.keys),
                "必須" if s.file in REQUIRED_FILES else "省略可",
            ]
            for s in LAYOUT
        ],
    )
    ws.append([])
    _guide_table(
        ws,
        style,
        ["シート", "列", "意味", "型", "必須", "金額の単位"],
        [
            [
                s.title,
                col.name,
                _meaning(s, col),
                TYPE_JA[col.type],
                "必須" if col.type in ("str", "int") else "",
                next((unit for suffix, unit in UNITS if col.name.endswith(suffix)), ""),
            ]
            for s in LAYOUT
            for col in s.columns
        ],
    )
    for letter, width in zip("ABCDEF", widths, strict=True):
        ws.column_dimensions[letter].width = width


def _guide_table(ws, style, header: list[str], rows: list[list[str]]) -> None:
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = style["header_font"]
        cell.fill = style["header_fill"]
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            cell.alignment = style["top"]


# -- reading ----------------------------------------------------------------------------------------------------


def read_workbook(data: bytes, *, label: str = "") -> Bundle:
    """Read a workbook in the template's form into the Bundle that read_bundle gives for the same data as a folder.
    Raises UploadRefused (from read_workbook_values) when the file is not a readable workbook."""
    sheets = read_workbook_values(data)
    bundle = Bundle(root=label or "（アップロード）")
    found = {title.strip().casefold(): sheet for title, sheet in sheets.items()}
    used = {GUIDE_SHEET.casefold()}
    for spec in LAYOUT:
        if spec.parent:
            continue
        sheet = found.get(spec.title.casefold())
        if sheet is None:
            if spec.file in REQUIRED_FILES:
                bundle.problems.append(Problem(spec.file, "", "", "シートがありません"))
            for child in _CHILDREN[spec.file]:
                if child.title.casefold() in found:
                    used.add(child.title.casefold())
                    bundle.warnings.append(
                        Problem(spec.file, child.whole, "", f"シート {spec.title} がないため読み飛ばします")
                    )
            continue
        used.add(spec.title.casefold())
        if spec.file in CSV_FILES:
            _read_flat(bundle, spec, sheet)
        else:
            used |= {c.title.casefold() for c in _CHILDREN[spec.file]}
            _read_nested(bundle, spec, sheet, found)
    for title in sheets:
        if title.strip().casefold() not in used:
            bundle.warnings.append(Problem("", f"シート {title}", "", "知らないシートは読み飛ばします"))
    return bundle


@dataclass
class _Table:
    header: list[str]
    rows: list[tuple[int, list]]  # (Excel row number, cells aligned with the header)


def _open(bundle: Bundle, spec: SheetSpec, sheet: Sheet) -> _Table | None:
    """The sheet's header and data rows; reports formulas, blank-header columns and duplicate column names."""
    from openpyxl.utils import column_index_from_string, get_column_letter
    from openpyxl.utils.cell import coordinate_from_string

    def problem(record, fld, message):
        bundle.problems.append(Problem(spec.file, record, fld, message))

    def warning(record, fld, message):
        bundle.warnings.append(Problem(spec.file, record, fld, message))

    if not sheet.rows:
        problem(spec.whole, "", "シートが空です（見出し行がありません）")
        return None
    width = max(len(row) for row in sheet.rows)
    names = [_header_text(v) for v in sheet.rows[0]] + [""] * (width - len(sheet.rows[0]))
    missing_value = set(sheet.formulas_without_value)
    calculated = [cell for cell in sheet.formulas if cell not in missing_value]
    if calculated:
        shown = ", ".join(calculated[:30]) + (f" ほか {len(calculated) - 30} セル" if len(calculated) > 30 else "")
        warning(spec.whole, "", f"数式のセルは計算結果の値を取り込みます: {shown}")
    for ref in sheet.formulas_without_value:
        letter, row = coordinate_from_string(ref)
        index = column_index_from_string(letter) - 1
        fld = names[index] if index < len(names) and names[index] else f"列 {letter}"
        problem(spec.record(row), fld, f"数式に計算結果が保存されていません。値として貼り付けてください（セル {ref}）")
    if not any(names):
        problem(spec.record(1), "", "シートが空です（見出し行がありません）")
        return None
    blank = [i for i, name in enumerate(names) if not name]
    with_data = [get_column_letter(i + 1) for i in blank if any(_filled(r[i]) for r in sheet.rows[1:] if i < len(r))]
    if with_data:
        warning(spec.record(1), ", ".join(f"列 {x}" for x in with_data), "見出し（列名）のない列の値は読み飛ばします")
    keep = [i for i, name in enumerate(names) if name]
    header = [names[i] for i in keep]
    duplicates = [name for name, n in Counter(header).items() if n > 1]
    if duplicates:
        cells = ", ".join(f"{get_column_letter(i + 1)}1" for i in keep if names[i] in duplicates)
        problem(spec.record(1), ", ".join(duplicates), f"同じ名前の列が複数あります（{cells}）")
        return None
    rows = [
        (number, [row[i] if i < len(row) else None for i in keep]) for number, row in enumerate(sheet.rows[1:], start=2)
    ]
    return _Table(header, rows)


def _read_flat(bundle: Bundle, spec: SheetSpec, sheet: Sheet) -> None:
    """A CSV file's sheet: the reader's own table reading, on cells converted for the columns' types."""
    table = _open(bundle, spec, sheet)
    if table is None:
        return
    kinds = {c.name: c.type for c in spec.columns}
    rows = (
        (spec.record(n), [_from_excel(v, kinds.get(h, "any")) for h, v in zip(table.header, cells, strict=True)])
        for n, cells in table.rows
    )
    read_table(bundle, spec.file, spec.columns, table.header, rows)


def _has_columns(bundle: Bundle, spec: SheetSpec, header: list[str]) -> bool:
    """The header checks read_table makes for a CSV file, for the sheets of a nested file."""
    expected = [c.name for c in spec.columns]
    missing = [c.name for c in spec.columns if c.name not in header and not c.optional]
    if missing:
        bundle.problems.append(Problem(spec.file, spec.record(1), ", ".join(missing), "必要な列がありません"))
        return False
    extra = [h for h in header if h not in expected]
    if extra:
        bundle.warnings.append(Problem(spec.file, spec.record(1), ", ".join(extra), "知らない列は読み飛ばします"))
    return True


def _read_nested(bundle: Bundle, spec: SheetSpec, sheet: Sheet, found: dict[str, Sheet]) -> None:
    """A nested file: the parent sheet's rows become items, the child sheets' rows their nested lists."""
    table = _open(bundle, spec, sheet)
    if table is None or not _has_columns(bundle, spec, table.header):
        return
    children = _CHILDREN[spec.file]
    items = []
    by_key: dict[tuple, dict] = {}
    for number, cells in table.rows:
        if not any(_filled(v) for v in cells):
            continue
        where = spec.record(number)
        values = dict(zip(table.header, cells, strict=True))
        raw = {col.name: _cell_value(bundle, spec, where, col, values.get(col.name)) for col in spec.columns}
        for child in children:
            raw[child.fills] = {} if (spec.file, child.fills) in CHILD_DICTS else []
        items.append((where, raw))
        by_key.setdefault(tuple(_key_text(_parent_value(raw, there)) for _, there in PARENT_KEYS[spec.file]), raw)
    for child in children:
        child_sheet = found.get(child.title.casefold())
        if child_sheet is None:  # no sheet: no entries (a report without subjects needs no empty sheet)
            continue
        _read_child(bundle, child, child_sheet, by_key)
    read_items(bundle, spec.file, YAML_FILES[spec.file], items)


def _read_child(bundle: Bundle, spec: SheetSpec, sheet: Sheet, parents: dict[tuple, dict]) -> None:
    table = _open(bundle, spec, sheet)
    if table is None or not _has_columns(bundle, spec, table.header):
        return
    width = len(spec.keys)
    key_columns = ", ".join(here for here, _ in spec.keys)
    for number, cells in table.rows:
        if not any(_filled(v) for v in cells):
            continue
        where = spec.record(number)
        values = dict(zip(table.header, cells, strict=True))
        key = tuple(
            _key_text(_from_excel(values[here], col.type))
            for (here, _), col in zip(spec.keys, spec.columns[:width], strict=True)
        )
        parent = parents.get(key)
        if parent is None:
            shown = ", ".join(f"{here}={k}" for (here, _), k in zip(spec.keys, key, strict=True))
            message = (
                "親の行を指すキーが空です"
                if not any(key)
                else f"シート {spec.parent} に {shown} の行がありません（先に親の行を追加してください）"
            )
            bundle.problems.append(Problem(spec.file, where, key_columns, message))
            continue
        entry = {col.name: _cell_value(bundle, spec, where, col, values.get(col.name)) for col in spec.columns[width:]}
        if isinstance(parent[spec.fills], dict):
            _add_count(bundle, spec, where, parent[spec.fills], entry)
        else:
            parent[spec.fills].append(Located(entry, where=where))


def _add_count(bundle: Bundle, spec: SheetSpec, where: str, counts: dict, entry: dict) -> None:
    """One (key, value) row of a dict kept as a child sheet (stated_counts: name -> integer)."""

    def problem(fld, message):
        bundle.problems.append(Problem(spec.file, where, fld, message))

    key, value = entry["key"], entry["value"]
    if not isinstance(key, str) or not key.strip():
        problem("key", "必須項目が空です")
        return
    key = key.strip()
    text = value.strip().replace(",", "") if isinstance(value, str) else ""
    if text.isascii() and text.isdigit():  # a count typed into a cell formatted as text
        value = int(text)
    if value is None or value == "":
        problem("value", "必須項目が空です")
    elif not isinstance(value, int) or isinstance(value, bool):
        problem("value", f"整数が必要です（{str(value)[:40]!r}）")
    elif key in counts:
        problem("key", f"同じ名前「{key}」が複数あります")
    else:
        counts[key] = value


def _cell_value(bundle: Bundle, spec: SheetSpec, where: str, col: Col, value):
    """A cell as the raw value the YAML reader expects; a dict column's cell is JSON text."""
    if col.type != "dict":
        return _from_excel(value, col.type)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    example = '例: {"見出し": "値"}'
    if not isinstance(value, str):
        bundle.problems.append(Problem(spec.file, where, col.name, f"JSON の文字列で書いてください（{example}）"))
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        bundle.problems.append(
            Problem(
                spec.file,
                where,
                col.name,
                f"JSON として読めません（{exc.lineno} 行 {exc.colno} 文字目: {exc.msg}。{example}）",
            )
        )
        return None


def _from_excel(value, kind: str):
    """An Excel value as the reader expects it for a column of type `kind`: whole floats -> int, a datetime at
    midnight -> date, and in a text column numbers and dates -> the text they show (12, not 12.0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0) and value.tzinfo is None:
        value = value.date()
    if kind == "date" and isinstance(value, str) and value.strip():
        try:  # a date typed as text (令和7年4月1日, R7.4.1): the one era-checked reader
            return wareki.parse_date(value[:60])
        except wareki.DateParseError:
            return value  # the bundle reader reports it with the row and column
    if kind in ("str", "text") and not isinstance(value, (str, bool)) and value is not None:
        if isinstance(value, datetime.datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, (datetime.date, datetime.time)):
            return value.isoformat()
        return str(value)
    return value


def _header_text(value) -> str:
    return "" if value is None else str(_from_excel(value, "str")).strip()


def _key_text(value) -> str:
    """A key cell compared as text, so that 17 (a number) and "17" (text) find the same parent row."""
    return "" if value is None else str(_from_excel(value, "str")).strip()


def _filled(value) -> bool:
    return value is not None and bool(str(value).strip())


__all__ = ["SHEETS", "read_workbook", "place", "template_bytes"]
