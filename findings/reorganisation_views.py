"""Pages of the reorganisation hand-over (機構改革): prepare, preview, run, and the record of each change.
Thin: the checks and the work are findings.reorganisation's."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from auditreg import access
from auditreg.models import Section
from auditreg.validators import parse_id

from . import reorganisation
from .forms import BoundedDateField, picker_groups
from .models import OrganisationChange
from .services import WorkflowError


def _sections():
    return Section.objects.select_related("bureau").order_by("bureau__order", "order")


class SectionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.bureau.name} {obj.name}" + ("（廃止）" if obj.valid_to else "")


class SectionsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.bureau.name} {obj.name}" + ("（廃止）" if obj.valid_to else "")


class ReorganisationForm(forms.Form):
    from_section = SectionChoice(label="廃止・分割される課", queryset=_sections())
    to_sections = SectionsChoice(
        label="承継する課（分割のときは複数）",
        queryset=_sections(),
        # drawn by the section picker (picker_groups); the select's id is what the error summary links to
        widget=forms.SelectMultiple,
        help_text="分割のときは承継する課をすべて選びます。局の見出しのチェックで、その局の課をまとめて選べます。",
    )
    effective_on = BoundedDateField(label="実施日")
    note = forms.CharField(label="備考", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    keep_section = forms.BooleanField(label="元の課を廃止しない（適用終了日を入れない）", required=False)

    def picker_groups(self):
        """承継する課 for the section picker, grouped by 局, the submitted choice kept (no dates here)."""
        chosen = {str(v) for v in self.data.getlist("to_sections")} if self.is_bound else set()
        return picker_groups(self.fields["to_sections"].queryset, chosen)


def _office(request):
    access.allowed(request.user, "reorganise").check()


def reorganisation_list_view(request):
    _office(request)
    changes = OrganisationChange.objects.select_related("from_section__bureau", "created_by").prefetch_related(
        "to_sections__bureau"
    )
    return render(
        request,
        "findings/reorganisation_list.html",
        {"changes": changes, "form": ReorganisationForm(), "today": timezone.localdate()},
    )


def _choices(data, plan) -> dict[int, int]:
    valid = {s.pk for s in plan.to_sections}
    chosen = {}
    for m in plan.moves:
        section_id = parse_id(data.get(f"choice_{m.measure.pk}"))
        if section_id in valid:
            chosen[m.measure.pk] = section_id
    return chosen


def reorganisation_preview_view(request):
    """GET: the plan of what would move; POST: prepare it (and run it when its date has come)."""
    _office(request)
    data = request.POST if request.method == "POST" else request.GET
    form = ReorganisationForm(data)
    plan = None
    if form.is_valid():
        cd = form.cleaned_data
        kwargs = {
            "from_section": cd["from_section"],
            "to_sections": list(cd["to_sections"]),
            "effective_on": cd["effective_on"],
        }
        try:
            plan = reorganisation.plan(**kwargs)
            plan = reorganisation.plan(**kwargs, choices=_choices(data, plan))
        except WorkflowError as exc:
            form.add_error(None, str(exc))
        if plan is not None and request.method == "POST":
            try:
                change = reorganisation.prepare(
                    **kwargs,
                    choices={m.measure.pk: m.to_section.pk for m in plan.moves},
                    note=cd["note"],
                    abolish=not cd["keep_section"],
                    by=request.user,
                )
            except WorkflowError as exc:
                form.add_error(None, str(exc))
            else:
                if change.state == OrganisationChange.APPLIED:
                    messages.success(request, "引継ぎを実施しました。")
                else:
                    messages.success(request, "引継ぎを予定として登録しました。実施日に実施されます。")
                return redirect("findings:reorganisation_detail", pk=change.pk)
    status = 200 if form.is_valid() and not form.non_field_errors() else 400
    return render(
        request,
        "findings/reorganisation_preview.html",
        {"form": form, "plan": plan, "today": timezone.localdate()},
        status=status if data else 200,
    )


def reorganisation_detail_view(request, pk):
    _office(request)
    change = get_object_or_404(
        OrganisationChange.objects.select_related("from_section__bureau", "created_by", "applied_by"), pk=pk
    )
    plan, problem = None, ""
    if change.state == OrganisationChange.PREPARED:
        try:
            plan = reorganisation.plan_of(change)
        except WorkflowError as exc:  # e.g. a successor abolished in the master since it was prepared
            problem = str(exc)
    moves = change.moves.select_related(
        "measure__finding", "measure__status", "to_section__bureau", "from_section__bureau"
    ).order_by("pk")
    return render(
        request,
        "findings/reorganisation_detail.html",
        {
            "change": change,
            "to_sections": list(change.to_sections.select_related("bureau")),
            "plan": plan,
            "problem": problem,
            "moves": moves,
            "due": change.effective_on <= timezone.localdate(),
        },
    )


@require_POST
def reorganisation_action_view(request, pk):
    _office(request)
    change = get_object_or_404(OrganisationChange, pk=pk)
    try:
        if request.POST.get("do") == "cancel":
            reorganisation.cancel(change=change, by=request.user)
            messages.success(request, "予定の引継ぎを取り消しました。")
        else:
            reorganisation.apply(change=change, by=request.user)
            messages.success(request, "引継ぎを実施しました。")
    except WorkflowError as exc:
        messages.error(request, str(exc))
    return redirect("findings:reorganisation_detail", pk=pk)
