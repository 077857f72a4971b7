"""Bigram index for short Japanese search terms (issue #16).

Most Japanese nouns are two characters, and pg_trgm cannot use its index for a LIKE pattern shorter
than three characters: a 2-character search scanned every finding. This adds, on PostgreSQL only,
an IMMUTABLE SQL function search_bigrams(text) -> tsvector (each distinct 2-character substring
without whitespace as a lexeme, taken as-is: no parser, no dictionary), a stored generated column
findings_finding.search_grams = search_bigrams(search_text) (PostgreSQL keeps it; Django does not
know the column and never writes it) and a GIN index on it. A stored column rather than an index on
the expression: a plan that filters rows instead of using the index (ORDER BY … LIMIT walks) would
otherwise run the function on every row's kilobytes of text (seen: 2 s for 300 findings). FindingQuerySet.search narrows with the bigrams of each term and keeps
the LIKE, so the results are exactly those of LIKE. pg_bigm would do the same but is not in Debian.
SQLite: nothing (the search stays a plain LIKE)."""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION search_bigrams(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT g)), ''::tsvector)
  FROM (SELECT substr(t, i, 2) AS g FROM generate_series(1, char_length(t) - 1) AS i) AS pairs
  WHERE g !~ '\s'
$$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(
        "ALTER TABLE findings_finding ADD COLUMN IF NOT EXISTS search_grams tsvector"
        " GENERATED ALWAYS AS (search_bigrams(search_text)) STORED"
    )
    schema_editor.execute("CREATE INDEX IF NOT EXISTS finding_search_bigram ON findings_finding USING gin (search_grams)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS finding_search_bigram")
    schema_editor.execute("ALTER TABLE findings_finding DROP COLUMN IF EXISTS search_grams")
    schema_editor.execute("DROP FUNCTION IF EXISTS search_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("findings", "0008_list_and_dashboard_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
