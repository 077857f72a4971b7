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
