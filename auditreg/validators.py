"""Validators shared by models, forms and the import checks."""

import re

from django.core.exceptions import ValidationError

# C0 and C1 control characters (line breaks, tabs, NUL …), DEL and the Unicode line and paragraph separators:
# a name is one line of text, and reports join and lay out names on lines.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# the same for a database CHECK (regex lookup): PostgreSQL and Python's re both read these escapes; PostgreSQL
# text can never hold NUL, so the class starts at U+0001 there
CONTROL_CHARACTERS_SQL = r"[\x01-\x1f\x7f-\x9f\u2028\u2029]"
CONTROL_MESSAGE = "改行・タブなどの制御文字は名称に使えません。"


def validate_no_control_characters(value: str) -> None:
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValidationError(CONTROL_MESSAGE, code="control_characters")


def parse_id(value) -> int | None:
    """A row id from user input (a query parameter, a form value, a command argument, a cell's text):
    ASCII digits only, at most 18 of them (a 64-bit key); anything else (text, full-width or superscript
    digits, a number too large for the database's integer) is None. The one home of this rule."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 2**63 else None
    text = value if isinstance(value, str) else ""  # no stripping: " 1" in a query string is not an id
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
