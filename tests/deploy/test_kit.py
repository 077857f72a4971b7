"""The install kit: static files under the production settings, and the deploy/ files agreeing with
the settings (upload limits, trusted proxy headers, worker command). The running stack (nginx in front
of gunicorn, over HTTPS) is checked by deploy/smoke.sh in CI."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"

PRODUCTION_STATIC = """
import django
from django.core.management import call_command
django.setup()
call_command("collectstatic", "--noinput", verbosity=0)
from django.test import Client
client = Client()
css = client.get("/static/css/app.css", secure=True)
body = b"".join(css.streaming_content) if css.streaming else css.content
print(css.status_code, css["Content-Type"].split(";")[0], len(body))
"""


def test_production_settings_serve_the_css(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "auditreg.settings.production",
        "SECRET_KEY": "x" * 60,
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_STATIC], env=env, capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    status, content_type, size = result.stdout.split()[-3:]
    assert (status, content_type) == ("200", "text/css")
    assert int(size) == (ROOT / "static" / "css" / "app.css").stat().st_size


def _nginx_size(name: str) -> int:
    value = re.search(rf"^\s*{name}\s+(\d+)([km]);", (DEPLOY / "nginx" / "auditreg.conf").read_text(), re.M)
    return int(value.group(1)) * {"k": 1024, "m": 1024 * 1024}[value.group(2)]


def test_nginx_accepts_more_than_every_upload_limit():
    from findings.services import MAX_EVIDENCE_BYTES
    from imports.uploads import max_upload_bytes

    body = _nginx_size("client_max_body_size")
    assert body > max_upload_bytes() and body > MAX_EVIDENCE_BYTES and body > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_nginx_sends_exactly_the_headers_the_settings_trust():
    conf = (DEPLOY / "nginx" / "auditreg.conf").read_text()
    production = (ROOT / "auditreg" / "settings" / "production.py").read_text()
    assert 'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")' in production
    assert "proxy_set_header X-Forwarded-Proto https;" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf  # TRUSTED_PROXY_COUNT=1
    assert "proxy_set_header Host $host;" in conf
    assert conf.count("server_tokens off;") == 2  # both server blocks: no version in Server or error pages
    env = (DEPLOY / "auditreg.env.example").read_text()
    assert "TRUSTED_PROXY_COUNT=1" in env and "DJANGO_SETTINGS_MODULE=auditreg.settings.production" in env


def test_every_timer_has_its_service_and_runs_an_existing_command():
    from django.core.management import get_commands

    timers = sorted((DEPLOY / "systemd").glob("*.timer"))
    names = {t.stem for t in timers}
    assert names == {
        "auditreg-send-reminders",
        "auditreg-purge-import-files",
        "auditreg-apply-reorganisations",
        "auditreg-restore-drill",
        "auditreg-backup",
    }
    commands = get_commands()
    for timer in timers:
        service = (DEPLOY / "systemd" / f"{timer.stem}.service").read_text()
        run = re.search(r"^ExecStart=(.*)$", service, re.M).group(1)
        managed = re.search(r"manage\.py (\S+)", run)
        if managed:
            assert managed.group(1) in commands, run
        else:
            assert (ROOT / run.replace("/opt/auditreg/app/", "")).exists(), run
