"""What tests/findings/test_report_*.py check the imported findings against, typed from the printed report
(kanazawa-gazette-3177-2.txt; "L145" = line 145 of shared/report/kanazawa-gazette-3177-2.txt): the 第2
list, body titles, subjects and responsible sections; and the helpers both modules use (the report_text
fixture is in conftest.py)."""

import re
from pathlib import Path

from django.conf import settings

from findings.models import Finding

REPORT_TEXT = Path(settings.BASE_DIR).parent / "shared" / "report" / "kanazawa-gazette-3177-2.txt"
REPAIRS_CSV = Path(settings.REPORT_FIXTURE_DIR) / "repairs.csv"
MAIN = "kanazawa-2024-dx"
EARLIER = "kanazawa-2021-citizen"

ID_GROUP = "情報システムにおける ID やパスワードの管理に関するもの"  # L152 (the 指摘 have no heading of their own)
DX_PLAN = "金沢市 DX アクションプランに関するもの"  # L160
MAAS = "金沢 MaaS 推進事業に関するもの"  # L164
MIN_PRICE = "最低制限価格に関するもの"  # L167
YUI_NET = "地域活動発信アプリ（結ネット等）の普及促進事業に関するもの"  # L115
ITAKU = "事業の委託に関するもの"  # L118
SME = "中小企業デジタル人材拡充事業に関するもの"  # L124
RESKILL = "大学連携リスキリング促進助成事業に関するもの"  # L127
GENERAL = "全般事項に関するもの"  # L131
AI_GUIDE = "AI 活用行政情報自動案内システムに関するもの"  # L137
HOMEPAGE = "クラウド型市公式ホームページ管理システムに関するもの"  # L141
KIKAN = "基幹情報システムに関するもの"  # L172
BUNSHO = "文書管理財務会計システムに関するもの"  # L177
TAINO = "市税滞納管理システムに関するもの"  # L182
ZEIMU = "税務システムに関するもの"  # L187
COUPON = "かなざわ子育てすまいるクーポン (電子版) 管理システムに関するもの"  # L195
GOMI = "家庭ごみ 24 時間 AI サポートシステムに関するもの"  # L201
GIGA = "GIGA スクール授業支援システムに関するもの"  # L206

SYS = "情報システム"

# 第2 2. 指摘、意見の一覧表: (code, kind, area, group heading, title as listed, page, list line)
FINDING_LIST = [
    ("指摘01", "指摘", SYS, ID_GROUP, "ID・パスワードの管理（クラウド型市公式ホームページ管理システム）", 80, 154),
    ("指摘02", "指摘", SYS, ID_GROUP, "ID・パスワードの管理（スマート窓口システム）", 100, 155),
    ("指摘03", "指摘", SYS, ID_GROUP, "管理者 ID の管理（GIGA スクール授業支援システム）", 111, 156),
    ("意見01", "意見", "DX", DX_PLAN, "KPI の補完的分析", 42, 162),
    ("意見02", "意見", "DX", DX_PLAN, "参考指標の追加", 42, 163),
    ("意見03", "意見", "DX", MAAS, "金沢 MaaS コンソーシアムの情報開示", 43, 166),
    ("意見04", "意見", "DX", MIN_PRICE, "最低制限価格の設定根拠の明確化（スマート林業推進事業）", 45, 169),
    ("意見05", "意見", "DX", YUI_NET, "地域活動発信アプリ（結ネット等）に関する補助対象経費の範囲", 46, 117),
    ("意見06", "意見", "DX", ITAKU, "シビックテック推進事業を委託した効果の明確化", 48, 120),
    ("意見07", "意見", "DX", ITAKU, "金沢ミュージアムプラス運営事業を委託した効果の明確化", 49, 121),
    ("意見08", "意見", "DX", ITAKU, "金沢版子供プログラミング教育の実践事業を委託した効果の明確化", 50, 122),
    ("意見09", "意見", "DX", SME, "中小企業デジタル人材拡充事業に関する十分な広報の実施", 51, 126),
    ("意見10", "意見", "DX", RESKILL, "真正性を判別しやすい証明書の提出", 52, 129),
    ("意見11", "意見", "DX", RESKILL, "助成対象の講座の周知", 53, 130),
    ("意見12", "意見", SYS, GENERAL, "情報セキュリティ会議の開催", 73, 133),
    ("意見13", "意見", SYS, GENERAL, "金沢市情報システム化事務処理要綱の見直し", 73, 134),
    ("意見14", "意見", SYS, GENERAL, "端末の放置によるデメリットの意識付け", 74, 135),
    ("意見15", "意見", SYS, GENERAL, "テレワーク用ソフトウェアライセンスの稼働状況", 74, 136),
    ("意見16", "意見", SYS, AI_GUIDE, "標準 QA の見直し", 77, 139),
    ("意見17", "意見", SYS, AI_GUIDE, "質問ログに基づく回答カテゴリの分析", 77, 140),
    ("意見18", "意見", SYS, HOMEPAGE, "クラウド型市公式ホームページ管理システムの監視項目と報告項目の関係", 81, 143),
    ("意見19", "意見", SYS, KIKAN, "リカバリ訓練の方法", 85, 175),
    ("意見20", "意見", SYS, BUNSHO, "変更内容一覧表と課題管理表の関連付け", 88, 180),
    ("意見21", "意見", SYS, TAINO, "情報セキュリティポリシー及び情報システムに係る具体的な運用の手順の改正", 91, 185),
    ("意見22", "意見", SYS, ZEIMU, "宿泊税の電子申告の周知", 96, 190),
    ("意見23", "意見", SYS, ZEIMU, "宿泊税関係書類の一律送付", 97, 191),
    ("意見24", "意見", SYS, ZEIMU, "宿泊税に係る延滞金の徴収", 97, 192),
    ("意見25", "意見", SYS, ZEIMU, "宿泊税の実地調査手法", 98, 193),
    ("意見26", "意見", SYS, COUPON, "パスワードの記憶機能使用禁止の周知", 103, 198),
    ("意見27", "意見", SYS, COUPON, "保守管理業務に関する仕様書の記載", 103, 199),
    ("意見28", "意見", SYS, GOMI, "情報資産台帳の作成漏れ", 108, 204),
    ("意見29", "意見", SYS, GIGA, "予備機の管理", 111, 209),
    ("意見30", "意見", SYS, GIGA, "情報資産台帳の作成漏れ", 112, 210),
]
ALL_CODES = [row[0] for row in FINDING_LIST]

# Line of each finding's ③ heading in the body ("③ 意見 01 《…》", "③指摘01《…》", …).
RECOMMENDATION_LINES = {
    "指摘01": 2543, "指摘02": 3216, "指摘03": 3579,
    "意見01": 1335, "意見02": 1349, "意見03": 1446, "意見04": 1463, "意見05": 1509, "意見06": 1531,
    "意見07": 1614, "意見08": 1594, "意見09": 1690, "意見10": 1659, "意見11": 1741, "意見12": 2355,
    "意見13": 2375, "意見14": 2329, "意見15": 2345, "意見16": 2490, "意見17": 2504, "意見18": 2645,
    "意見19": 2791, "意見20": 2850, "意見21": 2927, "意見22": 3055, "意見23": 3130, "意見24": 3146,
    "意見25": 3113, "意見26": 3333, "意見27": 3349, "意見28": 3455, "意見29": 3565, "意見30": 3595,
}  # fmt: skip

# Titles in 《》 in the body that differ from the 第2 list; every other finding's body title equals its listed title.
BODY_TITLES = {
    "指摘01": "ID・パスワードの管理",  # L2543 ③指摘01《ID・パスワードの管理》
    "指摘02": "ID・パスワードの管理",  # L3216
    "指摘03": "管理者 ID の管理",  # L3579
    "意見04": "最低制限価格の設定根拠の明確化",  # L1463
    "意見13": "市システム要綱の見直し",  # L2375
    "意見21": "実施手順の改正",  # L2927
}

# What each finding is raised against: ("system", No.) / ("project", 事業名) / ("general", None).
SUBJECTS = {
    "指摘01": [("system", 6)],  # L2450 section "3. クラウド型市公式ホームページ管理システム", No. 6 at L2453
    "指摘02": [("system", 56)],  # L3116/3119 スマート窓口システム No. 56
    "指摘03": [("system", 136)],  # L3489/3493 GIGA スクール授業支援システム No.136
    "意見01": [("general", None)],  # L1323 市 DX アクションプランに関する事項
    "意見02": [("general", None)],
    "意見03": [("project", "金沢 MaaS 推進事業")],  # L1423
    # L1389, L170 (the other three carry "意見 04 …に同じ" at L1716, L1836, L1891)
    "意見04": [
        ("project", "スマート林業推進事業"),
        ("project", "かなざわ子育てすまいるクーポン電子クーポン移行推進事業"),
        ("project", "ドローン活用防災・減災対策事業"),
        ("project", "水害ハザードマップ事業"),
    ],
    "意見05": [("project", "地域活動発信アプリ（結ネット等）の普及促進事業")],  # L1477
    "意見06": [("project", "シビックテック推進事業")],  # L1523
    "意見07": [("project", "金沢ミュージアムプラス運営事業")],  # L1539
    "意見08": [("project", "金沢版子供プログラミング教育の実践事業")],  # L1622
    "意見09": [("project", "中小企業デジタル人材拡充事業")],  # L1667
    "意見10": [("project", "大学連携リスキリング促進助成事業")],  # L1633
    "意見11": [("project", "大学連携リスキリング促進助成事業")],
    "意見12": [("general", None)],  # L1840 1. 全般事項
    "意見13": [("general", None)],
    "意見14": [("general", None)],
    "意見15": [("general", None)],
    "意見16": [("system", 5)],  # L2382
    "意見17": [("system", 5)],
    "意見18": [("system", 6)],  # L2453
    "意見19": [("system", 14)],  # L2653
    "意見20": [("system", 21)],  # L2733
    "意見21": [("system", 30)],  # L2858
    "意見22": [("system", 31)],  # L2933
    "意見23": [("system", 31)],
    "意見24": [("system", 31)],
    "意見25": [("system", 31)],
    "意見26": [("system", 87)],  # L3224
    "意見27": [("system", 87)],
    "意見28": [("system", 99)],  # L3401
    "意見29": [("system", 136)],  # L3493
    "意見30": [("system", 136)],
}

KOHO = ("都市政策局", "広報広聴課")
DIGITAL = ("総務局", "デジタル行政戦略課")
ZEIMU_KA = ("総務局", "税務課")
KOGYO = ("教育委員会事務局", "市立工業高等学校")
# Responsible sections as the report names them (所管課 rows of the subject's overview table).
SECTIONS = {
    "指摘01": {KOHO},  # L2458 所管課 都市政策局広報広聴課
    "指摘02": {("市民局", "市民課")},  # L3124
    "指摘03": {KOGYO},  # L3498
    "意見01": set(),  # DX plan in general: no section named
    "意見02": set(),
    "意見03": {("都市政策局", "交通政策課")},  # L1424
    "意見04": set(),  # L170: "最低制限価格の設定を所管する課が全庁的に措置を実施する" — that 課 is not named
    "意見05": {("市民局", "市民協働推進課")},  # L1478
    "意見06": {("市民局", "市民協働推進課")},  # L1524 (L123: 各事業を所管する課が措置を実施する)
    "意見07": {("文化スポーツ局", "文化政策課")},  # L1540
    "意見08": {("経済局", "産業政策課")},  # L1623
    "意見09": {("経済局", "産業政策課")},  # L1668
    "意見10": {("都市政策局", "地域力再生課")},  # L1634
    "意見11": {("都市政策局", "地域力再生課")},
    "意見12": set(),  # 全般事項 L1840: no section named
    "意見13": set(),
    "意見14": set(),
    "意見15": set(),
    "意見16": {KOHO},  # L2387
    "意見17": {KOHO},
    "意見18": {KOHO},  # L2458
    "意見19": {DIGITAL},  # L2610
    "意見20": {DIGITAL},  # L2738
    "意見21": {ZEIMU_KA},  # L2863
    "意見22": {ZEIMU_KA},  # L2938
    "意見23": {ZEIMU_KA},
    "意見24": {ZEIMU_KA},
    "意見25": {ZEIMU_KA},
    "意見26": {("こども未来局", "子育て支援課")},  # L3264
    "意見27": {("こども未来局", "子育て支援課")},
    "意見28": {("環境局", "ごみ減量推進課")},  # L3406
    "意見29": {KOGYO},  # L3498
    "意見30": {KOGYO},
}

SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹⁰"


def _squash(text):
    """Drop whitespace (the extraction's hard wraps and stray spaces) and footnote superscripts."""
    return re.sub(r"[\s\u3000" + SUPERSCRIPTS + "⁽⁾]", "", text)


def _finding(code, report_code=MAIN):
    return Finding.objects.select_related("report", "group").get(report__code=report_code, code=code)
