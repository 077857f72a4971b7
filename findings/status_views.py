"""The 措置状況 page and its downloads. The report is built in findings.status_report and rendered
in findings.renderers; this module only parses the choices and sends the result."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from auditreg.access import allowed
from auditreg.exports import download
from auditreg.wareki import format_date
from jobs.services import export_start, publication_start

from . import publishing, renderers, status_report
from .forms import PublicationForm, StatusReportForm
from .models import AuditReport, Publication
from .services import WorkflowError


def _form(request):
    data = request.GET.copy()
    if not data.get("reports"):
        latest = AuditReport.objects.order_by("-fiscal_year", "code").first()
        if latest:
            data.setlist("reports", [str(latest.pk)])
    data.setdefault("as_of", timezone.localdate().isoformat())
    data.setdefault("per", "finding")
    return StatusReportForm(data)


FORMAT_LABELS = {"xlsx": "Excel", "pdf": "PDF", "csv": "CSV"}


def runs_in_background(fmt: str, n_rows: int) -> bool:
    """Above settings.EXPORT_SYNC_MAX_ROWS[fmt] rows a download is a background job (> about a second)."""
    return n_rows > settings.EXPORT_SYNC_MAX_ROWS.get(fmt, 0)


def status_report_view(request):
    allowed(request.user, "view_all").check()
    form = _form(request)
    if not form.is_valid():
        return render(request, "findings/status_report.html", {"form": form}, status=400)
    report = status_report.build_from_form(form)
    query = request.GET.copy()
    query.pop("format", None)
    fmt = request.GET.get("format")
    if fmt in renderers.RENDERERS:
        if runs_in_background(fmt, len(report.rows)):
            label = FORMAT_LABELS[fmt]
            messages.info(request, f"{label} は時間がかかるため、「{label} を作成」で作成します。")
            return redirect(f"{request.path}?{query.urlencode()}")
        render_fn, content_type = renderers.RENDERERS[fmt]
        return download(render_fn(report), renderers.filename(report, fmt), content_type)
    return render(
        request,
        "findings/status_report.html",
        {
            "form": form,
            "report": report,
            "rows": [status_report.table_cells(report, r) for r in report.rows],
            "query": form.data.urlencode() if hasattr(form.data, "urlencode") else "",
            "downloads": [
                {"format": f, "label": label, "background": runs_in_background(f, len(report.rows))}
                for f, label in FORMAT_LABELS.items()
            ],
        },
    )


def status_export_start_view(request):
    """POST: start a background download of the status page as filtered; lands on the job's page."""
    allowed(request.user, "view_all").check()
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = _form(request)
    fmt = request.POST.get("format")
    if not form.is_valid() or fmt not in renderers.RENDERERS:
        messages.error(request, "書き出しの条件が正しくありません。条件を選び直してください。")
        return redirect("findings:status_report")
    d = form.cleaned_data
    title = f"{FORMAT_LABELS[fmt]}：{d['reports'][0].theme}（{format_date(d['as_of'])}現在）"
    job = export_start(by=request.user, query=form.data, fmt=fmt, title=title)
    return redirect("jobs:job_detail", pk=job.pk)


def publication_create_view(request):
    """The confirmation page: exactly what will be frozen (the whole reports, no filters), compared with the
    last publication; POST starts the freezing as a background job."""

    allowed(request.user, "publish").check()  # the page's form; publication_start checks again when it runs
    choice = _form(request)
    if not choice.is_valid():
        return render(request, "findings/status_report.html", {"form": choice}, status=400)
    d = choice.cleaned_data
    preview = publishing.preview(reports=d["reports"], as_of=d["as_of"], per=d["per"], order=d["order"])
    last = Publication.objects.order_by("-number").first()
    form = PublicationForm(
        request.POST or None,
        initial={"number": (last.number + 1) if last else 1, "published_on": timezone.localdate()},
        same_content=preview.same_as_previous,
    )
    if request.method == "POST" and form.is_valid():
        number, published_on = form.cleaned_data["number"], form.cleaned_data["published_on"]
        allow_same = form.cleaned_data.get("confirm_same_content", False)
        try:
            if Publication.objects.filter(number=number).exists():
                raise WorkflowError(f"公表番号 第{number}号 はすでに使われています。")
            publishing.check_same_content(preview, published_on=published_on, allow_same_content=allow_same)
        except WorkflowError as exc:
            form.add_error("confirm_same_content" if "内容が同じ" in str(exc) else None, str(exc))
        else:
            job = publication_start(
                by=request.user,
                reports=d["reports"],
                as_of=d["as_of"],
                per=d["per"],
                number=number,
                published_on=published_on,
                allow_same_content=allow_same,
                title=preview.report.title,
                order=d["order"],
                preamble=choice.preamble_data(),
            )
            return redirect("jobs:job_detail", pk=job.pk)
    return render(
        request,
        "findings/publication_create.html",
        {
            "form": form,
            "choice": choice,
            "report": preview.report,
            "preview": preview,
            "query": request.GET.urlencode(),
            "per_label": dict(choice.fields["per"].choices).get(d["per"], d["per"]),
        },
    )


def publication_page_view(request, number):
    """The app's page of one publication: what was frozen, its files with their hashes, the zip."""

    allowed(request.user, "view_all").check()
    publication = get_object_or_404(
        Publication.objects.select_related("created_by", "previous").prefetch_related("files", "reports"),
        number=number,
    )
    files = sorted(publication.files.all(), key=lambda f: ["html", "pdf", "xlsx", "csv"].index(f.format))
    return render(
        request,
        "findings/publication_detail.html",
        {"publication": publication, "snapshot": publication.snapshot, "files": files},
    )


def publication_list_view(request):

    allowed(request.user, "view_all").check()
    publications = Publication.objects.select_related("created_by").prefetch_related("files").order_by("-number")
    return render(request, "findings/publication_list.html", {"publications": publications})
