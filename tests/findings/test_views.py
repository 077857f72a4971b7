"""Findings pages: access, filters, verbatim display, CSV = filtered rows, bounded queries."""

import csv
import io

import pytest
from django.urls import reverse

from findings.models import Finding
from tests.factories import bulk_report
from tests.query_counts import count_queries

pytestmark = pytest.mark.django_db

LIST = reverse("findings:finding_list")
CSV = reverse("findings:finding_export_csv")


def codes(response):
    return [f.code for f in response.context["page"]]


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "CSV must start with a BOM so that Excel reads UTF-8"
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


@pytest.mark.parametrize("url", [LIST, CSV, reverse("findings:finding_detail", args=[1])])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_shows_every_finding_of_both_reports(auditor_client):
    response = auditor_client.get(LIST)
    assert response.status_code == 200
    assert response.context["total"] == 35  # 33 of 令和6年度 + 2 of 令和3年度
    # newest report first (issue 14: the 令和3年度 items came before 指摘01), each in its report's order
    assert codes(response)[:4] == ["指摘01", "指摘02", "指摘03", "意見01"]
    assert codes(response)[-2:] == ["意見1", "意見2"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=指摘", {"指摘01", "指摘02", "指摘03"}),
        ("q=最低制限価格", {"意見04"}),
        ("q=ＩＤ　パスワード&kind=指摘", {"指摘01", "指摘02", "指摘03"}),  # all three 指摘 are about IDs/passwords
    ],
)
def test_filters_and_search(auditor_client, report, query, expected):
    response = auditor_client.get(f"{LIST}?report={report.pk}&{query}")
    assert set(codes(response)) == expected


def test_search_folds_width_and_case(auditor_client, report):
    def found(q):
        return set(codes(auditor_client.get(f"{LIST}?report={report.pk}&q={q}")))

    half = found("ID パスワード")
    assert {"指摘01", "指摘02", "指摘03"} <= half
    assert found("ＩＤ　パスワード") == half  # full-width letters and ideographic space
    assert found("id パスワード") == half  # case
    assert found("ｼｽﾃﾑ") == found("システム")  # half-width katakana


def test_area_filter_counts_match_the_report(auditor_client, report):
    dx = auditor_client.get(f"{LIST}?report={report.pk}&area=DX").context["total"]
    systems = auditor_client.get(f"{LIST}?report={report.pk}&area=情報システム").context["total"]
    assert (dx, systems) == (11, 22)  # 意見 DX 11; 情報システム 意見 19 + 指摘 3


def test_system_filter_finds_findings_raised_against_it(auditor_client, report):
    system = report.systems.get(number=6)  # クラウド型市公式ホームページ管理システム
    response = auditor_client.get(f"{LIST}?report={report.pk}&system={system.pk}")
    assert set(codes(response)) == {"指摘01", "意見18"}


def test_bureau_and_section_filters(auditor_client, report):
    from auditreg.models import Section

    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    by_section = set(codes(auditor_client.get(f"{LIST}?report={report.pk}&section={section.pk}")))
    assert by_section == {"指摘01", "意見16", "意見17", "意見18"}
    by_bureau = set(codes(auditor_client.get(f"{LIST}?report={report.pk}&bureau={section.bureau_id}")))
    assert by_section < by_bureau  # 交通政策課 and 地域力再生課 are in 都市政策局 too


def test_invalid_filter_value_is_a_message_not_an_error(auditor_client):
    response = auditor_client.get(f"{LIST}?kind=違反&report=abc&q={'x' * 500}")
    assert response.status_code == 200
    form = response.context["filterset"].form
    assert set(form.errors) >= {"kind", "report", "q"}
    assert "正しく選択してください" in response.content.decode() or "選択" in str(form.errors["kind"])


def test_csv_has_exactly_the_filtered_rows(auditor_client, report):
    rows = read_csv(auditor_client.get(f"{CSV}?report={report.pk}&kind=意見&area=DX"))
    assert rows[0][:3] == ["報告書", "公表日", "番号"]
    assert [r[2] for r in rows[1:]] == [f"意見{i:02d}" for i in range(1, 12)]
    assert rows[1][1] == "令和7年4月11日"


def test_detail_shows_the_verbatim_text_and_subjects(auditor_client, report):
    finding = Finding.objects.get(report=report, code="意見04")
    response = auditor_client.get(reverse("findings:finding_detail", args=[finding.pk]))
    html = response.content.decode()
    assert "最低制限価格の設定根拠の明確化" in html
    assert finding.recommendation.splitlines()[0][:40] in html
    for project in finding.subjects.values_list("project__name", flat=True):
        assert project.replace("（", "（") in html
    assert "報告書に記載なし" in html  # 意見04 names no responsible section


def test_detail_escapes_text(auditor_client, report):
    finding = Finding.objects.get(report=report, code="意見01")
    finding.recommendation = "<script>alert(1)</script>"
    finding.save()
    html = auditor_client.get(reverse("findings:finding_detail", args=[finding.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_unknown_finding_is_404(auditor_client):
    assert auditor_client.get(reverse("findings:finding_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("url", [LIST, f"{LIST}?q=システム&kind=意見", CSV])
def test_list_and_csv_query_count_does_not_grow_with_rows(auditor_client, url):
    auditor_client.get(url)  # warm: the city's settings and codes are cached per process
    small, _ = count_queries(auditor_client, url)
    bulk_report(300)
    large, response = count_queries(auditor_client, url)
    assert large == small, f"{url}: {small} queries with the report, {large} with 300 more findings"
    # session + user, count, rows (status label inside), 2 prefetches, 3 filter option lists (the CSV: none)
    assert large <= 10  # + the kinds and areas (data tables) read with the other option lists


def test_detail_query_count_is_bounded(auditor_client, report):
    finding = Finding.objects.get(report=report, code="意見04")
    n, _ = count_queries(auditor_client, reverse("findings:finding_detail", args=[finding.pk]))
    assert n <= 10


def test_report_pages_show_the_publication_in_wareki(auditor_client, report):
    html = auditor_client.get(reverse("findings:report_list")).content.decode()
    assert "令和6年度" in html and "令和7年4月11日" in html and "金沢市監査公表第8号" in html
    response = auditor_client.get(reverse("findings:report_detail", args=[report.code]))
    html = response.content.decode()
    assert "令和6年6月11日から令和7年3月12日まで" in html  # 第1 5. 外部監査の実施期間
    assert "令和7年3月27日" in html and "越田 圭" in html and "令和5年度" in html
    counts = {(c["kind"], c["area"]): c["n"] for c in response.context["report"].counts}
    assert counts == {("指摘", "情報システム"): 3, ("意見", "DX"): 11, ("意見", "情報システム"): 19}
    assert "市民協働に関する財務事務の執行について" in html  # the earlier (令和3年度) audit it refers to


@pytest.mark.parametrize("name", ["findings:report_list", "findings:report_detail", "findings:finding_list"])
def test_page_title_is_plain_text(auditor_client, report, name):
    import re

    url = reverse(name, args=[report.code]) if name.endswith("detail") else reverse(name)
    html = auditor_client.get(url).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and "auditreg" in title, title
