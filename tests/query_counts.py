from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url) -> tuple[int, object]:
    """Queries a full request makes, the streamed body included."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), response
