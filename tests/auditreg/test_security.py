"""The app passes the audit it tracks: lockout, idle sessions, headers, deploy checks."""

import os
import re
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.urls import reverse

from auditreg.choices import Role
from auditreg.middleware import KEY

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def login(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_account_is_locked_after_repeated_failures_even_with_the_right_password(client, make_user):
    make_user("target", Role.AUDITOR)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "target", "wrong-password").status_code == 200  # the form again, with an error
    assert login(client, "target", "wrong-password").status_code == 429  # the last allowed failure locks
    response = login(client, "target", PASSWORD, ip="10.0.0.2")  # another address: the account itself is locked
    assert response.status_code == 429
    assert "ログインを一時的に停止" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_address_is_locked_after_failures_across_accounts(client, make_user):
    make_user("victim", Role.AUDITOR)
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, f"guess{i}", "wrong", ip="10.9.9.9")
    assert login(client, "victim", PASSWORD, ip="10.9.9.9").status_code == 429
    assert login(client, "victim", PASSWORD, ip="10.9.9.10").status_code == 302  # from elsewhere it works


def test_admin_unlock(client, make_user):
    from django.core.management import call_command

    make_user("target", Role.AUDITOR)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "target", "wrong")
    assert login(client, "target", PASSWORD).status_code == 429
    call_command("axes_reset_username", "target")
    call_command("axes_reset_ip", "10.0.0.1")
    assert login(client, "target", PASSWORD).status_code == 302


def test_success_resets_the_failure_count(client, make_user):
    make_user("target", Role.AUDITOR)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "target", "wrong")
    assert login(client, "target", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "target", "wrong")
    assert login(client, "target", PASSWORD).status_code == 302


def test_idle_session_expires(client, make_user):
    user = make_user("idle", Role.AUDITOR)
    client.force_login(user)
    assert client.get(reverse("findings:finding_list")).status_code == 200
    session = client.session
    session[KEY] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    response = client.get(reverse("findings:finding_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("findings:finding_list")).status_code == 302  # really logged out


def test_active_session_is_kept_alive(client, make_user):
    client.force_login(make_user("busy", Role.AUDITOR))
    session = client.session
    session[KEY] = int(time.time()) - settings.SESSION_IDLE_SECONDS + 120
    session.save()
    assert client.get(reverse("findings:finding_list")).status_code == 200
    assert client.session[KEY] >= int(time.time()) - 5  # refreshed


def test_security_headers(auditor_client):
    response = auditor_client.get(reverse("findings:finding_list"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script_or_style(auditor_client, report):
    from findings.models import Finding

    finding = Finding.objects.get(report=report, code="意見04")
    for url in [
        reverse("findings:finding_list"),
        reverse("findings:finding_detail", args=[finding.pk]),
        reverse("findings:report_detail", args=[report.code]),
        reverse("budgets:budget_tree"),
        reverse("systems:system_list"),
        reverse("findings:dashboard"),
    ]:
        html = auditor_client.get(url).content.decode()
        # scripts only as files the app serves (static/js, issue 13's idle warning), never inline
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert all(re.fullmatch(r'<script src="/static/js/[\w.-]+\.js" defer>', tag) for tag in scripts), url
        assert re.search(r"<script\b[^>]*>(?!</script>)", html) is None, url  # nothing between the tags
        assert "style=" not in html and "<style" not in html, url


def test_password_validation_rejects_weak_passwords(make_user):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = make_user("yamada", Role.AUDITOR, last_name="山田")
    for weak in ["password123", "yamada2025", "1234567890123", "short"]:
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("kanazawa-kenrokuen-2025!", user)


def test_production_settings_pass_check_deploy():
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="auditreg.settings.production",
        SECRET_KEY="x7#Kq2!mZ9@pL4$wR8^tY1&uN6*vB3(cE5)hJ0-gF2+dS7=aQ9~" + "Ab3Cd4",
        ALLOWED_HOSTS="audit.example.lg.jp",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
