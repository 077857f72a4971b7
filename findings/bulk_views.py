"""Pages of the audit office's bulk work: pick items (a filterable checkbox table), the action and its
parameters, confirm, then see what was done and what was refused. Thin: the work is findings.bulk's."""

from django import forms
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from auditreg import access
from auditreg.models import Section
from auditreg.validators import parse_id

from . import bulk, reminders, services
from .choices import ReportState
from .forms import AssignForm, BoundedDateField
from .models import AuditReport, Finding, Measure, MeasureReport, MeasureStatus, overdue_q

ROW_LIMIT = 1000  # rows a selection table shows at most (narrow with the filters beyond that)
SESSION_KEY = "bulk_result"


class ExtendForm(forms.Form):
    new_date = BoundedDateField(label="新しい回答期限", required=False)
    days = forms.IntegerField(label="または延長する日数", required=False, min_value=1, max_value=3650)

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("new_date") is None) == (data.get("days") is None):
            raise forms.ValidationError("新しい回答期限か、延長する日数のどちらか一方を入力してください。")
        return data


class AcceptForm(forms.Form):
    comment = forms.CharField(label="コメント（任意・各報告に記録）", required=False, max_length=2000)


def _office(request):
    access.allowed(request.user, "bulk_work").check()


def _filters(request):
    reports = list(AuditReport.objects.order_by("-fiscal_year", "code").values_list("pk", "code", "theme"))
    sections = list(
        Section.objects.select_related("bureau")
        .order_by("bureau__order", "order")
        .values_list("pk", "bureau__name", "name")
    )
    statuses = list(MeasureStatus.objects.order_by("order").values_list("code", "label"))
    report = next((r for r in reports if r[1] == request.GET.get("report")), None)
    section_id = parse_id(request.GET.get("section"))
    section = next((s for s in sections if s[0] == section_id), None)
    state = request.GET.get("state", "")
    if state not in {"", "unassigned"} | {c for c, _ in statuses}:
        state = ""
    return {
        "reports": reports,
        "sections": sections,
        "statuses": statuses,
        "report": report,
        "section": section,
        "state": state,
    }


def _rows(action, f, today):
    """The selectable rows of an action as dicts (one query, plus one for the assigned sections)."""
    return {"assign": _assign_rows, "extend": _extend_rows, "accept": _accept_rows, "remind": _remind_rows}[action](
        f["report"], f["section"], f["state"], f, today
    )


def _assign_rows(report, section, state, f, today):
    qs = Finding.objects.all()
    if report:
        qs = qs.filter(report_id=report[0])
    if section:
        qs = qs.filter(Q(measures__section_id=section[0]) | Q(report_sections__section_id=section[0])).distinct()
    if state:
        qs = qs.filter(status_code="" if state == "unassigned" else state)
    rows = list(
        qs.order_by("-report__fiscal_year", "report_id", "order").values(
            "pk", "code", "title", "status_code", "report__fiscal_year"
        )[: ROW_LIMIT + 1]
    )
    assigned = {}
    for fid, name in (
        Measure.objects.filter(finding_id__in=[r["pk"] for r in rows])
        .order_by("section__bureau__order", "section__order")
        .values_list("finding_id", "section__name")
    ):
        assigned.setdefault(fid, []).append(name)
    labels = {"": "未割当"} | dict(f["statuses"])
    for r in rows:
        r["sections"] = "、".join(assigned.get(r["pk"], [])) or "—"
        r["status"] = labels.get(r["status_code"], r["status_code"])
    return rows


def _extend_rows(report, section, state, f, today):
    qs = Measure.objects.filter(status__is_closed=False)
    if report:
        qs = qs.filter(finding__report_id=report[0])
    if section:
        qs = qs.filter(section_id=section[0])
    if state and state != "unassigned":
        qs = qs.filter(status__code=state)
    return list(
        qs.order_by("reply_by", "finding__order", "pk").values(
            "pk",
            "finding__code",
            "finding__title",
            "section__bureau__name",
            "section__name",
            "reply_by",
            "status__label",
        )[: ROW_LIMIT + 1]
    )


def _accept_rows(report, section, state, f, today):
    qs = MeasureReport.objects.filter(state=ReportState.SUBMITTED)
    if report:
        qs = qs.filter(measure__finding__report_id=report[0])
    if section:
        qs = qs.filter(measure__section_id=section[0])
    if state and state != "unassigned":
        qs = qs.filter(status__code=state)
    return list(
        qs.order_by("approved_at", "pk").values(
            "pk",
            "measure_id",
            "measure__finding__code",
            "measure__section__bureau__name",
            "measure__section__name",
            "status__label",
            "approved_at",
            "reported_on",
        )[: ROW_LIMIT + 1]
    )


def _remind_rows(report, section, state, f, today):
    """Sections with measures still owed, with how many and how many overdue."""
    qs = reminders.open_measures().order_by()
    if report:
        qs = qs.filter(finding__report_id=report[0])
    if section:
        qs = qs.filter(section_id=section[0])
    return list(
        qs.values("section_id", "section__bureau__name", "section__name", "section__bureau__order", "section__order")
        .annotate(n=Count("pk", distinct=True), overdue=Count("pk", filter=overdue_q(today), distinct=True))
        .order_by("section__bureau__order", "section__order")[: ROW_LIMIT + 1]
    )


def _action(value) -> str:
    return value if value in bulk.ACTIONS else "assign"


def bulk_select_view(request):
    _office(request)
    action = _action(request.GET.get("action"))
    f = _filters(request)
    rows = _rows(action, f, timezone.localdate())
    context = {
        "action": action,
        "actions": bulk.ACTIONS,
        "action_label": bulk.ACTIONS[action],
        "rows": rows[:ROW_LIMIT],
        "truncated": len(rows) > ROW_LIMIT,
        "row_limit": ROW_LIMIT,
        "groups": AssignForm().picker_groups() if action == "assign" else [],
        "extend_form": ExtendForm(),
        "accept_form": AcceptForm(),
        **f,
    }
    return render(request, "findings/bulk_select.html", context)


def _parse(request):
    """(action, items, params, form, errors) from a POST of the selection or the confirmation page."""
    action = _action(request.POST.get("action"))
    ids = [i for i in map(parse_id, request.POST.getlist("items")) if i is not None]
    errors = []
    if not ids:
        errors.append("対象を一つ以上選んでください。")
    params, form = {}, None
    if action == "assign":
        form = AssignForm(request.POST)
        items = list(Finding.objects.filter(pk__in=ids).order_by("-report__fiscal_year", "report_id", "order"))
        if form.is_valid():
            common = form.cleaned_data["reply_by"]
            own = form.cleaned_data["reply_by_per_section"]
            sections = list(form.cleaned_data["sections"])
            params = {
                "sections": sections,
                "dates": {s.pk: own.get(s.pk) or common for s in sections},
                "replace": request.POST.get("replace") == "1",
            }
        labels = [f.code for f in items]
    elif action == "extend":
        form = ExtendForm(request.POST)
        items = list(Measure.objects.filter(pk__in=ids).select_related("finding", "section__bureau").order_by("pk"))
        if form.is_valid():
            params = {"new_date": form.cleaned_data["new_date"], "days": form.cleaned_data["days"]}
        labels = [bulk._measure_label(m) for m in items]
    elif action == "accept":
        form = AcceptForm(request.POST)
        items = list(
            MeasureReport.objects.filter(pk__in=ids)
            .select_related("measure__finding", "measure__section__bureau")
            .order_by("pk")
        )
        if form.is_valid():
            params = {"comment": form.cleaned_data["comment"]}
        labels = [bulk._measure_label(r.measure) for r in items]
    else:
        items = list(Section.objects.filter(pk__in=ids).select_related("bureau").order_by("bureau__order", "order"))
        labels = [f"{s.bureau.name} {s.name}" for s in items]
    if form is not None and not form.is_valid():
        for field, messages in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            errors += [f"{label}：{m}" if label else m for m in messages]
    if ids and not items:
        errors.append("選んだ対象が見つかりません（他の人が変更した可能性があります）。")
    return action, items, labels, params, errors


@require_POST
def bulk_confirm_view(request):
    _office(request)
    action, items, labels, params, errors = _parse(request)
    if errors:
        return _refused(request, action, errors)
    context = {
        "action": action,
        "label": bulk.ACTIONS[action],
        "labels": labels,
        "params": params,
        "data": _hidden(request),
        "section_dates": [(s, params["dates"].get(s.pk)) for s in params.get("sections", [])],
    }
    return render(request, "findings/bulk_confirm.html", context)


def _refused(request, action, errors):
    """The confirmation page with what is wrong (400): nothing runs, the choices are carried back."""
    context = {"action": action, "label": bulk.ACTIONS[action], "errors": errors, "data": _hidden(request)}
    return render(request, "findings/bulk_confirm.html", context, status=400)


def _hidden(request) -> list[tuple[str, str]]:
    """The POST as (name, value) pairs, to carry from the confirmation to the run."""
    return [(k, v) for k in request.POST for v in request.POST.getlist(k) if k != "csrfmiddlewaretoken"]


@require_POST
def bulk_run_view(request):
    _office(request)
    action, items, labels, params, errors = _parse(request)
    if errors:
        return _refused(request, action, errors)
    by = request.user
    try:
        if action == "assign":
            result = bulk.bulk_assign(
                findings=items,
                sections=params["sections"],
                reply_by_per_section=params["dates"],
                replace=params["replace"],
                by=by,
            )
        elif action == "extend":
            result = bulk.bulk_extend_reply_by(measures=items, new_date=params["new_date"], days=params["days"], by=by)
        elif action == "accept":
            result = bulk.bulk_accept(reports=items, comment=params["comment"], by=by)
        else:
            result = bulk.bulk_remind(sections=items, by=by, today=timezone.localdate())
    except services.WorkflowError as exc:
        return render(
            request,
            "findings/bulk_confirm.html",
            {"action": action, "label": bulk.ACTIONS[action], "errors": [str(exc)], "data": _hidden(request)},
            status=400,
        )
    request.session[SESSION_KEY] = {
        "action": result.action,
        "done": [[o.label, o.detail] for o in result.done],
        "refused": [[o.label, o.reason] for o in result.refused],
    }
    return redirect("findings:bulk_result")


def bulk_result_view(request):
    _office(request)
    data = request.session.get(SESSION_KEY)
    if not data:
        return redirect("findings:bulk_select")
    return render(
        request,
        "findings/bulk_result.html",
        {
            "action": data["action"],
            "label": bulk.ACTIONS[data["action"]],
            "done": data["done"],
            "refused": data["refused"],
        },
    )
