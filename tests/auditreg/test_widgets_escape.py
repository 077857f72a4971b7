"""FastSelect escapes exactly as Django's conditional_escape does (issue #16 made it cheaper)."""

import pytest
from django.utils.functional import lazy
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from auditreg.widgets import FastSelect, _escape


@pytest.mark.parametrize(
    "value",
    ["", "plain", "<b>&\"'</b>", "全角＜＞", 12, None, mark_safe("<i>safe</i>"), lazy(lambda: "<lazy>", str)()],
)
def test_escape_equals_conditional_escape(value):
    assert _escape(value) == conditional_escape(value)


def test_select_escapes_values_and_labels():
    html = FastSelect(choices=[("", "すべて"), ('1"><x', "<script>")]).render("report", '1"><x')
    assert '<option value="1&quot;&gt;&lt;x" selected>&lt;script&gt;</option>' in html
    assert "<script>" not in html
