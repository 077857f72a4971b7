"""The floors the benchmark compares each page with, served by the project itself (same settings,
middleware, session and login): a minimal authenticated view that runs a page's main rows query and
renders the rows through a trivial template, and one that replays a page's whole SQL through the
framework's cursor. bench/run.py fills ROWS and REPLAY; bench/load.py serves the "minimal" page.

Used as ROOT_URLCONF ("floor" with bench/ on sys.path): the project's URLs plus /bench-floor/."""

from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from auditreg.urls import urlpatterns as project_urlpatterns

TRIVIAL = engines["django"].from_string(
    "<!doctype html><title>floor</title><p>{{ user.username }}</p>"
    "<table>{% for r in rows %}<tr><td>{{ r }}</td></tr>{% endfor %}</table>"
)

# name -> callable(request) returning the rows (a queryset, evaluated by list())
ROWS: dict = {}
# name -> list of SQL strings (the page's own queries, less the session and user the middleware reads)
REPLAY: dict = {}


def minimal_rows(request):
    """A minimal list: the first 50 findings in the list's order (bench/load.py's floor page)."""
    from findings.models import Finding

    return Finding.objects.select_related("report").only("code", "title", "report__fiscal_year")[:50]


ROWS["minimal"] = minimal_rows


def rows_view(request, name):
    return HttpResponse(TRIVIAL.render({"rows": list(ROWS[name](request)), "user": request.user}))


def replay_view(request, name):
    n = 0
    with connection.cursor() as cursor:
        for sql in REPLAY[name]:
            cursor.execute(sql)
            n += len(cursor.fetchall()) if cursor.description else 0
    return HttpResponse(TRIVIAL.render({"rows": [n], "user": request.user}))


urlpatterns = [
    path("bench-floor/rows/<str:name>/", rows_view),
    path("bench-floor/sql/<str:name>/", replay_view),
    *project_urlpatterns,
]
