"""Trigram (pg_trgm) GIN indexes for the free-text search (LIKE '%…%' on the NFKC-folded keys).

PostgreSQL only: on SQLite this migration does nothing. Creating the extension needs a role allowed
to (superuser, or CREATE on the database with pg_trgm trusted as in PostgreSQL 13+); pg_trgm works
on Japanese text when the database's locale is UTF-8 (shared/docs/domain.md §5)."""

from django.db import migrations

INDEXES = [
    ("findings_finding", "search_text", "finding_search_trgm"),
    ("systems_informationsystem", "search_text", "system_search_trgm"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column, name in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, _, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("findings", "0005_publications"), ("systems", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
