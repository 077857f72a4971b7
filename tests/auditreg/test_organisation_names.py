"""Organisation names refuse control characters (a line break typed into a 課 name in the admin made the
status report answer 500): the admin's forms and inline rows, the import's checks and a database CHECK."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import Bureau, Section
from auditreg.validators import CONTROL_MESSAGE
from imports import pipeline
from imports.choices import BatchState
from tests.findings.status_report_helpers import build_history
from tests.findings.test_exports import status_url
from tests.imports.helpers import edit, fixture_files, make_zip, upload

from .test_admin_history import form_of

pytestmark = pytest.mark.django_db

CONTROLS = ["\n", "\r\n", "\t", "\x7f", "\x85", "\u2028", "\x1b[31m"]


@pytest.fixture
def root(client, make_user):
    user = make_user("root", Role.ADMIN, last_name="管理", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _status_pages(client, report):
    for fmt in ("", "csv", "xlsx"):
        response = client.get(status_url(report, **({"format": fmt} if fmt else {})))
        assert response.status_code == 200, (fmt, response.content[:500])


def test_a_line_break_in_a_section_name_is_refused_in_the_admin_and_the_status_report_stays_up(
    client, root, make_user, report
):
    history = build_history(make_user, report)
    section = history.section_a  # 広報広聴課, in the report with another section on 意見04 (joined names)
    url = reverse("admin:auditreg_section_change", args=[section.pk])
    data = form_of(client.get(url))
    response = client.post(url, {**data, "name": "広報\n広聴課", "_save": "保存"})
    assert response.status_code == 200 and CONTROL_MESSAGE in response.content.decode()
    section.refresh_from_db()
    assert section.name == "広報広聴課"
    # the bureau page's inline rows refuse it too
    bureau_url = reverse("admin:auditreg_bureau_change", args=[section.bureau_id])
    data = form_of(client.get(bureau_url))
    key = next(k for k, v in data.items() if k.endswith("-name") and v == "広報広聴課")
    response = client.post(bureau_url, {**data, key: "広報\r\n広聴課", "_save": "保存"})
    assert response.status_code == 200 and CONTROL_MESSAGE in response.content.decode()
    assert Section.objects.filter(pk=section.pk, name="広報広聴課").exists()
    # unusual but one-line names are fine, and every format of the status report answers
    client.force_login(history.auditor)
    Section.objects.filter(pk=section.pk).update(name="広報 広聴課（旧）/ 第1係")
    _status_pages(client, report)


@pytest.mark.parametrize("char", CONTROLS, ids=repr)
def test_the_database_refuses_control_characters_in_names(char):
    bureau = Bureau.objects.order_by("pk").first()
    section = Section.objects.order_by("pk").first()
    for model, pk in ((Bureau, bureau.pk), (Section, section.pk)):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=pk).update(name=f"名{char}前")


def test_the_model_validator_refuses_them_and_allows_ordinary_names():
    from django.core.exceptions import ValidationError

    section = Section.objects.order_by("pk").first()
    section.name = "教育\t総務課"
    with pytest.raises(ValidationError) as refused:
        section.full_clean()
    assert refused.value.message_dict["name"] == [CONTROL_MESSAGE]
    section.name = "教育総務課　分室（仮）"  # a full-width space is a character, not a control
    section.full_clean()


def test_an_import_with_a_line_break_in_a_section_name_is_refused(make_user):
    auditor = make_user("fuzz-auditor", role=Role.AUDITOR)
    files = fixture_files()
    lines = files["organisation/sections.csv"].decode().split("\n")
    header, first = lines[0], lines[1]
    cells = first.split(",")
    name_index = header.split(",").index("name")
    cells[name_index] = f'"{cells[name_index]}\n分室"'
    edit(files, "organisation/sections.csv", first, ",".join(cells))
    batch = pipeline.stage(kind=None, upload=upload(make_zip(files), "bundle.zip"), by=auditor)
    assert batch.state == BatchState.INVALID
    assert any(p[1] == "name" and "制御文字" in p[2] for p in batch.problems), batch.problems[:5]
