from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url) -> tuple[int, object]:
    """Queries a full request makes, the streamed body included, with the per-process caches warm (the
    city's settings and the kinds' and areas' codes are read once per process, then every minute)."""
    from auditreg.models import CitySettings
    from budgets.selectors import any_budgets
    from findings.filtersets import known_codes
    from systems.selectors import any_systems

    CitySettings.current()
    known_codes("kind"), known_codes("area"), known_codes("status")
    any_systems(), any_budgets()  # the menu's (auditreg.memo)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), response
