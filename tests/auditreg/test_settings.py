import os
import subprocess
import sys

import pytest
from django.conf import settings


def test_database_is_chosen_by_database_url():
    engine = settings.DATABASES["default"]["ENGINE"]
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert engine == "django.db.backends.postgresql"
    else:
        assert engine == "django.db.backends.sqlite3"


def test_production_settings_refuse_a_missing_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "auditreg.settings.production"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_demo_accounts_one_per_role(capsys):
    from django.core.management import call_command
    from django.test import override_settings

    from auditreg.choices import Role
    from auditreg.models import User

    with override_settings(DEBUG=True):
        call_command("seed_demo")
    out = capsys.readouterr().out
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    assert {u.role for u in users.values()} == set(Role.values)
    # the demo does not depend on one city's section: the first section a finding names, in organisation order
    from findings.models import FindingSection

    section = users["demo-staff"].section
    assert FindingSection.objects.filter(section=section).exists()
    named = FindingSection.objects.values_list("section__bureau__order", "section__order")
    assert (section.bureau.order, section.order) == min(named)
    assert users["demo-head"].section == section
    # the demo section's 局 has a 局の代決者, who approves when no one in the section may (代決)
    assert (users["demo-bureau"].bureau, users["demo-bureau"].section) == (section.bureau, None)
    for username in users:
        password = next(line.split()[2] for line in out.splitlines() if f" {username} " in line)
        assert users[username].check_password(password)


@pytest.mark.django_db
def test_demo_accounts_are_refused_outside_debug():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("seed_demo")


@pytest.mark.django_db
def test_createsuperuser_works_on_an_empty_database():
    """A new city's first run: the standard command makes an admin (the role needs no section)."""
    from django.core.management import call_command

    from auditreg.choices import Role
    from auditreg.models import User

    call_command(
        "createsuperuser",
        interactive=False,
        username="first-admin",
        email="admin@example.jp",
        last_name="管理",
        first_name="太郎",
    )
    user = User.objects.get(username="first-admin")
    assert user.is_superuser and user.role == Role.ADMIN and user.section is None
