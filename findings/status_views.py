"""The 措置状況 page and its downloads. The report is built in findings.status_report and rendered
in findings.reports; this module only parses the choices and sends the result."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from auditreg import access

from . import reports as renderers
from . import status_report
from .forms import StatusReportForm
from .models import AuditReport


def _form(request):
    data = request.GET.copy()
    if not data.get("reports"):
        latest = AuditReport.objects.order_by("-fiscal_year", "code").first()
        if latest:
            data.setlist("reports", [str(latest.pk)])
    data.setdefault("as_of", timezone.localdate().isoformat())
    data.setdefault("per", "finding")
    return StatusReportForm(data)


def build_from_form(form) -> status_report.StatusReport:
    d = form.cleaned_data
    report = status_report.build(
        reports=d["reports"],
        as_of=d["as_of"],
        per=d["per"],
        bureau=d["bureau"],
        section=d["section"],
        kind=d["kind"] or None,
        status=d["status"] or None,
        order=d["order"],
    )
    report.preamble = form.preamble_data()
    return report


def status_report_view(request):
    if not access.is_office(request.user):
        raise PermissionDenied
    form = _form(request)
    if not form.is_valid():
        return render(request, "findings/status_report.html", {"form": form}, status=400)
    report = build_from_form(form)
    fmt = request.GET.get("format")
    if fmt in renderers.RENDERERS:
        render_fn, content_type = renderers.RENDERERS[fmt]
        response = HttpResponse(render_fn(report), content_type=content_type)
        from urllib.parse import quote

        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(renderers.filename(report, fmt))}"
        return response
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "findings/status_report.html",
        {
            "form": form,
            "report": report,
            "rows": [status_report.table_cells(report, r) for r in report.rows],
            "query": form.data.urlencode() if hasattr(form.data, "urlencode") else "",
        },
    )


def publication_create_view(request):
    from django.contrib import messages
    from django.shortcuts import redirect

    from . import publishing
    from .forms import PublicationForm
    from .models import Publication
    from .services import WorkflowError

    if not access.is_auditor(request.user):
        raise PermissionDenied
    choice = _form(request)
    if not choice.is_valid():
        return render(request, "findings/status_report.html", {"form": choice}, status=400)
    last = Publication.objects.order_by("-number").first()
    form = PublicationForm(
        request.POST or None, initial={"number": (last.number + 1) if last else 1, "published_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        d = choice.cleaned_data
        try:
            publication = publishing.publish(
                reports=d["reports"],
                as_of=d["as_of"],
                per=d["per"],
                number=form.cleaned_data["number"],
                published_on=form.cleaned_data["published_on"],
                by=request.user,
                order=d["order"],
                preamble=choice.preamble_data(),
            )
        except WorkflowError as exc:
            form.add_error("number", str(exc))
        else:
            messages.success(request, f"第{publication.number}号として公表しました。内容は今後変わりません。")
            return redirect("publication_detail", number=publication.number)
    report = build_from_form(choice)
    return render(
        request,
        "findings/publication_create.html",
        {"form": form, "choice": choice, "report": report, "query": request.GET.urlencode()},
    )


def publication_list_view(request):
    from .models import Publication

    if not access.is_office(request.user):
        raise PermissionDenied
    publications = Publication.objects.select_related("created_by").prefetch_related("files").order_by("-number")
    return render(request, "findings/publication_list.html", {"publications": publications})
