"""Published 措置状況: public, read-only, served byte for byte as stored when published."""

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from auditreg.exports import download, download_headers

from .models import Publication, PublicationFile
from .publishing import package, read_file
from .renderers import RENDERERS

CONTENT_TYPES = {"html": "text/html; charset=utf-8"} | {k: v[1] for k, v in RENDERERS.items()}


@login_not_required
@csp_update({"style-src": ["'unsafe-inline'"]})  # the stored standalone page carries its own <style>; no script
def publication_file_view(request, number, fmt="html"):
    if fmt == "zip":
        return _package_response(get_object_or_404(Publication, number=number))
    if fmt not in CONTENT_TYPES:
        raise Http404
    f = get_object_or_404(PublicationFile.objects.select_related("publication"), publication__number=number, format=fmt)
    response = HttpResponse(read_file(f), content_type=CONTENT_TYPES[fmt])
    response["ETag"] = f'"{f.sha256}"'
    if fmt != "html":
        for name, value in download_headers(f.file.name.rsplit("/", 1)[-1]).items():
            response[name] = value
    return response


def _package_response(publication):
    name, content = package(publication)
    return download(content, name, "application/zip")
