"""Freezing a 措置状況 as a numbered publication, and what changed since the previous one."""

import datetime
import hashlib

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from auditreg import access
from auditreg.changelog import record
from auditreg.wareki import format_date

from . import reports as renderers
from . import status_report
from .models import AuditReport, MeasureStatus, Publication, PublicationFile
from .services import WorkflowError
from .status import UNASSIGNED


def changes_since(previous: Publication | None, current: status_report.StatusReport) -> dict | None:
    """Newly completed, progressed and still-open rows compared with the previous publication.
    Compared by status code and unit id, never by label: renaming 措置済 → 改善済み between two
    publications changes no row. (Snapshots made before codes were stored carry labels: those are
    read back through today's labels, the best that can be done for them.)"""
    if previous is None:
        return None
    statuses = list(MeasureStatus.objects.order_by("order"))
    order = {"": 0} | {s.code: s.order for s in statuses}
    done = {s.code for s in statuses if s.is_done}
    closed = {s.code for s in statuses if s.is_closed}
    code_of_label = {UNASSIGNED: ""} | {s.label: s.code for s in statuses}

    def key(r):  # per finding, a finding is one row whatever sections it was (re)assigned to since
        if current.per == "finding":
            return (r["report_code"], r.get("finding_key") or r["code"])
        units = r.get("units")
        section = units[0]["section_id"] if units and len(units) == 1 else (None if units is not None else r["section"])
        return (r["report_code"], r.get("finding_key") or r["code"], section)

    def old_code(r):
        return r["status_code"] if "status_code" in r else code_of_label.get(r.get("status"), r.get("status"))

    before = {key(r): old_code(r) for r in previous.snapshot["rows"]}
    completed, progressed, still_open = [], [], []
    for row in current.rows:
        label = f"{row.code}{f'（{row.section}）' if current.per == 'section' and row.section else ''}"
        old = before.get(key(row.to_json()))
        if row.status_code in done and old not in done:
            completed.append(label)
        elif old is not None and order.get(row.status_code, 0) > order.get(old, 0):
            progressed.append(label)
        if row.status_code not in closed:
            still_open.append(label)
    return {
        "previous_number": previous.number,
        "completed": completed,
        "progressed": progressed,
        "still_open": still_open,
    }


@transaction.atomic
def publish(
    *,
    reports: list[AuditReport],
    as_of: datetime.date,
    per: str,
    number: int,
    published_on: datetime.date,
    by,
    order: str = "organisation",
    preamble: dict | None = None,
) -> Publication:
    """Freeze the 措置状況 as publication `number`. `preamble` (findings.reports.preamble) is printed
    above the table and kept on the publication."""
    if not access.is_auditor(by):
        raise PermissionDenied("公表は監査事務局が行います。")
    if Publication.objects.filter(number=number).exists():
        raise WorkflowError(f"公表番号 第{number}号 はすでに使われています。")
    report = status_report.build(reports=reports, as_of=as_of, per=per, order=order)
    report.preamble = preamble
    previous = Publication.objects.filter(reports=reports[0]).order_by("-number").first()
    changes = changes_since(previous, report)
    publication = Publication(
        number=number,
        published_on=published_on,
        as_of=as_of,
        title=report.title,
        per=per,
        previous=previous,
        snapshot=report.to_json() | {"changes": changes},
        row_order=order,
        with_preamble=preamble is not None,
        preamble_legal_basis=(preamble or {}).get("legal_basis", ""),
        preamble_notifier=(preamble or {}).get("notifier", ""),
        preamble_notified_on=datetime.date.fromisoformat(preamble["notified_on"])
        if preamble and preamble["notified_on"]
        else None,
        preamble_commissioners=(preamble or {}).get("commissioners", []),
        created_by=by,
        created_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            publication.save()
    except IntegrityError:
        raise WorkflowError(f"公表番号 第{number}号 はすでに使われています。") from None
    publication.reports.set(reports)
    info = {"number": number, "published_on_wareki": format_date(published_on)}
    contents = {
        "html": renderers.render_html(report, publication=info, changes=changes).encode("utf-8"),
        "pdf": renderers.render_pdf(report, publication=info, changes=changes),
        # public: the status table and its summary only, no internal workflow data sheets
        "xlsx": renderers.render_xlsx(report, data_sheets=False, publication=info),
        "csv": renderers.render_csv(report),
    }
    for fmt, content in contents.items():
        f = PublicationFile(
            publication=publication, format=fmt, size=len(content), sha256=hashlib.sha256(content).hexdigest()
        )
        f.file.save(f"措置状況_第{number}号.{fmt}", ContentFile(content), save=False)
        f.save()
    record(
        actor=by,
        action="publication.created",
        obj=publication,
        changes={"number": [None, number], "as_of": [None, as_of.isoformat()], "rows": [None, len(report.rows)]},
    )
    return publication


def read_file(publication_file: PublicationFile) -> bytes:
    """The stored bytes, checked against the hash recorded when they were published."""
    with publication_file.file.open("rb") as fh:
        content = fh.read()
    if hashlib.sha256(content).hexdigest() != publication_file.sha256:
        raise ValueError(f"公表ファイルが改変されています: {publication_file.file.name}")
    return content
