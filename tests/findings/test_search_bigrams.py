"""Short Japanese search terms (issue #16): on PostgreSQL the bigram GIN index narrows the search,
on SQLite it is a plain LIKE; on both the results are exactly those of LIKE (every whitespace-
separated term occurs in the NFKC-folded search key), checked against an independent Python filter."""

import datetime

import pytest
from django.db import connection

from auditreg.search import search_key
from findings.models import AuditReport, Finding, bigram_tsquery

pytestmark = pytest.mark.django_db

TEXTS = [
    "情報資産台帳が作成されていない。",
    "台帳の整備を進める",
    "学校給食の委託契約",
    "給食",
    "食",
    "ＩＤ が削除されずに残っている（パスワード）",
    "id と pw",
    "O'Reilly の本 \\ 円記号",
    "100％ の達成",
    "改行を\nまたぐ 台\n帳",
    "",
]
TERMS = [
    "台帳",
    "台",
    "食",
    "給食",
    "学校給食",
    "台帳 整備",
    "ID",
    "ｉｄ",
    "id pw",
    "O'Re",
    "'",
    "\\ 円",
    "100%",
    "%",
    "_",
    "台帳の整備を進める 台帳",
    "存在しない語",
    "帳が",
    "\n",
    "  台帳  ",
]


@pytest.fixture
def findings(db):
    report = AuditReport.objects.create(
        code="search-test", kind="定期監査", fiscal_year=2030, theme="検索", published_on=datetime.date(2031, 3, 1)
    )
    made = []
    for i, body in enumerate(TEXTS):
        f = Finding(
            report=report,
            code=f"意見{i + 1}",
            key=f"意見{i + 1}",
            kind="意見",
            number=i + 1,
            order=i + 1,
            area="DX",
            title="表題",
        )
        f.detected = body
        f.search_text = f.build_search_text()
        f.save()
        made.append(f)
    return made


def expected(findings, text):
    terms = search_key(text).split()
    return {f.pk for f in findings if all(t in f.search_text for t in terms)}


@pytest.mark.parametrize("text", TERMS)
def test_search_equals_like_and_python(findings, text):
    scope = Finding.objects.filter(report__code="search-test")
    got = set(scope.search(text).values_list("pk", flat=True))
    like = scope
    for term in search_key(text).split():
        like = like.filter(search_text__contains=term)
    assert got == set(like.values_list("pk", flat=True)) == expected(findings, text)


def test_bigram_tsquery_quotes_every_lexeme():
    assert bigram_tsquery(["台帳"]) == "'台帳'"
    assert bigram_tsquery(["学校給食"]) == "'学校' & '校給' & '給食'"
    assert bigram_tsquery(["o're"]) == "'''r' & 'o''' & 're'"
    assert bigram_tsquery(["a\\b"]) == "'\\\\b' & 'a\\\\'"
    assert bigram_tsquery(["台"]) == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bigram index is PostgreSQL's")
def test_search_bigrams_function_and_index(findings):
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_bigrams(%s)::text", ["学校給食 の\n委託"])
        lexemes = set(cursor.fetchone()[0].replace("'", "").split())
    assert lexemes == {"学校", "校給", "給食", "の", "委託"} - {"の"}  # no pair with whitespace
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # a table this small: make the planner show a bitmap
        sql, params = Finding.objects.search("給食").order_by().values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "finding_search_bigram" in plan, plan
    # the stored column is search_bigrams(search_text), kept by PostgreSQL on every write
    f = findings[2]
    f.search_text = "ごみ収集"
    f.save()
    assert set(Finding.objects.search("み収").values_list("pk", flat=True)) == {f.pk}
