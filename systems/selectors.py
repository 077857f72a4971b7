from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from auditreg.memo import remembered
from auditreg.validators import parse_id
from findings.models import AuditReport, FindingSubject

from .models import InformationSystem, SystemExpenditure


def any_systems() -> bool:
    """Whether any report holds an information system list (the menu; cached per process)."""
    return remembered("any_systems", InformationSystem.objects.exists)


def lacking_report(value):
    """The report the list was asked for (?report=<id>) when it exists but holds no information system
    list, so the page can say so; None otherwise (no such request, or the report has systems)."""
    if parse_id(value) is None:
        return None
    report = AuditReport.objects.filter(pk=parse_id(value)).only("pk", "fiscal_year", "theme").first()
    if report is None or InformationSystem.objects.filter(report=report).exists():
        return None
    return report


def system_list(*, user, filterset_class, data):
    base = (
        InformationSystem.objects.for_user(user)
        .select_related("report", "section__bureau")
        .order_by("report_id", "number")
    )
    return filterset_class(data, queryset=base)


def system_detail(*, user, pk):
    return get_object_or_404(
        InformationSystem.objects.for_user(user)
        .select_related("report", "section__bureau")
        .prefetch_related(
            "budgets",
            Prefetch(
                "expenditures",
                queryset=SystemExpenditure.objects.select_related("table_bureau").order_by(
                    "table_bureau__order", "fiscal_year"
                ),
            ),
            Prefetch(
                "finding_subjects",
                queryset=FindingSubject.objects.select_related("finding").order_by("finding__order"),
            ),
        ),
        pk=pk,
    )
