"""Freezing a 措置状況 as a numbered publication, and what changed since the previous one."""

import datetime
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from auditreg.access import allowed
from auditreg.changelog import record
from auditreg.wareki import format_date

from . import renderers, reorganisation, status_report
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
    # a measure moved by a reorganisation (機構改革) is the same row under its earlier section
    moved_from = reorganisation.previous_sections() if current.per == "section" else {}
    completed, progressed, still_open = [], [], []
    for row in current.rows:
        label = f"{row.code}{f'（{row.section}）' if current.per == 'section' and row.section else ''}"
        row_key = key(row.to_json())
        old = before.get(row_key)
        for earlier in moved_from.get((row.finding_id, row.section_id), []) if old is None else []:
            old = before.get(row_key[:2] + (earlier,))
            if old is not None:
                break
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


CONTENT_KEYS = ("per", "reports", "rows", "labels", "summary", "totals", "n_findings", "n_done")


def content_digest(snapshot: dict) -> str:
    """SHA-256 of what a publication says, leaving out its date (the title and the as-of date): two
    publications with the same digest show the same rows and counts."""
    content = {k: snapshot.get(k) for k in CONTENT_KEYS}
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


@dataclass
class Preview:
    """What publish() would freeze now, and how it compares with the last publication of the report."""

    report: status_report.StatusReport
    previous: Publication | None
    digest: str

    @property
    def same_as_previous(self) -> bool:
        return self.previous is not None and content_digest(self.previous.snapshot) == self.digest


def preview(*, reports: list[AuditReport], as_of: datetime.date, per: str, order: str = "organisation") -> Preview:
    report = status_report.build(reports=reports, as_of=as_of, per=per, order=order)
    previous = Publication.objects.filter(reports=reports[0]).order_by("-number").first()
    return Preview(report=report, previous=previous, digest=content_digest(report.to_json()))


def check_same_content(p: Preview, *, published_on: datetime.date, allow_same_content: bool) -> None:
    """The same content as the last publication needs an explicit confirmation, and is refused for its day."""
    if not p.same_as_previous:
        return
    if p.previous.published_on == published_on:
        raise WorkflowError(
            f"同じ内容の公表が同じ公表日（{format_date(published_on)}）にすでにあります（第{p.previous.number}号）。"
        )
    if not allow_same_content:
        raise WorkflowError(
            f"前回の公表（第{p.previous.number}号）と内容が同じです。公表するには「同じ内容でも公表する」を選んでください。"
        )


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
    allow_same_content: bool = False,
) -> Publication:
    """Freeze the 措置状況 as publication `number`. `preamble` (findings.renderers.preamble) is printed
    above the table and kept on the publication."""
    allowed(by, "publish").check()
    if Publication.objects.filter(number=number).exists():
        raise WorkflowError(f"公表番号 第{number}号 はすでに使われています。")
    p = preview(reports=reports, as_of=as_of, per=per, order=order)
    check_same_content(p, published_on=published_on, allow_same_content=allow_same_content)
    report, previous = p.report, p.previous
    report.preamble = preamble
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


PACKAGE_ORDER = ("html", "pdf", "xlsx", "csv")


def package(publication: Publication) -> tuple[str, bytes]:
    """One zip for the city's website: every stored format (each checked against its hash) and SHA256SUMS
    (the `sha256sum -c` format). The same bytes every time: entries are dated with the publication date."""
    files = {f.format: f for f in publication.files.all()}
    stamp = (publication.published_on.year, publication.published_on.month, publication.published_on.day, 0, 0, 0)
    out = io.BytesIO()
    sums = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for fmt in PACKAGE_ORDER:
            if fmt not in files:
                continue
            name = f"措置状況_第{publication.number}号.{fmt}"  # the stored name may carry a storage suffix
            content = read_file(files[fmt])
            sums.append(f"{files[fmt].sha256}  {name}\n")
            zf.writestr(zipfile.ZipInfo(name, date_time=stamp), content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr(zipfile.ZipInfo("SHA256SUMS", date_time=stamp), "".join(sums).encode("utf-8"))
    return f"措置状況_第{publication.number}号.zip", out.getvalue()
