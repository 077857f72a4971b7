"""The findings list's faster parts (issue #16.2) against what they replaced: the sections and subjects
from SQL compiled once per scope (findings.compiled_sql) against the models' own querysets for every
role, the filter form's boxes rendered in Python against Django's templates, the option lists against
the ORM."""

import datetime
import html
import re

import pytest
from django import forms
from django.db.models import Q
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils.safestring import mark_safe

from auditreg.choices import Role
from auditreg.models import Bureau, Section
from findings import compiled_sql
from findings.choices import SubjectKind
from findings.filtersets import FindingFilterSet, _fixed_options
from findings.forms import DateInput, FastDateInput, FastTextInput, filter_fields_html
from findings.models import AuditReport, Finding, FindingGroup, FindingSection, FindingSubject, Measure
from findings.saved_filters import saved_filter_rows, saved_filter_save, visible_saved_filters
from findings.selectors import follow_up_sections
from findings.services import finding_assign
from systems.models import InformationSystem

pytestmark = pytest.mark.django_db

LIST = reverse("findings:finding_list")
FOLLOWING = ("group", "section", "system")


def expected(user, finding_ids) -> dict:
    """finding id -> (assigned, named, subjects) read one finding at a time through the models."""

    def names(queryset):
        return [
            f"{r.section.bureau.name} {r.section.name}"
            for r in queryset.select_related("section__bureau").order_by("section__bureau__order", "section__order")
        ]

    found = {}
    for pk in finding_ids:
        subjects = [
            s.project.name if s.project_id else s.system.name if s.system_id else SubjectKind(s.kind).label
            for s in FindingSubject.objects.filter(finding_id=pk).select_related("project", "system").order_by("order")
        ]
        found[pk] = (
            names(Measure.objects.for_user(user).filter(finding_id=pk)),
            names(FindingSection.objects.filter(finding_id=pk)),
            subjects,
        )
    return found


@pytest.fixture
def assigned(report, make_user):
    """Findings of the report assigned to two sections of two 局, the rest unassigned."""
    auditor = make_user("auditor", Role.AUDITOR)
    one = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    other = Section.objects.exclude(bureau=one.bureau).order_by("pk").first()
    findings = list(Finding.objects.filter(report=report).order_by("order"))
    for i, f in enumerate(findings[:20]):
        sections = [one, other] if i % 3 == 0 else [one] if i % 3 == 1 else [other]
        finding_assign(finding=f, sections=sections, reply_by=datetime.date(2099, 3, 31), by=auditor)
    return {"auditor": auditor, "one": one, "other": other, "ids": [f.pk for f in findings]}


def users(make_user, one, other):
    return {
        "auditor": make_user("auditor2", Role.AUDITOR),
        "commissioner": make_user("commissioner", Role.COMMISSIONER),
        "staff": make_user("staff", Role.SECTION_STAFF, one),
        "head": make_user("head", Role.SECTION_HEAD, other),
        "approver": make_user("approver", Role.BUREAU_APPROVER, bureau=one.bureau),
        "inactive": make_user("inactive", Role.SECTION_STAFF, one, is_active=False),
    }


def test_sections_and_subjects_as_the_models_give_them_for_every_role(assigned, make_user):
    compiled_sql.clear()
    ids = assigned["ids"]
    assert any(FindingSubject.objects.filter(finding_id__in=ids)), "the report has subjects to show"
    for role, user in users(make_user, assigned["one"], assigned["other"]).items():
        # a page (compiled once, then reused with other ids), a short last page, and more ids than slots
        for some, slots in ((ids[:50], 50), (ids[3:8], 50), (ids[:1], 50), (ids, 10)):
            got = follow_up_sections(user=user, finding_ids=some, subjects=True, slots=slots)
            assert got == expected(user, some), (role, len(some), slots)
            two = follow_up_sections(user=user, finding_ids=some, slots=slots)
            assert two == {k: v[:2] for k, v in got.items()}, role
    assert follow_up_sections(user=assigned["auditor"], finding_ids=[], subjects=True, slots=50) == {}


def test_a_section_user_moved_to_another_section_sees_that_sections_measures(assigned, make_user):
    """The compiled SQL is per scope: the same user with a new section gets the new section's rows."""
    one, other, ids = assigned["one"], assigned["other"], assigned["ids"][:20]
    staff = make_user("mover", Role.SECTION_STAFF, one)
    before = follow_up_sections(user=staff, finding_ids=ids, slots=50)
    assert {s for a, _ in before.values() for s in a} == {f"{one.bureau.name} {one.name}"}
    staff.section = other
    staff.save()
    after = follow_up_sections(user=staff, finding_ids=ids, slots=50)
    assert {s for a, _ in after.values() for s in a} == {f"{other.bureau.name} {other.name}"}
    staff.role = Role.AUDITOR
    staff.section = None
    staff.save()
    assert follow_up_sections(user=staff, finding_ids=ids, slots=50) == {
        k: v[:2] for k, v in expected(staff, ids).items()
    }


def test_the_list_page_shows_what_the_models_give(client, assigned, make_user):
    """Each row's 対象 and 所管課 cells, for a section user (their own section's assignment only)."""
    one = assigned["one"]
    staff = make_user("staff", Role.SECTION_STAFF, one)
    client.force_login(staff)
    page = client.get(LIST).context["page"]
    want = expected(staff, [f.pk for f in page.object_list])
    for f in page.object_list:
        assigned_, named, subjects = want[f.pk]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", f.row_html)
        assert cells[4] == html.escape("、".join(subjects))
        assert cells[5].startswith(
            "<br>".join(html.escape(s) for s in assigned_) or '<span class="muted">未割当</span>'
        )


def test_fixed_options_as_the_orm_gives_them(report):
    compiled_sql.clear()
    for _ in range(2):  # compiled, then reused
        reports, bureaus, kinds, areas, statuses = _fixed_options()
        assert reports == [(r.pk, r.theme) for r in AuditReport.objects.order_by("-fiscal_year", "code")]
        assert bureaus == [(b.pk, b.name) for b in Bureau.objects.order_by("order", "name", "pk")]
        assert kinds and areas and len(statuses) > 2


TRICKY = [None, "", "令和7年4月1日", "a<b>&\"'c", mark_safe("<i>safe</i>"), 42, datetime.date(2025, 4, 1)]


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize(
    "attrs", [None, {"required": True, "disabled": False, "aria-describedby": "x<y"}, {"type": "search", "x": "1"}]
)
def test_fast_inputs_render_as_django_templates_do(value, attrs):
    assert FastTextInput(attrs).render("q", value, {"id": "id_q"}) == forms.TextInput(attrs).render(
        "q", value, {"id": "id_q"}
    )
    assert FastDateInput(attrs).render("d", value) == DateInput(attrs).render("d", value)


FORM_LOOP = re.compile(r'(<form method="get" class="filters" aria-label="絞り込み">.*?</form>)', re.S)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": '<script>"x"&', "due_from": "R7.4.1", "due_to": "令和35年13月1日", "kind": "zzz", "report": "abc"},
        {"kind": "意見", "area": "DX", "status": "open", "overdue": "1", "sort": "organisation"},
    ],
)
def test_filter_form_renders_as_its_template_did(client, make_user, report, query):
    """The list's form (filter_fields_html) is what includes/filter_form.html renders for the same
    filterset: labels, boxes, chosen values and errors, escaped alike."""
    user = make_user("auditor", Role.AUDITOR)
    client.force_login(user)
    data = {**query, "section": str(Section.objects.order_by("pk").first().pk)} if query else query
    page = client.get(LIST, data).content.decode()
    request = RequestFactory().get(LIST, data)
    filterset = FindingFilterSet(request.GET or None, queryset=Finding.objects.all(), user=user)
    template = render_to_string("includes/filter_form.html", {"filterset": filterset, "clear_url": ""}, request)
    assert FORM_LOOP.search(page).group(1) == FORM_LOOP.search(template).group(1)
    fresh = FindingFilterSet(request.GET or None, queryset=Finding.objects.all(), user=user)
    assert str(filter_fields_html(fresh.form)) in template


def test_following_options_as_the_orm_gives_them(report):
    """The 見出し, systems and sections boxes: those of the chosen report / 局 plus the submitted one
    (from another report / 局), compiled once per shape and reused with other ids."""
    compiled_sql.clear()
    bureaus = list(Bureau.objects.order_by("order")[:2])
    other_section = Section.objects.filter(bureau=bureaus[1]).order_by("pk").first()
    group = report.groups.order_by("order").first()
    systems = InformationSystem.objects.filter(finding_subjects__isnull=False).distinct()
    cases = [
        {"report": str(report.pk), "bureau": str(bureaus[0].pk)},
        {"report": str(report.pk), "bureau": str(bureaus[1].pk), "section": str(other_section.pk)},
        {"bureau": str(bureaus[0].pk), "section": str(other_section.pk)},
        {"section": str(other_section.pk)},
        {},
    ]
    if group is not None:
        cases.append({"group": str(group.pk), "system": str(systems.first().pk)})
    for data in cases:
        form = FindingFilterSet(data or None, queryset=Finding.objects.none()).form
        choices = {n: [(k, str(v)) for k, v in form.fields[n].widget.choices if k != ""] for n in FOLLOWING}
        report_id, bureau_id = data.get("report"), data.get("bureau")
        want_groups = FindingGroup.objects.filter(Q(report_id=report_id or 0) | Q(pk=data.get("group") or 0)).order_by(
            "report", "order"
        )
        want_sections = Section.objects.filter(Q(bureau_id=bureau_id or 0) | Q(pk=data.get("section") or 0)).order_by(
            "bureau__order", "order", "name"
        )
        want_systems = systems.filter(Q(report_id=report_id or 0) | Q(pk=data.get("system") or 0)).order_by(
            "-report__fiscal_year", "report__code", "number", "pk"
        )
        assert choices["group"] == [(g.pk, g.title) for g in want_groups], data
        assert choices["section"] == [(s.pk, f"{s.bureau.name} {s.name}") for s in want_sections], data
        assert choices["system"] == [(s.pk, f"No.{s.number} {s.name}") for s in want_systems], data
    assert any(compiled_sql._cache), "the queries were compiled once and kept"


def test_saved_filter_rows_are_the_visible_filters_read_afresh(make_user):
    """saved_filter_rows (SQL compiled once per user) lists what visible_saved_filters does, new
    filters included, and an office user who leaves the office stops seeing the shared ones."""
    a, b = make_user("a", Role.AUDITOR, last_name="監査", first_name="一"), make_user("b", Role.AUDITOR)
    staff = make_user("staff", Role.SECTION_STAFF)

    def same(user):
        want = [
            (f.pk, f.owner_id, f.name, f.query, f.is_default, f.shared, f.owner.last_name, f.owner.first_name)
            for f in visible_saved_filters(user)
        ]
        assert [tuple(getattr(r, n) for n in r.__slots__) for r in saved_filter_rows(user)] == want
        return want

    assert same(b) == []
    saved_filter_save(user=a, name="共有<b>", query="kind=意見", shared=True)
    saved_filter_save(user=b, name="自分", query="overdue=1", is_default=True)
    assert len(same(b)) == 2 and len(same(a)) == 1 and same(staff) == []
    b.role, b.section = Role.SECTION_STAFF, staff.section
    b.save()
    assert [r[2] for r in same(b)] == ["自分"]
