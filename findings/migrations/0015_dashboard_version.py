"""The dashboard's cache key (findings.dashboard_cache): the version row and the triggers that change it."""

from django.db import migrations, models

# findings.models.DASHBOARD_TABLES and DASHBOARD_USER_COLUMNS as of this migration
TABLES = (
    "findings_auditreport",
    "findings_finding",
    "findings_findingkindlabel",
    "findings_measurestatus",
    "findings_measure",
    "findings_measurecount",
    "findings_measurereport",
    "findings_publication",
    "findings_publication_reports",
    "auditreg_section",
    "auditreg_bureau",
)
USER_COLUMNS = ("username", "last_name", "first_name")


def create(apps, schema_editor):
    from findings.dashboard_cache import create_triggers

    apps.get_model("findings", "DashboardVersion").objects.using(schema_editor.connection.alias).create(
        pk=1, version="initial"
    )
    create_triggers(schema_editor, TABLES, USER_COLUMNS)


def drop(apps, schema_editor):
    from findings.dashboard_cache import drop_triggers

    drop_triggers(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("auditreg", "0009_user_bureau_approver"),
        ("findings", "0014_measure_count_japanese_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="DashboardChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ],
            options={
                "verbose_name": "ダッシュボードの変更（処理中）",
                "verbose_name_plural": "ダッシュボードの変更（処理中）",
            },
        ),
        migrations.CreateModel(
            name="DashboardVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.CharField(max_length=40, verbose_name="版")),
            ],
            options={
                "verbose_name": "ダッシュボードの版",
                "verbose_name_plural": "ダッシュボードの版",
            },
        ),
        migrations.RunPython(create, drop),
    ]
