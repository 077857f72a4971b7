"""The app keeps no state on the local disk: sessions in the database, files only through the
configured storages. A whole workflow, evidence upload and publication included, must leave the
project folder exactly as it was."""

import os

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import Section
from findings.models import Finding, MeasureStatus


def tree(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [
            d
            for d in dirnames
            if d
            not in (".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "test-artifacts", ".hypothesis")
        ]
        for name in filenames:
            path = os.path.join(dirpath, name)
            out[path] = os.stat(path).st_mtime_ns
    return out


def test_settings_keep_state_out_of_the_app_server():
    assert settings.SESSION_ENGINE in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    )
    for name in ("evidence", "publications"):
        assert name in settings.STORAGES


@pytest.mark.django_db
def test_a_whole_workflow_writes_nothing_to_the_project_folder(client, make_user, report, monkeypatch):
    from findings import renderers

    monkeypatch.setattr(renderers, "render_pdf", lambda *a, **k: b"%PDF-1.4 stub")  # speed; PDF tested elsewhere
    before = tree(settings.BASE_DIR)
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    auditor = make_user("aud", Role.AUDITOR)
    staff = make_user("staff", Role.SECTION_STAFF, section)
    head = make_user("head", Role.SECTION_HEAD, section)
    finding = Finding.objects.get(report=report, code="指摘01")
    client.force_login(auditor)
    client.post(reverse("findings:finding_assign", args=[finding.pk]), {"sections": [section.pk]})
    measure = finding.measures.get()
    client.force_login(staff)
    done = MeasureStatus.objects.get(code="done")
    client.post(
        reverse("findings:measure_save", args=[measure.pk]),
        {"status": done.pk, "reported_on": "2025-06-30", "text": "完了", "completed_on": "2025-06-30"},
    )
    client.post(
        reverse("findings:evidence_upload", args=[measure.pk]), {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")}
    )
    report_obj = measure.reports.get()
    client.force_login(head)
    client.post(reverse("findings:report_submit", args=[measure.pk, report_obj.pk]))
    client.force_login(auditor)
    client.post(reverse("findings:report_review", args=[measure.pk, report_obj.pk]), {"decision": "accept"})
    query = f"reports={report.pk}&as_of=2025-12-31&per=finding"
    assert client.get(reverse("findings:status_report") + f"?{query}&format=xlsx").status_code == 200
    response = client.post(
        reverse("findings:publication_create") + f"?{query}", {"number": 1, "published_on": "2026-01-10"}
    )
    assert response.status_code == 302
    assert client.get("/publications/1/").status_code == 200
    # an import: the upload waits for confirmation in the database, not in a local file
    from imports.models import ImportBatch
    from tests.imports.helpers import fixture_files, make_zip

    assert client.get(reverse("imports:template") + f"?report={report.code}").status_code == 200
    upload = SimpleUploadedFile("bundle.zip", make_zip(fixture_files()))
    assert client.post(reverse("imports:import_upload"), {"file": upload}).status_code == 302
    batch = ImportBatch.objects.get()
    assert client.post(reverse("imports:batch_confirm", args=[batch.pk])).status_code == 302
    batch.refresh_from_db()
    assert batch.state == "applied"
    assert tree(settings.BASE_DIR) == before
