from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from auditreg.memo import remembered
from findings.models import AuditReport, FindingSubject, StatedTotal

from .models import DxField, DxLine, DxProject


def any_budgets() -> bool:
    """Whether any report holds a DX budget or DX projects (the menu; cached per process)."""
    return remembered("any_budgets", lambda: DxField.objects.exists() or DxProject.objects.exists())


def lacking_report(*, code: str | None) -> AuditReport | None:
    """The requested report when it exists but holds no DX budget (its page says so, rather than a 404);
    None when no report is requested. An unknown code is a 404."""
    if not code:
        return None
    return get_object_or_404(AuditReport.objects.only("pk", "code", "fiscal_year", "theme"), code=code)


def budget_report(*, code: str | None) -> AuditReport | None:
    """The report whose DX budget is shown: the requested one (None if it holds no DX budget: see
    lacking_report), else the latest that has one."""
    qs = AuditReport.objects.filter(dx_fields__isnull=False).distinct().order_by("-fiscal_year", "code")
    if code:
        return qs.filter(code=code).first()
    return qs.first()


def budget_tree(*, user, report: AuditReport):
    """分野 with their lines and projects, plus the report's printed grand totals."""
    fields = list(
        DxField.objects.filter(report=report)
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=DxLine.objects.order_by("order").prefetch_related(
                    Prefetch("projects", queryset=DxProject.objects.for_user(user).order_by("order"))
                ),
            ),
            "fundings",
        )
        .order_by("order")
    )
    stated = {t.column: t.value for t in StatedTotal.objects.filter(report=report, table="dx_fields", label="合計")}
    return fields, stated


def budget_lines_for_export(*, report: AuditReport):
    return DxLine.objects.filter(field__report=report).select_related("field").order_by("field__order", "order")


def project_list(*, user, report: AuditReport):
    return (
        DxProject.objects.for_user(user)
        .filter(report=report)
        .select_related("section__bureau", "line__field")
        .prefetch_related("fundings")
        .order_by("order")
    )


def project_detail(*, user, pk):
    return get_object_or_404(
        DxProject.objects.for_user(user)
        .select_related("report", "section__bureau", "line__field")
        .prefetch_related(
            "fundings",
            "contracts",
            Prefetch(
                "finding_subjects",
                queryset=FindingSubject.objects.select_related("finding").order_by("finding__order"),
            ),
        ),
        pk=pk,
    )
