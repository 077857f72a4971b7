"""auditreg.widgets.CheckboxPicker / checkbox_picker: a multiple choice as labelled checkboxes (grouped,
searchable) that submits exactly what the <select multiple> it replaced submitted, every part escaped."""

from django import forms
from django.http import QueryDict

from auditreg.widgets import CheckboxPicker, FastSelectMultiple, checkbox_picker
from tests.checkboxes import checkboxes

GROUPED = [
    ("令和6年度 <DX>", [(1, "指摘01 <b>表題</b>"), (2, "意見02 「市民」&窓口")]),
    ('令和3年度 "市民"', [(3, "意見1")]),
]


class _Form(forms.Form):
    findings = forms.TypedMultipleChoiceField(
        label="指摘・意見", coerce=int, choices=GROUPED, widget=CheckboxPicker(search="絞り込む")
    )


class _OldForm(forms.Form):
    findings = forms.TypedMultipleChoiceField(
        label="指摘・意見", coerce=int, choices=GROUPED, widget=FastSelectMultiple
    )


def test_one_labelled_box_per_choice_under_its_group():
    html = checkbox_picker(name="findings", id_="id_findings", choices=GROUPED, selected={"2"}, search="絞り込む")
    boxes = checkboxes(html, "findings")
    assert [(b.value, b.checked, b.label) for b in boxes] == [
        ("1", False, "指摘01 <b>表題</b>"),
        ("2", True, "意見02 「市民」&窓口"),
        ("3", False, "意見1"),
    ]
    assert [b.legends for b in boxes] == [("令和6年度 <DX>（すべて）",)] * 2 + [('令和3年度 "市民"（すべて）',)]
    assert len({b.id for b in boxes}) == 3 and all(b.id.startswith("id_findings_") for b in boxes)
    # a "select all" box per group (not submitted: no name), and the search box with its label
    assert html.count("data-select-all") == 2 and 'name=""' not in html
    assert '<label for="id_findings_search">絞り込む</label><input type="search" id="id_findings_search"' in html


def test_every_value_label_and_group_is_escaped():
    html = checkbox_picker(
        name="x", id_="id_x", choices=[('<g">', [('1"><script>', "<script>alert(1)</script>")])], selected=set()
    )
    assert "<script>" not in html and '<g">' not in html
    assert 'value="1&quot;&gt;&lt;script&gt;"' in html
    assert 'data-group="&lt;g&quot;&gt;"' in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_short_list_has_no_search_box():
    flat = [("a", "報告書 A"), ("b", "報告書 B")]
    assert "data-picker-search" not in checkbox_picker(name="r", id_="id_r", choices=flat, selected=set())
    kept = checkbox_picker(name="r", id_="id_r", choices=flat, selected=set(), search="探す", search_above=2)
    assert "data-picker-search" not in kept
    shown = checkbox_picker(name="r", id_="id_r", choices=flat, selected=set(), search="探す", search_above=1)
    assert "data-picker-search" in shown and "<fieldset" not in shown  # a flat list: no group headings


def test_submits_and_validates_as_the_select_it_replaced():
    data = QueryDict(mutable=True)
    data.setlist("findings", ["1", "3"])
    new, old = _Form(data), _OldForm(data)
    assert new.is_valid() and old.is_valid()
    assert new.cleaned_data == old.cleaned_data == {"findings": [1, 3]}
    # what the page would send back: the checked boxes of the redrawn form are the chosen ones
    assert [b.value for b in checkboxes(str(new["findings"]), "findings") if b.checked] == ["1", "3"]
    bad = QueryDict(mutable=True)
    bad.setlist("findings", ["1", "999"])
    refused = _Form(bad)
    assert not refused.is_valid()
    assert refused.errors["findings"] == _OldForm(bad).errors["findings"]
    assert "999" in refused.errors["findings"][0]


def test_no_required_attribute_and_a_fieldset():
    form = _Form()
    html = str(form["findings"])
    assert " required" not in html  # required on every box would ask for all of them
    assert form["findings"].use_fieldset and form["findings"].widget_type == "checkboxpicker"
