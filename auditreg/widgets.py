"""A <select> rendered in Python. Django renders every <option> through a template include, which
made the filter forms (hundreds of sections) cost more than the rest of a list page together."""

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        attrs["name"] = name
        attrs.setdefault("id", f"id_{name}")
        selected = {str(v) for v in (value if isinstance(value, (list, tuple)) else [value]) if v is not None}
        options = []
        for option_value, label in self.choices:
            key = str(option_value.value if hasattr(option_value, "value") else option_value)
            if key == "None":
                key = ""
            mark = " selected" if key in selected else ""
            options.append(f'<option value="{conditional_escape(key)}"{mark}>{conditional_escape(label)}</option>')
        attr_html = "".join(
            format_html(' {}="{}"', k, v) if v is not True else format_html(" {}", k)
            for k, v in attrs.items()
            if v is not False and v is not None
        )
        return mark_safe(f"<select{attr_html}>{''.join(options)}</select>")  # noqa: S308 - every part escaped above
