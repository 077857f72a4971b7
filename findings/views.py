from collections import defaultdict

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from auditreg import access
from auditreg.exports import csv_response
from auditreg.wareki import format_date, format_fiscal_year

from .choices import SubjectKind
from .filtersets import FindingFilterSet
from .models import FindingSection, FindingSubject
from .selectors import finding_detail, finding_list, report_detail, report_list, scope_statuses
from .workflow_selectors import finding_history, finding_measures

PAGE_SIZE = 50


def finding_list_view(request):
    filterset = finding_list(user=request.user, filterset_class=FindingFilterSet, data=request.GET or None)
    # the page's subjects and sections come from _list_rows' two light queries, not the prefetches
    page = Paginator(filterset.qs.prefetch_related(None), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    scope_statuses(user=request.user, findings=rows)
    page.object_list = _list_rows(rows)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "findings/finding_list.html",
        {"filterset": filterset, "page": page, "query": query.urlencode(), "total": page.paginator.count},
    )


def _list_rows(findings) -> list:
    """The page's findings, each with its table row as HTML (f.row_html), built in Python: the
    subjects and the report's sections from two value queries over the page's ids (instead of
    ~400 model instances through the prefetches), the link from one reverse() and string joins, the
    fiscal year in 和暦. A row through the template language (a {% url %}, loops and filters per
    row) was more than half of the page's time; every value is escaped here."""
    rows = list(findings)
    ids = [f.pk for f in rows]
    subjects, sections = defaultdict(list), defaultdict(list)
    for finding_id, kind, project_id, project, system_id, system in (
        FindingSubject.objects.filter(finding_id__in=ids)
        .order_by("order")
        .values_list("finding_id", "kind", "project_id", "project__name", "system_id", "system__name")
    ):
        subjects[finding_id].append(project if project_id else system if system_id else SubjectKind(kind).label)
    for finding_id, bureau, section in (
        FindingSection.objects.filter(finding_id__in=ids)
        .order_by("section__bureau__order", "section__order")
        .values_list("finding_id", "section__bureau__name", "section__name")
    ):
        sections[finding_id].append(f"{escape(bureau)} {escape(section)}")
    head, _, tail = reverse("findings:finding_detail", args=[0]).rpartition("0")
    for f in rows:
        url = f"{head}{f.pk}{tail}"
        group = f'<div class="muted">{escape(f.group.title)}</div>' if f.group_id else ""
        named = "<br>".join(sections[f.pk]) or '<span class="muted">記載なし</span>'
        number = getattr(f, "status_published_in", None)  # selectors.scope_statuses: a status as last published
        published = f'<div class="muted">第{int(number)}号公表時</div>' if number else ""
        f.row_html = mark_safe(  # noqa: S308 - every value escaped
            f'<tr><td class="nowrap"><a href="{url}">{escape(f.code)}</a></td>'
            f'<td><span class="kind kind-{escape(f.kind)}">{escape(f.kind)}</span></td><td>{escape(f.area)}</td>'
            f'<td><a href="{url}">{escape(f.title)}</a>{group}</td><td>{escape("、".join(subjects[f.pk]))}</td>'
            f'<td>{named}</td><td class="num">{"" if f.page is None else f.page}</td>'
            f'<td class="nowrap">{escape(f.status_label)}{published}</td>'
            f'<td class="nowrap">{escape(format_fiscal_year(f.report.fiscal_year))}</td></tr>'
        )
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
            "can_assign": bool(access.allowed(request.user, "assign")),
        },
    )


def report_list_view(request):
    return render(request, "findings/report_list.html", {"reports": report_list()})


def report_detail_view(request, code):
    return render(request, "findings/report_detail.html", {"report": report_detail(code=code)})
