"""The import command and service: all-or-nothing, idempotent, exact dry-run, round trip."""

import hashlib
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command

from findings.bundle.exporter import bundle_files
from findings.bundle.importer import BundleInvalid, import_report_bundle
from findings.models import AuditReport, Finding

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.REPORT_FIXTURE_DIR)
APPS = ("auditreg", "findings", "systems", "budgets")


def snapshot():
    """Row count and a content digest of every table of our apps (users excluded)."""
    digest = {}
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            if model._meta.model_name == "user":
                continue
            rows = list(model.objects.order_by("pk").values_list())
            digest[model._meta.label] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return digest


@pytest.fixture
def bundle(tmp_path):
    target = tmp_path / "bundle"
    shutil.copytree(FIXTURES, target)
    return target


def edit(path: Path, old: str, new: str, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_reimport_changes_nothing_and_says_so(capsys):
    before = snapshot()
    outcome = import_report_bundle(FIXTURES)
    assert not outcome.load.changed
    assert all(s.created == s.updated == s.deleted == 0 for s in outcome.load.stats.values())
    assert snapshot() == before
    call_command("import_report", str(FIXTURES))
    assert "変更はありませんでした" in capsys.readouterr().out


def test_import_into_empty_database_creates_everything():
    Finding.objects.all().delete()
    from findings.models import FindingGroup

    FindingGroup.objects.all().delete()
    outcome = import_report_bundle(FIXTURES)
    assert outcome.load.stats["指摘・意見"].created == 35
    assert Finding.objects.filter(report__code="kanazawa-2024-dx").count() == 33


def test_dry_run_reports_the_change_and_writes_nothing(bundle, capsys):
    edit(bundle / "findings.yaml", "title: KPI の補完的分析", "title: KPI の補完的分析（訂正）")
    before = snapshot()
    call_command("import_report", str(bundle), "--dry-run")
    out = capsys.readouterr().out
    assert "ドライラン" in out
    assert "KPI の補完的分析（訂正）" in out
    assert snapshot() == before


def test_changed_title_is_updated_field_by_field(bundle):
    edit(bundle / "findings.yaml", "title: KPI の補完的分析", "title: KPI の補完的分析（訂正）")
    outcome = import_report_bundle(bundle)
    stats = outcome.load.stats["指摘・意見"]
    assert (stats.created, stats.updated, stats.deleted) == (0, 1, 0)
    assert any("title" in c and "（訂正）" in c for c in stats.changes)
    assert Finding.objects.get(report__code="kanazawa-2024-dx", code="意見01").title == "KPI の補完的分析（訂正）"


def test_system_removed_from_bundle_is_deleted(bundle):
    path = bundle / "systems" / "systems.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    removed = [ln for ln in lines if ln.startswith("162,")]
    path.write_text("".join(ln for ln in lines if not ln.startswith("162,")), encoding="utf-8")
    edit(bundle / "reports.yaml", "systems: 162", "systems: 161")
    # the bureau's stated count must follow, or the check refuses the bundle
    bureau = removed[0].split(",")[1]
    counts = bundle / "systems" / "bureau_counts.csv"
    rows = counts.read_text(encoding="utf-8").splitlines()
    fixed = []
    for row in rows:
        cells = row.split(",")
        if cells[0] == bureau:
            cells[1] = str(int(cells[1]) - 1)
        fixed.append(",".join(cells))
    counts.write_text("\n".join(fixed) + "\n", encoding="utf-8")
    outcome = import_report_bundle(bundle)
    assert outcome.load.stats["情報システム"].deleted == 1
    assert not AuditReport.objects.get(code="kanazawa-2024-dx").systems.filter(number=162).exists()


CORRUPTIONS = {
    "missing required file": (lambda b: (b / "findings.yaml").unlink(), "findings.yaml", "ファイルがありません"),
    "malformed csv row": (
        lambda b: (b / "systems" / "systems.csv").open("a", encoding="utf-8").write('163,"総務局\n'),
        "systems/systems.csv",
        "",
    ),
    "wrong type": (
        lambda b: edit(b / "budgets" / "fields.csv", "産業,146123", "産業,146,123"),
        "budgets/fields.csv",
        "",
    ),
    "not an integer": (
        lambda b: edit(b / "budgets" / "fields.csv", "産業,146123", "産業,十四万"),
        "budgets/fields.csv",
        "整数が必要です",
    ),
    "unknown section": (
        lambda b: edit(b / "systems" / "systems.csv", "広報広聴課", "存在しない課"),
        "systems/systems.csv",
        "sections.csv にありません",
    ),
    "unknown system in a finding": (
        lambda b: edit(b / "findings.yaml", "system: 6\n", "system: 999\n"),
        "findings.yaml",
        "No.999",
    ),
    "duplicate finding code": (
        lambda b: edit(
            b / "findings.yaml", "code: 意見02\n  kind: 意見\n  number: 2", "code: 意見01\n  kind: 意見\n  number: 1"
        ),
        "findings.yaml",
        "",
    ),
    "count differs from the report": (
        lambda b: edit(b / "reports.yaml", "指摘: 3", "指摘: 4"),
        "findings.yaml",
        "報告書では 4 件",
    ),
    "sum does not match": (
        lambda b: edit(b / "budgets" / "fields.csv", "産業,146123", "産業,156123"),
        "",
        "一致しません",
    ),
    "bad yaml": (
        lambda b: (b / "findings.yaml").write_text("- code: [unclosed\n", encoding="utf-8"),
        "findings.yaml",
        "YAML",
    ),
    "shift_jis file": (
        lambda b: (b / "budgets" / "fields.csv").write_bytes(
            (b / "budgets" / "fields.csv").read_text(encoding="utf-8").encode("shift_jis")
        ),
        "budgets/fields.csv",
        "Shift_JIS",
    ),
    "missing column": (
        lambda b: edit(b / "organisation" / "bureaus.csv", "order,name,", "order,nom,"),
        "organisation/bureaus.csv",
        "必要な列がありません",
    ),
    "invalid date": (
        lambda b: edit(b / "reports.yaml", "published_on: 2025-04-11", "published_on: 令和7年4月11日"),
        "reports.yaml",
        "YYYY-MM-DD",
    ),
    "constraint only the database knows": (
        lambda b: edit(
            b / "findings.yaml", "code: 意見30\n  kind: 意見\n  number: 30", "code: 意見00\n  kind: 意見\n  number: 0"
        ),
        "",
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupted_bundle_is_refused_and_database_unchanged(bundle, case):
    corrupt, file, message = CORRUPTIONS[case]
    corrupt(bundle)
    before = snapshot()
    with pytest.raises(BundleInvalid) as excinfo:
        import_report_bundle(bundle)
    problems = [str(p) for p in excinfo.value.problems]
    assert problems
    if file:
        assert any(p.startswith(file) for p in problems), problems
    if message:
        assert any(message in p for p in problems), problems
    assert snapshot() == before


def test_command_exits_non_zero_naming_file_record_and_field(bundle, capsys):
    edit(bundle / "systems" / "systems.csv", "広報広聴課", "存在しない課")
    with pytest.raises(CommandError, match="何も取り込みませんでした"):
        call_command("import_report", str(bundle))
    err = capsys.readouterr().err
    assert "systems/systems.csv / 行" in err and "/ section:" in err


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_report", str(tmp_path / "nowhere"))


def test_export_reproduces_the_fixtures_byte_for_byte():
    files = bundle_files(AuditReport.objects.get(code="kanazawa-2024-dx"))
    assert set(files) >= {"reports.yaml", "findings.yaml", "systems/systems.csv", "budgets/lines.csv"}
    for name, content in files.items():
        assert content == (FIXTURES / name).read_text(encoding="utf-8"), name


def test_export_command_then_import_is_a_no_op(tmp_path):
    call_command("export_report", str(tmp_path / "out"), "--report", "kanazawa-2024-dx")
    outcome = import_report_bundle(tmp_path / "out")
    assert not outcome.load.changed
