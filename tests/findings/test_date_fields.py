"""Date fields accept 令和7年4月1日, R7.4.1 and ISO, refuse impossible eras, and echo the date in 和暦."""

import datetime

import pytest

from findings.forms import BoundedDateField, PublicationForm
from imports.inquiry import parse_date as inquiry_parse_date
from imports.workbook import _from_excel


@pytest.mark.parametrize("typed", ["令和7年4月1日", "R7.4.1", "2025-04-01"])
def test_a_date_field_reads_each_form_and_echoes_wareki(typed):
    form = PublicationForm(data={"number": "1", "published_on": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["published_on"] == datetime.date(2025, 4, 1)
    assert 'value="令和7年4月1日"' in str(form["published_on"])


@pytest.mark.parametrize("typed", ["平成35年1月1日", "令和1年4月1日"])
def test_a_date_field_refuses_an_impossible_era_and_keeps_the_text(typed):
    form = PublicationForm(data={"number": "1", "published_on": typed})
    assert not form.is_valid()
    assert "はありません" in form.errors["published_on"][0]
    assert f'value="{typed}"' in str(form["published_on"])


def test_the_field_is_a_text_box_not_a_browser_date_picker():
    html = BoundedDateField().widget.render("d", datetime.date(2019, 5, 1))
    assert 'type="text"' in html and 'value="令和元年5月1日"' in html


@pytest.mark.parametrize(
    ("text", "ok"), [("令和7年4月1日", True), ("R7.4.1", True), ("平成35年1月1日", False), ("令和1年4月1日", False)]
)
def test_the_excel_readers_use_the_same_parser(text, ok):
    day, error = inquiry_parse_date(text)
    assert (day == datetime.date(2025, 4, 1)) if ok else (day is None and "はありません" in error)
    from_workbook = _from_excel(text, "date")
    assert (from_workbook == datetime.date(2025, 4, 1)) if ok else from_workbook == text
