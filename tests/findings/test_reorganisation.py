"""機構改革の引継ぎ end to end: measures of an abolished section move to its successors with their
reports, evidence and history; the old section stays on the reports it made; the 措置状況 shows the same
statuses under the new sections, and the publication diff does not count the moved items as changed."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section
from findings import publishing, reorganisation, services, status_report
from findings.choices import ReportState
from findings.models import (
    EvidenceFile,
    Finding,
    MeasureCount,
    MeasureReport,
    MeasureStatus,
    OrganisationChange,
    Publication,
)

pytestmark = pytest.mark.django_db

EFFECTIVE = datetime.date(2026, 4, 1)  # 令和8年4月1日
PDF = b"%PDF-1.4\n%%EOF\n"


def values(code, text="対応中", completed_on=None):
    return {
        "status": MeasureStatus.objects.get(code=code),
        "reported_on": datetime.date(2025, 9, 1),
        "text": text,
        "completed_on": completed_on,
    }


@pytest.fixture
def world(report, make_user):
    koho = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    bureau = koho.bureau
    new_a = Section.objects.create(bureau=bureau, name="広報課", order=9001, valid_from=EFFECTIVE)
    new_b = Section.objects.create(bureau=bureau, name="広聴課", order=9002, valid_from=EFFECTIVE)
    auditor = make_user("aud", Role.AUDITOR)
    staff = make_user("staff", Role.SECTION_STAFF, koho)
    head = make_user("head", Role.SECTION_HEAD, koho)
    f = {c: Finding.objects.get(report=report, code=c) for c in ("指摘01", "意見01", "意見02", "意見03")}
    m = {}
    for code in f:
        (m[code],) = services.finding_assign(
            finding=f[code], sections=[koho], reply_by=datetime.date(2025, 12, 26), by=auditor
        )
    # 指摘01: accepted 措置済 with evidence; 意見01: accepted 措置中 then a new submitted report;
    # 意見02: a draft being written; 意見03: nothing reported yet
    r = services.report_save_draft(
        measure=m["指摘01"], by=staff, version=None, values=values("done", "分離した", datetime.date(2025, 8, 1))
    )
    services.evidence_add(measure=m["指摘01"], by=staff, upload=SimpleUploadedFile("確認.pdf", PDF))
    accepted_done = services.report_accept(report=services.report_submit(report=r, by=head), by=auditor)
    r = services.report_save_draft(measure=m["意見01"], by=staff, version=None, values=values("in_progress"))
    accepted_open = services.report_accept(report=services.report_submit(report=r, by=head), by=auditor)
    r = services.report_save_draft(measure=m["意見01"], by=staff, version=None, values=values("in_progress", "続き"))
    awaiting = services.report_submit(report=r, by=head)
    draft = services.report_save_draft(measure=m["意見02"], by=staff, version=None, values=values("planned"))
    return locals()


def rows_by_code(built):
    return {r.code: (r.status_code, [u["section"] for u in r.units]) for r in built.rows if r.units}


def test_hand_over_keeps_status_history_and_the_publication_diff(world, report):
    w = world
    koho, new_a, new_b, auditor = w["koho"], w["new_a"], w["new_b"], w["auditor"]
    today = timezone.localdate()
    before_f = status_report.build(reports=[report], as_of=today, per="finding")
    before_s = status_report.build(reports=[report], as_of=today, per="section")
    previous = Publication(number=1, snapshot=before_s.to_json())  # the last publication, per section

    # preview: 意見02 goes to 広聴課 (chosen), the rest to the first successor
    p = reorganisation.plan(
        from_section=koho, to_sections=[new_a, new_b], effective_on=EFFECTIVE, choices={w["m"]["意見02"].pk: new_b.pk}
    )
    assert len(p.movable) == 4 and not p.refused
    assert (p.n_reports, p.n_evidence) == (4, 1)
    assert [(s.name, n) for s, n in p.per_successor()] == [("広報課", 3), ("広聴課", 1)]
    assert p.n_users == 2
    assert MeasureReport.objects.filter(measure__section=koho).count() == 4  # a preview writes nothing

    change = reorganisation.prepare(
        from_section=koho,
        to_sections=[new_a, new_b],
        effective_on=EFFECTIVE,
        choices={w["m"]["意見02"].pk: new_b.pk},
        note="機構改革により広報広聴課を分割",
        by=auditor,
        today=EFFECTIVE,
    )
    assert change.state == OrganisationChange.APPLIED and change.applied_by == auditor
    for mm in w["m"].values():
        mm.refresh_from_db()
    assert [w["m"][c].section for c in ("指摘01", "意見01", "意見02", "意見03")] == [new_a, new_a, new_b, new_a]
    # reports and evidence moved with the measure; the reports the old section made keep it
    for name in ("accepted_done", "accepted_open", "awaiting", "draft"):
        w[name].refresh_from_db()
    assert w["accepted_done"].section == koho and w["accepted_open"].section == koho
    assert w["awaiting"].section == koho and w["awaiting"].state == ReportState.SUBMITTED
    assert w["draft"].section == new_b  # still being written: the successor finishes it
    assert EvidenceFile.objects.get().measure.section == new_a
    koho.refresh_from_db()
    assert koho.valid_to == EFFECTIVE
    # history: one entry per measure on its finding, old → new
    log = ChangeLog.objects.filter(action="measure.transferred").order_by("pk")
    assert [(e.finding_id, e.changes["section"]) for e in log] == [
        (w["f"][c].pk, [str(koho), str(w["m"][c].section)]) for c in ("指摘01", "意見01", "意見02", "意見03")
    ]
    assert ChangeLog.objects.filter(action="organisation.applied", object_id=change.pk).count() == 1

    # 措置状況: the same statuses, now under the successors
    after_f = status_report.build(reports=[report], as_of=today, per="finding")
    after_s = status_report.build(reports=[report], as_of=today, per="section")
    assert sorted((r.code, r.status_code) for r in after_f.rows) == sorted(
        (r.code, r.status_code) for r in before_f.rows
    )
    assert (after_f.summary, after_f.totals, after_f.n_done) == (before_f.summary, before_f.totals, before_f.n_done)
    was, now = rows_by_code(before_s), rows_by_code(after_s)
    assert was["指摘01"] == ("done", ["広報広聴課"]) and now["指摘01"] == ("done", ["広報課"])
    assert was["意見01"] == ("in_progress", ["広報広聴課"]) and now["意見01"] == ("in_progress", ["広報課"])
    assert now["意見02"] == ("not_started", ["広聴課"]) and now["意見03"] == ("not_started", ["広報課"])
    # the publication diff: nothing newly completed or progressed because of the hand-over
    diff = publishing.changes_since(previous, after_s)
    assert diff["completed"] == [] and diff["progressed"] == []
    diff_f = publishing.changes_since(Publication(number=1, snapshot=before_f.to_json()), after_f)
    assert diff_f["completed"] == [] and diff_f["progressed"] == []
    # the dashboard's per-section counts follow the measures
    assert not MeasureCount.objects.filter(section=koho).exists()
    assert sum(MeasureCount.objects.filter(section__in=[new_a, new_b]).values_list("measures", flat=True)) == 4
    # and so do its per-局 counts of findings (the 局別 chart)
    from tests.findings.test_measure_counts import kept_bureaus, recount_bureaus

    assert kept_bureaus() == recount_bureaus() and kept_bureaus()


def test_a_measure_the_successor_already_has_is_listed_and_stays(world, report):
    w = world
    f = w["f"]["意見03"]
    services.finding_assign(finding=f, sections=[w["koho"], w["new_a"]], reply_by=None, by=w["auditor"])
    p = reorganisation.plan(from_section=w["koho"], to_sections=[w["new_a"]], effective_on=EFFECTIVE)
    (refused,) = p.refused
    assert refused.measure.finding == f and "広報課 にはこの指摘・意見の措置がすでにある" in refused.refused
    change = reorganisation.prepare(
        from_section=w["koho"], to_sections=[w["new_a"]], effective_on=EFFECTIVE, by=w["auditor"], today=EFFECTIVE
    )
    assert change.moves.filter(to_section__isnull=True).get().measure.section == w["koho"]
    assert change.moves.filter(to_section=w["new_a"]).count() == 3


def test_prepared_in_advance_applied_when_due_and_from_the_command(world):
    w = world
    out = io.StringIO()
    call_command(
        "reorganise",
        "--from",
        "都市政策局/広報広聴課",
        "--to",
        "都市政策局/広報課,都市政策局/広聴課",
        "--effective",
        "令和8年4月1日",
        "--dry-run",
        stdout=out,
    )
    text = out.getvalue()
    assert "移す措置 4 件（報告 4 件・根拠資料 1 件）" in text and "何も書き込んでいません" in text
    assert not OrganisationChange.objects.exists()
    out = io.StringIO()
    call_command(
        "reorganise",
        "--from",
        str(w["koho"].pk),
        "--to",
        str(w["new_a"].pk),
        "--effective",
        "2026-04-01",
        "--by",
        "aud",
        "--today",
        "2026-03-01",
        stdout=out,
    )
    assert "予定として登録しました" in out.getvalue()
    change = OrganisationChange.objects.get()
    assert change.state == OrganisationChange.PREPARED
    assert w["m"]["指摘01"].__class__.objects.filter(section=w["koho"]).count() == 4  # nothing moved yet
    with pytest.raises(services.WorkflowError, match="前のため"):
        reorganisation.apply(change=change, by=w["auditor"], today=datetime.date(2026, 3, 31))
    call_command("apply_reorganisations", "--today", "2026-03-31", stdout=io.StringIO())
    change.refresh_from_db()
    assert change.state == OrganisationChange.PREPARED
    out = io.StringIO()
    call_command("apply_reorganisations", "--today", "2026-04-01", stdout=out)
    change.refresh_from_db()
    assert change.state == OrganisationChange.APPLIED and change.applied_by is None
    assert "4 件を移しました" in out.getvalue()
    assert w["m"]["指摘01"].__class__.objects.filter(section=w["new_a"]).count() == 4


def test_only_the_office_reorganises(world):
    w = world
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        reorganisation.prepare(
            from_section=w["koho"], to_sections=[w["new_a"]], effective_on=EFFECTIVE, by=w["head"], today=EFFECTIVE
        )
    with pytest.raises(services.WorkflowError, match="元の課"):
        reorganisation.plan(from_section=w["koho"], to_sections=[w["koho"]], effective_on=EFFECTIVE)


def test_section_names_are_unique_per_parent_not_per_bureau(db):
    from django.db import IntegrityError, transaction

    bureau = Section.objects.get(bureau__name="都市政策局", name="広報広聴課").bureau
    a = Section.objects.create(bureau=bureau, name="第一部", order=9101)
    b = Section.objects.create(bureau=bureau, name="第二部", order=9102)
    Section.objects.create(bureau=bureau, parent=a, name="総務課", order=9103)
    Section.objects.create(bureau=bureau, parent=b, name="総務課", order=9104)  # allowed: another parent
    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.create(bureau=bureau, parent=a, name="総務課", order=9105)


def test_preview_then_run_from_the_browser_pages(client, world):
    from django.urls import reverse

    w = world
    client.force_login(w["auditor"])
    assert client.get(reverse("findings:reorganisation_list")).status_code == 200
    params = {
        "from_section": w["koho"].pk,
        "to_sections": [w["new_a"].pk, w["new_b"].pk],
        "effective_on": "令和8年4月1日",
        "note": "分割",
    }
    preview = client.get(reverse("findings:reorganisation_preview"), params)
    text = preview.content.decode()
    assert preview.status_code == 200 and "移す措置 4 件（報告 4 件・根拠資料 1 件" in text
    assert OrganisationChange.objects.count() == 0
    run = client.post(
        reverse("findings:reorganisation_preview"), params | {f"choice_{w['m']['意見02'].pk}": w["new_b"].pk}
    )
    change = OrganisationChange.objects.get()
    assert run.status_code == 302 and run["Location"] == reverse("findings:reorganisation_detail", args=[change.pk])
    expected = OrganisationChange.APPLIED if EFFECTIVE <= timezone.localdate() else OrganisationChange.PREPARED
    assert change.state == expected and change.choices[str(w["m"]["意見02"].pk)] == w["new_b"].pk
    assert client.get(run["Location"]).status_code == 200
    # bad input: a Japanese message, nothing written
    bad = client.get(reverse("findings:reorganisation_preview"), params | {"to_sections": [w["koho"].pk]})
    assert bad.status_code == 400 and "元の課を承継する課に含めることはできません。" in bad.content.decode()
    client.force_login(w["head"])
    assert client.get(reverse("findings:reorganisation_list")).status_code == 403


def test_the_measure_page_shows_the_section_each_report_was_made_by(client, world):
    from django.urls import reverse

    w = world
    reorganisation.prepare(
        from_section=w["koho"], to_sections=[w["new_a"]], effective_on=EFFECTIVE, by=w["auditor"], today=EFFECTIVE
    )
    client.force_login(w["auditor"])
    text = client.get(reverse("findings:measure_detail", args=[w["m"]["指摘01"].pk])).content.decode()
    assert "措置：指摘01（都市政策局 広報課）" in text and "報告時の所管課：広報広聴課" in text


def test_the_data_migration_fills_each_report_with_its_measure_section(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("findings.migrations.0012_report_section_and_organisation_change")
    MeasureReport.objects.update(section=None)  # as before the migration
    migration.fill_report_sections(apps, None)
    pairs = set(MeasureReport.objects.values_list("section_id", "measure__section_id"))
    assert pairs == {(world["koho"].pk, world["koho"].pk)} and MeasureReport.objects.count() == 4


def test_a_prepared_change_whose_successor_was_abolished_shows_why_not_a_500(client, world):
    from django.urls import reverse

    w = world
    change = reorganisation.prepare(
        from_section=w["koho"],
        to_sections=[w["new_a"]],
        effective_on=EFFECTIVE,
        by=w["auditor"],
        today=datetime.date(2026, 3, 1),
    )
    Section.objects.filter(pk=w["new_a"].pk).update(valid_from=None, valid_to=datetime.date(2026, 3, 31))
    client.force_login(w["auditor"])
    page = client.get(reverse("findings:reorganisation_detail", args=[change.pk]))
    assert page.status_code == 200 and "実施日（令和8年4月1日）には廃止されています" in page.content.decode()
    done, ((failed, reason),) = reorganisation.apply_due(today=EFFECTIVE)
    assert done == [] and failed == change and "廃止されています" in reason
    change.refresh_from_db()
    assert change.state == OrganisationChange.PREPARED


def test_the_status_report_as_of_a_date_before_the_hand_over_shows_the_section_as_it_stood(world, report):
    """Rebuilt after the hand-over, last year's 措置状況 still names the section that held each measure
    then; from the effective date on, the successors."""
    w = world
    effective = timezone.localdate() + datetime.timedelta(days=10)  # the measures were assigned today
    reorganisation.prepare(
        from_section=w["koho"],
        to_sections=[w["new_a"], w["new_b"]],
        effective_on=effective,
        choices={w["m"]["意見02"].pk: w["new_b"].pk},
        by=w["auditor"],
        today=effective,  # applied as the daily run applies it on the day
    )
    day_before = effective - datetime.timedelta(days=1)
    then = rows_by_code(status_report.build(reports=[report], as_of=day_before, per="section"))
    since = rows_by_code(status_report.build(reports=[report], as_of=effective, per="section"))
    for code in ("指摘01", "意見01", "意見02", "意見03"):
        assert then[code][1] == ["広報広聴課"], code
    assert [since[c][1] for c in ("指摘01", "意見01", "意見02", "意見03")] == [
        ["広報課"],
        ["広報課"],
        ["広聴課"],
        ["広報課"],
    ]
    # per finding, and the statuses unchanged by the move
    then_f = status_report.build(reports=[report], as_of=day_before, per="finding")
    assert {r.code: [u["section"] for u in r.units] for r in then_f.rows if r.code == "指摘01"} == {
        "指摘01": ["広報広聴課"]
    }
    assert then["指摘01"][0] == since["指摘01"][0] == "done"


def test_successors_are_chosen_with_the_section_picker_and_the_choice_is_kept(client, world):
    """承継する課 is the section picker (checkboxes grouped by 局, no Ctrl+click listbox), in its place
    after 廃止・分割される課; a refused preview keeps the checked successors."""
    import re

    from django.urls import reverse

    w = world
    client.force_login(w["auditor"])
    page = client.get(reverse("findings:reorganisation_list")).content.decode()
    assert "<select multiple" not in page and 'name="to_sections"' in page
    boxes = re.findall(r'<input type="checkbox" name="to_sections" value="(\d+)"', page)
    assert sorted(map(int, boxes)) == sorted(Section.objects.values_list("pk", flat=True))
    assert page.index("廃止・分割される課") < page.index("承継する課") < page.index("実施日")
    refused = client.get(
        reverse("findings:reorganisation_preview"),
        {"from_section": w["koho"].pk, "to_sections": [w["new_a"].pk, w["new_b"].pk], "effective_on": "平成35年1月1日"},
    ).content.decode()
    checked = re.findall(r'name="to_sections" value="(\d+)" id="section-\d+" data-section checked', refused)
    assert sorted(map(int, checked)) == sorted([w["new_a"].pk, w["new_b"].pk])
    assert "入力内容を確認してください" in refused
