"""The imported findings checked against the printed report (kanazawa-gazette-3177-2.txt).

Every expected value below was typed from the report text, not from the fixture files; the comment
next to it gives the report line ("L145" = line 145 of shared/report/kanazawa-gazette-3177-2.txt).
repairs.csv is read only to know which finding texts were repaired (and so cannot be found verbatim).
"""

import csv
import datetime
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from findings.models import AuditReport, Finding, StatedTotal

pytestmark = pytest.mark.django_db

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

# (code, field, sentence typed from the report). Several of these were printed in pieces (out-of-order
# page fragments) and had to be rejoined by the fixtures — see the line numbers.
SENTENCES = [
    # L2545-2547 (hard wraps joined)
    (
        "指摘01",
        "recommendation",
        "所管課が各課において同一人が作成者 ID と承認者 ID を使用できないような対策が講じられているかどうかを把握し、"
        "市の公式ウェブサイトの更新に係る権限分掌が適切に行われているかどうかを把握する必要がある。",
    ),
    # L3218
    (
        "指摘02",
        "recommendation",
        "応援職員用IDは、使用実績が無いとのことであり、また、現状ではパスワードが実施手順を遵守しているものでは"
        "ないことから、至急削除する必要がある。",
    ),
    # L3581
    ("指摘03", "recommendation", "旧校長 ID の名称を実際の使用者に合わせたものに修正する必要がある。"),
    # L1329 (金沢ミュージアム* is the extraction of 金沢ミュージアム+, cf. L718; footnote ²⁴ dropped)
    (
        "意見01",
        "detected",
        "金沢ミュージアム+はコンテンツが多いため、コンテンツの閲覧数を重視し、ビュー数としたことである。",
    ),
    # L1351 "…どの程度寄" continued at L1417 "与したのかを…" (out-of-order fragment)
    (
        "意見02",
        "recommendation",
        "しかし、ペーパーレス化の取組みを進めて歳出を削減することにより、市の財政にどの程度寄与したのかを"
        "測定できるのであれば、削減枚数だけでなく、削減金額も記載する必要がある。",
    ),
    # L1448
    ("意見03", "recommendation", "事務費について勘定科目に細分化した形で収支報告を行う必要がある。"),
    # L1454 (基つき is OCR damage of 基づき)
    ("意見04", "detected", "金沢市契約規則第 15 条に基づき、最低制限価格が設定できる契約であることから"),
    # L1469-1471 (hard wraps joined)
    (
        "意見04",
        "recommendation",
        "最低制限価格を設定する契約を執行する際は、その設定根拠となる条文を執行時に記載するなど、"
        "事務誤りを予防する措置を講じる必要がある。",
    ),
    # L1533 (③ printed before ① and ② at L1561-1573)
    (
        "意見06",
        "recommendation",
        "シビックテック協議会に委託した効果を明確にしておき、今後の事業管理に活かす必要がある。",
    ),
    # L1573
    ("意見06", "problem", "シビックテック協議会の会長及び委員に相談した事項の記録が不十分である。"),
    # L1688 (kept as printed: ことにより is printed ことににより)
    ("意見09", "problem", "助成要件が厳格すぎることににより、事業の執行に至っていない可能性がある。"),
    # L1735
    ("意見11", "detected", "令和 5 年度の助成 17 件のうち、15 件が A 大学、2 件が B 大学の講座となっており"),
    # L2283 continued at L2349 (out-of-order fragment)
    (
        "意見12",
        "detected",
        "しかし、令和3年6月に、市セキュリティ対策基準の改正について審議したのを最後に、監査時点まで開催実績がない。",
    ),
    # L2377 "しかし、市シ" continued at L2317 "テム要綱が…" (ス lost at the fragment boundary)
    (
        "意見13",
        "recommendation",
        "しかし、市システム要綱が実態に即していないため、実態に即した運用となるよう市システム要綱の規定を見直す必要がある。",
    ),
    # L2347
    ("意見15", "recommendation", "一切使用されていないと思われるものが、65ライセンスあった。"),
    # L2492 ("2, 045" with the extraction's stray space)
    ("意見16", "recommendation", "標準 QA は、監査時点で 2,045 用意されており"),
    # L2506 "…ことで、回答内容" continued at L2448 "を更新する際の優先順位…" (out-of-order fragment)
    (
        "意見17",
        "recommendation",
        "回答内容を更新する際の優先順位を設定し、AI の活用による行政情報の自動案内を市民にとって、"
        "より有効なものとしていく必要がある。",
    ),
    # L2556 continued at L2632 (list printed after the 基幹情報システム fragments; footnotes ³³ ³⁴ dropped)
    ("意見18", "detected", "・不正侵入検知（ワームや Dos 攻撃等の不正なパケットの検出）"),
    # L2793 "…など、本番環境" continued at L2727 "に影響を与えない形で…" (out-of-order fragment)
    (
        "意見19",
        "recommendation",
        "テスト環境においてリカバリを実施するなど、本番環境に影響を与えない形でリカバリ訓練を実施し、"
        "実際の障害発生に備えておく必要がある。",
    ),
    # L2852
    ("意見20", "recommendation", "変更内容一覧表と課題管理表に共通した連番を設けるなどして"),
    # L2928
    ("意見21", "recommendation", "市税滞納管理システムの実施手順を、現行の運用に即した内容に改正する必要がある。"),
    # L3049
    (
        "意見22",
        "detected",
        "そのうち金沢市電子申請サービスによる電子申告が 144 件、eLTAX による電子申告が 37 件となっている。",
    ),
    # L3132 (③ printed after the スマート窓口システム overview table, away from ① ② at L3061-3067)
    (
        "意見23",
        "recommendation",
        "特別徴収義務者に意思確認を行い、宿泊税関係書類の送付が不要な者については、宿泊税関係書類の出力の対象から"
        "除外する等して、宿泊税関係書類に関する費用の削減に努める必要がある。",
    ),
    # L3150
    ("意見24", "recommendation", "税負担の公平性の観点からも延滞金の徴収を徹底すべきである。"),
    # L3156 "…実地調査の調査項" continued at L3101 "目は、…" (out-of-order fragment)
    (
        "意見25",
        "detected",
        "実地調査の調査項目は、「金沢市宿泊税実地調査要領」に定められているが、以下の6項目であり、"
        "税額計算の正確性は調査項目とされていない。",
    ),
    # L3107
    ("意見25", "detected", "・特別徴収義務者の登録内容"),
    # L3337
    ("意見26", "recommendation", "各市外施設に対し、今後はパスワード記憶機能を使用しないように周知する必要がある。"),
    # L3448
    ("意見28", "detected", "有料戸別収集業務に用いるタブレット端末の反映が漏れていた。"),
    # L3559
    ("意見29", "detected", "予備機として 40 台の端末があり、うち 18 台は各クラスに 1 台ずつ保管（3 学年×6 クラス）"),
    # L3589
    ("意見30", "detected", "・情報資産台帳の別図第 1 号（機器配置図）に記載されていないハードウェアがあった。"),
]

# Where each ① 検出事項 starts and ends, the whole ② 問題点, and where each ③ starts and ends, typed from the report
# (checks that no part of a text was lost or mixed in when fragments were put back together).
# code: (① start, ① end, ②, ③ start, ③ end)
TEXT_BOUNDS = {
    "指摘01": (  # L2533-2537, L2541, L2545-2549
        "各課に作成者 ID と承認者 ID を付与しているが",
        "各課が当該規定を遵守しているかどうか把握していない。",
        "ID・パスワードの管理について、実施手順を遵守していない。",
        "所管課が各課において",
        "権限を付与されない者によるアクセスが容易になっているかどうかを把握する必要がある。",
    ),
    "指摘02": (  # L3210, L3214, L3218
        "スマート窓口システムでは、市民の個人情報を取り扱っている。",
        "応援職員用IDのパスワードは、当該規定を遵守していない。",
        "ID・パスワードの管理について、実施手順を遵守していない。",
        "応援職員用IDは",
        "至急削除する必要がある。",
    ),
    "指摘03": (  # L3573, L3577, L3581
        "GIGA スクール授業支援システム導入当初に校長であった者の ID",
        "厳格に管理されている。",
        "実際の使用者と付与された者が異なる ID が残存している。",
        "旧校長 ID は、実情として",
        "修正する必要がある。",
    ),
    "意見01": (  # L1329, L1333, L1337
        "文化関連デジタルコンテンツの閲覧数が17万件とあり",
        "ビュー数としたことである。",
        "ビュー数の増減だけでは、訪問者がどの程度増減したのか、コンテンツの追加がビュー数にどの程度影響を与えたのか"
        "不明確である。",
        "ビュー数だけでは",
        "ビュー数と訪問者数の相関関係も含めて分析する必要がある。",
    ),
    "意見02": (  # L1343, L1347, L1351 + L1417
        "市 DX アクションプランの参考指標とは",
        "削減枚数で示されている。",
        "参考指標と市の財政への寄与度の関係が不明確である。",
        "プリント削減枚数(紙使用量)は、複合機の",
        "削減金額も記載する必要がある。",
    ),
    "意見03": (  # L1440, L1444, L1448
        "金沢 MaaS コンソーシアムの令和5年度における事業計画",
        "事務費について勘定科目に細分化されて開示されている。",
        "金沢 MaaS コンソーシアム全体の財務状況が不明確である。",
        "令和6年度から正会員より",
        "事務費について勘定科目に細分化した形で収支報告を行う必要がある。",
    ),
    "意見04": (  # L1454-1457, L1461, L1465-1471
        "金沢市森林資源解析及び市営造林運用計画等策定業務は",
        "最低制限価格の設定根拠となる条文が明記されていない。",
        "最低制限価格の設定の妥当性に気づきにくい状況となっている。",
        "最低制限価格の設定は、20 種類の契約",
        "事務誤りを予防する措置を講じる必要がある。",
    ),
    "意見05": (  # L1494-1503, L1507, L1511-1517
        "本事業は、令和 3 年度の包括外部監査において意見が提出された。",
        "町会連合会により、内容がまちまちであった。",
        "補助対象経費が幅広いことから、補助対象範囲が不明確である。",
        "各町会連合会からの実績報告書を閲覧したところ、アプリの",
        "補助実績を踏まえて具体例を増やしていく必要がある。",
    ),
    "意見06": (  # L1563-1569, L1573, L1533
        "シビックテック推進事業は、市が任意団体である",
        "どのようなことを相談したのか記録が不十分である。",
        "シビックテック推進事業を委託しているシビックテック協議会の会長及び委員に相談した事項の記録が不十分である。",
        "シビックテック推進事業について、会長及び委員に",
        "今後の事業管理に活かす必要がある。",
    ),
    "意見07": (  # L1602-1608, L1612, L1616
        "金沢ミュージアムプラス運営事業は、市が任意団体である",
        "記録が不十分である。",
        "金沢ミュージアムプラス運営事業を委託しているミュージアム委員会の委員長及び委員に相談した事項の記録が"
        "不十分である。",
        "金沢ミュージアムプラス運営事業について",
        "今後の事業管理に活かす必要がある。",
    ),
    "意見08": (  # L1586-1588, L1592, L1596
        "金沢版子供プログラミング教育の実践事業は、市が任意団体である",
        "しかし、ディレクターへどのようなことを相談したのか記録が不十分である。",
        "金沢版子供プログラミング教育の実践事業を委託している IT ビジネス委員会のディレクターに相談した事項の記録が"
        "不十分である。",
        "金沢版子供プログラミング教育の実践事業について",
        "今後の事業管理に活かす必要がある。",
    ),
    "意見09": (  # L1684, L1688, L1692
        "リスキリングに取り組む市内中小企業を応援する目的の助成事業で",
        "しかし、令和 5 年度において、申請実績がなかった。",
        "助成要件が厳格すぎることににより、事業の執行に至っていない可能性がある。",
        "所管課が実施した専門学校へのヒアリング",
        "十分に広報をする必要がある。",
    ),
    "意見10": (  # L1653, L1657, L1661
        "大学連携リスキリング促進助成事業において",
        "顔は不鮮明でも問題がないことであった。",
        "ID カードの真正性を判別するのが困難であるため、事務の効率性を害する可能性がある。",
        "「市内の事業者に勤務する者」からの申請",
        "証明書の提出を求める必要がある。",
    ),
    "意見11": (  # L1735, L1739, L1743
        "大学連携リスキリング促進助成事業の助成は",
        "A 大学の講座に集中している。",
        "特定の大学の講座に集中することで、講座の分野が偏ってしまい、大学連携リスキリング促進助成事業の有効性が"
        "減殺されている可能性がある。",
        "現在は、市公式 LINE",
        "対象となる講座をより広く周知する必要がある。",
    ),
    "意見12": (  # L2283 + L2349, L2353, L2357
        "市セキュリティ規則に基づき、情報セキュリティ会議が置かれており",
        "監査時点まで開催実績がない。",
        "情報セキュリティ会議が活用されていない。",
        "市セキュリティ対策基準の改定を審議する場合だけ",
        "定期的に開催する必要がある。",
    ),
    "意見13": (  # L2363-2369, L2373, L2377 + L2317
        "情報システムの開発及び既存の情報システムの変更をしようとする課は",
        "該当性の判断指針が規定されていない。",
        "「小規模システム」や「事務配分の適正化等に係る重要」という点に関する該当性の判断指針が不明確となっており、"
        "市システム要綱が実態に即していない。",
        "現時点では「小規模システム」",
        "市システム要綱の規定を見直す必要がある。",
    ),
    "意見14": (  # L2323, L2327, L2331-2333
        "市セキュリティ対策基準第22条によると",
        "まとめて回収した事例があった。",
        "事務に活用されない端末が発生している。",
        "過年度退職の職員用端末については",
        "職員への意識付けを徹底する必要がある。",
    ),
    "意見15": (  # L2339, L2343, L2347
        "職員のテレワーク用ソフトウェアライセンスとして",
        "106ライセンスが未稼働となっている。",
        "職員の勤務状況を勘案すると、不要なライセンスが存在する可能性がある。",
        "「Soliton Secure Desktop」の管理台帳を入手し",
        "必要に応じて見直す必要がある。",
    ),
    "意見16": (  # L2484, L2488, L2492
        "AI 活用行政情報自動案内システムは、行政サービスの手続や制度に関する質問について",
        "「対象外」とされているデータが散見された。",
        "AI 活用行政情報自動案内システムが市民のニーズを十分に満たしていない可能性がある。",
        "標準 QA は、監査時点で",
        "見直しを実施するよう働きかけを行っていく必要がある。",
    ),
    "意見17": (  # L2498, L2502, L2506 + L2448
        "市民からの質問のログはテキストデータで出力可能であるが",
        "回答カテゴリの分析を行っていない。",
        "回答内容の更新に質問ログが活用されていない。",
        "質問ログは令和 6 年 3 月のもので",
        "より有効なものとしていく必要がある。",
    ),
    "意見18": (  # L2555-2556 + L2632-2639, L2643, L2647
        "「クラウド型市公式ホームページ管理システム運用保守業務委託仕様書」によると",
        "仕様書の監視項目と整合していない点がある。",
        "クラウド型市公式ホームページ管理システム運用保守業務委託仕様書における監視項目が、業務結果完了報告書に"
        "相当する資料に反映されていない。",
        "「クラウド型市公式ホームページ管理システム運用保守業務委託仕様書」における監視項目と",
        "委託先に求める必要がある。",
    ),
    "意見19": (  # L2785, L2789, L2793 + L2727
        "年に一度、全庁向け緊急時参集訓練に併せて",
        "リカバリ手順の確認に止まっている。",
        "実際に障害が発生した場合、有効かつ効率的にリカバリを実施できない可能性がある。",
        "本番環境でリカバリ訓練を実施すると",
        "実際の障害発生に備えておく必要がある。",
    ),
    "意見20": (  # L2844, L2848, L2852
        "変更内容一覧表は、プログラムの変更管理についての記録で",
        "どの課題を解決するために変更を行ったのかわからない。",
        "プログラム変更がどの所管課からのどのような要望に基づき実施されたのかわからない。",
        "変更内容一覧表と課題管理表の関係が不明確",
        "プログラム変更の正当性を担保する必要がある。",
    ),
    "意見21": (  # L2923, L2926, L2928
        "実施手順において、「古いパスワードの再使用又は循環しての使用をしないこと。」とされているが",
        "パスワードの再使用が可能となっている。",
        "古いパスワードの再使用又は循環しての使用をしないというルールが現行の運用と整合していない可能性がある。",
        "「古いパスワードの再使用又は循環しての使用をしないこと。」という規定は",
        "現行の運用に即した内容に改正する必要がある。",
    ),
    "意見22": (  # L3049, L3053, L3057
        "宿泊税の申告が必要な施設単位の件数は",
        "宿泊税に係る事務が効率化できると考えられる。",
        "宿泊税に係る事務の効率化が徹底されていない。",
        "金沢市電子申請サービスによる電子申告は納入手続ができない",
        "選択できるように工夫する必要がある。",
    ),
    "意見23": (  # L3063, L3067, L3132
        "宿泊税納入申告書、宿泊税納入書、申告書発送一覧表",
        "電子申告を行う特別徴収義務者も含まれている。",
        "不要な書類を送付することにより余分な委託料が生じている。",
        "特別徴収義務者に意思確認を行い",
        "費用の削減に努める必要がある。",
    ),
    "意見24": (  # L3138-3140, L3144, L3148-3150
        "市の担当者は税務システムにおいて",
        "加算金や延滞金を課した実績がないことである。",
        "金沢市宿泊税条例に基づき、適切に宿泊税を申告、納入している者と比較すると、不公平な状況になっている。",
        "市は宿泊税について",
        "延滞金の徴収を徹底すべきである。",
    ),
    "意見25": (  # L3156 + L3101-3108, L3111, L3114
        "宿泊税の実地調査は、税務システムの登録データを元に",
        "・その他営業の状況等",
        "実地調査において、税額計算の検証が行われていない。",
        "宿泊税は、原則として宿泊数に応じて",
        "調査項目として設ける必要がある。",
    ),
    "意見26": (  # L3327, L3331, L3335-3337
        "かなざわ子育てすまいるクーポン（電子版）管理システムは、市の担当者だけでなく",
        "本人しか利用していないかどうかを確かめていない。",
        "市外施設の ID について、本人以外が使用した場合、パスワードが漏洩してしまう可能性がある。",
        "パスワード記憶機能自体を削除しようとする",
        "パスワード記憶機能を使用しないように周知する必要がある。",
    ),
    "意見27": (  # L3343, L3347, L3351
        "かなざわ子育てすまいるクーポン（電子版）管理システムに関するデータのバックアップは",
        "データのバックアップについて具体的に言及がない。",
        "かなざわ子育てすまいるクーポン（電子版）保守管理業務の範囲が不明確になっている。",
        "今後、「かなざわ子育てすまいるクーポン（電子版）保守管理業務委託 仕様書」に",
        "業務の範囲を明確にする必要がある。",
    ),
    "意見28": (  # L3446-3449, L3453, L3457
        "金沢市情報セキュリティ対策基準第 11 条に基づき",
        "・情報資産台帳の別図第 3 号（情報セキュリティ事故等発生時の連絡体制図）の作成が漏れていた。",
        "情報資産台帳が正確に作成されていない。",
        "情報資産台帳の作成漏れがあったことから",
        "情報資産台帳を適時に更新する必要がある。",
    ),
    "意見29": (  # L3559, L3563, L3567
        "生徒用端末には、生徒ごとに 1 台貸し出しているもののほか",
        "修理や取替えの予定はないとのことである。",
        "予備機が不足する可能性がある。",
        "端末の修理等管理一覧表を閲覧したところ",
        "台数を確保しておく必要がある。",
    ),
    "意見30": (  # L3587-3589, L3593, L3597
        "金沢市情報セキュリティ対策基準第 11 条に基づき",
        "・情報資産台帳の別図第 1 号（機器配置図）に記載されていないハードウェアがあった。",
        "情報資産台帳が正確に作成されていない。",
        "情報資産台帳の作成誤りがあったことから",
        "情報資産台帳を適時に更新する必要がある。",
    ),
}

SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹⁰"
# Extraction damage seen in the report text: 尾崎市 (L249, for 尼崎市), マイナパン(バー)カード (L416, L622),
# クーボン (L478, L765, L1749), 沒 (L824, L829), しぐみ (L2383), スキヤナ (L1501), 基つき (L1454), スベシヤル (L1546).
OCR_DAMAGE = [
    "尾崎市",
    "マイナパン",
    "マイナワン",
    "クーボン",
    "沒",
    "しぐみ",
    "スキヤナ",
    "基つき",
    "スベシヤル",
    "デバパイド",
]
FOREIGN_SCRIPT = re.compile(r"[\u0400-\u04ff\uac00-\ud7af]")  # Cyrillic (L409 デバйд) / Hangul (L2110)


def _squash(text):
    """Drop whitespace (the extraction's hard wraps and stray spaces) and footnote superscripts."""
    return re.sub(r"[\s\u3000" + SUPERSCRIPTS + "⁽⁾]", "", text)


@pytest.fixture(scope="module")
def report_text():
    if not REPORT_TEXT.exists():
        pytest.skip(f"report text not available at {REPORT_TEXT}")
    return REPORT_TEXT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def squashed_report(report_text):
    return _squash(report_text)


@pytest.fixture(scope="module")
def repaired_fields():
    """{(report code, finding code, field)} that repairs.csv says were repaired (not printed verbatim)."""
    skip = set()
    with REPAIRS_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["file"] != "findings.yaml":
                continue
            record = row["record"]
            report_code = EARLIER if record.startswith(EARLIER) else MAIN
            subject = record.split(" subject ", 1)[1].strip() if " subject " in record else None
            for code in re.findall(r"(?:指摘|意見)\s*\d+", record):
                code = code.replace(" ", "")
                for field in row["field"].split("/"):
                    field = field.strip()
                    if subject:
                        skip.add((report_code, code, f"{subject}:{field}"))
                    else:
                        skip.add((report_code, code, field))
    return skip


def _finding(code, report_code=MAIN):
    return Finding.objects.select_related("report", "group").get(report__code=report_code, code=code)


# -- counts ----------------------------------------------------------------------------------


def test_report_has_33_findings_3_shiteki_and_30_iken(report):
    # L152 指摘は以下の 3 件; L158 意見は合計 30 件
    assert report.findings.count() == 33
    assert report.findings.filter(kind="指摘").count() == 3
    assert report.findings.filter(kind="意見").count() == 30


def test_iken_split_11_dx_and_19_information_systems(report):
    # L158 DX に関するものは 11 件、情報システムに関するものは 19 件
    assert report.findings.filter(kind="意見", area="DX").count() == 11
    assert report.findings.filter(kind="意見", area=SYS).count() == 19
    # L152 the 3 指摘 concern ID/password management of information systems
    assert report.findings.filter(kind="指摘", area=SYS).count() == 3


def test_finding_codes_are_exactly_the_listed_ones(report):
    # L154-156, L162-210, L117-143: 指摘01-03 and 意見01-30
    assert sorted(report.findings.values_list("code", flat=True)) == sorted(ALL_CODES)


def test_findings_are_ordered_as_in_the_list(report):
    # 第2: 指摘 first (L151), then 意見 01..30 (L157)
    assert list(report.findings.order_by("order").values_list("code", flat=True)) == ALL_CODES


def test_stated_counts_match_the_report(report):
    # L152 (3 指摘), L158 (30 意見 = 11 DX + 19 情報システム), L751 (全部で162)
    counts = report.stated_counts
    assert counts["指摘"] == 3
    assert counts["意見"] == 30
    assert counts["意見_DX"] == 11
    assert counts["意見_情報システム"] == 19
    assert counts["systems"] == 162


def test_two_reiwa3_iken_belong_to_the_2021_citizen_report(report):
    # L1307-1318: 令和3年度包括外部監査における意見 — two rows, both on 報告書頁 33
    earlier = AuditReport.objects.get(code=EARLIER)
    assert list(report.earlier_reports.values_list("code", flat=True)) == [EARLIER]
    findings = list(earlier.findings.order_by("order"))
    assert [(f.code, f.kind, f.number) for f in findings] == [("意見1", "意見", 1), ("意見2", "意見", 2)]
    assert findings[0].title == "ランニング費用等の補助の見直し"  # L1314
    assert findings[1].title == "町会の「見える化」への検討"  # L1317
    assert [f.page for f in findings] == [33, 33]  # L1314, L1318
    assert [f.area for f in findings] == ["DX", "DX"]  # L1304 DX に関連すると考えられる意見


def test_2021_report_theme_and_2024_report_metadata(report):
    # L1309 「市民協働に関する財務事務の執行について」
    assert AuditReport.objects.get(code=EARLIER).theme == "市民協働に関する財務事務の執行について"
    assert AuditReport.objects.get(code=EARLIER).fiscal_year == 2021  # L1307 令和3年度
    assert report.theme == "DX 及び情報システムに関する財務事務の執行並びに事業管理について"  # L61
    assert report.fiscal_year == 2024  # 令和6年度 audit: L88 令和 6 年 6 月 11 日から
    assert report.target_fiscal_year == 2023  # L92 令和 5 年度
    assert report.audit_period_start == datetime.date(2024, 6, 11)  # L88
    assert report.audit_period_end == datetime.date(2025, 3, 12)  # L88 令和 7 年 3 月 12 日まで
    assert report.submitted_on == datetime.date(2025, 3, 27)  # L42 令和7年3月27日
    assert report.published_on == datetime.date(2025, 4, 11)  # L9, L33 令和7年4月11日
    assert report.auditor == "越田 圭"  # L96
    assert report.auditor_title == "公認会計士"  # L96
    assert report.assistants == [  # L98-99
        {"name": "宮本 研太", "title": "弁護士"},
        {"name": "山田 康二", "title": "税理士"},
    ]


# -- the 第2 list ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "kind", "area", "group", "title", "page", "line"), FINDING_LIST, ids=ALL_CODES)
def test_listed_finding_title_page_kind_area_and_group(report, code, kind, area, group, title, page, line):
    f = _finding(code)
    assert f.title == title, f"L{line}"
    assert f.page == page, f"L{line}"
    assert f.kind == kind
    assert f.number == int(code[2:])
    assert f.area == area
    assert f.group is not None and f.group.title == group


@pytest.mark.parametrize("code", ALL_CODES)
def test_body_title(report, code):
    f = _finding(code)
    listed = next(row[4] for row in FINDING_LIST if row[0] == code)
    expected = BODY_TITLES.get(code, listed)
    assert f.display_body_title == expected
    if code not in BODY_TITLES:
        assert f.body_title in ("", listed)


@pytest.mark.parametrize("code", ALL_CODES)
def test_source_line_is_the_recommendation_heading(report, report_text, code):
    f = _finding(code)
    assert f.source_line == RECOMMENDATION_LINES[code]
    printed = report_text.splitlines()[f.source_line - 1].replace(" ", "")
    assert printed.lstrip("- ").startswith("③") and code in printed


@pytest.mark.parametrize("code", ALL_CODES)
def test_subjects(report, code):
    f = _finding(code)
    got = []
    for s in f.subjects.select_related("project", "system").order_by("order"):
        if s.kind == "system":
            got.append(("system", s.system.number))
        elif s.kind == "project":
            got.append(("project", s.project.name))
        else:
            got.append((s.kind, None))
    assert got == SUBJECTS[code]


def test_iken04_repeats_say_same_as_iken04(report):
    # L1716, L1836, L1891: 「意見 04 《最低制限価格の設定根拠の明確化》に同じ。」 (spacing aside)
    subjects = list(_finding("意見04").subjects.order_by("order"))
    assert len(subjects) == 4
    printed = _squash("意見 04 《最低制限価格の設定根拠の明確化》に同じ。")
    assert [_squash(s.note) for s in subjects[1:]] == [printed] * 3
    assert subjects[0].note == ""


@pytest.mark.parametrize("code", ALL_CODES)
def test_responsible_sections(report, code):
    f = _finding(code)
    got = {(fs.section.bureau.name, fs.section.name) for fs in f.report_sections.select_related("section__bureau")}
    assert got == SECTIONS[code]


# -- verbatim text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "field", "sentence"), SENTENCES, ids=[f"{c}-{f}-{i}" for i, (c, f, _) in enumerate(SENTENCES)]
)
def test_distinctive_sentence_is_in_the_finding_text(report, code, field, sentence):
    assert sentence in getattr(_finding(code), field)


FIELDS = ["detected", "problem", "recommendation", "recorded_measure"]


@pytest.mark.parametrize(
    ("report_code", "code"),
    [(MAIN, c) for c in ALL_CODES] + [(EARLIER, "意見1"), (EARLIER, "意見2")],
    ids=[f"{MAIN}-{c}" for c in ALL_CODES] + [f"{EARLIER}-意見1", f"{EARLIER}-意見2"],
)
def test_every_paragraph_is_printed_in_the_report(squashed_report, repaired_fields, report_code, code):
    """Each paragraph of ①②③ occurs in the report once spaces, line breaks and footnote markers are dropped;
    fields with a repair recorded in repairs.csv are skipped (they are, by design, not verbatim)."""
    f = _finding(code, report_code)
    checked = 0
    for field in FIELDS:
        if (report_code, code, field) in repaired_fields:
            continue
        for paragraph in getattr(f, field).split("\n"):
            if paragraph.strip():
                assert _squash(paragraph) in squashed_report, f"{code} {field}: {paragraph!r}"
                checked += 1
    for s in f.subjects.select_related("project"):
        name = s.project.name if s.project_id else ""
        for field in ("detected", "problem"):
            if (report_code, code, f"{name}:subjects.{field}") in repaired_fields:
                continue
            for paragraph in getattr(s, field).split("\n"):
                if paragraph.strip():
                    assert _squash(paragraph) in squashed_report, f"{code} subject {name} {field}: {paragraph!r}"
    if report_code == MAIN:
        assert f.recommendation.strip(), "every finding of the 2024 report has a ③ text"
        if not any((report_code, code, field) in repaired_fields for field in FIELDS):
            assert checked >= 3


@pytest.mark.parametrize("code", ALL_CODES)
def test_texts_start_and_end_as_printed(report, code):
    detected_start, detected_end, problem, rec_start, rec_end = TEXT_BOUNDS[code]
    f = _finding(code)
    assert f.detected.startswith(detected_start)
    assert f.detected.endswith(detected_end)
    assert f.problem == problem
    assert f.recommendation.startswith(rec_start)
    assert f.recommendation.endswith(rec_end)


def test_reiwa3_iken1_texts_are_complete(report):
    # L1314 + L1317 (the table is split over a page): 意見の内容 and 措置の内容及び現在の状況
    f = _finding("意見1", EARLIER)
    assert f.recommendation.startswith("地域コミュニティICT活用促進事業の対象は 62 団体あり、すべての団体に")
    assert "すべての団体にランニング費用を助成すれば" in f.recommendation
    assert f.recommendation.endswith("ランニング費用への補助については、見直しを検討する必要がある。")
    assert f.recorded_measure.startswith("地域活動発信アプリ「結ネット」は")
    assert "非常に有用であったことを踏まえ" in f.recorded_measure
    assert f.recorded_measure.endswith("なお、現在の状況も同一である。")


def test_reiwa3_iken2_recommendation_is_complete(report):
    # L1317: (町会の「見える化」への検討) 現在も町会に関する… 町会の「見える化」への取り組みを検討する必要がある。
    f = _finding("意見2", EARLIER)
    assert f.recommendation.startswith(
        "現在も町会に関するまちづくり支援情報システムに登録している町会区域データの更新が"
    )
    assert f.recommendation.endswith("インターネットを利用した町会の「見える化」への取り組みを検討する必要がある。")
    assert f.recorded_measure.startswith("本報告書作成時点で未措置であり、現在の状況は以下のとおりである。")


def test_reiwa3_iken2_recorded_measure_keeps_its_last_sentence(report):
    # L1318, third sentence of the cell
    f = _finding("意見2", EARLIER)
    assert f.recorded_measure.endswith(
        "当該システムに、各校下（地区）町会連合会等のホームページ等へのリンクを掲載することの可否について、"
        "金沢市町会連合会に問い合わせているところである。"
    )


@pytest.mark.parametrize("code", ALL_CODES)
def test_finding_text_has_no_footnote_markers_or_ocr_damage(report, code):
    f = _finding(code)
    for field in ["title", "body_title", "detected", "problem", "recommendation"]:
        value = getattr(f, field)
        assert not any(ch in value for ch in SUPERSCRIPTS), f"{field}: {value!r}"
        for bad in OCR_DAMAGE:
            assert bad not in value, f"{field} contains {bad}"
        assert not FOREIGN_SCRIPT.search(value), field


def _text_values():
    for app in ("findings", "systems", "budgets", "auditreg"):
        for model in apps.get_app_config(app).get_models():
            if model.__name__ in ("TextRepair", "User"):
                continue
            text_fields = [
                f.attname for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))
            ]
            json_fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]
            for row in model.objects.values("pk", *text_fields, *json_fields):
                for name in text_fields + json_fields:
                    value = row[name]
                    if value:
                        yield f"{model.__name__}#{row['pk']}.{name}", str(value)


def test_no_stored_text_carries_footnote_markers_or_known_ocr_damage(report):
    # Superscripts (e.g. L1329 ²⁴, L2632 ³³ ³⁴) and look-alikes (see OCR_DAMAGE) must not reach the database.
    problems = []
    for where, value in _text_values():
        if any(ch in value for ch in SUPERSCRIPTS):
            problems.append((where, "superscript", value[:80]))
        for bad in OCR_DAMAGE:
            if bad in value:
                problems.append((where, bad, value[:80]))
        if FOREIGN_SCRIPT.search(value):
            problems.append((where, "cyrillic/hangul", value[:80]))
    assert problems == []


# -- totals as printed --------------------------------------------------------------------------

PRINTED_TOTALS = {
    # L510 合計 430,968 / 396,953
    ("dx_fields", "合計", "budget_thousand_yen"): 430968,
    ("dx_fields", "合計", "actual_thousand_yen"): 396953,
    # L587 合計 430,968 320,429 110,272 267
    ("dx_funding_budget", "合計", "total_thousand_yen"): 430968,
    ("dx_funding_budget", "合計", "general_thousand_yen"): 320429,
    ("dx_funding_budget", "合計", "national_thousand_yen"): 110272,
    ("dx_funding_budget", "合計", "prefectural_thousand_yen"): 267,
    # L594 合計 396,953 296,214 100,627 112
    ("dx_funding_actual", "合計", "total_thousand_yen"): 396953,
    ("dx_funding_actual", "合計", "general_thousand_yen"): 296214,
    ("dx_funding_actual", "合計", "national_thousand_yen"): 100627,
    ("dx_funding_actual", "合計", "prefectural_thousand_yen"): 112,
    ("dx_lines_産業", "産業合計", "budget_thousand_yen"): 146123,  # L573
    ("dx_lines_産業", "産業合計", "actual_thousand_yen"): 141131,
    ("dx_lines_地域", "地域合計", "budget_thousand_yen"): 27480,  # L630
    ("dx_lines_地域", "地域合計", "actual_thousand_yen"): 20264,
    ("dx_lines_文化", "文化合計", "budget_thousand_yen"): 57900,  # L714
    ("dx_lines_文化", "文化合計", "actual_thousand_yen"): 54198,
    ("dx_lines_教育", "教育合計", "budget_thousand_yen"): 19700,  # L696
    ("dx_lines_教育", "教育合計", "actual_thousand_yen"): 13216,
    ("dx_lines_行政", "行政合計", "budget_thousand_yen"): 179765,  # L783
    ("dx_lines_行政", "行政合計", "actual_thousand_yen"): 168144,
    # L1114 合計 2, 269 1, 817 2, 473 2, 154 1, 779 1, 577
    ("it_by_bureau", "合計", "2021_budget_million_yen"): 2269,
    ("it_by_bureau", "合計", "2021_actual_million_yen"): 1817,
    ("it_by_bureau", "合計", "2022_budget_million_yen"): 2473,
    ("it_by_bureau", "合計", "2022_actual_million_yen"): 2154,
    ("it_by_bureau", "合計", "2023_budget_million_yen"): 1779,
    ("it_by_bureau", "合計", "2023_actual_million_yen"): 1577,
    # L1177 合計 677 671 897 901 597 593
    ("it_by_system_総務局", "合計", "2021_budget_million_yen"): 677,
    ("it_by_system_総務局", "合計", "2021_actual_million_yen"): 671,
    ("it_by_system_総務局", "合計", "2022_budget_million_yen"): 897,
    ("it_by_system_総務局", "合計", "2022_actual_million_yen"): 901,
    ("it_by_system_総務局", "合計", "2023_budget_million_yen"): 597,
    ("it_by_system_総務局", "合計", "2023_actual_million_yen"): 593,
    # L1161 合計 782 353 782 445 422 222
    ("it_by_system_市民局", "合計", "2021_budget_million_yen"): 782,
    ("it_by_system_市民局", "合計", "2021_actual_million_yen"): 353,
    ("it_by_system_市民局", "合計", "2022_budget_million_yen"): 782,
    ("it_by_system_市民局", "合計", "2022_actual_million_yen"): 445,
    ("it_by_system_市民局", "合計", "2023_budget_million_yen"): 422,
    ("it_by_system_市民局", "合計", "2023_actual_million_yen"): 222,
}


def test_stated_totals_are_the_printed_totals(report):
    got = {(t.table, t.label, t.column): t.value for t in StatedTotal.objects.filter(report=report)}
    assert got == PRINTED_TOTALS
    for t in StatedTotal.objects.filter(report=report):
        assert type(t.value) is int
