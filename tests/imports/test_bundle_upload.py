"""Report data uploaded as a zipped bundle: the preview says exactly what confirming does, confirming
does exactly that or nothing, and every bad file is refused with a message and no change."""

import io
import stat
import zipfile

import pytest
from django.core.exceptions import PermissionDenied

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section
from budgets.models import CoreCityComparison
from findings.models import Finding
from imports import pipeline
from imports.choices import BatchKind, BatchState
from imports.models import ImportBatch
from imports.uploads import UploadRefused
from systems.models import InformationSystem

from .helpers import data_state, edit, fixture_files, make_zip, upload

LAST_COMPARISON = "住民サービス,3,よく使う 32 手続のオンライン化,高松市,58% (15/26),265\n"


def edited_bundle() -> bytes:
    files = fixture_files()
    edit(
        files,
        "findings.yaml",
        "title: ID・パスワードの管理（クラウド型市公式ホームページ管理システム）",
        "title: ID・パスワードの管理（ホームページ管理システム）",
    )
    edit(
        files,
        "systems/systems.csv",
        "1,都市政策局,調査統計室,統計調査支援システム,",
        "1,都市政策局,調査統計室,統計調査システム,",
    )
    edit(
        files,
        "organisation/sections.csv",
        "市立病院,1,市立病院事務局,,",
        "市立病院,1,市立病院事務局,,\n市立病院,2,医事課,,",
    )
    edit(files, "budgets/core_city_comparison.csv", LAST_COMPARISON, "")
    return make_zip(files)


@pytest.fixture
def auditor(make_user):
    return make_user("import-auditor", role=Role.AUDITOR)


def test_unchanged_bundle_previews_as_all_unchanged(auditor):
    before = data_state()
    batch = pipeline.stage(kind=None, upload=upload(make_zip(fixture_files())), by=auditor)
    assert batch.kind == BatchKind.BUNDLE and batch.state == BatchState.PREVIEWED
    assert batch.problems == [] and batch.changes == []
    assert batch.counts["created"] == batch.counts["updated"] == batch.counts["deleted"] == 0
    assert batch.summary["指摘・意見"]["unchanged"] == Finding.objects.count() == 35
    assert batch.summary["情報システム"]["unchanged"] == 162
    assert data_state() == before


def test_preview_lists_every_change_field_by_field_and_writes_nothing(auditor):
    before = data_state()
    batch = pipeline.stage(kind=None, upload=upload(edited_bundle()), by=auditor)
    assert batch.state == BatchState.PREVIEWED, batch.problems
    assert batch.summary["指摘・意見"] == {"created": 0, "updated": 1, "unchanged": 34, "deleted": 0}
    assert batch.summary["情報システム"] == {"created": 0, "updated": 1, "unchanged": 161, "deleted": 0}
    assert batch.summary["課"] == {"created": 1, "updated": 0, "unchanged": 61, "deleted": 0}
    assert batch.summary["中核市比較"] == {"created": 0, "updated": 0, "unchanged": 64, "deleted": 1}
    assert batch.counts == {"created": 1, "updated": 2, "unchanged": batch.counts["unchanged"], "deleted": 1}
    assert sorted(map(tuple, batch.changes)) == sorted(
        [
            (
                "指摘・意見",
                "kanazawa-2024-dx / 指摘01",
                "表題（一覧）",
                "ID・パスワードの管理（クラウド型市公式ホームページ管理システム）",
                "ID・パスワードの管理（ホームページ管理システム）",
            ),
            ("情報システム", "1", "システム名称", "統計調査支援システム", "統計調査システム"),
            ("課", "市立病院 / 医事課", "（新規）", "", ""),
            ("中核市比較", "住民サービス / よく使う 32 手続のオンライン化 / 高松市", "（削除）", "", ""),
        ]
    )
    assert data_state() == before
    assert not Section.objects.filter(name="医事課").exists()


def test_confirm_applies_exactly_the_preview_and_records_it(auditor):
    batch = pipeline.stage(kind=None, upload=upload(edited_bundle()), by=auditor)
    logs = ChangeLog.objects.count()
    comparisons = CoreCityComparison.objects.count()
    applied = pipeline.confirm(batch=batch, by=auditor)
    assert applied.state == BatchState.APPLIED and applied.applied_by == auditor and applied.applied_at
    assert Finding.objects.get(code="指摘01", report__code="kanazawa-2024-dx").title == (
        "ID・パスワードの管理（ホームページ管理システム）"
    )
    assert InformationSystem.objects.get(number=1, report__code="kanazawa-2024-dx").name == "統計調査システム"
    assert Section.objects.filter(name="医事課", bureau__name="市立病院").count() == 1
    assert CoreCityComparison.objects.count() == comparisons - 1
    # the same file again is now a no-op: the applied change was the whole change
    again = pipeline.stage(kind=None, upload=upload(edited_bundle()), by=auditor)
    assert again.changes == [] and again.counts["created"] == again.counts["deleted"] == 0
    entry = ChangeLog.objects.filter(action="import.applied").latest("pk")
    assert ChangeLog.objects.count() == logs + 2  # the import, and the one finding it changed
    finding = Finding.objects.get(code="指摘01", report__code="kanazawa-2024-dx")
    history = ChangeLog.objects.get(finding_id=finding.pk, action="finding.imported")
    assert history.actor == auditor and batch.sha256[:12] in history.comment
    assert history.changes == {
        "表題（一覧）": [
            "ID・パスワードの管理（クラウド型市公式ホームページ管理システム）",
            "ID・パスワードの管理（ホームページ管理システム）",
        ]
    }
    assert entry.actor == auditor and entry.object_id == batch.pk
    assert entry.changes["sha256"] == [None, batch.sha256]
    assert entry.changes["created"] == [None, 1] and entry.changes["updated"] == [None, 2]


def test_stale_preview_is_refused_and_nothing_is_written(auditor):
    batch = pipeline.stage(kind=None, upload=upload(edited_bundle()), by=auditor)
    Finding.objects.filter(code="指摘02", report__code="kanazawa-2024-dx").update(title="別の人が直した表題")
    before = data_state()
    with pytest.raises(pipeline.ConfirmRefused, match="データが変更されました"):
        pipeline.confirm(batch=batch, by=auditor)
    after = data_state()
    batch.refresh_from_db()
    assert batch.state == BatchState.REFUSED
    # only the refusal itself was logged
    assert ChangeLog.objects.filter(action="import.refused", object_id=batch.pk).count() == 1
    assert after != before  # the change log grew by the refusal …
    assert InformationSystem.objects.get(number=1, report__code="kanazawa-2024-dx").name == "統計調査支援システム"
    assert not Section.objects.filter(name="医事課").exists()


def test_a_batch_is_applied_once_and_only_by_its_uploader(auditor, make_user):
    other = make_user("other-auditor", role=Role.AUDITOR)
    batch = pipeline.stage(kind=None, upload=upload(edited_bundle()), by=auditor)
    with pytest.raises(PermissionDenied):
        pipeline.confirm(batch=batch, by=other)
    pipeline.confirm(batch=batch, by=auditor)
    with pytest.raises(pipeline.ConfirmRefused, match="取込済"):
        pipeline.confirm(batch=batch, by=auditor)
    batch.refresh_from_db()
    assert batch.state == BatchState.APPLIED


def test_discarded_batch_cannot_be_confirmed(auditor):
    batch = pipeline.stage(kind=None, upload=upload(edited_bundle()), by=auditor)
    pipeline.discard(batch=batch, by=auditor)
    before = data_state()
    with pytest.raises(pipeline.ConfirmRefused, match="取消"):
        pipeline.confirm(batch=batch, by=auditor)
    assert data_state() == before


# -- bad files ---------------------------------------------------------------------------------


def _zip_with(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in entries:
            archive.writestr(info, content)
    return buffer.getvalue()


def _symlink_zip() -> bytes:
    info = zipfile.ZipInfo("kanazawa-2024-dx/findings.yaml")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _zip_with([(info, b"/etc/passwd")])


REFUSED = {
    "empty file": (b"", "空のファイル"),
    "random bytes": (bytes(range(256)) * 4, "zip でも Excel"),
    "old .xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "古い Excel 形式"),
    "a lone CSV": ("number,name\n1,システム\n".encode(), "CSV"),
    "truncated zip": (make_zip(fixture_files())[:5000], "zip"),
    "path traversal": (_zip_with([("../../etc/cron.d/evil", b"x")]), "安全でないパス"),
    "absolute path": (_zip_with([("/tmp/evil.csv", b"x")]), "安全でないパス"),
    "windows drive path": (_zip_with([("C:/evil.csv", b"x")]), "安全でないパス"),
    "symbolic link": (_symlink_zip(), "シンボリックリンク"),
    "zip bomb": (_zip_with([("bomb/findings.yaml", b"\0" * (80 * 1024 * 1024))]), "MB を超えます"),
    "dense member": (_zip_with([("bomb/findings.yaml", b"\0" * (30 * 1024 * 1024))]), "zip 爆弾"),
    "too many members": (_zip_with([(f"x/{i}.csv", b"") for i in range(250)]), "多すぎます"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_unreadable_files_are_refused_with_a_message_and_nothing_stored(auditor, case):
    data, message = REFUSED[case]
    before = data_state()
    batches = ImportBatch.objects.count()
    with pytest.raises(UploadRefused, match=message):
        pipeline.stage(kind=None, upload=upload(data), by=auditor)
    assert data_state() == before
    assert ImportBatch.objects.count() == batches


def test_file_over_the_size_limit_is_refused_before_reading(auditor, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10_000
    before = data_state()
    with pytest.raises(UploadRefused, match="大きすぎます"):
        pipeline.stage(kind=None, upload=upload(make_zip(fixture_files())), by=auditor)
    assert data_state() == before


def _shift_jis(files):
    files["budgets/fields.csv"] = files["budgets/fields.csv"].decode("utf-8").encode("cp932")


def _duplicate_system(files):
    edit(files, "systems/systems.csv", "2,都市政策局,交通政策課,", "1,都市政策局,交通政策課,")


def _missing_column(files):
    edit(files, "organisation/bureaus.csv", "order,name,", "order,nom,")


def _missing_file(files):
    del files["findings.yaml"]


def _empty_csv(files):
    files["systems/systems.csv"] = b""


def _bad_number(files):
    edit(files, "systems/systems.csv", "1,都市政策局,調査統計室", "一,都市政策局,調査統計室")


def _unknown_section(files):
    edit(files, "systems/systems.csv", "1,都市政策局,調査統計室", "1,都市政策局,存在しない課")


INVALID = {
    "Shift_JIS CSV": (_shift_jis, "budgets/fields.csv", "Shift_JIS"),
    "duplicate key": (_duplicate_system, "systems/systems.csv", "複数あります"),
    "missing column": (_missing_column, "organisation/bureaus.csv", "必要な列がありません"),
    "missing file": (_missing_file, "findings.yaml", "ファイルがありません"),
    "empty CSV": (_empty_csv, "systems/systems.csv", "空のファイル"),
    "text in a number column": (_bad_number, "systems/systems.csv", "整数が必要です"),
    "unknown section": (_unknown_section, "systems/systems.csv", "存在しない課"),
}


@pytest.mark.parametrize("case", INVALID)
def test_invalid_bundles_show_every_problem_with_its_place_and_change_nothing(auditor, case):
    change, place, message = INVALID[case]
    files = fixture_files()
    change(files)
    before = data_state()
    batch = pipeline.stage(kind=None, upload=upload(make_zip(files)), by=auditor)
    assert batch.state == BatchState.INVALID
    assert any(p[0].startswith(place) and message in " ".join(p) for p in batch.problems), batch.problems
    assert data_state() == before
    with pytest.raises(pipeline.ConfirmRefused):
        pipeline.confirm(batch=batch, by=auditor)
    assert data_state() == before


def test_extra_columns_and_files_are_warned_and_the_rest_imports(auditor):
    files = fixture_files()
    text = files["organisation/bureaus.csv"].decode()
    lines = text.splitlines()
    files["organisation/bureaus.csv"] = "\n".join([lines[0] + ",メモ"] + [line + "," for line in lines[1:]]).encode()
    files["memo.txt"] = "メモ".encode()
    batch = pipeline.stage(kind=None, upload=upload(make_zip(files)), by=auditor)
    assert batch.state == BatchState.PREVIEWED, batch.problems
    assert ["organisation/bureaus.csv / 行 1", "メモ", "知らない列は読み飛ばします"] in batch.warnings
    assert ["memo.txt", "", "知らないファイルは読み飛ばします"] in batch.warnings
    assert batch.changes == []


def test_a_zip_without_a_top_folder_and_with_desktop_junk_reads_the_same(auditor):
    files = fixture_files()
    files["__MACOSX/._findings.yaml"] = b"\0\x05\x16\x07"
    files[".DS_Store"] = b"\0\0\0\1Bud1"
    batch = pipeline.stage(kind=None, upload=upload(make_zip(files, folder="")), by=auditor)
    assert batch.state == BatchState.PREVIEWED and batch.changes == [] and batch.warnings == []


def test_old_upload_contents_are_purged_and_the_record_stays(auditor):
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    applied = pipeline.confirm(batch=pipeline.stage(kind=None, upload=upload(edited_bundle()), by=auditor), by=auditor)
    waiting = pipeline.stage(kind=None, upload=upload(make_zip(fixture_files())), by=auditor)
    recent = pipeline.stage(kind=None, upload=upload(make_zip(fixture_files())), by=auditor)
    old = timezone.now() - datetime.timedelta(days=400)
    ImportBatch.objects.filter(pk__in=[applied.pk, waiting.pk]).update(uploaded_at=old)
    call_command("purge_import_files", "--older-than", "365")
    applied.refresh_from_db()
    waiting.refresh_from_db()
    recent.refresh_from_db()
    assert bytes(applied.content) == b"" and applied.content_purged_at is not None
    assert applied.state == BatchState.APPLIED and applied.sha256 and applied.changes  # the record stays
    assert waiting.state == BatchState.DISCARDED and bytes(waiting.content) == b""
    with pytest.raises(pipeline.ConfirmRefused):
        pipeline.confirm(batch=waiting, by=auditor)
    assert bytes(recent.content) and recent.content_purged_at is None and recent.state == BatchState.PREVIEWED
    assert ChangeLog.objects.filter(action="import.files_purged").count() == 1
