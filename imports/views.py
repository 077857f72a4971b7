"""Report data imports in the browser: upload → preview → confirm (or discard), and the templates to fill."""

import io
import zipfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from auditreg.access import allowed
from auditreg.exports import download
from findings.bundle.exporter import bundle_files

from . import pipeline
from .access import batch_for
from .bundle_forms import ReportUploadForm, TemplateChoiceForm
from .choices import BatchState
from .models import ImportBatch
from .uploads import UploadRefused
from .workbook import template_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS_PER_KIND = 300  # longer lists are cut on screen (the batch keeps them all)


def _office_only(user):
    allowed(user, "import_data").check()


def import_list_view(request):
    _office_only(request.user)
    batches = ImportBatch.objects.for_user(request.user).select_related("uploaded_by", "applied_by", "round", "section")
    page = Paginator(batches.defer("content", "changes"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "imports/import_list.html",
        {"page": page, "form": ReportUploadForm(), "template_form": TemplateChoiceForm()},
    )


def import_upload_view(request):
    _office_only(request.user)
    form = ReportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = pipeline.stage(kind=None, upload=form.cleaned_data["file"], by=request.user)
        except UploadRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("imports:batch_detail", pk=batch.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "imports/import_upload.html", {"form": form}, status=status)


def _chosen_report(request):
    form = TemplateChoiceForm(request.GET or None)
    if not form.is_valid():
        raise PermissionDenied("報告書の指定が正しくありません。")
    return form.cleaned_data.get("report")


def template_view(request):
    _office_only(request.user)

    report = _chosen_report(request)
    name = f"報告書データ_{report.code}.xlsx" if report else "報告書データ_テンプレート.xlsx"
    return download(template_bytes(report), name, XLSX)


def bundle_zip_view(request):
    _office_only(request.user)
    report = _chosen_report(request)
    if report is None:
        messages.error(request, "zip を取り出すには報告書を選んでください。")
        return redirect("imports:import_list")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(bundle_files(report).items()):
            archive.writestr(f"{report.code}/{name}", text)
    return download(buffer.getvalue(), f"{report.code}.zip", "application/zip")


def _grouped_changes(batch):
    groups: dict[str, list] = {}
    for label, key, field, old, new in batch.changes:
        groups.setdefault(label, []).append((key, field, old, new))
    return [
        (label, rows[:PREVIEW_ROWS_PER_KIND], max(len(rows) - PREVIEW_ROWS_PER_KIND, 0))
        for label, rows in groups.items()
    ]


def batch_detail_view(request, pk):
    batch = batch_for(
        request.user,
        pk,
        queryset=ImportBatch.objects.select_related("uploaded_by", "applied_by", "round", "section").defer("content"),
    )
    return render(
        request,
        "imports/batch_detail.html",
        {
            "batch": batch,
            "groups": _grouped_changes(batch),
            "can_confirm": batch.state == BatchState.PREVIEWED and batch.uploaded_by_id == request.user.pk,
            "can_discard": batch.state in (BatchState.PREVIEWED, BatchState.INVALID)
            and batch.uploaded_by_id == request.user.pk,
        },
    )


def _after(batch):
    if batch.round_id:
        return redirect("imports:round_detail", pk=batch.round_id)
    return redirect("imports:batch_detail", pk=batch.pk)


@require_POST
def batch_confirm_view(request, pk):
    batch = batch_for(request.user, pk, queryset=ImportBatch.objects.defer("content"))
    try:
        batch = pipeline.confirm(batch=batch, by=request.user)
    except pipeline.ConfirmRefused as exc:
        messages.error(request, str(exc))
        return redirect("imports:batch_detail", pk=batch.pk)
    n = batch.counts
    messages.success(
        request,
        f"取り込みました（作成 {n['created']}・変更 {n['updated']}・削除 {n['deleted']}・変更なし {n['unchanged']}）。",
    )
    return _after(batch)


@require_POST
def batch_discard_view(request, pk):
    batch = batch_for(request.user, pk, queryset=ImportBatch.objects.defer("content"))
    pipeline.discard(batch=batch, by=request.user)
    messages.success(request, "取込を取り消しました。データは変わっていません。")
    return _after(batch)
