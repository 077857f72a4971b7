"""Export helpers shared by every app: the download response (one home for its headers), and CSV that
Excel opens correctly, with no formula injection."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is prefixed with ' (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "○" if value else ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """UTF-8 with BOM (Excel in Japanese Windows reads BOM-less UTF-8 as Shift_JIS), CRLF, streamed."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")

    def generate():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(v) for v in row])

    return StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8", headers=download_headers(filename))


def download_headers(filename: str, *, no_store: bool = False) -> dict[str, str]:
    """The headers of a file download (RFC 6266: `filename*` for a Japanese name); `no_store` for a
    file that holds a section's own unpublished work."""
    headers = {"Content-Disposition": content_disposition_header(True, filename)}
    if no_store:
        headers["Cache-Control"] = "no-store"
    return headers


def download(content: bytes, filename: str, content_type: str, **kwargs) -> HttpResponse:
    """A file download of `content` (bytes in memory)."""
    return HttpResponse(content, content_type=content_type, headers=download_headers(filename, **kwargs))
