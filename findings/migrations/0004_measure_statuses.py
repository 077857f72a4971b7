from django.db import migrations

# The status vocabulary of shared/docs/domain.md §3. Labels can be renamed later in the admin.
STATUSES = [
    # code, label, order, is_done, is_closed, requires_reason
    ("not_started", "未着手", 1, False, False, False),
    ("planned", "措置予定・検討中", 2, False, False, False),
    ("in_progress", "措置中", 3, False, False, False),
    ("done", "措置済", 4, True, True, False),
    ("not_taking", "措置しない", 5, False, True, True),
]


def add_statuses(apps, schema_editor):
    MeasureStatus = apps.get_model("findings", "MeasureStatus")
    for code, label, order, is_done, is_closed, requires_reason in STATUSES:
        MeasureStatus.objects.update_or_create(
            code=code,
            defaults={"label": label, "order": order, "is_done": is_done, "is_closed": is_closed,
                      "requires_reason": requires_reason},
        )


def remove_statuses(apps, schema_editor):
    apps.get_model("findings", "MeasureStatus").objects.filter(code__in=[s[0] for s in STATUSES]).delete()


class Migration(migrations.Migration):
    dependencies = [("findings", "0003_measures")]
    operations = [migrations.RunPython(add_statuses, remove_statuses)]
