from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from findings.models import FindingSubject

from .models import InformationSystem, SystemExpenditure


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
