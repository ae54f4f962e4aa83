"""Error pages with a way forward, in the reader's language."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from jiandu.core import guides


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Usually an expired session: say so and link back, rather than Django's bare 403."""
    return render(request, "core/csrf_failure.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/500.html", status=500)


def guide(request: HttpRequest, role: str) -> HttpResponse:
    """A user guide in the reader's language (jiandu.core.guides), readable without JavaScript."""
    text = guides.read_guide(role, get_language())
    if text is None:
        raise Http404
    return render(request, "core/guide.html", {"guide_html": guides.render_guide(text)})


def guide_image(request: HttpRequest, language: str, name: str) -> FileResponse:
    """A guide's screenshot, by a name of the allowed shape only."""
    path = guides.image_path(language, name)
    if path is None:
        raise Http404
    return FileResponse(path.open("rb"), content_type="image/png")
