"""Pages of the inquiry rounds (照会). Thin: parse, call one selector or service, render or redirect.
Objects come only through imports.inquiry selectors, which scope them (another section's round: 404)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from auditreg import access
from auditreg.exports import download
from auditreg.validators import parse_id

from . import inquiry, pipeline
from .choices import BatchKind
from .inquiry_forms import AnswerUploadForm, RoundForm
from .uploads import UploadRefused

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today():
    return timezone.localdate()


def _section_param(value) -> int | None:
    return parse_id(value)


@require_GET
def round_list_view(request):
    if not (access.sees_all(request.user) or access.is_section_user(request.user)):
        raise PermissionDenied
    rounds = inquiry.rounds_for(request.user).select_related("created_by")
    page = Paginator(rounds, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "imports/inquiry_list.html",
        {
            "page": page,
            "summaries": inquiry.round_list(request.user, page.object_list, _today()),
            "can_create": bool(access.allowed(request.user, "create_inquiry")),
            "sees_all": access.sees_all(request.user),
            "query": "",
        },
    )


def round_create_view(request):
    access.allowed(request.user, "create_inquiry").check()  # the page's form; round_create checks again
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round_ = inquiry.round_create(
                title=data["title"],
                reply_by=data["reply_by"],
                findings=data["findings"],
                sections=data["sections"],
                note=data["note"],
                by=request.user,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, f"照会「{round_.title}」を作成しました。各課が回答様式をダウンロードできます。")
            return redirect("imports:round_detail", pk=round_.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "imports/inquiry_form.html", {"form": form}, status=status)


def _detail_page(request, pk, *, upload_form=None, status=200):
    today = _today()
    detail = inquiry.round_detail(request.user, pk, today=today)
    context = {
        "round": detail.round,
        "rows": detail.rows,
        "items": detail.items,
        "own": detail.own,
        "sees_all": access.sees_all(request.user),
        "overdue": today > detail.round.reply_by,
        "upload_form": upload_form or AnswerUploadForm(),
        "can_close": bool(access.allowed(request.user, "close_inquiry")) and detail.round.closed_at is None,
    }
    return render(request, "imports/inquiry_detail.html", context, status=status)


@require_GET
def round_detail_view(request, pk):
    return _detail_page(request, pk)


@require_GET
def round_workbook_view(request, pk):
    round_ = inquiry.round_of(request.user, pk)
    if access.is_section_user(request.user):
        section_id = request.user.section_id  # always their own section, whatever ?section= says
    elif access.sees_all(request.user):
        section_id = _section_param(request.GET.get("section"))
    else:
        raise Http404
    response_ = inquiry.response_of(round_, section_id)
    if response_ is None:
        raise Http404
    content = inquiry.section_workbook(inquiry_round=round_, section=response_.section, by=request.user)
    filename = f"照会{round_.pk}_回答様式_{response_.section.name}.xlsx"
    return download(content, filename, XLSX, no_store=True)


@require_POST
def round_upload_view(request, pk):
    round_ = inquiry.round_of(request.user, pk)  # 404 outside the user's rounds
    if not access.is_section_user(request.user) or inquiry.response_of(round_, request.user.section_id) is None:
        raise PermissionDenied
    form = AnswerUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            batch = pipeline.stage(
                kind=BatchKind.INQUIRY,
                upload=form.cleaned_data["file"],
                by=request.user,
                inquiry_round=round_,
                section=request.user.section,
            )
        except UploadRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect(reverse("imports:batch_detail", args=[batch.pk]))
    return _detail_page(request, pk, upload_form=form, status=400)


@require_POST
def round_close_view(request, pk):
    round_ = inquiry.round_of(request.user, pk)
    try:
        inquiry.round_close(inquiry_round=round_, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "照会を締め切りました。これ以降の回答のアップロードは受け付けません。")
    return redirect("imports:round_detail", pk=round_.pk)
