"""The imports app's part of the access policy (auditreg.access): its actions in the one table and the
gates that fetch one upload or one inquiry round and check it (404 alike for invisible and missing)."""

from django.shortcuts import get_object_or_404

from auditreg import access
from auditreg.choices import Role

from .models import ImportBatch, InquiryRound

access.register(
    {
        # the report's data: uploads, templates, bundles (the audit office and admins)
        "import_data": access.rule(access.OFFICE_ROLES, refused="取り込めるのは監査事務局とシステム管理者だけです。"),
        "create_inquiry": access.rule(Role.AUDITOR, refused="照会は監査事務局が作成します。"),
        "close_inquiry": access.rule(Role.AUDITOR, refused="照会を締め切るのは監査事務局です。"),
    }
)


def batch_for(user, pk, *, queryset=None) -> ImportBatch:
    """One upload the user may see (ImportBatch.objects.for_user), or 404."""
    return get_object_or_404((queryset if queryset is not None else ImportBatch.objects).for_user(user), pk=pk)


def round_for(user, pk, *, queryset=None) -> InquiryRound:
    """One inquiry round the user may see (InquiryRound.objects.for_user), or 404."""
    return get_object_or_404((queryset if queryset is not None else InquiryRound.objects).for_user(user), pk=pk)
