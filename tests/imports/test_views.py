"""The import pages: who may use them, the upload → preview → confirm flow through HTTP, CSRF, and
bounded queries on the import record list."""

import pytest
from django.test import Client
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import ChangeLog
from findings.models import Finding
from imports.choices import BatchState
from imports.models import ImportBatch

from ..query_counts import count_queries
from .helpers import data_state, edit, fixture_files, make_zip, upload


def _edited_zip():
    files = fixture_files()
    edit(files, "findings.yaml", "title: ID・パスワードの管理（スマート窓口システム）", "title: 窓口の ID 管理")
    return make_zip(files)


@pytest.fixture
def auditor(make_user):
    return make_user("v-auditor", role=Role.AUDITOR)


@pytest.fixture
def office(client, auditor):
    client.force_login(auditor)
    return client


@pytest.mark.parametrize("role", [Role.SECTION_STAFF, Role.SECTION_HEAD])
@pytest.mark.parametrize(
    "name", ["imports:import_list", "imports:import_upload", "imports:template", "imports:bundle_zip"]
)
def test_section_users_cannot_use_the_import_pages(client, make_user, role, name):
    client.force_login(make_user("v-section", role=role))
    assert client.get(reverse(name)).status_code == 403
    before = data_state()
    response = client.post(reverse("imports:import_upload"), {"file": upload(_edited_zip())})
    assert response.status_code == 403
    assert data_state() == before and not ImportBatch.objects.exists()


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("imports:import_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_admin_may_import_too(client, make_user):
    client.force_login(make_user("v-admin", role=Role.ADMIN))
    assert client.get(reverse("imports:import_list")).status_code == 200


def test_upload_preview_confirm_through_http(office, auditor):
    response = office.post(reverse("imports:import_upload"), {"file": upload(_edited_zip())})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:batch_detail", args=[batch.pk])
    page = office.get(response["Location"]).content.decode()
    assert "ID・パスワードの管理（スマート窓口システム）" in page and "窓口の ID 管理" in page
    assert "この内容で取り込む" in page
    finding = Finding.objects.get(report__code="kanazawa-2024-dx", code="指摘02")
    assert finding.title == "ID・パスワードの管理（スマート窓口システム）"  # nothing written by the preview
    response = office.post(reverse("imports:batch_confirm", args=[batch.pk]), follow=True)
    assert "取り込みました（作成 0・変更 1・削除 0" in response.content.decode()
    finding.refresh_from_db()
    assert finding.title == "窓口の ID 管理"
    batch.refresh_from_db()
    assert batch.state == BatchState.APPLIED
    listing = office.get(reverse("imports:import_list")).content.decode()
    assert batch.sha256[:14] in listing and "取込済" in listing


def test_a_file_that_cannot_be_read_is_refused_on_the_form(office):
    before = data_state()
    response = office.post(
        reverse("imports:import_upload"), {"file": upload(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls")}
    )
    assert response.status_code == 400
    assert "古い Excel 形式（.xls）は読めません" in response.content.decode()
    assert data_state() == before and not ImportBatch.objects.exists()


def test_an_invalid_bundle_shows_its_problems_and_no_confirm_button(office):
    files = fixture_files()
    edit(files, "systems/systems.csv", "1,都市政策局,調査統計室", "一,都市政策局,調査統計室")
    office.post(reverse("imports:import_upload"), {"file": upload(make_zip(files))})
    batch = ImportBatch.objects.get()
    page = office.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "問題が 1 件あるため、取り込めません" in page
    assert "systems/systems.csv / 行 2" in page and "整数が必要です" in page
    assert "この内容で取り込む" not in page
    response = office.post(reverse("imports:batch_confirm", args=[batch.pk]), follow=True)
    assert "エラーあり" in response.content.decode()


def test_confirm_and_discard_need_the_csrf_token(auditor):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(auditor)
    office = Client()
    office.force_login(auditor)
    office.post(reverse("imports:import_upload"), {"file": upload(_edited_zip())})
    batch = ImportBatch.objects.get()
    before = data_state()
    assert csrf_client.post(reverse("imports:batch_confirm", args=[batch.pk])).status_code == 403
    assert csrf_client.post(reverse("imports:batch_discard", args=[batch.pk])).status_code == 403
    assert csrf_client.post(reverse("imports:import_upload"), {"file": upload(_edited_zip())}).status_code == 403
    batch.refresh_from_db()
    assert batch.state == BatchState.PREVIEWED and data_state() == before


def test_only_the_uploader_may_confirm_or_discard(office, make_user, client):
    office.post(reverse("imports:import_upload"), {"file": upload(_edited_zip())})
    batch = ImportBatch.objects.get()
    other = Client()
    other.force_login(make_user("v-other", role=Role.AUDITOR))
    page = other.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "この内容で取り込む" not in page  # visible to the office, but not theirs to apply
    before = data_state()
    assert other.post(reverse("imports:batch_confirm", args=[batch.pk])).status_code == 403
    assert other.post(reverse("imports:batch_discard", args=[batch.pk])).status_code == 403
    assert data_state() == before


def test_section_users_do_not_see_report_imports(office, make_user):
    office.post(reverse("imports:import_upload"), {"file": upload(_edited_zip())})
    batch = ImportBatch.objects.get()
    section_client = Client()
    section_client.force_login(make_user("v-staff", role=Role.SECTION_STAFF))
    assert section_client.get(reverse("imports:batch_detail", args=[batch.pk])).status_code == 404


def test_bundle_zip_download_round_trips_to_no_change(office, report):
    response = office.get(reverse("imports:bundle_zip"), {"report": report.code})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    office.post(reverse("imports:import_upload"), {"file": upload(response.content, "export.zip")})
    batch = ImportBatch.objects.get()
    assert batch.state == BatchState.PREVIEWED and batch.changes == [], batch.problems


def test_import_list_queries_are_bounded(office, auditor):
    def add(n):
        ImportBatch.objects.bulk_create(
            ImportBatch(
                kind="bundle",
                state="invalid",
                filename=f"f{i}.zip",
                size=1,
                sha256="0" * 64,
                content=b"x",
                uploaded_by=auditor,
                uploaded_at="2026-01-01T00:00:00Z",
                summary={"指摘・意見": {"created": 1, "updated": 0, "unchanged": 0, "deleted": 0}},
            )
            for i in range(n)
        )

    add(3)
    small, _ = count_queries(office, reverse("imports:import_list"))
    add(60)
    large, response = count_queries(office, reverse("imports:import_list"))
    assert small == large <= 8
    assert "f59.zip" in response.content.decode()  # the newest first


def test_template_command_and_import_file_command_round_trip(tmp_path, auditor, report):
    from django.core.management import call_command

    path = tmp_path / "report.xlsx"
    call_command("export_template", str(path), "--report", report.code)
    before = data_state()
    call_command("import_file", str(path), "--user", auditor.username)
    batch = ImportBatch.objects.get()
    assert batch.kind == "workbook" and batch.state == BatchState.APPLIED and batch.changes == []
    # every record of the report: the 969 the browser bench creates, and the reports' 3 areas and 3 kinds
    assert batch.counts["unchanged"] == 975
    assert data_state() != before  # only the import record in the change log
    assert ChangeLog.objects.filter(action="import.applied").count() == 1


def test_import_file_refuses_a_section_user_and_reports_problems(tmp_path, make_user):
    from django.core.management import CommandError, call_command

    staff = make_user("v-cmd-staff", role=Role.SECTION_STAFF)
    path = tmp_path / "a.csv"
    path.write_text("number,name\n")
    with pytest.raises(CommandError, match="監査事務局とシステム管理者だけ"):
        call_command("import_file", str(path), "--user", staff.username)
    auditor = make_user("v-cmd-auditor", role=Role.AUDITOR)
    with pytest.raises(CommandError, match="CSV"):
        call_command("import_file", str(path), "--user", auditor.username)
    assert not ImportBatch.objects.exists()


def test_a_finding_changed_by_an_import_shows_it_in_its_history_to_everyone(office, auditor, make_user):
    office.post(reverse("imports:import_upload"), {"file": upload(_edited_zip())})
    office.post(reverse("imports:batch_confirm", args=[ImportBatch.objects.get().pk]))
    finding = Finding.objects.get(report__code="kanazawa-2024-dx", code="指摘02")
    url = reverse("findings:finding_detail", args=[finding.pk])
    for client in (office, Client()):
        if client is not office:
            client.force_login(make_user("v-history-staff", role=Role.SECTION_STAFF))
        page = client.get(url).content.decode()
        assert "取込による変更" in page and "窓口の ID 管理" in page
