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
