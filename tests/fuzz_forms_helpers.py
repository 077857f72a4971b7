"""What the form fuzz tests (tests/test_fuzz_forms*.py) share: the fuzz settings, the snapshot of the rows
and stored evidence files, one example run as a user (refused → nothing written, accepted → pages still
work) and the generated input (nasty strings, primary keys, query strings). The world every example
starts from (build_world) is the world fixture of tests/conftest.py."""

import datetime
import hashlib
import os
from urllib.parse import quote

from django.core.files.storage import storages
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section, User
from findings import services
from findings.models import EvidenceFile, Finding, Measure, MeasureReport, MeasureStatus

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))  # e.g. FUZZ_SCALE=20 for a long, random run


def fuzz(max_examples):
    return settings(
        max_examples=max(1, int(max_examples * SCALE)),
        deadline=None,
        derandomize=SCALE == 1,  # repeatable in CI
        database=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# -- the world every example starts from ------------------------------------------------------


def build_world(make_user, report):
    """Three measures of one section in three states, the people around them, and an unassigned finding."""
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    other = Section.objects.exclude(pk=section.pk).order_by("pk").first()
    people = {
        "auditor": make_user("aud", Role.AUDITOR),
        "admin": make_user("adm", Role.ADMIN),
        "staff": make_user("staff", Role.SECTION_STAFF, section),
        "head": make_user("head", Role.SECTION_HEAD, section),
        "other_staff": make_user("other", Role.SECTION_STAFF, other),
    }
    findings = {
        code: Finding.objects.get(report=report, code=code) for code in ("指摘01", "指摘02", "指摘03", "意見01")
    }
    measures = {}
    for code, name in (("指摘01", "new"), ("指摘02", "draft"), ("指摘03", "submitted")):
        [measures[name]] = services.finding_assign(
            finding=findings[code], sections=[section], reply_by=datetime.date(2025, 9, 30), by=people["auditor"]
        )
    in_progress = MeasureStatus.objects.get(code="in_progress")
    values = {"status": in_progress, "reported_on": datetime.date(2025, 6, 1), "text": "確認中。"}
    services.report_save_draft(measure=measures["draft"], by=people["staff"], values=values, version=None)
    submitted = services.report_save_draft(
        measure=measures["submitted"], by=people["staff"], values=values, version=None
    )
    services.report_submit(report=submitted, by=people["head"])
    return {
        "section": section,
        "people": people,
        "findings": findings,
        "measures": measures,
        "submitted_report": submitted,
        "statuses": list(MeasureStatus.objects.order_by("order")),
    }


# -- snapshot and one example ------------------------------------------------------------------

WATCHED = (Measure, MeasureReport, EvidenceFile, ChangeLog, User)


def state():
    """Row count and digest of the watched tables, and the names of the stored evidence files."""
    digest = {}
    for model in WATCHED:
        rows = list(model.objects.order_by("pk").values_list())
        digest[model._meta.label] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    digest["evidence files"] = sorted(_stored_files(storages["evidence"], "evidence"))
    return digest


def _stored_files(storage, folder):
    if not storage.exists(folder):
        return
    dirs, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for name in dirs:
        yield from _stored_files(storage, f"{folder}/{name}")


def run(client, user, request, *, ok=(), refused=(), later=(), read_only=False, check=None):
    """One example: log in, take the snapshot, send `request()`, check the outcome, roll back.

    ok: statuses of an accepted request (pages in `later` are then fetched and must not fail, and
    `check(response)` may look at what was written); refused: statuses of a refused request (nothing
    may have been written). A 200 counts as refused when its context holds a form with errors.
    read_only: the request may write nothing whatever its outcome (a GET)."""
    with transaction.atomic():
        try:
            client.force_login(user)
            before = state()
            response = request()
            code = response.status_code
            assert code < 500, code
            assert code in ok or code in refused, f"unexpected status {code}"
            has_errors = response.context is not None and any(
                getattr(response.context.get(key), "errors", None)
                for key in ("form", "report_form", "review_form", "evidence_form")
            )
            if code in refused and (code not in ok or has_errors):
                assert state() == before, f"a refused request ({code}) wrote something"
                return f"refused {code}"
            if read_only:
                assert state() == before, f"a read-only request ({code}) wrote something"
            if check is not None:
                check(response)
            for url in later:
                follow = client.get(url)
                assert follow.status_code < 500, (url, follow.status_code)
            return f"accepted {code}"
        finally:
            transaction.set_rollback(True)


# -- generated input -------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e3",
    "2147483648",
    "9223372036854775808",
    "9" * 25,
    "9" * 5000,
    "１２",
    "²",
    "٣",
    "\x00",
    "1\x00",
    "a\x00b",
    "\ufeff",
    "\u202e",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%",
    "%00",
    "%zz",
    "../../etc/passwd",
    "true",
    "null",
    "令和7年4月11日",
    "2025/04/11",
    "2025-02-30",
    "0001-01-01",
    "1900-01-01",
    "1926-12-24",
    "9999-12-31",
    "2025-04-11",
    "あ" * 300,
    "x" * 20000,
]

# only in query strings: a form post of these cannot even be encoded by the test client
RAW_ONLY = ["\ud800", "%ff%fe", "%C0%AE", "&&", "==", ";", "+", "%2B", "a=b=c"]

text = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.integers().map(str))
date_text = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.sampled_from(["0001-01-01", "1900-01-01", "1926-12-24", "1926-12-25", "2025-06-01", "9999-12-31", ""]),
    text,
)
ints = st.one_of(st.integers(min_value=-5, max_value=10**6), st.integers(), st.just(10**30))


def pks(model):
    """Existing primary keys of `model` (as text) and arbitrary ones."""
    existing = [str(pk) for pk in model.objects.order_by("pk").values_list("pk", flat=True)[:50]]
    return st.one_of(st.sampled_from(existing), ints.map(str), text)


def query_string(pairs):
    """A raw query string: keys and values percent-encoded, or left raw (possibly broken) now and then."""
    parts = []
    for key, value, raw in pairs:
        if raw:
            parts.append(f"{key}={value}".encode("utf-8", "surrogatepass").decode("latin-1"))
        else:
            parts.append(
                quote(key.encode("utf-8", "surrogatepass"), safe="")
                + "="
                + quote(value.encode("utf-8", "surrogatepass"), safe="")
            )
    return "&".join(parts)


def params(keys, values):
    return st.lists(st.tuples(st.one_of(st.sampled_from(keys), text), values, st.booleans()), max_size=8)
