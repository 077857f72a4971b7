import pytest
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section
from findings.models import MeasureStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    user = make_user("root", Role.ADMIN, last_name="管理", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client, user


def test_renaming_a_status_label_in_the_admin_is_logged(admin_client):
    client, user = admin_client
    status = MeasureStatus.objects.get(code="done")
    url = reverse("admin:findings_measurestatus_changelist")
    data = {"form-TOTAL_FORMS": "5", "form-INITIAL_FORMS": "5", "_save": "保存"}
    for i, s in enumerate(MeasureStatus.objects.order_by("order")):
        data[f"form-{i}-id"] = str(s.pk)
        data[f"form-{i}-label"] = "改善済み" if s.pk == status.pk else s.label
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert MeasureStatus.objects.get(pk=status.pk).label == "改善済み"
    entry = ChangeLog.objects.get(action="admin.changed", object_type="findings.measurestatus")
    assert entry.actor == user and entry.changes["label"] == ["措置済", "改善済み"]


def test_section_change_in_the_admin_is_logged(admin_client):
    client, user = admin_client
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    url = reverse("admin:auditreg_section_change", args=[section.pk])
    response = client.post(
        url,
        {
            "bureau": section.bureau_id,
            "name": section.name,
            "order": section.order,
            "valid_from": "",
            "valid_to": "2027-03-31",
        },
    )
    assert response.status_code == 302
    entry = ChangeLog.objects.get(action="admin.changed", object_type="auditreg.section")
    assert entry.changes["valid_to"] == [None, "2027-03-31"]


def test_password_hash_is_masked_in_admin_logs(make_user):
    from django.contrib import admin as django_admin

    from auditreg.models import User

    target = make_user("target", Role.AUDITOR, last_name="対象")
    values = django_admin.site._registry[User]._values(target)
    assert values["password"] == "(秘密)"
    assert target.password not in str(values)
