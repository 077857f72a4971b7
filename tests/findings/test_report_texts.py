"""The imported finding texts checked against the printed report (kanazawa-gazette-3177-2.txt): distinctive
sentences, every paragraph printed, where each text starts and ends, and no footnote markers or OCR damage.

Every expected value below was typed from the report text, not from the fixture files; the comment
next to it gives the report line ("L145" = line 145 of shared/report/kanazawa-gazette-3177-2.txt).
repairs.csv is read only to know which finding texts were repaired (and so cannot be found verbatim).
"""

import csv
import re

import pytest
from django.apps import apps
from django.db import models

from .report_data_helpers import ALL_CODES, EARLIER, MAIN, REPAIRS_CSV, SUPERSCRIPTS, _finding, _squash

pytestmark = pytest.mark.django_db

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
