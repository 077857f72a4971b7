"""Pages of the follow-up workflow. Thin: parse the form, call one service, redirect or re-render."""

import html

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from auditreg.access import allowed, bureau_approvers, section_approvers, sees_all
from auditreg.middleware import pop_restored_post
from auditreg.wareki import format_date, format_datetime, format_fiscal_year
from auditreg.widgets import SHORT_LIST, checkbox_picker

from . import charts, dashboard_cache, services
from .access import finding_for
from .choices import EDITABLE_REPORT_STATES, Action, ReportState
from .dashboard_selectors import awaiting_review, awaiting_review_count, dashboard
from .forms import AssignForm, EvidenceForm, ReportForm, ReviewForm, SectionReturnForm
from .models import AuditReport, Finding, MeasureReport
from .workflow_selectors import GROUP_LIMIT, evidence_for_download, measure_detail, section_return_note, worklist


def _today():
    return timezone.localdate()


def _add_errors(form, exc: ValidationError):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def finding_assign_view(request, pk):
    # the page's form needs the right too: 403 for a visible finding, 404 for a missing one
    finding = finding_for(request.user, pk, action="assign", queryset=Finding.objects.select_related("report"))
    current = list(finding.measures.select_related("section"))
    initial_sections = [m.section for m in current] or [fs.section for fs in finding.report_sections.all()]
    initial = {"sections": initial_sections, "reply_by": current[0].reply_by if current else None}
    form = AssignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.finding_assign(
                finding=finding,
                sections=list(form.cleaned_data["sections"]),
                reply_by=form.cleaned_data["reply_by"],
                reply_by_per_section=form.cleaned_data["reply_by_per_section"],
                by=request.user,
            )
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{finding.code} の所管課を割り当てました。")
            return redirect("findings:finding_detail", pk=finding.pk)
    groups = form.picker_groups(current_reply_by={m.section_id: m.reply_by for m in current})
    return render(
        request,
        "findings/finding_assign.html",
        {"finding": finding, "form": form, "groups": groups, "n_sections": sum(len(g[1]) for g in groups)},
    )


def _report_initial(measure):
    report = measure.open_report
    if report is None:
        return {"reported_on": _today(), "status": measure.status if measure.status.code != "not_started" else None}
    return {
        "status": report.status,
        "reported_on": report.reported_on,
        "text": report.text,
        "planned_completion_on": report.planned_completion_on,
        "completed_on": report.completed_on,
        "reason": report.reason,
        "version": report.version,
    }


def _measure_page(
    request,
    measure,
    *,
    report_form=None,
    review_form=None,
    evidence_form=None,
    section_return_form=None,
    stale=None,
    status=200,
):
    user = request.user
    # the flags come from the same rules the services enforce (auditreg.access.allowed)
    can_edit = bool(allowed(user, "add_evidence", measure))  # the user's own section's measure
    open_report = measure.open_report
    editable_state = open_report is None or open_report.state in EDITABLE_REPORT_STATES
    # a 課長 or deputy of the section, or the 局の代決者 (who sees only their 局's measures)
    is_approver = bool(allowed(user, Action.SUBMIT))
    draft = open_report is not None and open_report.state == ReportState.DRAFT
    submit = allowed(user, Action.SUBMIT, open_report) if is_approver and draft else None
    bar = submit.message if submit is not None and not submit else ""
    restored = False
    if report_form is None and can_edit and editable_state and request.method == "GET":
        data = pop_restored_post(request)
        if data is not None:  # typed before the session expired: back in the form, not yet saved
            report_form, restored = ReportForm(initial=data), True
    context = {
        "measure": measure,
        "open_report": open_report,
        "can_edit": can_edit and editable_state,
        # the head approved what was there: nothing is added while it awaits review
        "can_upload": can_edit and (open_report is None or open_report.state != ReportState.SUBMITTED),
        "can_submit": bool(submit),
        # why this approver may not approve (shown beside the missing button)
        "approval_bar": bar,
        # a 課長 or deputy hands the draft back rather than editing it (課内差戻し)
        "can_section_return": is_approver and draft,
        # saving makes the approver an editor of the draft, who may no longer approve it: say so first
        "save_bars_approval": is_approver and can_edit and editable_state,
        **_approvers(user, measure, shown=can_edit or is_approver),
        "section_return": section_return_note(open_report)
        if open_report is not None and open_report.state == ReportState.REVISING
        else None,
        "can_review": open_report is not None and bool(allowed(user, Action.ACCEPT, open_report)),
        "report_form": report_form or (ReportForm(initial=_report_initial(measure)) if can_edit else None),
        "restored": restored,
        "review_form": review_form or ReviewForm(),
        "section_return_form": section_return_form or SectionReturnForm(),
        "evidence_form": evidence_form or EvidenceForm(),
        "stale": stale,
    }
    return render(request, "findings/measure_detail.html", context, status=status)


def _approvers(user, measure, *, shown: bool) -> dict:
    """Who approves the section's drafts: its 課長 and deputies, then the 局の代決者 (代決); and who of
    them could still approve if `user` saved the draft (named in the warning before saving)."""
    if not shown:
        return {"approvers": [], "bureau_approvers": [], "other_approvers": []}
    section = list(section_approvers(measure.section_id))
    bureau = list(bureau_approvers(measure.section.bureau_id))
    return {
        "approvers": section,
        "bureau_approvers": bureau,
        "other_approvers": [a for a in section + bureau if a.pk != user.pk],
    }


def measure_detail_view(request, pk):
    return _measure_page(request, measure_detail(user=request.user, pk=pk))


class _EvidenceRefused(Exception):
    pass


@require_POST
def measure_save_view(request, pk):
    """The draft and, when a file is chosen, its evidence in one save: both or neither."""
    measure = measure_detail(user=request.user, pk=pk)
    form = ReportForm(request.POST, request.FILES)
    if form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k not in ("version", "evidence")}
        upload = form.cleaned_data.get("evidence")
        try:
            with transaction.atomic():
                services.report_save_draft(
                    measure=measure, by=request.user, values=values, version=form.cleaned_data["version"]
                )
                if upload is not None:
                    try:
                        services.evidence_add(measure=measure, by=request.user, upload=upload)
                    except ValidationError as exc:
                        form.add_error("evidence", exc.message_dict.get("file", exc.messages))
                        raise _EvidenceRefused from None
        except _EvidenceRefused:
            form.add_error(None, "根拠資料を登録できなかったため、下書きも保存していません（入力は残っています）。")
        except services.StaleEdit as exc:
            # nothing was written; keep what this user typed in the form and show the other change
            return _measure_page(
                request, measure_detail(user=request.user, pk=pk), report_form=form, stale=exc.current, status=409
            )
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            done = "下書きを保存しました。"
            if upload is not None:
                done += f"根拠資料を登録しました。（{upload.name}）"
            messages.success(request, done + "課長の承認を受けて提出してください。")
            return redirect("findings:measure_detail", pk=pk)
    if form.files.get("evidence") and "evidence" not in form.errors:
        # a browser never keeps a chosen file across a page: ask for it again, plainly
        form.add_error("evidence", "ファイルは保存されていません。もう一度選んでください。")
    return _measure_page(request, measure, report_form=form, status=400)


@require_POST
def report_section_return_view(request, pk, report_pk):
    measure, report = _report_of(request, pk, report_pk)
    form = SectionReturnForm(request.POST)
    if form.is_valid():
        try:
            services.report_section_return(report=report, by=request.user, comment=form.cleaned_data["comment"])
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "担当に差し戻しました（課内差戻し）。担当が修正して保存すると、承認できます。")
            return redirect("findings:measure_detail", pk=pk)
    return _measure_page(request, measure, section_return_form=form, status=400)


def _report_of(request, measure_pk, report_pk) -> MeasureReport:
    measure = measure_detail(user=request.user, pk=measure_pk)  # 404 outside the user's scope
    report = next((r for r in measure.reports.all() if r.pk == report_pk), None)
    if report is None:
        raise Http404
    return measure, report


@require_POST
def report_submit_view(request, pk, report_pk):
    measure, report = _report_of(request, pk, report_pk)
    try:
        services.report_submit(report=report, by=request.user)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
        return _measure_page(request, measure, status=400)
    messages.success(request, "承認し、監査事務局へ提出しました。")
    return redirect("findings:measure_detail", pk=pk)


@require_POST
def report_review_view(request, pk, report_pk):
    measure, report = _report_of(request, pk, report_pk)
    form = ReviewForm(request.POST)
    decision = request.POST.get("decision")
    if decision not in ("accept", "return"):
        form.add_error(None, "受理か差戻しを選んでください。")
    if form.is_valid() and decision in ("accept", "return"):
        try:
            if decision == "accept":
                services.report_accept(report=report, by=request.user, comment=form.cleaned_data["comment"])
                messages.success(request, "受理しました。")
            else:
                services.report_return(report=report, by=request.user, comment=form.cleaned_data["comment"])
                messages.success(request, "差し戻しました。所管課にコメントが表示されます。")
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("findings:measure_detail", pk=pk)
    return _measure_page(request, measure, review_form=form, status=400)


@require_POST
def evidence_upload_view(request, pk):
    measure = measure_detail(user=request.user, pk=pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.evidence_add(measure=measure, by=request.user, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            _add_errors(form, exc)
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "根拠資料を登録しました。")
            return redirect("findings:measure_detail", pk=pk)
    return _measure_page(request, measure, evidence_form=form, status=400)


def evidence_download_view(request, pk):
    evidence = evidence_for_download(user=request.user, pk=pk)
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def worklist_view(request):
    if sees_all(request.user):
        return redirect("findings:dashboard")
    if allowed(request.user, "bureau_approve"):
        return redirect("findings:bureau_worklist")
    allowed(request.user, "own_section").check()
    page, groups, sections = worklist(user=request.user, today=_today(), page=request.GET.get("page"))
    _link_measures(page.object_list)
    for group in groups.values():
        _link_measures(group["rows"])
    # the heading and the page header show the user's section: already loaded with its bureau
    request.user.section = sections[request.user.section_id]
    return render(
        request,
        "findings/worklist.html",
        {
            "measures": page.object_list,
            "page": page,
            "groups": groups,
            "group_limit": GROUP_LIMIT,
            "today": _today(),
            "query": "",
        },
    )


def _esc(value) -> str:
    """django.utils.html.escape's output without its lazy-string wrapper (thousands of calls per
    dashboard: the wrapper cost more than the escaping)."""
    return html.escape(str(value))


def _link_measures(measures) -> None:
    """m.detail_url for each row of a measure table: one reverse() and string joins instead of a
    {% url %} per row (hundreds of rows on a section's work list)."""
    head, _, tail = reverse("findings:measure_detail", args=[0]).rpartition("0")
    for m in measures:
        m.detail_url = f"{head}{m.pk}{tail}"


def _report_boxes(reports, selected) -> str:
    """The report checkboxes (name report, value its code, as the links and the cache key read them) from
    (pk, code, fiscal_year, theme) rows (`selected`: the chosen rows), built in Python: a thousand reports
    through the template language cost more than all the dashboard's queries."""
    chosen = {row[1] for row in selected}
    choices = [
        (code, f"{format_fiscal_year(fiscal_year)} {theme if len(theme) <= 40 else theme[:39] + '…'}")
        for _, code, fiscal_year, theme in reports
    ]
    return checkbox_picker(
        name="report",
        id_="id_report",
        choices=choices,
        selected=chosen,
        search="報告書の名前・年度で絞り込む",
        search_above=SHORT_LIST,
    )


def _per_section_rows(rows) -> str:
    """The body rows of the dashboard's 局・課別 table, built in Python: a row per section (hundreds)
    through the template language was half of the page's rendering. The measures and overdue counts
    link to the findings list of the section (r["links"], from findings.charts.dashboard_charts)."""
    cells = []
    for r in rows:
        links = r.get("links", {})
        numbers = []
        for k in ("total", "done", "closed", "overdue"):
            href = links.get(k)
            n = int(r[k])
            numbers.append(
                f'<td class="num"><a href="{href.replace("&", "&amp;")}">{n}</a></td>'
                if href  # built from integers and URL-encoded codes: & is the one character to escape
                else f'<td class="num">{n}</td>'
            )
        cells.append(
            f"<tr><td>{_esc(r['section__bureau__name'])}</td><td>{_esc(r['section__name'])}</td>"
            + "".join(numbers)
            + "</tr>"
        )
    return mark_safe("".join(cells))  # noqa: S308 - names escaped, the rest integers


def _name(last, first, username) -> str:
    return f"{last} {first}".strip() or username  # User.display_name


def _overdue_rows(rows) -> str:
    """The overdue table's body rows (the columns of findings/includes/measure_table.html), built in
    Python from the selector's dicts: a hundred rows through the template language cost more than
    the page's SQL."""
    head, _, tail = reverse("findings:measure_detail", args=[0]).rpartition("0")
    cells = []
    for m in rows:
        r = m["open_report"]
        if r:
            editor = _name(*(r[f"last_edited_by__{f}"] for f in ("last_name", "first_name", "username")))
            report = f"{_esc(ReportState(r['state']).label)}（{_esc(editor)}）"
        else:
            report = "—"
        cells.append(
            f'<tr><td class="nowrap"><a href="{head}{m["pk"]}{tail}">{_esc(m["code"])}</a>'
            f'<div class="muted">{_esc(format_fiscal_year(m["fiscal_year"]))}</div></td>'
            f"<td>{_esc(m['title'])}</td><td>{_esc(m['section_name'])}</td>"
            f'<td class="nowrap">{_esc(format_date(m["reply_by"]) or "—")}</td>'
            f'<td class="nowrap">{_esc(m["status_label"])}</td><td>{report}</td></tr>'
        )
    return mark_safe("".join(cells))  # noqa: S308 - every value escaped above


def _awaiting_rows(rows) -> str:
    """The body rows of the table of reports awaiting review, built in Python from the selector's dicts."""
    head, _, tail = reverse("findings:measure_detail", args=[0]).rpartition("0")
    cells = []
    for r in rows:
        at = format_datetime(r["approved_at"])
        who = _name(r["approver_last"], r["approver_first"], r["approver_username"]) if r["approver_username"] else ""
        cells.append(
            f'<tr><td><a href="{head}{r["measure_id"]}{tail}">{_esc(r["code"])}</a></td>'
            f"<td>{_esc(r['bureau'])} {_esc(r['section_name'])}</td><td>{_esc(r['status_label'])}</td>"
            f"<td>{_esc(at)} {_esc(who)}</td></tr>"
        )
    return mark_safe("".join(cells))  # noqa: S308 - every value escaped above


def _dashboard_context(user, *, wanted: list[str], today) -> dict:
    """Everything the dashboard shows, and its body drawn (findings/dashboard_body.html, as UTF-8 bytes:
    see dashboard_cache.render): what findings.dashboard_cache keeps between requests. The same for every
    user who may see the page (view_all: every report and section)."""
    reports = list(
        AuditReport.objects.order_by("-fiscal_year", "code").values_list("pk", "code", "fiscal_year", "theme")
    )
    chosen = [r for r in reports if r[1] in wanted]  # unknown codes drop out; none chosen: every report
    data = dashboard(user=user, today=today, reports=[r[0] for r in chosen])
    data["charts"] = charts.dashboard_charts(data, [r[1] for r in chosen])
    data["kind_rows"], data["bureau_rows"] = charts.kind_table_rows(data), charts.bureau_table_rows(data)
    data["overdue_rows"] = _overdue_rows(data["overdue"])
    data["awaiting_review"] = awaiting_review(user=user)
    data["awaiting_rows"] = _awaiting_rows(data["awaiting_review"])
    data["n_awaiting_review"] = awaiting_review_count(user=user)
    data["today"] = today
    data["report_boxes"], data["chosen_reports"] = _report_boxes(reports, chosen), chosen
    data["per_section_rows"] = _per_section_rows(data["per_section"])
    data["body"] = render_to_string("findings/dashboard_body.html", data).encode()
    return data


def dashboard_view(request):
    allowed(request.user, "view_all").check()
    today, wanted = _today(), sorted(set(request.GET.getlist("report")))
    context = dashboard_cache.page(
        today=today, wanted=wanted, build=lambda: _dashboard_context(request.user, wanted=wanted, today=today)
    )
    return dashboard_cache.render(request, context, title="ダッシュボード")
