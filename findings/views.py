import html

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from auditreg import access
from auditreg.exports import csv_response
from auditreg.wareki import format_date, format_fiscal_year

from .filtersets import FindingFilterSet
from .forms import filter_fields_html
from .models import FindingSubject
from .saved_filters import (
    saved_filter_delete,
    saved_filter_rows,
    saved_filter_save,
    saved_filter_set_default,
    visible_saved_filters,
)
from .selectors import (
    finding_detail,
    finding_list,
    follow_up_sections,
    report_detail,
    report_list,
    scope_statuses,
)
from .workflow_selectors import finding_history, finding_measures

PAGE_SIZE = 50


def finding_list_view(request):
    saved = saved_filter_rows(request.user)
    data, applied = request.GET, None
    if not data:  # opened without a query: the user's default list view, if they chose one
        applied = next((f for f in saved if f.owner_id == request.user.pk and f.is_default), None)
        data = QueryDict(applied.query) if applied else None
    filterset = finding_list(user=request.user, filterset_class=FindingFilterSet, data=data or None)
    # the page's subjects and sections come from _list_rows' two light queries, not the prefetches
    page = Paginator(filterset.qs.prefetch_related(None), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    scope_statuses(user=request.user, findings=rows)
    page.object_list = _list_rows(rows, user=request.user)
    query = (data or QueryDict()).copy()
    query.pop("page", None)
    filters = query.copy()
    filters.pop("all", None)
    current = filters.urlencode()
    return render(
        request,
        "findings/finding_list.html",
        {
            "filterset": filterset,
            "filter_fields": filter_fields_html(filterset.form),
            "page": page,
            # the rows' HTML in one string (f.row_html, one line each): no template loop over 50 rows
            "rows_html": mark_safe("".join(f"{f.row_html}\n  " for f in page.object_list)),  # noqa: S308
            "query": query.urlencode(),
            "total": page.paginator.count,
            "saved_filters": [
                {"filter": f, "own": f.owner_id == request.user.pk, "current": f.query == current} for f in saved
            ],
            "applied_default": applied,
            "current_filter": current,
            "can_share": bool(access.allowed(request.user, "share_filter")),
            # with a default view, 条件をクリア shows every finding instead of the default again
            "clear_url": "?all=1" if any(f.is_default and f.owner_id == request.user.pk for f in saved) else "",
        },
    )


def _date_cell(f) -> str:
    day = getattr(f, "nearest_reply_by", None)
    return _esc(format_date(day)) if day else '<span class="muted">—</span>'


def _list_rows(findings, *, user) -> list:
    """The page's findings, each with its table row as HTML (f.row_html), built in Python: the
    subjects and the sections (assigned and named by the report) from one value query over the page's
    ids, compiled once per user scope (selectors.follow_up_sections), instead of ~400 model instances
    through the prefetches; the link from one reverse() and string joins, dates in 和暦. A row through
    the template language (a {% url %}, loops and filters per row) was more than half of the page's
    time; every value is escaped here (html.escape: what django.utils.html.escape returns, without its
    lazy-string wrapper)."""
    rows = list(findings)
    found = follow_up_sections(user=user, finding_ids=[f.pk for f in rows], subjects=True, slots=PAGE_SIZE)
    head, _, tail = reverse("findings:finding_detail", args=[0]).rpartition("0")
    for f in rows:
        url = f"{head}{f.pk}{tail}"
        group = f'<div class="muted">{_esc(f.group.title)}</div>' if f.group_id else ""
        assigned, named, subjects = found[f.pk]
        cell = "<br>".join(_esc(s) for s in assigned) or '<span class="muted">未割当</span>'
        if named != assigned:  # the report's own sections, where they differ from the assignment
            cell += f'<div class="muted">報告書記載: {_esc("、".join(named)) or "記載なし"}</div>'
        number = getattr(f, "status_published_in", None)  # selectors.scope_statuses: a status as last published
        published = f'<div class="muted">第{int(number)}号公表時</div>' if number else ""
        overdue = '<span class="badge overdue">期限超過</span>' if getattr(f, "is_overdue", False) else ""
        kind = _esc(f.kind)
        f.row_html = mark_safe(  # noqa: S308 - every value escaped
            f'<tr><td class="nowrap"><a href="{url}">{_esc(f.code)}</a></td>'
            f'<td><span class="kind kind-{kind}">{kind}</span></td><td>{_esc(f.area)}</td>'
            f'<td><a href="{url}">{_esc(f.title)}</a>{group}</td><td>{_esc("、".join(subjects))}</td>'
            f'<td>{cell}</td><td class="num">{"" if f.page is None else f.page}</td>'
            f'<td class="nowrap">{_esc(f.status_label)}{published}</td>'
            f'<td class="nowrap">{_date_cell(f)}</td><td class="nowrap">{overdue}</td>'
            f'<td class="nowrap">{_esc(format_fiscal_year(f.report.fiscal_year))}</td></tr>'
        )
    return rows


def _esc(value) -> str:
    return html.escape(str(value))


CSV_HEADER = [
    "報告書",
    "公表日",
    "番号",
    "区分",
    "分野",
    "見出し",
    "表題",
    "報告書頁",
    "対象",
    "所管課（割当）",
    "所管課（報告書記載）",
    "措置状況",
    "回答期限（最も近い）",
    "期限超過",
]


def finding_export_csv(request):
    """The list's rows with the list's filters, order and columns (the same selector and filterset)."""
    data = request.GET
    if not data:  # as the list: the user's default view when opened without a query
        default = visible_saved_filters(request.user).filter(owner=request.user, is_default=True).first()
        data = QueryDict(default.query) if default else None
    filterset = finding_list(user=request.user, filterset_class=FindingFilterSet, data=data or None)

    def rows():
        for f, (assigned, named) in _scoped_chunks(request.user, _with_subjects(filterset.qs)):
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
                "、".join(assigned),
                "、".join(named),
                f.status_label,
                format_date(f.nearest_reply_by),
                "期限超過" if f.is_overdue else "",
            ]

    return csv_response("指摘意見一覧.csv", CSV_HEADER, rows())


def _with_subjects(queryset):
    # the subjects only: the sections come with follow_up_sections, per chunk
    subjects = FindingSubject.objects.select_related("project", "system").order_by("order")
    return queryset.prefetch_related(None).prefetch_related(Prefetch("subjects", queryset=subjects))


@require_POST
def saved_filter_save_view(request):
    query = request.POST.get("query", "")
    try:
        saved = saved_filter_save(
            user=request.user,
            name=request.POST.get("name", ""),
            query=query,
            shared=bool(request.POST.get("shared")),
            is_default=bool(request.POST.get("is_default")),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
        return redirect(_list_url(query))
    messages.success(request, f"絞り込み「{saved.name}」を保存しました。")
    return redirect(_list_url(saved.query))


@require_POST
def saved_filter_delete_view(request, pk):
    try:
        saved_filter_delete(user=request.user, pk=pk)
    except PermissionDenied as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, "保存した絞り込みを削除しました。")
    return redirect(_list_url(request.POST.get("query", "")))


@require_POST
def saved_filter_default_view(request, pk):
    is_default = request.POST.get("is_default") == "1"
    try:
        saved = saved_filter_set_default(user=request.user, pk=pk, is_default=is_default)
    except PermissionDenied as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(
            request,
            f"「{saved.name}」を既定の一覧にしました。"
            if is_default
            else f"「{saved.name}」を既定の一覧から外しました。",
        )
    return redirect(_list_url(request.POST.get("query", "")))


def _message(exc) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _list_url(query: str) -> str:
    """Back to the list with the filter's query (only the list's own parameters, re-encoded)."""
    url = reverse("findings:finding_list")
    kept = QueryDict(mutable=True)
    given = QueryDict(query[:4000])
    for name in [*FindingFilterSet.base_filters, "all"]:
        values = [v for v in given.getlist(name) if v.strip()][:1]
        if values:
            kept.setlist(name, values)
    return f"{url}?{kept.urlencode()}" if kept else url


def _scoped_chunks(user, queryset, size=2000):
    """The rows in chunks, each with the statuses the user may know (selectors.scope_statuses) and its
    (assigned, named) sections (selectors.follow_up_sections), as the list page reads them."""
    chunk = []

    def done():
        scope_statuses(user=user, findings=chunk)
        sections = follow_up_sections(user=user, finding_ids=[f.pk for f in chunk]) if chunk else {}
        return [(f, sections[f.pk]) for f in chunk]

    for f in queryset:
        chunk.append(f)
        if len(chunk) == size:
            yield from done()
            chunk = []
    yield from done()


def finding_detail_view(request, pk):
    finding = finding_detail(user=request.user, pk=pk)
    measures = finding_measures(user=request.user, finding=finding)
    # a section user on another section's finding: its status as last published, never later progress
    scope_statuses(user=request.user, findings=[finding])
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
