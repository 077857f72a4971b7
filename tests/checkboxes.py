"""The checkboxes of a page as a browser sees them: each box's name, value, checked state, the text of its
<label for>, and the legends of the fieldsets it sits in (outermost first). For tests of the checkbox
lists (auditreg.widgets.checkbox_picker, the section picker) that submit what a user would tick."""

from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class Box:
    name: str
    value: str
    checked: bool
    id: str
    legends: tuple[str, ...]
    label: str = ""


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.boxes: list[Box] = []
        self.labels: dict[str, str] = {}
        self._fieldsets: list[list[str]] = []  # the legend text of each open fieldset
        self._legend: list[str] | None = None
        self._label: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "fieldset":
            self._fieldsets.append([])
        elif tag == "legend" and self._fieldsets:
            self._legend = self._fieldsets[-1]
        elif tag == "label" and a.get("for"):
            self._label = (a["for"], [])
        elif tag == "input" and a.get("type") == "checkbox" and a.get("name"):
            legends = tuple("".join(f).strip() for f in self._fieldsets)
            self.boxes.append(Box(a["name"], a.get("value", "on"), "checked" in a, a.get("id", ""), legends))

    def handle_endtag(self, tag):
        if tag == "fieldset" and self._fieldsets:
            self._fieldsets.pop()
        elif tag == "legend":
            self._legend = None
        elif tag == "label" and self._label:
            self.labels[self._label[0]] = "".join(self._label[1]).strip()
            self._label = None

    def handle_data(self, data):
        if self._label:
            self._label[1].append(data)
        if self._legend is not None:
            self._legend.append(data)


def checkboxes(html: str, name: str) -> list[Box]:
    """The boxes named `name`, in page order, each with its label's text."""
    page = _Page()
    page.feed(html)
    page.close()
    boxes = [b for b in page.boxes if b.name == name]
    for b in boxes:
        b.label = page.labels.get(b.id, "")
    return boxes
