"""The Excel a user downloads (with its data sheets) runs the same number of SQL queries whatever the
number of reports and rows: measured through the view, at two sizes."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import bulk_report
from tests.query_counts import count_queries

pytestmark = pytest.mark.django_db


def download(client, reports) -> tuple[int, bytes]:
    query = urlencode({"reports": [r.pk for r in reports], "as_of": "2031-12-31", "format": "xlsx"}, doseq=True)
    n, response = count_queries(client, f"{reverse('findings:status_report')}?{query}")
    return n, response.content


def test_downloaded_excel_queries_do_not_grow_with_reports_or_rows(client, make_user, report):
    import io

    client.force_login(make_user("q_auditor"))
    small = [report, bulk_report(3, code="q-small")]
    n_small, content = download(client, small)
    large = small + [bulk_report(40, code=f"q-large-{i}") for i in range(4)]
    n_large, content_large = download(client, large)
    assert n_small == n_large, (n_small, n_large)
    # session, user, the form's choices, the status report's rows (with the hand-overs after the date), one per
    # data sheet
    assert n_large <= 17
    # and the large one holds every report's rows: 33 + 3 + 4 × 40 findings, each report's budget lines
    book = load_workbook(io.BytesIO(content_large))
    assert book["指摘・意見"].max_row == 1 + 33 + 3 + 160
    fields = [r[0] for r in book["DX予算"].iter_rows(min_row=2, values_only=True)]
    assert fields.count("合成") == 5 * 2 + 5  # two lines and one 分野 total per synthetic report
