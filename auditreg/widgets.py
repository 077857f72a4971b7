"""A <select> rendered in Python. Django renders every <option> through a template include, which
made the filter forms (hundreds of sections) cost more than the rest of a list page together."""

import html

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe


def _escape(value) -> str:
    """conditional_escape's result without its lazy-string wrapper, which was most of the time of a
    select box with a thousand options (safe strings pass as they are, anything else is escaped)."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _key(option_value) -> str:
    key = str(option_value.value if hasattr(option_value, "value") else option_value)
    return "" if key == "None" else key


class FastSelect(forms.Select):
    """Choices may be flat or grouped (label, [(value, label), …]) -> <optgroup>."""

    def _options(self, choices, selected) -> str:
        parts = []
        for option_value, label in choices:
            if isinstance(label, (list, tuple)):
                inner = self._options(label, selected)
                parts.append(f'<optgroup label="{_escape(option_value)}">{inner}</optgroup>')
                continue
            key = _key(option_value)
            mark = " selected" if key in selected else ""
            parts.append(f'<option value="{_escape(key)}"{mark}>{_escape(label)}</option>')
        return "".join(parts)

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        attrs["name"] = name
        attrs.setdefault("id", f"id_{name}")
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        selected = {str(v) for v in (value if isinstance(value, (list, tuple)) else [value]) if v is not None}
        options = self._options(self.choices, selected)
        return mark_safe(f"<select{flatatt(attrs)}>{options}</select>")  # noqa: S308 - every part escaped


class FastSelectMultiple(FastSelect, forms.SelectMultiple):
    """The same, for a multiple choice (reads a list from the submitted data)."""


# up to this many choices are read at a glance: no search box above them (a few reports)
SHORT_LIST = 8


def checkbox_picker(
    *, name: str, id_: str, choices, selected: set[str], search: str = "", search_above: int = 0, unit: str = "件"
) -> str:
    """A multiple choice as checkboxes (the inside of a fieldset.picker[data-picker]; its legend is the
    template's): one list, or a group per (heading, [(value, label), …]) with a "select all" box in its
    legend; a search box (`search`: its label) when there are more than `search_above` choices. Built in
    Python like FastSelect (hundreds of findings); every value and label is escaped. Ids: `id_`_search,
    `id_`_<n> for the n-th box, `id_`_g<n> for the n-th group's box (static/js/app.js pickers)."""
    parts, n, n_groups = [], 0, 0

    def rows(options) -> str:
        nonlocal n
        out = []
        for option_value, label in options:
            key = _key(option_value)
            box = f"{id_}_{n}"
            mark = " checked" if key in selected else ""
            out.append(
                f'<div class="row" data-pick-row><input type="checkbox" name="{_escape(name)}" value="{_escape(key)}"'
                f' id="{_escape(box)}" data-pick{mark}><label for="{_escape(box)}">{_escape(label)}</label></div>'
            )
            n += 1
        return f'<div class="rows list">{"".join(out)}</div>'

    flat = []
    for option_value, label in choices:
        if not isinstance(label, (list, tuple)):
            flat.append((option_value, label))
            continue
        if flat:
            parts.append(rows(flat))
            flat = []
        group, heading = f"{id_}_g{n_groups}", _escape(option_value)
        n_groups += 1
        parts.append(
            f'<fieldset data-group="{heading}"><legend><input type="checkbox" id="{_escape(group)}" data-select-all>'
            f' <label for="{_escape(group)}">{heading}（すべて）</label></legend>{rows(label)}</fieldset>'
        )
    if flat:
        parts.append(rows(flat))
    tools = ""
    if search and n > search_above:
        field = _escape(f"{id_}_search")
        tools = (
            f'<div class="picker-tools"><label for="{field}">{_escape(search)}</label>'
            f'<input type="search" id="{field}" data-picker-search autocomplete="off">'
            f'<span class="muted" data-picker-count data-unit="{_escape(unit)}" aria-live="polite"></span></div>'
        )
    return mark_safe(f'{tools}<div class="picker-groups">{"".join(parts)}</div>')  # noqa: S308 - every part escaped


class CheckboxPicker(FastSelectMultiple):
    """A multiple choice as checkboxes instead of a Ctrl+click listbox (hard to use, and on a phone only a
    pop-up): checkbox_picker's markup, drawn inside a fieldset with the field's label as its legend by
    templates/includes/checkbox_picker.html (which includes/form_fields.html uses for such a field).
    Reads the same list from the submitted data as the <select multiple> it replaces."""

    use_fieldset = True

    def __init__(self, attrs=None, choices=(), *, search: str = "", search_above: int = 0, unit: str = "件"):
        super().__init__(attrs, choices)
        self.search, self.search_above, self.unit = search, search_above, unit

    def use_required_attribute(self, initial):
        return False  # `required` on each box would ask for every one of them

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        selected = {str(v) for v in (value if isinstance(value, (list, tuple)) else [value]) if v is not None}
        return checkbox_picker(
            name=name,
            id_=attrs.get("id") or f"id_{name}",
            choices=self.choices,
            selected=selected,
            search=self.search,
            search_above=self.search_above,
            unit=self.unit,
        )
