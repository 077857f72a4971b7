from django.core.paginator import Paginator
from django.shortcuts import render

from auditreg import access
from auditreg.exports import csv_response
from auditreg.wareki import format_date

from .filtersets import FindingFilterSet
from .selectors import finding_detail, finding_list, report_detail, report_list, scope_statuses
from .workflow_selectors import finding_history, finding_measures

PAGE_SIZE = 50


def finding_list_view(request):
    filterset = finding_list(user=request.user, filterset_class=FindingFilterSet, data=request.GET or None)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    scope_statuses(user=request.user, findings=page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "findings/finding_list.html",
        {"filterset": filterset, "page": page, "query": query.urlencode(), "total": page.paginator.count},
    )


def finding_export_csv(request):
    filterset = finding_list(user=request.user, filterset_class=FindingFilterSet, data=request.GET or None)
    header = [
        "報告書",
        "公表日",
        "番号",
        "区分",
        "分野",
        "見出し",
        "表題",
        "報告書頁",
        "対象",
        "所管課（報告書記載）",
        "措置状況",
    ]

    def rows():
        for f in _scoped_chunks(request.user, filterset.qs):
            yield [
                f.report.theme,
                format_date(f.report.published_on),
                f.code,
                f.kind,
                f.area,
                f.group.title if f.group else "",
                f.title,
                f.page,
                "、".join(str(s) for s in f.subjects.all()),
                "、".join(str(s.section) for s in f.report_sections.all()),
                f.status_label,
            ]

    return csv_response("指摘意見一覧.csv", header, rows())


def _scoped_chunks(user, queryset, size=2000):
    """The rows in chunks, each with the statuses the user may know (selectors.scope_statuses)."""
    chunk = []
    for f in queryset:
        chunk.append(f)
        if len(chunk) == size:
            scope_statuses(user=user, findings=chunk)
            yield from chunk
            chunk = []
    scope_statuses(user=user, findings=chunk)
    yield from chunk


def finding_detail_view(request, pk):
    finding = finding_detail(user=request.user, pk=pk)
    measures = finding_measures(user=request.user, finding=finding)
    return render(
        request,
        "findings/finding_detail.html",
        {
            "finding": finding,
            "measures": measures,
            "history": finding_history(user=request.user, finding=finding),
            "can_assign": access.is_auditor(request.user),
        },
    )


def report_list_view(request):
    return render(request, "findings/report_list.html", {"reports": report_list()})


def report_detail_view(request, code):
    return render(request, "findings/report_detail.html", {"report": report_detail(code=code)})
