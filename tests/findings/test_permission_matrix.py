"""Who may do what on the workflow pages: a matrix of every write endpoint and page × every kind of
actor (tests/findings/permissions_matrix.py), each cell checking the status code AND that a refused request
wrote nothing (Measure, MeasureReport, EvidenceFile and ChangeLog rows compared before and after); and the
read-only 監査委員's row of the matrix.

Expected outcomes: anonymous (and a deactivated account) → 302 to the login page; another section's
measure → 404 (it is simply not in the user's querysets); a role that may see the measure but not
take the action → 403; a right role on the wrong state → 400; allowed → 302 to the page or 200."""

import pytest
from django.urls import reverse

from auditreg.choices import Role

from .permissions_matrix import CELLS, DASH, DONE, ENDPOINTS, LOGIN, PDF, client_for, snapshot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("endpoint", "actor", "expected"), CELLS)
def test_permission_matrix(endpoint, actor, expected, world):
    call = ENDPOINTS[endpoint](world)
    client = client_for(actor, world)
    before = snapshot()

    response = getattr(client, call.method)(call.url, call.data) if call.data is not None else client.get(call.url)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif expected == DASH:
        assert response.status_code == 302
        assert response["Location"] == reverse("findings:dashboard")
    elif expected == DONE:
        assert response.status_code == 302, response.content.decode()[:500]
        assert response["Location"] == call.success_url
    else:
        assert response.status_code == expected
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)  # the test client closes the file once it is read
        if expected == 200:
            assert body == PDF
            assert response["Content-Disposition"].startswith("attachment")

    if expected == DONE:
        assert snapshot() != before
        call.check_effect(world, actor)
    else:  # refused, or a read: nothing was written
        assert snapshot() == before


def test_worklist_of_another_section_does_not_list_the_measure(world):
    for actor, own, foreign in (("other_staff", world.other_measure, world.measure), ("staff", world.measure, None)):
        measures = client_for(actor, world).get(reverse("findings:worklist")).context["measures"]
        assert own in measures
        assert foreign not in measures
        assert {m.section for m in measures} == {world.users[actor].section}


# -- the read-only 監査委員 (Role.COMMISSIONER): the matrix's new rows -------------------------------
# Sees everything the audit office sees, changes nothing: every cell as for the admin, who also reads
# every measure and takes none of the workflow's actions.

# fmt: off
COMMISSIONER_ROW = {
    "finding_assign":       403,
    "measure_save":         403,
    "report_submit":        403,
    "report_review_accept": 403,
    "report_review_return": 403,
    "evidence_upload":      403,
    "evidence_download":    200,
    "measure_detail":       200,
    "worklist":             DASH,
    "dashboard":            200,
}
# fmt: on
assert set(COMMISSIONER_ROW) == set(ENDPOINTS)


@pytest.fixture
def commissioner_world(world, make_user):
    world.users["commissioner"] = make_user("commissioner", Role.COMMISSIONER, last_name="委員")
    return world


@pytest.mark.parametrize(("endpoint", "expected"), COMMISSIONER_ROW.items())
def test_permission_matrix_commissioner(endpoint, expected, commissioner_world):
    test_permission_matrix(endpoint, "commissioner", expected, commissioner_world)


@pytest.mark.parametrize(
    ("url_name", "expected"),
    [
        ("findings:status_report", 200),
        ("findings:publication_list", 200),
        ("findings:publication_create", 403),
        ("imports:import_list", 403),
        ("account_review", 403),
        ("deputies", 403),
    ],
)
def test_commissioner_reads_the_office_pages_and_changes_nothing(url_name, expected, commissioner_world):
    client = client_for("commissioner", commissioner_world)
    before = snapshot()
    assert client.get(reverse(url_name)).status_code == expected
    assert snapshot() == before


def test_commissioner_sees_every_section_on_the_finding_page(commissioner_world):
    w = commissioner_world
    page = client_for("commissioner", w).get(reverse("findings:finding_detail", args=[w.finding.pk]))
    assert page.status_code == 200
    assert {w.measure, w.other_measure} <= set(page.context["measures"])
    assert page.context["can_assign"] is False
    nav = page.content.decode().split("</nav>")[0]
    assert "ダッシュボード" in nav and "措置状況・公表" in nav
    assert "自課の措置" not in nav and "データ取込" not in nav


def test_commissioner_takes_no_write_in_the_table(commissioner_world):
    """Of every action in the table the 監査委員 may take only the reads: seeing everything, and
    downloading the status report as filtered."""
    from auditreg.access import RULES, allowed

    user = commissioner_world.users["commissioner"]
    assert {action for action in RULES if allowed(user, action)} == {"view_all", "export"}
