from django.shortcuts import render

from auditreg.exports import csv_response

from .selectors import (
    budget_lines_for_export,
    budget_report,
    budget_tree,
    lacking_report,
    project_detail,
    project_list,
)


def budget_tree_view(request):
    report = budget_report(code=request.GET.get("report"))
    if report is None:
        lacking = lacking_report(code=request.GET.get("report"))
        return render(request, "budgets/budget_tree.html", {"report": None, "lacking": lacking})
    fields, stated = budget_tree(user=request.user, report=report)
    totals = {
        "budget": sum(f.budget_thousand_yen or 0 for f in fields),
        "actual": sum(f.actual_thousand_yen or 0 for f in fields),
    }
    totals["variance"] = totals["budget"] - totals["actual"]
    return render(
        request,
        "budgets/budget_tree.html",
        {"report": report, "fields": fields, "totals": totals, "stated": stated},
    )


def budget_export_csv(request):
    report = budget_report(code=request.GET.get("report"))
    header = ["分野", "大項目", "小項目", "取組", "予算額（千円）", "決算額（千円）", "差額（千円）", "再掲"]

    def rows():
        if report is None:
            return
        for line in budget_lines_for_export(report=report):
            yield [
                line.field.name,
                line.major_no,
                line.minor_no,
                line.title,
                line.budget_thousand_yen,
                line.actual_thousand_yen,
                line.variance_thousand_yen,
                line.reprint,
            ]

    return csv_response("DX予算の取組.csv", header, rows())


def project_list_view(request):
    report = budget_report(code=request.GET.get("report"))
    projects = project_list(user=request.user, report=report) if report else []
    lacking = None if report else lacking_report(code=request.GET.get("report"))
    return render(request, "budgets/project_list.html", {"report": report, "projects": projects, "lacking": lacking})


def project_export_csv(request):
    report = budget_report(code=request.GET.get("report"))
    header = ["事業名", "局", "所管課", "分野", "大項目", "小項目", "予算額（千円）", "決算額（千円）"]

    def rows():
        if report is None:
            return
        for p in project_list(user=request.user, report=report):
            funding = {f.basis: f for f in p.fundings.all()}
            yield [
                p.name,
                p.section.bureau.name,
                p.section.name,
                p.line.field.name if p.line else "",
                p.line.major_no if p.line else "",
                p.line.minor_no if p.line else "",
                funding["budget"].total_thousand_yen if "budget" in funding else None,
                funding["actual"].total_thousand_yen if "actual" in funding else None,
            ]

    return csv_response("DX事業一覧.csv", header, rows())


def project_detail_view(request, pk):
    project = project_detail(user=request.user, pk=pk)
    return render(request, "budgets/project_detail.html", {"project": project})
