"""Inquiry rounds: the services that open and close a round (writes, recorded in the change log)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from auditreg import access
from auditreg.changelog import record
from findings.models import Measure

from ..models import InquiryItem, InquiryResponse, InquiryRound

# -- rounds: the service ----------------------------------------------------------------------


@transaction.atomic
def round_create(*, title, reply_by, findings, sections, note="", by) -> InquiryRound:
    """Open a round. Its items are the existing measures of the chosen findings × sections (a finding ×
    section that is not assigned is simply not included); one response per section that has items."""
    access.allowed(by, "create_inquiry").check()
    title = (title or "").strip()
    errors = {}
    if not title:
        errors["title"] = "件名を入力してください。"
    if reply_by is None:
        errors["reply_by"] = "回答期限を入力してください。"
    if errors:
        raise ValidationError(errors)
    measures = list(
        Measure.objects.filter(finding__in=[f.pk for f in findings], section__in=[s.pk for s in sections])
        .order_by("pk")
        .values_list("pk", "section_id")
    )
    if not measures:
        raise ValidationError(
            "選んだ指摘・意見と課の組み合わせには、割り当て済みの措置がありません。"
            "所管課が割り当てられている指摘・意見と課を選んでください。"
        )
    round_ = InquiryRound(title=title, reply_by=reply_by, note=note or "", created_by=by, created_at=timezone.now())
    round_.full_clean()
    round_.save()
    InquiryItem.objects.bulk_create([InquiryItem(round=round_, measure_id=pk) for pk, _ in measures])
    section_ids = sorted({section_id for _, section_id in measures})
    InquiryResponse.objects.bulk_create([InquiryResponse(round=round_, section_id=pk) for pk in section_ids])
    record(
        actor=by,
        action="inquiry.created",
        obj=round_,
        changes={
            "title": [None, title],
            "reply_by": [None, reply_by.isoformat()],
            "measures": [None, len(measures)],
            "sections": [None, len(section_ids)],
        },
        comment=note or "",
    )
    return round_


def round_close(*, inquiry_round, by) -> InquiryRound:
    """Close a round: answers uploaded afterwards are refused (the preview says since when). Once only."""
    with transaction.atomic():
        locked = InquiryRound.objects.select_for_update().get(pk=inquiry_round.pk)
        access.allowed(by, "close_inquiry").check()
        if locked.closed_at is not None:
            raise ValidationError("この照会はすでに締め切られています。")
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at"])
        record(
            actor=by, action="inquiry.closed", obj=locked, changes={"closed_at": [None, locked.closed_at.isoformat()]}
        )
    return locked


# -- rounds: selectors ------------------------------------------------------------------------
