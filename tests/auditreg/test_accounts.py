import pytest
from django.db import IntegrityError, transaction

from auditreg.choices import Role
from auditreg.models import User

pytestmark = pytest.mark.django_db


def test_every_account_names_a_person():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="shared", password="x" * 16, role=Role.AUDITOR)


def test_section_roles_need_a_section():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="s", password="x" * 16, role=Role.SECTION_STAFF, last_name="山田")
