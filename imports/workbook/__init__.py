"""The Excel (.xlsx) form of a report bundle, for staff who edit data in Excel rather than in a folder of files.

One sheet per bundle file, in schema.FILE_ORDER; a nested YAML file becomes a parent sheet with its scalar
columns and one child sheet per nested list, whose rows start with the parent's key columns. The first sheet,
説明, documents every sheet and column in Japanese. `template_bytes` writes the workbook (pre-filled from the
canonical export, so it holds exactly what `bundle_files` holds); `read_workbook` turns it back into the very
`Bundle` that `read_bundle` gives for the equivalent folder, with problems that point at sheets, rows and columns.

The package: layout.py (the sheets), writer.py (template_bytes and the 説明 sheet, whose column meanings come
from schema.Col.meaning), reader.py (read_workbook).
"""

from .layout import GUIDE_SHEET, LAYOUT, SHEETS, SheetSpec, place
from .reader import _from_excel, read_workbook
from .writer import template_bytes

__all__ = ["GUIDE_SHEET", "LAYOUT", "SHEETS", "SheetSpec", "_from_excel", "place", "read_workbook", "template_bytes"]
