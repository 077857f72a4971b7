"""Every column of every bundle file carries its Japanese label and meaning on schema.Col (from
findings/bundle/meanings.py), and the Excel template's 説明 sheet prints them: adding a column without
saying what it holds fails here. The history files (history/measures.yaml, history/publications.csv) included."""

import io

import pytest
from openpyxl import load_workbook

from findings.bundle.meanings import MEANINGS
from findings.bundle.schema import COUNT_COLUMNS, CSV_FILES, FILE_ORDER, YAML_FILES
from imports.workbook import GUIDE_SHEET, LAYOUT, template_bytes


def _leaf_columns():
    """(file, column path, Col) of every value a bundle holds: CSV columns, YAML keys and nested keys."""
    for name in FILE_ORDER:
        for col in CSV_FILES.get(name) or YAML_FILES[name]:
            if col.type == "list":
                for child in col.children:
                    yield name, f"{col.name}.{child.name}", child
            elif name == "reports.yaml" and col.name == "stated_counts":
                for child in COUNT_COLUMNS:
                    yield name, f"{col.name}.{child.name}", child
            else:
                yield name, col.name, col


def test_every_column_has_a_japanese_label_and_meaning():
    missing = [f"{name}: {path}" for name, path, col in _leaf_columns() if not (col.label and col.meaning)]
    assert missing == []
    for _, path, col in _leaf_columns():
        assert not col.label.isascii(), (path, col.label)  # Japanese, not the key again
        assert len(col.label) <= 20, (path, col.label)


def test_the_history_files_are_described():
    history = {(name, path): col for name, path, col in _leaf_columns() if name.startswith("history/")}
    assert {path for name, path in history if name == "history/publications.csv"} >= {"number", "published_on"}
    assert history[("history/measures.yaml", "status")].meaning.startswith("措置状況")
    assert history[("history/publications.csv", "as_of")].label == "時点"


def test_no_meaning_is_left_over_for_a_column_that_is_gone():
    titles = {s.title for s in LAYOUT}
    columns = {c.name for s in LAYOUT for c in s.columns}
    for key in MEANINGS:
        sheet, _, column = key.rpartition(".")
        assert column in columns, key
        assert not sheet or sheet in titles, key


@pytest.mark.django_db
def test_the_template_guide_prints_every_column_with_its_meaning():
    ws = load_workbook(io.BytesIO(template_bytes()))[GUIDE_SHEET]
    rows = {(r[0], r[1]): r[2] for r in ws.iter_rows(values_only=True) if r[0] and r[1]}
    for spec in LAYOUT:
        for col in spec.columns:
            assert rows[(spec.title, col.name)].startswith(col.meaning), (spec.title, col.name)
