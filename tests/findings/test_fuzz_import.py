"""Property-based tests of the bundle import: hundreds of generated broken bundles.

Each example starts from the real bundle (copied once per module), applies one to three
generated mutations to the files' bytes in memory and writes the result to its own folder.
The properties:

- `import_report_bundle` either succeeds, and then importing the same folder again changes
  nothing, or raises `BundleInvalid` whose problems are non-empty Japanese messages, at least
  one of them naming a bundle file; it raises nothing else, and a refused import leaves every
  table (users and many-to-many tables included) exactly as it was;
- after a successful import the pages showing the data still render (report list, report,
  an audited system), so an import cannot store what the site then fails to show;
- `import_report` (the command) either succeeds or raises `CommandError`.

Every example runs in a transaction that is rolled back, so a harmless mutation that did
import leaves nothing behind for the next example. Every bug these properties found is fixed;
its minimal example stays at the end of this file as a regression test. A bug found later fails
the property with its example; pin that example as a strict xfail regression test and fix it.

The generated values and strategies are in fuzz_bundle_values.py, applying a mutation and checking an
outcome in fuzz_bundle_mutations.py (both next to this file).

Examples are derandomised (the same ones on every run); FUZZ_SCALE=20 runs 20 times as many
with a random seed.
"""

import copy
import io
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import event, given
from hypothesis import strategies as st

from findings.bundle import reader
from findings.bundle.importer import BundleInvalid, import_report_bundle

from .fuzz_bundle_mutations import check_pages, check_problems, import_and_check, mutated, write_bundle
from .fuzz_bundle_values import FIXTURES, ORIGINAL, _read_originals, fuzz, mutations, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def memoised_yaml():
    """Parse each distinct YAML text once. Most examples change one file, and PyYAML's pure-Python
    parser is most of an import's time; `safe_load` is deterministic, so a (deep-copied) earlier
    result is what it would return again, and texts it refuses are not cached (the error recurs)."""
    parsed = {}
    original = reader._safe_load  # the reader's safe_load (libyaml, refusing aliases)

    def safe_load(text):
        if text not in parsed:
            parsed[text] = original(text)
        return copy.deepcopy(parsed[text])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reader, "_safe_load", safe_load)
        yield
    parsed.clear()


@pytest.fixture(scope="module")
def fuzz_base(tmp_path_factory):
    """The real bundle copied once (the originals are read from here) and room for the examples."""
    base = tmp_path_factory.mktemp("fuzz_import")
    shutil.copytree(FIXTURES, base / "original")
    assert _read_originals(base / "original") == ORIGINAL
    return base


# -- the properties ------------------------------------------------------------------------


@fuzz(220)
@given(mutation_list=st.lists(mutations, min_size=1, max_size=3))
def test_import_accepts_or_refuses_cleanly(fuzz_base, auditor_client, mutation_list):
    folder = write_bundle(fuzz_base, mutated(mutation_list))
    event(import_and_check(folder, auditor_client))


@fuzz(80)
@given(
    mutation_list=st.lists(mutations, min_size=0, max_size=2),
    where=st.sampled_from(["bundle", "bundle", "bundle", "missing", "file", "empty dir", "nested"]),
    dry_run=st.booleans(),
)
def test_import_command_succeeds_or_raises_command_error(fuzz_base, mutation_list, where, dry_run):
    folder = write_bundle(fuzz_base, mutated(mutation_list))
    if where == "missing":
        folder = folder / "nowhere"
    elif where == "file":
        folder = folder / "reports.yaml"
    elif where == "empty dir":
        folder = folder / "empty"
        folder.mkdir()
    elif where == "nested":
        shutil.move(folder, fuzz_base / "tmp_nested")
        folder.mkdir()
        shutil.move(fuzz_base / "tmp_nested", folder / "inner")
    args = [str(folder)] + (["--dry-run"] if dry_run else [])
    out, err = io.StringIO(), io.StringIO()
    with transaction.atomic():
        try:
            before = snapshot()
            try:
                call_command("import_report", *args, stdout=out, stderr=err)
            except CommandError:
                assert snapshot() == before
                assert "エラー:" in err.getvalue()
                event("CommandError")
            else:
                assert "取り込" in out.getvalue() or "ドライラン" in out.getvalue()
                if dry_run:
                    assert snapshot() == before, "--dry-run wrote to the database"
                event("imported")
        finally:
            transaction.set_rollback(True)


def test_unmutated_bundle_is_a_no_op(fuzz_base, auditor_client):
    """The baseline of the properties: the copy of the real bundle imports without change."""
    folder = write_bundle(fuzz_base, mutated([]))
    assert import_and_check(folder, auditor_client) == "imported, no change"


# -- bugs found by the properties: minimal failing examples ------------------------------------
# Each is the shrunk (or hand-minimised) example of one bug the properties found. The expected
# behaviour is the property's: BundleInvalid naming the file, and the database unchanged.


def refused_naming(fuzz_base, mutation_list, file):
    folder = write_bundle(fuzz_base, mutated(mutation_list))
    before = snapshot()
    with pytest.raises(BundleInvalid) as excinfo:
        import_report_bundle(folder)
    problems = excinfo.value.problems
    check_problems(problems)
    assert any(p.file == file for p in problems), [str(p) for p in problems]
    assert snapshot() == before


@pytest.mark.parametrize(
    "mutation",
    [
        ("set_cell", "organisation/bureaus.csv", "valid_to", 0, "2000-01-01"),
        ("set_cell", "organisation/sections.csv", "valid_to", 0, "2000-01-01"),
        ("set_cell", "organisation/bureaus.csv", "valid_from", 0, "2030-01-01"),
    ],
    ids=["bureau valid_to", "section valid_to", "bureau valid_from"],
)
def test_unit_not_current_on_publication_day_is_refused(fuzz_base, mutation):
    refused_naming(fuzz_base, [mutation], mutation[1])


@pytest.mark.parametrize("row,column", [(0, "name"), (2, "basis")], ids=["dx_fields name", "dx_funding basis"])
def test_stated_total_naming_a_text_column_is_refused(fuzz_base, row, column):
    refused_naming(fuzz_base, [("set_cell", "stated_totals.csv", "column", row, column)], "stated_totals.csv")


@pytest.mark.parametrize("value", ["{1: 2}", "{2024-01-01: 1}"])
def test_stated_counts_key_that_is_not_text_is_refused(fuzz_base, value):
    refused_naming(fuzz_base, [("set_key", "reports.yaml", "stated_counts", 0, value)], "reports.yaml")


@pytest.mark.parametrize(
    "mutation",
    [
        ("set_key", "reports.yaml", "published_on", 0, "2025-02-30"),
        ("set_key", "findings.yaml", "number", 0, "9" * 5000),
        ("set_key", "findings.yaml", "page", 0, "!!int x"),
        ("set_key", "findings.yaml", "page", 0, "!!bool x"),
        ("set_key", "findings.yaml", "page", 0, "!!float ''"),
        ("set_key", "findings.yaml", "page", 0, "!!timestamp x"),
    ],
    ids=["impossible date", "5000 digits", "!!int x", "!!bool x", "!!float ''", "!!timestamp x"],
)
def test_yaml_scalar_its_constructor_rejects_is_refused(fuzz_base, mutation):
    refused_naming(fuzz_base, [mutation], mutation[1])


def test_finding_code_longer_than_4300_digits_is_refused(fuzz_base):
    # the 6th finding is an 意見 (the kind must match for int() to be reached)
    refused_naming(fuzz_base, [("set_key", "findings.yaml", "code", 5, "意見" + "1" * 5000)], "findings.yaml")


@pytest.mark.parametrize("value", ["{契約日: 2024-04-01}", "{a: !!binary aGVsbG8=}", "{a: !!set {x}}"])
def test_extra_value_that_json_cannot_store_is_refused(fuzz_base, value):
    refused_naming(fuzz_base, [("set_key", "budgets/projects.yaml", "extra", 0, value)], "budgets/projects.yaml")


def test_integer_beyond_64_bits_is_refused(fuzz_base):
    folder = write_bundle(fuzz_base, mutated([("set_cell", "systems/systems.csv", "source_line", 0, "9" * 20)]))
    before = snapshot()
    with pytest.raises(BundleInvalid) as excinfo:
        import_report_bundle(folder)
    check_problems(excinfo.value.problems)
    assert snapshot() == before


@pytest.mark.parametrize(
    "mutation",
    [("set_cell", "systems/systems.csv", "source_line", 0, "-1"), ("set_key", "findings.yaml", "page", 0, "-1")],
    ids=["systems.csv source_line", "findings.yaml page"],
)
def test_value_the_database_refuses_is_reported_with_its_file(fuzz_base, mutation):
    folder = write_bundle(fuzz_base, mutated([mutation]))
    with pytest.raises(BundleInvalid) as excinfo:
        import_report_bundle(folder)
    assert any(p.file == mutation[1] for p in excinfo.value.problems), [str(p) for p in excinfo.value.problems]


@pytest.mark.parametrize(
    "mutation",
    [
        ("set_key", "reports.yaml", "published_on", 0, "1926-12-24"),
        ("set_key", "reports.yaml", "audit_period_start", 0, "1900-01-01"),
        ("set_key", "systems/audited_systems.yaml", "fiscal_year", 0, "1900"),
    ],
    ids=["published_on", "audit_period_start", "system budget fiscal_year"],
)
def test_date_before_showa_is_refused_or_shown(fuzz_base, auditor_client, mutation):
    folder = write_bundle(fuzz_base, mutated([mutation]))
    try:
        import_report_bundle(folder)
    except BundleInvalid as exc:
        assert any(p.file == mutation[1] for p in exc.problems), [str(p) for p in exc.problems]
        return
    check_pages(auditor_client)
