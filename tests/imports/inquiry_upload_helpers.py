"""Helpers of tests/imports/test_inquiry_upload*.py: a section's workbook, staging an answer, the expected
counts, a batch's messages and a refused batch left unchanged
(the w fixture, built by test_inquiry_common.build_world, is in conftest.py)."""

import pytest

from imports import inquiry, pipeline
from imports.choices import BatchKind, BatchState
from tests.imports.test_inquiry_common import (
    snapshot,
    upload,
)

LABEL = "措置の報告"


def workbook(w, by=None, section=None, round_=None):
    by = by or w.staff
    return inquiry.section_workbook(inquiry_round=round_ or w.round, section=section or by.section, by=by)


def stage(w, content, by=None, section=None, round_=None, name="回答.xlsx"):
    by = by or w.staff
    return pipeline.stage(
        kind=BatchKind.INQUIRY,
        upload=upload(content, name),
        by=by,
        inquiry_round=round_ or w.round,
        section=section or by.section,
    )


def counts(created=0, updated=0, unchanged=0):
    return {LABEL: {"created": created, "updated": updated, "unchanged": unchanged, "deleted": 0}}


def messages(batch) -> str:
    return "\n".join(" ".join(p) for p in batch.problems)


def assert_refused_unchanged(batch, before, *expected):
    assert batch.state == BatchState.INVALID
    for text in expected:
        assert text in messages(batch), messages(batch)
    assert snapshot() == before
    with pytest.raises(pipeline.ConfirmRefused):
        pipeline.confirm(batch=batch, by=batch.uploaded_by)
    # refusing records the refusal (change log) and nothing else
    after = snapshot()
    assert after["reports"] == before["reports"] and after["responses"] == before["responses"]
    assert after["measures"] == before["measures"]
