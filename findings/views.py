from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse

from auditreg import access
from auditreg.exports import csv_response
from auditreg.wareki import format_date, format_fiscal_year

from .filtersets import FindingFilterSet
from .selectors import finding_detail, finding_list, report_detail, report_list
from .workflow_selectors import finding_history, finding_measures

PAGE_SIZE = 50


def finding_list_view(request):
    filterset = finding_list(user=request.user, filterset_class=FindingFilterSet, data=request.GET or None)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _list_rows(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "findings/finding_list.html",
        {"filterset": filterset, "page": page, "query": query.urlencode(), "total": page.paginator.count},
    )


def _list_rows(findings) -> list:
    """What each row of the list shows, prepared once in Python: the detail link from one reverse()
    and string joins, the subjects and the report's sections as text, the fiscal year in 和暦; the
    template only prints them (per-row {% url %}, loops and filters were most of the list's time)."""
    rows = list(findings)
    head, _, tail = reverse("findings:finding_detail", args=[0]).rpartition("0")
    for f in rows:
        f.detail_url = f"{head}{f.pk}{tail}"
        f.subjects_label = "、".join(str(s) for s in f.subjects.all())
        f.sections_label = [f"{s.section.bureau.name} {s.section.name}" for s in f.report_sections.all()]
        f.nendo = format_fiscal_year(f.report.fiscal_year)
    return rows


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
        for f in filterset.qs:
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
