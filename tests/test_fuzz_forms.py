"""Property-based tests of the main forms and filters with generated input, as the right users.

Properties, for every page below:
- the response is never a server error: only 2xx, 3xx or 4xx (an exception in a view propagates
  through the test client and fails the example, which is just as good);
- a request the app refuses (4xx, or 200 re-rendering the form with errors) writes nothing:
  Measure, MeasureReport, EvidenceFile, ChangeLog and User rows and the stored evidence files
  are exactly as before;
- a request the app accepts leaves pages that show what was written working (no 500 later).

Every example logs in and runs inside a transaction that is rolled back, so examples do not see
each other's writes. Every bug found here is fixed; its minimal example stays at the end of the
file as a regression test. A bug found later fails the property with its example; pin that example
as a strict xfail regression test and fix it.

Examples are derandomised (the same ones on every run); FUZZ_SCALE=20 runs 20 times as many
with a random seed.
"""

import datetime
import hashlib
import os
from urllib.parse import quote

import pytest
from django.core.files.storage import storages
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from auditreg.choices import Role
from auditreg.models import Bureau, ChangeLog, Section, User
from findings import services
from findings.models import AuditReport, EvidenceFile, Finding, FindingGroup, Measure, MeasureReport, MeasureStatus
from systems.models import InformationSystem

pytestmark = pytest.mark.django_db

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


@pytest.fixture
def world(make_user, report):
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


# -- the list filters and the 措置状況 page ----------------------------------------------------

FINDING_KEYS = ["report", "kind", "area", "group", "bureau", "section", "system", "q", "page", "format"]
SYSTEM_KEYS = ["report", "bureau", "section", "importance", "audited", "q", "page"]


@fuzz(80)
@given(data=st.data())
def test_finding_list_filters_never_fail(client, world, data):
    values = st.one_of(
        text,
        pks(AuditReport),
        pks(FindingGroup),
        pks(Bureau),
        pks(Section),
        pks(InformationSystem),
        st.sampled_from(["指摘", "意見", "DX", "情報システム"]),
    )
    qs = query_string(data.draw(params(FINDING_KEYS, st.one_of(values, st.sampled_from(RAW_ONLY)))))
    user = world["people"][data.draw(st.sampled_from(["auditor", "staff", "admin"]))]
    url = data.draw(st.sampled_from([reverse("findings:finding_list"), reverse("findings:finding_export_csv")]))
    event(run(client, user, lambda: client.get(url, QUERY_STRING=qs), ok=(200,), refused=(400, 404), read_only=True))


@fuzz(100)
@given(data=st.data())
def test_system_list_filters_never_fail(client, world, data):
    values = st.one_of(
        text,
        pks(AuditReport),
        pks(Bureau),
        pks(Section),
        st.sampled_from(["A", "B", "C", "true", "false", "1", "0", "yes", "unknown"]),
    )
    qs = query_string(data.draw(params(SYSTEM_KEYS, st.one_of(values, st.sampled_from(RAW_ONLY)))))
    user = world["people"][data.draw(st.sampled_from(["auditor", "staff"]))]
    url = data.draw(st.sampled_from([reverse("systems:system_list"), reverse("systems:system_export_csv")]))
    event(run(client, user, lambda: client.get(url, QUERY_STRING=qs), ok=(200,), refused=(400, 404), read_only=True))


@fuzz(120)
@given(data=st.data())
def test_status_report_page_never_fails(client, world, data):
    labels = ["未割当", *(s.label for s in world["statuses"])]
    value_of = {
        "reports": pks(AuditReport),
        "as_of": date_text,
        "per": st.one_of(st.sampled_from(["finding", "section"]), text),
        "kind": st.one_of(st.sampled_from(["", "指摘", "意見"]), text),
        "status": st.one_of(st.sampled_from(labels), text),
        "bureau": pks(Bureau),
        "section": pks(Section),
        "format": st.one_of(st.sampled_from(["csv", "xlsx", "html", ""]), text),
        "order": st.one_of(st.sampled_from(["number", "organisation", ""]), text),
        "preamble": st.one_of(st.sampled_from(["on", ""]), text),
        "notifier": text,
        "legal_basis": text,
        "notified_on": date_text,
        "commissioners": text,
    }
    pairs = []
    for key in data.draw(st.lists(st.sampled_from(sorted(value_of)), max_size=8)):
        pairs.append((key, data.draw(value_of[key]), data.draw(st.booleans())))
    pairs += data.draw(params(["x", "reports[]", "as_of"], text))
    pairs = [p for p in pairs if not (p[0] == "format" and p[1] == "pdf")]  # PDF rendering is slow
    qs = query_string(pairs)
    who = data.draw(st.sampled_from(["auditor", "auditor", "admin", "staff"]))
    event(
        run(
            client,
            world["people"][who],
            lambda: client.get(reverse("findings:status_report"), QUERY_STRING=qs),
            ok=(200,),
            refused=(400, 403),
            read_only=True,
        )
    )


# -- the measure page forms --------------------------------------------------------------------


def perturbed(draw, valid: dict, fields: dict) -> dict:
    """A valid form with some fields replaced by generated values, left out or sent twice
    (a QueryDict takes the last), plus now and then a field the form does not know."""
    out = {}
    for name, strategy in fields.items():
        how = draw(st.sampled_from(["keep", "keep", "keep", "generate", "generate", "absent", "twice"]))
        if how == "keep" and name in valid:
            out[name] = valid[name]
        elif how == "generate":
            out[name] = draw(strategy)
        elif how == "twice":
            out[name] = [draw(strategy), draw(strategy)]
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        out[draw(st.sampled_from(["csrfmiddlewaretoken", "id", "measure", "state", "x"]))] = draw(text)
    return out


@fuzz(150)
@given(data=st.data())
def test_measure_save_form(client, world, data):
    statuses = {s.code: s for s in world["statuses"]}
    name = data.draw(st.sampled_from(["new", "draft", "draft", "submitted"]))
    measure = world["measures"][name]
    status = data.draw(st.sampled_from(["in_progress", "planned", "done", "not_taking"]))
    valid = {
        "status": str(statuses[status].pk) if status in statuses else "",
        "reported_on": "2025-06-01",
        "text": "措置の内容。",
        "completed_on": "2025-05-31" if status == "done" else "",
        "reason": "理由。" if status == "not_taking" else "",
        "version": "" if name == "new" else "1",
    }
    fields = {
        "status": st.one_of(st.sampled_from([str(s.pk) for s in world["statuses"]]), pks(MeasureStatus)),
        "reported_on": date_text,
        "text": st.one_of(st.just("措置の内容。"), text, st.sampled_from(["あ" * 10000, "あ" * 10001, "\r\n" * 5001])),
        "planned_completion_on": date_text,
        "completed_on": date_text,
        "reason": text,
        "version": st.one_of(st.sampled_from(["", "1", "2", "0"]), ints.map(str), text),
    }
    form = perturbed(data.draw, valid, fields)
    who = data.draw(st.sampled_from(["staff", "staff", "staff", "head", "other_staff", "auditor"]))
    url = reverse("findings:measure_save", args=[measure.pk])
    later = [
        reverse("findings:measure_detail", args=[measure.pk]),
        reverse("findings:finding_detail", args=[measure.finding_id]),
        reverse("findings:worklist"),
    ]
    event(
        run(
            client,
            world["people"][who],
            lambda: client.post(url, form),
            ok=(302,),
            refused=(400, 403, 404, 409),
            later=later,
        )
    )


@fuzz(120)
@given(data=st.data())
def test_assign_form(client, world, data):
    finding = world["findings"][data.draw(st.sampled_from(sorted(world["findings"])))]
    section = str(world["section"].pk)
    valid = {"sections": [section], "reply_by": "2025-09-30"}
    fields = {
        "sections": st.lists(st.one_of(st.just(section), pks(Section)), max_size=4),
        "reply_by": date_text,
    }
    form = perturbed(data.draw, valid, fields)
    who = data.draw(st.sampled_from(["auditor", "auditor", "auditor", "admin", "staff"]))
    url = reverse("findings:finding_assign", args=[finding.pk])
    later = [reverse("findings:finding_detail", args=[finding.pk]), reverse("findings:dashboard")] + [
        reverse("findings:measure_detail", args=[m.pk]) for m in world["measures"].values()
    ]
    event(
        run(
            client,
            world["people"][who],
            lambda: client.post(url, form),
            ok=(302,),
            refused=(200, 403, 404),
            later=later,
        )
    )


@fuzz(100)
@given(data=st.data())
def test_review_form(client, world, data):
    decision = data.draw(st.sampled_from(["accept", "return"]))
    valid = {"decision": decision, "comment": "差し戻します。" if decision == "return" else ""}
    fields = {
        "decision": st.one_of(st.sampled_from(["accept", "return", "ACCEPT", "", "accept\x00"]), text),
        "comment": st.one_of(st.just("差し戻します。"), text, st.sampled_from(["x" * 5000, "x" * 5001])),
    }
    form = perturbed(data.draw, valid, fields)
    measure = world["measures"][data.draw(st.sampled_from(["submitted", "submitted", "draft"]))]
    report_pk = data.draw(
        st.one_of(
            st.just(world["submitted_report"].pk),
            st.sampled_from(list(MeasureReport.objects.values_list("pk", flat=True))),
            st.integers(min_value=0, max_value=2**31 - 1),
        )
    )
    who = data.draw(st.sampled_from(["auditor", "auditor", "auditor", "admin", "staff", "head"]))
    url = reverse("findings:report_review", args=[measure.pk, report_pk])
    later = [
        reverse("findings:measure_detail", args=[measure.pk]),
        reverse("findings:finding_detail", args=[measure.finding_id]),
        reverse("findings:dashboard"),
    ]
    event(
        run(
            client,
            world["people"][who],
            lambda: client.post(url, form),
            ok=(302,),
            refused=(400, 403, 404),
            later=later,
        )
    )


# -- evidence upload: the multipart body is written by hand, the file name reaches the server as is

BOUNDARY = "----auditreg-fuzz-7d1b3a"

FILE_NAMES = [
    "確認表.pdf",
    "a.PDF",
    "scan.png",
    "photo.jpeg",
    "list.csv",
    "memo.txt",
    "book.xlsx",
    "../../etc/passwd.pdf",
    "..\\..\\windows\\win.ini.txt",
    "/absolute/path.csv",
    "C:\\Users\\x\\報告.pdf",
    "....//....//x.pdf",
    "%2e%2e%2fx.pdf",
    "&#46;&#46;&#47;x.pdf",
    ".pdf",
    ".",
    "..",
    "",
    " ",
    "x.pdf.exe",
    "x.exe.pdf",
    "x.pdf ",
    "x .pdf",
    "x.pdf\x00.txt",
    "x\r\n.pdf",
    'x".pdf',
    "x;.pdf",
    "\u202efdp.exe.pdf",
    "CON.pdf",
    "😀.pdf",
    "ｶﾅ.csv",
    "a" * 10000 + ".pdf",
    "あ" * 300 + ".txt",
    "x." + "p" * 300,
]

MAGIC = [b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"PK\x03\x04", b"", b"MZ\x90\x00"]


VALID_KINDS = {
    ".pdf": b"%PDF-1.7\n",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff\xe0",
    ".xlsx": b"PK\x03\x04",
    ".csv": b"a,b\n",
    ".txt": "確認しました。\n".encode(),
}


@st.composite
def uploads(draw):
    """(file name bytes, content, style): half of them a plausible file, half anything."""
    if draw(st.booleans()):
        ext = draw(st.sampled_from(sorted(VALID_KINDS)))
        stem = draw(st.one_of(st.sampled_from(["確認表", "scan", "a" * 250, "../x", "..\\x", "x\x00y"]), st.text()))
        name = stem + draw(st.sampled_from([ext, ext.upper()]))
        tail = st.binary(max_size=200) if ext not in (".csv", ".txt") else st.text(max_size=100).map(str.encode)
        content = VALID_KINDS[ext] + draw(tail)
    else:
        name = draw(st.one_of(st.sampled_from(FILE_NAMES), st.text(max_size=30).map(lambda s: s + ".pdf"), st.text()))
        content = draw(
            st.one_of(
                st.tuples(st.sampled_from(MAGIC), st.binary(max_size=200)).map(lambda t: t[0] + t[1]),
                st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
                st.sampled_from([b"", b"\xff\xfe\x00", "監査".encode("shift_jis"), b"a,b\n1,2\n"]),
            )
        )
    if draw(st.integers(min_value=0, max_value=49)) == 0:
        content = b"%PDF-" + b"\0" * (10 * 1024 * 1024)  # one byte over the limit
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "shift_jis", "latin-1"]))
    name_bytes = name.encode(encoding, errors="replace")
    style = draw(st.sampled_from(["plain", "plain", "plain", "rfc5987", "no file", "two files"]))
    return name_bytes, content, style


def multipart(name_bytes: bytes, content: bytes, style: str) -> bytes:
    b = BOUNDARY.encode()
    if style == "no file":
        return b"--" + b + b'\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--' + b + b"--\r\n"
    if style == "rfc5987":
        disposition = b"filename*=UTF-8''" + quote(name_bytes, safe="").encode()
    else:
        disposition = b'filename="' + name_bytes + b'"'
    part = (
        b"--"
        + b
        + b'\r\nContent-Disposition: form-data; name="file"; '
        + disposition
        + b"\r\nContent-Type: application/octet-stream\r\n\r\n"
        + content
        + b"\r\n"
    )
    return part * (2 if style == "two files" else 1) + b"--" + b + b"--\r\n"


@fuzz(120)
@given(data=st.data(), upload=uploads())
def test_evidence_upload(client, world, data, upload):
    name = data.draw(st.sampled_from(["new", "draft", "submitted"]))
    measure = world["measures"][name]
    who = data.draw(st.sampled_from(["staff", "staff", "staff", "head", "other_staff", "auditor"]))
    url = reverse("findings:evidence_upload", args=[measure.pk])
    body = multipart(*upload)
    later = [reverse("findings:measure_detail", args=[measure.pk])]

    def check(response):
        """What was stored: exactly the bytes sent, under a bare file name within the length limit."""
        evidence = EvidenceFile.objects.filter(measure=measure).latest("pk")
        name = evidence.original_name
        assert name and len(name) <= 200 and "/" not in name and "\\" not in name and name not in (".", ".."), name
        assert "\x00" not in name, name
        assert evidence.sha256 == hashlib.sha256(upload[1]).hexdigest()
        with evidence.file.open("rb") as stored:
            assert stored.read() == upload[1]

    event(
        run(
            client,
            world["people"][who],
            lambda: client.post(url, body, content_type=f"multipart/form-data; boundary={BOUNDARY}"),
            ok=(302,),
            refused=(400, 403, 404),
            later=later,
            check=check,
        )
    )


# -- account review ------------------------------------------------------------------------------


@fuzz(100)
@given(data=st.data())
def test_account_review(client, world, data):
    people = world["people"]
    who = data.draw(st.sampled_from(["admin", "admin", "admin", "auditor", "staff"]))
    days = data.draw(st.one_of(st.none(), text, ints.map(str)))
    query = "" if days is None else query_string([("days", days, data.draw(st.booleans()))])
    url = reverse("account_review")
    if data.draw(st.booleans()):
        event(
            run(
                client,
                people[who],
                lambda: client.get(url, QUERY_STRING=query),
                ok=(200,),
                refused=(403,),
                read_only=True,
            )
        )
        return
    existing = [str(u.pk) for u in people.values()]
    ids = data.draw(st.lists(st.one_of(st.sampled_from(existing), ints.map(str), text), max_size=6))
    actor = people[who]

    def request():
        before = {u.pk: u.is_active for u in User.objects.all()}
        response = client.post(url, {"user": ids}, QUERY_STRING=query)
        if response.status_code == 302:
            after = {u.pk: u.is_active for u in User.objects.all()}
            changed = {pk for pk in before if before[pk] != after[pk]}
            assert all(not after[pk] for pk in changed), "a deactivation activated someone"
            posted = {int(x) for x in ids if x.isascii() and x.isdigit() and len(x) <= 4300}  # int()'s limit
            assert changed <= posted, changed
            assert after[actor.pk], "an administrator deactivated themself"
        return response

    event(run(client, actor, request, ok=(302, 200), refused=(403,)))


# -- bugs found by the properties: minimal failing examples ------------------------------------
# Each is the shrunk (or hand-minimised) example of one bug the properties found; the assertions
# are the property's expectation.

ON_SQLITE = connection.vendor == "sqlite"
BEYOND_64_BITS = str(2**63)


def login(client, user):
    client.force_login(user)
    return client


def test_status_report_as_of_the_last_day_is_refused(client, world):
    response = login(client, world["people"]["auditor"]).get(reverse("findings:status_report"), {"as_of": "9999-12-31"})
    assert response.status_code == 400


def test_status_report_as_of_before_showa_is_refused(client, world):
    response = login(client, world["people"]["auditor"]).get(reverse("findings:status_report"), {"as_of": "1926-12-24"})
    assert response.status_code == 400


@pytest.mark.parametrize("field", ["reported_on", "planned_completion_on"])
def test_dates_before_showa_in_a_draft_are_refused_or_shown(client, world, field):
    measure = world["measures"]["new"]
    in_progress = MeasureStatus.objects.get(code="in_progress")
    form = {"status": in_progress.pk, "reported_on": "2025-06-01", "text": "措置の内容。"} | {field: "1926-12-24"}
    c = login(client, world["people"]["staff"])
    response = c.post(reverse("findings:measure_save", args=[measure.pk]), form)
    assert response.status_code in (302, 400)
    assert c.get(reverse("findings:measure_detail", args=[measure.pk])).status_code == 200


def test_reply_by_before_showa_is_refused_or_shown(client, world):
    finding = world["findings"]["意見01"]
    c = login(client, world["people"]["auditor"])
    response = c.post(
        reverse("findings:finding_assign", args=[finding.pk]),
        {"sections": [world["section"].pk], "reply_by": "1926-12-24"},
    )
    assert response.status_code in (200, 302)
    assert c.get(reverse("findings:finding_detail", args=[finding.pk])).status_code == 200


@pytest.mark.parametrize("value", ["²", "9" * 5000], ids=["superscript two", "5000 digits"])
def test_account_review_post_with_odd_digit_ids(client, world, value):
    response = login(client, world["people"]["admin"]).post(reverse("account_review"), {"user": [value]})
    assert response.status_code == 302
    assert User.objects.filter(is_active=False).count() == 0


@pytest.mark.parametrize("page", ["status report", "assign", "account review"])
def test_primary_key_beyond_64_bits_is_refused(client, world, page):
    people = world["people"]
    if page == "status report":
        response = login(client, people["auditor"]).get(reverse("findings:status_report"), {"reports": BEYOND_64_BITS})
        assert response.status_code == 400
    elif page == "assign":
        url = reverse("findings:finding_assign", args=[world["findings"]["意見01"].pk])
        response = login(client, people["auditor"]).post(url, {"sections": [BEYOND_64_BITS]})
        assert response.status_code == 200 and response.context["form"].errors
    else:
        response = login(client, people["admin"]).post(reverse("account_review"), {"user": [BEYOND_64_BITS]})
        assert response.status_code == 302
