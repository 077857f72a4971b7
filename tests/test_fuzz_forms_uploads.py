"""Property-based tests of evidence upload (the multipart body written by hand, so that the file name
reaches the server as is) and of the account review, with generated input, as the right users.

The properties are those of test_fuzz_forms.py: never a server error, a refused request writes nothing
(rows and stored evidence files as before), an accepted one leaves the pages working. Examples are
derandomised; FUZZ_SCALE=20 runs 20 times as many with a random seed.
"""

import hashlib
from urllib.parse import quote

import pytest
from django.urls import reverse
from hypothesis import event, given
from hypothesis import strategies as st

from auditreg.models import User
from findings.models import EvidenceFile

from .fuzz_forms_helpers import fuzz, ints, query_string, run, text

pytestmark = pytest.mark.django_db

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
