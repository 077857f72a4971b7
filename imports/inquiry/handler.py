"""The pipeline handler of an uploaded answer workbook (see imports.pipeline for the contract)."""

import datetime
import hashlib
import json
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl.utils import get_column_letter

from auditreg import access, wareki
from auditreg.changelog import record
from auditreg.models import ChangeLog
from auditreg.validators import parse_id
from auditreg.wareki import EARLIEST, LATEST, format_date
from findings import services as finding_services
from findings.choices import OPEN_REPORT_STATES
from findings.models import Measure, MeasureReport, MeasureStatus

from ..choices import BatchKind
from ..models import InquiryItem, InquiryResponse
from ..plan import Plan
from ..uploads import UploadRefused, WorkbookLimits, read_workbook_values
from .layout import (
    COLUMN_LABELS,
    CONTINUATION,
    EDITABLE,
    FIELD_ORDER,
    ID_HEADER,
    ITEM_LABEL,
    LOCKED,
    META,
    META_MARK,
    SHEET,
    _clean_text,
    _report_values,
    _snapshot,
    finding_text,
    report_statuses,
)
from .selectors import section_items


@dataclass
class SheetMeta:
    """What the answer workbook's hidden meta sheet says: the round, the section, when it was made, and
    each row's snapshot and shown values (checked against the database on upload)."""

    round_id: int | None = None
    section_id: int | None = None
    generated_at: datetime.datetime | None = None
    rows: dict[int, list] = field(default_factory=dict)  # measure id -> snapshot
    values: dict[int, dict] = field(default_factory=dict)  # measure id -> the values the row showed


@dataclass
class Row:
    number: int  # the sheet's row number
    measure_id: int | None
    values: dict  # status (MeasureStatus or None), text, completed_on, planned_completion_on, reason
    locked: dict  # code, title, finding_text as found in the file
    ok: bool = True


def _place(row_number) -> str:
    return f"{SHEET}シート {row_number}行目"


def _column(key: str, index: dict) -> str:
    label = COLUMN_LABELS.get(key, key)
    return f"{label}（{get_column_letter(index[key] + 1)}列）" if key in index else label


def _as_int(value) -> int | None:
    """An id cell as an int the database can look up (a 64-bit key), else None (reported as not an id)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        return parse_id(value.strip())  # a cell's text: spaces around the number are the typist's
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    return None


def parse_date(value) -> tuple[datetime.date | None, str | None]:
    """A date cell, or text such as 2025/6/30, 2025-06-30, 令和7年6月30日, R7.6.30; (date, error)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    elif isinstance(value, str):
        try:  # the one era-checked reader (平成35年, 令和1年4月1日 are refused)
            day = wareki.parse_date(value[:60])
        except wareki.DateParseError as exc:
            return None, str(exc)
    else:
        return None, f"日付として読めません（{value!r:.30}）。2025/6/30 の形で入力してください。"
    if not EARLIEST <= day <= LATEST:
        return None, f"{EARLIEST.year}年〜{LATEST.year}年の日付を入力してください。"
    return day, None


class InquiryHandler:
    """The pipeline handler of an inquiry answer (see imports.pipeline for the contract)."""

    kind = BatchKind.INQUIRY
    accepts = ("xlsx",)
    # a section's answer: two sheets of a few dozen rows and about fifteen columns, far below these
    limits = WorkbookLimits(unpacked_bytes=10 * 1024 * 1024, sheets=10, rows=10_000, columns=60, cells=100_000)

    # -- the data an answer may change

    def _own_measure_ids(self, batch) -> list[int]:
        return list(
            InquiryItem.objects.filter(round_id=batch.round_id, measure__section_id=batch.section_id)
            .order_by("measure_id")
            .values_list("measure_id", flat=True)
        )

    def lock(self, batch) -> None:
        ids = self._own_measure_ids(batch)
        list(Measure.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        list(
            MeasureReport.objects.select_for_update()
            .filter(measure_id__in=ids, state__in=OPEN_REPORT_STATES)
            .values_list("pk", flat=True)
        )

    def fingerprint(self, batch) -> str:
        ids = self._own_measure_ids(batch)
        state = {pk: [None, None, None, None] for pk in ids}  # open id, version, state, latest id
        reports = MeasureReport.objects.filter(measure_id__in=ids).order_by("pk")
        for measure_id, pk, version, report_state in reports.values_list("measure_id", "pk", "version", "state"):
            entry = state[measure_id]
            if report_state in OPEN_REPORT_STATES:
                entry[0:3] = [pk, version, report_state]
            entry[3] = pk
        payload = json.dumps([batch.round_id, batch.section_id, sorted(state.items())], default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    # -- the run

    def run(self, batch, by) -> Plan:
        plan = Plan(summary={ITEM_LABEL: {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}})
        response = self._check_uploader(batch, by, plan)
        if response is None:
            return plan
        try:
            sheets = read_workbook_values(batch.content, limits=self.limits)
        except UploadRefused as exc:
            plan.problems.append(["ファイル", "", str(exc)])
            return plan
        statuses = {s.label: s for s in report_statuses()}
        meta = self._read_meta(sheets, batch, statuses, plan)
        if meta is None:
            return plan
        parsed = self._read_rows(sheets[SHEET], statuses, plan)
        if parsed is None:
            return plan
        rows, index = parsed
        measures = {m.pk: m for m in section_items(batch.round, section_ids=[batch.section_id])}
        rows = self._check_rows(rows, batch, measures, plan)
        self._check_locked(rows, measures, index, plan)
        self._apply(rows, measures, meta, batch, by, index, plan)
        if not plan.problems:
            now = timezone.now()
            response.answered_at, response.answered_by = now, by
            response.save(update_fields=["answered_at", "answered_by"])
            record(
                actor=by,
                action="inquiry.answered",
                obj=response,
                changes={k: [None, v] for k, v in plan.summary[ITEM_LABEL].items()},
                comment=batch.filename,
            )
        return plan

    def _check_uploader(self, batch, by, plan) -> InquiryResponse | None:
        round_ = batch.round
        if round_ is None or batch.section_id is None:
            plan.problems.append(["照会", "", "照会と課を指定してください。"])
            return None
        if round_.closed_at is not None:
            closed = format_date(timezone.localtime(round_.closed_at))
            plan.problems.append(["照会", "", f"この照会は{closed}に締め切られています。"])
            return None
        if not (access.is_section_user(by) and by.section_id == batch.section_id):
            plan.problems.append(["照会", "", "回答をアップロードできるのは、その課の担当・課長です。"])
            return None
        response = InquiryResponse.objects.filter(round_id=round_.pk, section_id=batch.section_id).first()
        if response is None:
            plan.problems.append(["照会", "", "この課はこの照会の対象ではありません。"])
        return response

    def _read_meta(self, sheets, batch, statuses, plan) -> SheetMeta | None:
        sheet = sheets.get(META)
        if sheet is None or SHEET not in sheets or not sheet.rows or sheet.rows[0][:1] != [META_MARK]:
            plan.problems.append(
                ["ファイル", "", "照会の回答様式ではありません。照会の画面からダウンロードした様式に入力してください。"]
            )
            return None
        meta = SheetMeta()
        table = False
        for row in sheet.rows[1:]:
            row = list(row) + [None] * 9
            if row[0] == "measure":
                table = True
            elif table and _as_int(row[0]) is not None:
                meta.rows[_as_int(row[0])] = [_as_int(v) for v in row[1:4]]
                meta.values[_as_int(row[0])] = _meta_values(row[4:9], statuses)
            elif row[0] in ("round", "section"):
                setattr(meta, f"{row[0]}_id", _as_int(row[1]))
            elif row[0] == "generated_at" and isinstance(row[1], str):
                try:
                    generated_at = datetime.datetime.fromisoformat(row[1])
                except ValueError:
                    continue
                if timezone.is_naive(generated_at):
                    generated_at = timezone.make_aware(generated_at, datetime.UTC)
                meta.generated_at = generated_at
        if meta.round_id != batch.round_id:
            plan.problems.append(
                [
                    "ファイル",
                    "",
                    f"別の照会の回答様式です（照会番号 {meta.round_id}）。この照会の様式を使ってください。",
                ]
            )
            return None
        if meta.section_id != batch.section_id:  # never which section it is: the file may name any id
            plan.problems.append(
                ["ファイル", "", "他の課の回答様式です。自課の様式をダウンロードして入力してください。"]
            )
            return None
        return meta

    def _header(self, sheet, plan) -> tuple[int, dict] | None:
        for r, row in enumerate(sheet.rows[:15]):
            if row and isinstance(row[0], str) and row[0].split("\n")[0].strip() == ID_HEADER:
                names = [str(v).split("\n")[0].strip() for v in row if v is not None]
                labels = {str(v).split("\n")[0].strip(): c for c, v in enumerate(row) if v is not None}
                index = {key: labels[label] for key, label, _, _ in LOCKED + EDITABLE if label in labels}
                missing = [label for key, label, _, _ in EDITABLE if key not in index]
                for label in missing:
                    plan.problems.append([f"{SHEET}シート {r + 1}行目", label, "この列が見つかりません。"])
                twice = sorted({n for n in names if names.count(n) > 1 and n in labels})
                for label in twice:  # which of the two would be the answer is anybody's guess: refuse
                    plan.problems.append([f"{SHEET}シート {r + 1}行目", label, "同じ見出しの列が複数あります。"])
                return None if missing or twice else (r, index)
        plan.problems.append([f"{SHEET}シート", ID_HEADER, "見出しの行（措置ID …）が見つかりません。"])
        return None

    def _read_rows(self, sheet, statuses, plan) -> tuple[list[Row], dict] | None:
        header = self._header(sheet, plan)
        if header is None:
            return None
        head, index = header
        formulas = set(sheet.formulas)
        no_value = set(sheet.formulas_without_value)
        rows = []
        for r, raw in enumerate(sheet.rows[head + 1 :], start=head + 2):
            cells = list(raw) + [None] * (max(index.values()) + 1 - len(raw))
            if not any(v is not None and str(v).strip() for v in cells):
                continue
            if "id" in index and cells[index["id"]] == CONTINUATION:  # an older workbook's print-only row
                continue
            row = Row(number=r, measure_id=_as_int(cells[index["id"]]) if "id" in index else None, values={}, locked={})
            for key in ("code", "title", "finding_text"):
                row.locked[key] = cells[index[key]] if key in index else None
            for key in FIELD_ORDER:
                self._read_cell(row, key, cells[index[key]], index, formulas, no_value, statuses, plan)
            if row.measure_id is None:
                plan.problems.append(
                    [_place(r), _column("id", index), "措置IDが読めません（行を追加しないでください）。"]
                )
                row.ok = False
            rows.append(row)
        if not rows:
            plan.problems.append([f"{SHEET}シート", "", "回答の行がありません。"])
        return rows, index

    def _read_cell(self, row, key, value, index, formulas, no_value, statuses, plan):
        address = f"{get_column_letter(index[key] + 1)}{row.number}"
        place, column = _place(row.number), _column(key, index)
        if address in no_value:
            plan.problems.append(
                [
                    place,
                    column,
                    f"{address} は計算されていない数式です。値を入力するか、Excel で開いて保存し直してください。",
                ]
            )
            row.ok = False
            return
        if address in formulas:
            plan.warnings.append([place, column, f"{address} は数式です。Excel が保存した計算結果を取り込みます。"])
        if key == "status":
            label = _clean_text(value)
            row.values[key] = statuses.get(label) if label else None
            if label and label not in statuses:
                allowed = "、".join(statuses)
                plan.problems.append([place, column, f"「{label[:40]}」は措置状況にありません（{allowed} から選ぶ）。"])
                row.ok = False
        elif key.endswith("_on"):
            day, error = parse_date(value)
            row.values[key] = day
            if error:
                plan.problems.append([place, column, error])
                row.ok = False
        else:
            if isinstance(value, (datetime.date, datetime.datetime)):
                value = value.date().isoformat() if isinstance(value, datetime.datetime) else value.isoformat()
            row.values[key] = _clean_text(value)

    def _check_rows(self, rows, batch, measures, plan) -> list[Row]:
        """Every row's measure must be an item of this round and of the uploader's section, once."""
        seen = {}
        for row in rows:
            if row.measure_id is None:
                continue
            if row.measure_id not in measures:  # one message whatever the id is: no other section's id confirmed
                plan.problems.append(
                    [_place(row.number), "", f"この照会の対象ではありません（措置ID {row.measure_id}）。"]
                )
                row.ok = False
            elif row.measure_id in seen:
                plan.problems.append(
                    [
                        _place(row.number),
                        "",
                        f"同じ措置（{measures[row.measure_id].finding.code}）の行が二つあります"
                        f"（{seen[row.measure_id]}行目と重複）。",
                    ]
                )
                row.ok = False
            else:
                seen[row.measure_id] = row.number
        for pk, m in measures.items():
            if pk not in seen:
                plan.warnings.append(
                    [f"{SHEET}シート", "", f"{m.finding.code} の行がありません（この措置は回答されていません）。"]
                )
        return rows

    def _check_locked(self, rows, measures, index, plan):
        for row in rows:
            m = measures.get(row.measure_id)
            if m is None or not row.ok:
                continue
            expected = {"code": m.finding.code, "title": m.finding.title, "finding_text": finding_text(m.finding)}
            for key, value in expected.items():
                if key in index and _clean_text(row.locked[key]) != _clean_text(value):
                    plan.warnings.append(
                        [
                            _place(row.number),
                            _column(key, index),
                            "この列は変更できません。変更は取り込まれません（報告書の記載はそのままです）。",
                        ]
                    )

    def _edited_by_others(self, measures, meta, by) -> dict[int, ChangeLog | None]:
        """Reports someone else wrote after the workbook was made: measure id -> that change (None: the
        workbook does not say when it was made, so every changed report counts as someone else's)."""
        if meta.generated_at is None:
            return dict.fromkeys(measures)
        report_to_measure = {r.pk: m.pk for m in measures.values() for r in m.reports.all()}
        entries = (
            ChangeLog.objects.filter(
                object_type=MeasureReport._meta.label_lower,
                object_id__in=list(report_to_measure),
                action__in=["report.created", "report.edited"],
                at__gt=meta.generated_at,
            )
            .exclude(actor=by)
            .select_related("actor")
            .order_by("at", "pk")
        )
        return {report_to_measure[e.object_id]: e for e in entries}

    def _apply(self, rows, measures, meta, batch, by, index, plan):
        stats = plan.summary[ITEM_LABEL]
        reported_on = timezone.localdate(batch.uploaded_at)
        others = None
        for row in rows:
            if not row.ok:
                continue
            m = measures[row.measure_id]
            current = _report_values(m.base_report)
            new = {k: (v.pk if k == "status" and v is not None else v) for k, v in row.values.items()}
            if new == current:
                stats["unchanged"] += 1
                continue
            if m.base_report is None and not any(new.values()):
                stats["unchanged"] += 1
                continue
            snapshot = meta.rows.get(m.pk)
            if snapshot is not None and snapshot != _snapshot(m) and new == meta.values.get(m.pk):
                # left as downloaded, while the report changed since: keep the report as it is now
                stats["unchanged"] += 1
                plan.warnings.append(
                    [
                        _place(row.number),
                        "",
                        "様式をダウンロードした後に報告が更新されています。この行は変更されていないため、"
                        "現在の報告のままにします。",
                    ]
                )
                continue
            if snapshot is not None and snapshot != _snapshot(m):
                others = self._edited_by_others(measures, meta, by) if others is None else others
                if m.pk in others:
                    plan.problems.append([_place(row.number), "", _stale_message(others[m.pk])])
                    continue
            if row.values["status"] is None:
                plan.problems.append([_place(row.number), _column("status", index), "措置状況を選んでください。"])
                continue
            self._save(row, m, by, reported_on, index, plan)

    def _save(self, row, measure, by, reported_on, index, plan):
        before = measure.base_report
        values = dict(row.values, reported_on=reported_on)
        open_report = measure.open_report
        try:
            report = finding_services.report_save_draft(
                measure=measure, by=by, values=values, version=open_report.version if open_report else None
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                column = _column(key, index) if key in COLUMN_LABELS else ""
                for message in messages:
                    plan.problems.append([_place(row.number), column, message])
            return
        except finding_services.StaleEdit as exc:
            plan.problems.append([_place(row.number), "", f"{exc} 最新の様式をダウンロードし直して入力してください。"])
            return
        except (finding_services.WorkflowError, PermissionDenied) as exc:
            plan.problems.append([_place(row.number), "", str(exc) or "この措置は編集できません。"])
            return
        created = open_report is None or open_report.pk != report.pk
        plan.summary[ITEM_LABEL]["created" if created else "updated"] += 1
        key = f"{measure.finding.code} / {measure.section.name}"
        # old = what the row showed (the open report, or the latest report a new one follows), so that the
        # preview lists exactly what this answer changes
        old = {k: getattr(before, k) for k in [*FIELD_ORDER, "reported_on"]} if before is not None else {}
        for name in [*FIELD_ORDER, "reported_on"]:
            was, now = _shown(old.get(name)), _shown(getattr(report, name))
            if was != now:
                plan.changes.append([ITEM_LABEL, key, COLUMN_LABELS[name], was, now])


def _stale_message(entry) -> str:
    who = f"{entry.actor.display_name} さんが" if entry is not None and entry.actor else "他の人が"
    when = f"（{timezone.localtime(entry.at):%Y-%m-%d %H:%M}）" if entry is not None else ""
    return (
        f"様式をダウンロードした後に {who}この報告を更新しました{when}。"
        "最新の様式をダウンロードし直して入力してください。"
    )


def _meta_values(cells, statuses) -> dict:
    """The values a row showed at download, normalised as an uploaded row is."""
    status_label, text, completed_on, planned_completion_on, reason = cells
    status = statuses.get(_clean_text(status_label)) if status_label else None
    return {
        "status": status.pk if status else None,
        "text": _clean_text(text),
        "completed_on": parse_date(completed_on)[0],
        "planned_completion_on": parse_date(planned_completion_on)[0],
        "reason": _clean_text(reason),
    }


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, MeasureStatus):
        return value.label
    if isinstance(value, datetime.date):
        return format_date(value)
    return str(value)
