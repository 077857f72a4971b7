"""Property-based tests of the main forms and filters with generated input, as the right users: the
list filters and the 措置状況 page, and the measure page forms (save, assign, review). Evidence upload
and account review are in test_fuzz_forms_uploads.py, the regression tests in
test_fuzz_forms_regressions.py; the world, the snapshot and the generated input in fuzz_forms_helpers.py.

Properties, for every page below:
- the response is never a server error: only 2xx, 3xx or 4xx (an exception in a view propagates
  through the test client and fails the example, which is just as good);
- a request the app refuses (4xx, or 200 re-rendering the form with errors) writes nothing:
  Measure, MeasureReport, EvidenceFile, ChangeLog and User rows and the stored evidence files
  are exactly as before;
- a request the app accepts leaves pages that show what was written working (no 500 later).

Every example logs in and runs inside a transaction that is rolled back, so examples do not see
each other's writes. Every bug found here is fixed; its minimal example stays in
test_fuzz_forms_regressions.py. A bug found later fails the property with its example; pin that example
there as a strict xfail regression test and fix it.

Examples are derandomised (the same ones on every run); FUZZ_SCALE=20 runs 20 times as many
with a random seed.
"""

import pytest
from django.urls import reverse
from hypothesis import event, given
from hypothesis import strategies as st

from auditreg.models import Bureau, Section
from findings.models import AuditReport, FindingGroup, MeasureReport, MeasureStatus
from systems.models import InformationSystem

from .fuzz_forms_helpers import RAW_ONLY, date_text, fuzz, ints, params, pks, query_string, run, text

pytestmark = pytest.mark.django_db

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
