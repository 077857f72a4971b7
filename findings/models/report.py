"""The audit report as published and its findings (指摘・意見), verbatim."""

from django.db import connections, models
from django.db.models import Q

from auditreg import access
from auditreg.search import search_key

from ..choices import SubjectKind


class AuditReport(models.Model):
    """One published audit report (e.g. 令和6年度包括外部監査)."""

    code = models.SlugField("識別子", max_length=60, unique=True, allow_unicode=True)
    kind = models.CharField("監査の種類", max_length=40)
    fiscal_year = models.PositiveSmallIntegerField("監査実施年度")
    target_fiscal_year = models.PositiveSmallIntegerField("対象年度", null=True, blank=True)
    theme = models.CharField("特定の事件（テーマ）", max_length=300)
    auditor = models.CharField("監査人", max_length=100, blank=True)
    auditor_title = models.CharField("監査人の資格", max_length=100, blank=True)
    assistants = models.JSONField("補助者", default=list, blank=True)
    audit_period_start = models.DateField("監査実施期間（開始）", null=True, blank=True)
    audit_period_end = models.DateField("監査実施期間（終了）", null=True, blank=True)
    submitted_on = models.DateField("報告書提出日", null=True, blank=True)
    published_on = models.DateField("公表日", null=True, blank=True)
    gazette_number = models.CharField("公報番号", max_length=60, blank=True)
    publication_number = models.CharField("監査公表番号", max_length=60, blank=True)
    legal_basis = models.TextField("根拠法令", blank=True)
    source = models.CharField("出典", max_length=300, blank=True)
    # Counts the report states of itself ({"指摘": 3, "意見": 30, "systems": 162, …}), checked on import.
    stated_counts = models.JSONField("報告書記載の件数", default=dict, blank=True)
    earlier_reports = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="later_reports", verbose_name="言及する過年度の監査"
    )

    class Meta:
        verbose_name = verbose_name_plural = "監査報告書"
        ordering = ["-fiscal_year", "code"]
        # Lists order findings by (report__fiscal_year, report, order): with this index PostgreSQL walks the
        # reports in that order and sorts only within one report (incremental sort), never every finding.
        indexes = [models.Index(fields=["fiscal_year", "id"], name="report_fiscal_year_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(fiscal_year__gte=1989), name="report_fiscal_year_heisei_or_later"),
            models.CheckConstraint(
                condition=Q(audit_period_end__isnull=True)
                | Q(audit_period_start__isnull=True)
                | Q(audit_period_end__gte=models.F("audit_period_start")),
                name="report_audit_period_order",
            ),
        ]

    def __str__(self):
        return self.theme


class ReportArea(models.Model):
    """An area or theme of one report (this one: DX / 情報システム; a subsidy audit: 補助金 / 負担金 …).
    Finding.area and FindingGroup.area hold its code; the import checks them against the report's areas."""

    report = models.ForeignKey(AuditReport, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField("コード", max_length=40)
    label = models.CharField("表示名", max_length=100)
    order = models.PositiveSmallIntegerField("表示順")

    class Meta:
        verbose_name = verbose_name_plural = "報告書の分野・テーマ"
        ordering = ["report", "order"]
        constraints = [models.UniqueConstraint(fields=["report", "code"], name="report_area_unique_code")]

    def __str__(self):
        return self.label


class FindingKindLabel(models.Model):
    """The kinds of finding the city's reports use (指摘 / 意見, 結果 / 意見, 指摘事項 / 要望 …), city-wide.
    Finding.kind holds the code; the label is what pages print; `counted_in_status` says whether the
    措置状況's summary counts findings of this kind."""

    code = models.CharField("コード", max_length=20, unique=True)
    label = models.CharField("表示名", max_length=40)
    order = models.PositiveSmallIntegerField("表示順")
    counted_in_status = models.BooleanField("措置状況の集計に含める", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見の区分"
        ordering = ["order", "code"]

    def __str__(self):
        return self.label


class SubjectType(models.Model):
    """What a finding can be raised against (DX事業, 情報システム, 補助金, 施設, 契約, 団体, 全般 …).
    FindingSubject.kind holds the code; `project` and `system` are the two types that link to a record."""

    code = models.SlugField("コード", max_length=20, unique=True)
    label = models.CharField("表示名", max_length=40)
    order = models.PositiveSmallIntegerField("表示順")

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見の対象の種類"
        ordering = ["order", "code"]

    def __str__(self):
        return self.label


class FindingGroup(models.Model):
    """The heading a finding is listed under in the report's list of findings (e.g. ○○事業に関するもの)."""

    report = models.ForeignKey(AuditReport, on_delete=models.CASCADE, related_name="groups")
    area = models.CharField("分野", max_length=40, blank=True)  # a ReportArea code of the report
    order = models.PositiveIntegerField("表示順")
    title = models.CharField("見出し", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見の区分見出し"
        ordering = ["report", "order"]
        constraints = [models.UniqueConstraint(fields=["report", "title"], name="group_unique_title")]

    def __str__(self):
        return self.title


def bigram_tsquery(terms) -> str:
    """The terms' 2-character substrings as a tsquery of quoted lexemes, all required ("" if no term
    has two characters): the candidates the bigram index (migration 0009) returns for them."""
    grams = sorted({t[i : i + 2] for t in terms for i in range(len(t) - 1)})
    return " & ".join("'" + g.replace("\\", "\\\\").replace("'", "''") + "'" for g in grams)


class _BigramsMatch(models.Func):
    """<table>.search_grams @@ 'query'::tsquery (PostgreSQL: the stored column of migration 0009,
    search_bigrams(search_text), which Django does not map; named through search_text's table)."""

    output_field = models.BooleanField()

    def __init__(self, column, tsquery):
        super().__init__(column, models.Value(tsquery))

    def as_sql(self, compiler, connection, **extra):
        column, query = self.source_expressions
        column_sql, _ = compiler.compile(column)  # "<table or alias>"."search_text"
        table = column_sql.rsplit(".", 1)[0]
        query_sql, query_params = compiler.compile(query)
        return f"{table}.search_grams @@ ({query_sql})::tsquery", query_params


class FindingQuerySet(models.QuerySet):
    def for_user(self, user):
        """The report is read by every active user."""
        return access.scope(self, user, everyone=True)

    def search(self, text: str):
        """Every whitespace-separated term must occur in the NFKC-folded search key. On PostgreSQL
        2-character terms (most Japanese nouns, which the trigram index cannot serve) go through the
        bigram GIN index first; the LIKE stays, so the result is the same on every database."""
        qs = self
        terms = search_key(text).split()
        # only 2-character terms, which the trigram index cannot serve: a longer term's trigrams are
        # more selective than its bigrams, and the extra condition made PostgreSQL read every match
        tsquery = bigram_tsquery([t for t in terms if len(t) == 2])
        if tsquery and connections[self.db].vendor == "postgresql":
            qs = qs.filter(_BigramsMatch(models.F("search_text"), tsquery))
        for term in terms:
            qs = qs.filter(search_text__contains=term)
        return qs


class Finding(models.Model):
    report = models.ForeignKey(AuditReport, on_delete=models.PROTECT, related_name="findings", verbose_name="報告書")
    # The number as printed (指摘01, （1）, 【意見1】 …); may repeat within a report (numbering per 局).
    code = models.CharField("番号", max_length=40)
    # Stable internal key, unique in the report: renumbering changes `code`, never `key`, so the
    # measures of a renumbered finding stay with it. The import defaults it to the code.
    key = models.CharField("内部キー", max_length=60, default="")
    kind = models.CharField("区分", max_length=20)  # a FindingKindLabel code
    number = models.PositiveSmallIntegerField("連番", null=True, blank=True)
    order = models.PositiveSmallIntegerField("掲載順")  # position in the report's list of findings
    area = models.CharField("分野", max_length=40, blank=True)  # a ReportArea code of the report
    group = models.ForeignKey(
        FindingGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="findings", verbose_name="見出し"
    )
    title = models.CharField("表題（一覧）", max_length=300)
    body_title = models.CharField("表題（本文）", max_length=300, blank=True)
    page = models.PositiveSmallIntegerField("報告書頁", null=True, blank=True)
    detected = models.TextField("① 検出事項", blank=True)
    problem = models.TextField("② 問題点", blank=True)
    recommendation = models.TextField("③ 指摘・意見", blank=True)
    recorded_measure = models.TextField("措置の内容及び現在の状況（報告書記載）", blank=True)
    # The text as the report prints it, for reports not laid out as ①②③: ordered {"label", "text"}
    # blocks (監査の結果, 意見の要旨 …). Empty for this report's shape: text_blocks() builds ①②③.
    blocks = models.JSONField("本文（見出し付きの段落）", default=list, blank=True)
    summary = models.TextField("要旨", blank=True, default="")  # written by the audit office; the 措置状況 prints it
    source_publication = models.CharField("出典（公表物・号数）", max_length=200, blank=True, default="")
    source_url = models.CharField("出典（URL）", max_length=500, blank=True, default="")
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)
    # NFKC-folded, lower-cased copy of the titles and texts; the stored text stays verbatim.
    search_text = models.TextField(editable=False, blank=True)
    # The derived status (findings.status), kept by the workflow services in the same transaction as
    # the change that moves it, so that lists and dashboards count without aggregating every measure.
    # "" = 未割当, else a MeasureStatus code.
    status_code = models.CharField(
        "措置状況（導出）", max_length=30, blank=True, default="", editable=False, db_index=True
    )
    # The earliest reply-by date of its open measures (null: none with a date), kept with status_code
    # (findings.status.refresh): the dashboard's overdue-age chart counts findings by it, through its
    # index, instead of taking the minimum over every overdue measure (195 ms at 300,000 measures).
    open_reply_by = models.DateField("未完了の措置の最も早い回答期限", null=True, blank=True, editable=False)

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見"
        ordering = ["report", "order"]
        constraints = [
            models.UniqueConstraint(fields=["report", "key"], name="finding_unique_key"),
            models.CheckConstraint(condition=~Q(key=""), name="finding_key_not_empty"),
            models.CheckConstraint(condition=Q(number__isnull=True) | Q(number__gte=1), name="finding_number_positive"),
        ]
        indexes = [
            models.Index(fields=["report", "area"]),
            # the dashboard's 区分 × 状況 count reads this index only (no table rows)
            models.Index(fields=["kind", "status_code"], name="finding_kind_status_idx"),
            # the overdue-age chart: the findings with an open measure due before a date, from the index
            models.Index(
                fields=["open_reply_by"], condition=Q(open_reply_by__isnull=False), name="finding_open_reply_by_idx"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def build_search_text(self) -> str:
        parts = [
            self.code,
            self.title,
            self.body_title,
            self.detected,
            self.problem,
            self.recommendation,
            self.recorded_measure,
            self.summary,
            *(str(b.get("text", "")) for b in self.blocks or [] if isinstance(b, dict)),
        ]
        return search_key("\n".join(p for p in parts if p))

    @property
    def display_body_title(self):
        return self.body_title or self.title

    @property
    def display_summary(self):
        """What the 措置状況's 監査の結果（要旨） column prints: the audit office's 要旨, else the title."""
        return self.summary or self.title

    def text_blocks(self) -> list[dict]:
        """The finding's text as ordered {"label", "text"} blocks: the stored blocks, or this report's
        ① 検出事項 / ② 問題点 / ③ shape built from its three fields. Empty blocks are left out."""
        if self.blocks:
            return [b for b in self.blocks if isinstance(b, dict) and str(b.get("text", "")).strip()]
        parts = [
            ("① 検出事項", self.detected),
            ("② 問題点", self.problem),
            (f"③ {self.code}《{self.display_body_title}》", self.recommendation),
        ]
        return [{"label": label, "text": text} for label, text in parts if (text or "").strip()]


class FindingSubject(models.Model):
    """What a finding is raised against: a SubjectType (DX事業, 情報システム, 補助金, 施設 …), with a link to
    the project or system where the report has one, and the subject's name as printed otherwise."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="subjects")
    order = models.PositiveSmallIntegerField("順")
    kind = models.CharField("対象の種類", max_length=20)  # a SubjectType code
    name = models.CharField("対象の名称", max_length=300, blank=True, default="")
    project = models.ForeignKey(
        "budgets.DxProject", on_delete=models.PROTECT, null=True, blank=True, related_name="finding_subjects"
    )
    system = models.ForeignKey(
        "systems.InformationSystem", on_delete=models.PROTECT, null=True, blank=True, related_name="finding_subjects"
    )
    note = models.TextField("注記", blank=True)
    detected = models.TextField("① 検出事項（この対象）", blank=True)
    problem = models.TextField("② 問題点（この対象）", blank=True)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見の対象"
        ordering = ["finding", "order"]
        constraints = [
            models.UniqueConstraint(fields=["finding", "order"], name="subject_unique_order"),
            # a link only where the type has one: a project for DX事業, a system for 情報システム
            models.CheckConstraint(
                condition=(
                    Q(kind=SubjectKind.PROJECT, project__isnull=False, system__isnull=True)
                    | Q(kind=SubjectKind.SYSTEM, system__isnull=False, project__isnull=True)
                    | (
                        ~Q(kind__in=[SubjectKind.PROJECT, SubjectKind.SYSTEM])
                        & Q(system__isnull=True, project__isnull=True)
                    )
                ),
                name="subject_kind_matches_target",
            ),
        ]

    def __str__(self):
        if self.project_id:
            return self.project.name
        if self.system_id:
            return self.system.name
        return self.name or self.kind_label

    @property
    def kind_label(self) -> str:
        return dict(SubjectKind.choices).get(self.kind, self.kind)


class FindingSection(models.Model):
    """A responsible section (所管課) as named by the report itself."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="report_sections")
    section = models.ForeignKey("auditreg.Section", on_delete=models.PROTECT, related_name="report_findings")

    class Meta:
        verbose_name = verbose_name_plural = "報告書記載の所管課"
        constraints = [models.UniqueConstraint(fields=["finding", "section"], name="finding_section_unique")]
        # the 局・課 filters look up findings by section: read from this index alone
        indexes = [models.Index(fields=["section", "finding"], name="finding_section_by_section_idx")]


class StatedTotal(models.Model):
    """A total row as printed in one of the report's tables, kept to check row sums against."""

    report = models.ForeignKey(AuditReport, on_delete=models.CASCADE, related_name="stated_totals")
    table = models.CharField("表", max_length=60)
    label = models.CharField("行", max_length=100)
    column = models.CharField("列", max_length=60)
    value = models.BigIntegerField("値", null=True, blank=True)
    unit = models.CharField("単位", max_length=20)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "報告書記載の合計"
        ordering = ["report", "table", "label", "column"]
        constraints = [
            models.UniqueConstraint(fields=["report", "table", "label", "column"], name="stated_total_unique")
        ]


class TextRepair(models.Model):
    """One repair of extraction damage made in the fixtures (what, where, why)."""

    report = models.ForeignKey(AuditReport, on_delete=models.CASCADE, related_name="text_repairs")
    order = models.PositiveIntegerField("順")
    file = models.CharField("ファイル", max_length=100)
    record = models.CharField("レコード", max_length=200)
    field = models.CharField("項目", max_length=100, blank=True)
    source_line = models.CharField("原文行", max_length=40, blank=True)
    original = models.TextField("原文（抽出テキスト）", blank=True)
    repaired = models.TextField("修復後", blank=True)
    why = models.TextField("理由")

    class Meta:
        verbose_name = verbose_name_plural = "抽出テキストの修復記録"
        ordering = ["report", "order"]
        constraints = [models.UniqueConstraint(fields=["report", "order"], name="repair_unique_order")]


# ---------------------------------------------------------------------------------------------
# Follow-up: measures (措置) per finding × section, their dated reports, evidence.
