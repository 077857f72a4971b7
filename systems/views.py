from django.core.paginator import Paginator
from django.shortcuts import render

from auditreg import access
from auditreg.exports import csv_response

from .filtersets import InformationSystemFilterSet
from .selectors import any_systems, lacking_report, system_detail, system_list

PAGE_SIZE = 50


def system_list_view(request):
    lacking = lacking_report(request.GET.get("report"))
    if lacking is not None or not any_systems():
        # a report without systems (issue 11: a subsidy audit has none), or none at all: say so plainly
        return render(request, "systems/system_list.html", {"lacking": lacking, "no_systems": True})
    filterset = system_list(user=request.user, filterset_class=InformationSystemFilterSet, data=request.GET or None)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "systems/system_list.html",
        {"filterset": filterset, "page": page, "query": query.urlencode(), "total": page.paginator.count},
    )


def system_export_csv(request):
    filterset = system_list(user=request.user, filterset_class=InformationSystemFilterSet, data=request.GET or None)
    header = ["No.", "局", "所管課", "システム名称", "監査対象", "重要度", "導入年度", "ネットワーク", "クラウド利用"]

    def rows():
        for s in filterset.qs:
            yield [
                s.number,
                s.section.bureau.name,
                s.section.name,
                s.name,
                s.audited,
                s.importance,
                s.introduced_text,
                s.network,
                s.cloud_text,
            ]

    return csv_response("情報システム一覧.csv", header, rows())


def system_detail_view(request, pk):
    system = system_detail(user=request.user, pk=pk)
    years = {}
    for b in system.budgets.all():
        years.setdefault(b.fiscal_year, {})["budget"] = b
    for e in system.expenditures.all():
        years.setdefault(e.fiscal_year, {}).setdefault("expenditures", []).append(e)
    return render(
        request,
        "systems/system_detail.html",
        # extraction notes (出典と修復) are for the audit office and admins, not for the city's sections
        {"system": system, "years": sorted(years.items()), "show_provenance": access.sees_all(request.user)},
    )
