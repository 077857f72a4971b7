"""Everyday pieces of issue 13: text kept across an expired session, `next` never a POST-only URL,
per-role start pages, own password change (and required at next login), Japanese error pages, favicon."""

import time

import pytest
from django.urls import reverse

from auditreg import middleware
from auditreg.choices import Role
from auditreg.models import ChangeLog, Section, User
from findings import services
from findings.models import Finding

pytestmark = pytest.mark.django_db
PASSWORD = "Daily-Work-Pass-2025!"


@pytest.fixture
def section(report):
    return Section.objects.get(bureau__name="都市政策局", name="広報広聴課")


@pytest.fixture
def staff(make_user, section):
    user = make_user("staff_d", Role.SECTION_STAFF, section, last_name="担当")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def measure(report, make_user, section):
    auditor = make_user("aud_d", Role.AUDITOR, last_name="監査")
    finding = Finding.objects.get(report=report, code="指摘01")
    (m,) = services.finding_assign(finding=finding, sections=[section], reply_by=None, by=auditor)
    return m


def _expire(client):
    session = client.session
    session[middleware.KEY] = int(time.time()) - 10 * 3600
    session.save()


def test_a_save_after_the_idle_timeout_keeps_the_text_and_returns_to_the_form(client, staff, measure):
    client.force_login(staff)
    _expire(client)
    text = "三十分かけて書いた措置の内容。"
    save = reverse("findings:measure_save", args=[measure.pk])
    response = client.post(save, {"status": "", "reported_on": "R7.4.1", "text": text})
    page = reverse("findings:measure_detail", args=[measure.pk])
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={page.replace('/', '%2F')}"
    assert not measure.reports.exists()  # nothing was saved by a signed-out request
    # log in again through the form: back on the measure page, the text is in the form again
    response = client.post("/login/", {"username": staff.username, "password": PASSWORD, "next": page}, follow=True)
    assert response.redirect_chain[-1][0] == page
    html = response.content.decode()
    assert text in html and "ログインの前に入力していた内容" in html
    # once only
    assert text not in client.get(page).content.decode()


def test_a_signed_out_post_keeps_its_text_too(client, staff, measure):
    page = reverse("findings:measure_detail", args=[measure.pk])
    response = client.post(reverse("findings:measure_save", args=[measure.pk]), {"text": "閉じた後の入力"})
    assert response["Location"] == f"/login/?next={page.replace('/', '%2F')}"
    client.post("/login/", {"username": staff.username, "password": PASSWORD, "next": page})
    assert "閉じた後の入力" in client.get(page).content.decode()


def test_kept_text_is_not_given_to_another_user(client, staff, measure, make_user, section):
    other = make_user("other_d", Role.SECTION_STAFF, section, last_name="別人")
    other.set_password(PASSWORD)
    other.save()
    client.force_login(staff)
    _expire(client)
    client.post(reverse("findings:measure_save", args=[measure.pk]), {"text": "本人だけの下書き"})
    client.post("/login/", {"username": other.username, "password": PASSWORD})
    assert "本人だけの下書き" not in client.get(reverse("findings:measure_detail", args=[measure.pk])).content.decode()


@pytest.mark.parametrize(
    ("role", "start"),
    [
        (Role.SECTION_STAFF, "findings:worklist"),
        (Role.SECTION_HEAD, "findings:worklist"),
        (Role.AUDITOR, "findings:dashboard"),
        (Role.ADMIN, "findings:dashboard"),
    ],
)
def test_each_role_lands_on_its_start_page(client, make_user, section, role, start):
    user = make_user("r", role, section if role in (Role.SECTION_STAFF, Role.SECTION_HEAD) else None, last_name="職員")
    user.set_password(PASSWORD)
    user.save()
    response = client.post("/login/", {"username": "r", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(start)


def test_own_password_change_and_required_change_at_next_login(client, staff):
    User.objects.filter(pk=staff.pk).update(must_change_password=True)
    client.force_login(staff)
    # every page leads to the password page until the change is made
    response = client.get(reverse("findings:finding_list"))
    assert response["Location"] == reverse("password_change")
    page = client.get(reverse("password_change")).content.decode()
    assert "パスワードの変更" in page
    refused = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    )
    assert refused.status_code == 200 and "入力内容を確認してください" in refused.content.decode()
    new = "Another-Long-Pass-2026?"
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password(new) and not staff.must_change_password
    assert client.get(reverse("findings:finding_list")).status_code == 200  # still signed in, free again
    log = ChangeLog.objects.get(action="user.password_changed")
    assert log.actor == staff and "password" not in log.changes


def test_error_pages_are_japanese_in_the_layout(client, staff):
    client.force_login(staff)
    page = client.get("/findings/measures/999999/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "ページが見つかりません" in html and 'class="site"' in html and "メインメニュー" in html
    forbidden = client.get(reverse("findings:dashboard"))
    assert forbidden.status_code == 403 and "権限がありません" in forbidden.content.decode()


def test_500_page_renders_without_a_request_context():
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "エラーが発生しました" in html and '<html lang="ja">' in html


def test_favicon_is_served_without_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"


def test_session_extend_answers_the_idle_limit(client, staff):
    client.force_login(staff)
    assert client.get(reverse("session_extend")).status_code == 405
    data = client.post(reverse("session_extend")).json()
    assert data["idle_seconds"] > 0


def test_login_page_has_autofocus_on_the_user_name(client):
    html = client.get("/login/").content.decode()
    assert 'name="username" autofocus' in html or ("autofocus" in html and 'id="id_username"' in html)
