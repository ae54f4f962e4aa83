"""The sitemap: home, every public case and every person named in one, in each language.

Its addresses are the canonical site's (scheme, host and port of JIANDU_PUBLIC_BASE_URL),
whoever serves the file: the static mirror renders it too, and a sitemap that named the host
that rendered it (without its port, once) pointed readers elsewhere.
"""

import urllib.parse
from typing import Any

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import date
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import conditional_escape as escape
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # in Django, not in django-stubs

from jiandu.cases import published


class _I18nSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def get_protocol(self, protocol: str | None = None) -> str:
        return urllib.parse.urlsplit(settings.JIANDU_PUBLIC_BASE_URL).scheme or "https"

    def get_domain(self, site: object = None) -> str:
        """The canonical host and port (and any path the public URL sits under)."""
        parts = urllib.parse.urlsplit(settings.JIANDU_PUBLIC_BASE_URL)
        return parts.netloc.rpartition("@")[2] + parts.path.rstrip("/")

    def _location(self, item: tuple[Any, str], force_lang_code: str | None = None) -> str:
        """Each address is asked for once as an entry and again as an alternate of every
        language's entry (five reversals of the same URL): worked out once per sitemap
        request (the view makes a new instance each time), which keeps the sitemap of a
        thousand cases quick for the static mirror (issue #11)."""
        obj, language = item
        key = (getattr(obj, "slug", obj), force_lang_code or language)
        cache = self.__dict__.setdefault("_locations", {})
        if key not in cache:
            cache[key] = super()._location(item, force_lang_code)  # type: ignore[misc]
        return cache[key]


class HomeSitemap(_I18nSitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["public:home"]

    def location(self, item: str) -> str:
        return reverse(item)


class CaseSitemap(_I18nSitemap):
    changefreq = "weekly"

    def items(self) -> list[published.PublicCase]:
        return published.get_public_cases()

    def location(self, item: published.PublicCase) -> str:
        return reverse("public:case", args=[item.slug])

    def lastmod(self, item: published.PublicCase):
        return item.revision.published_at


class PersonSitemap(_I18nSitemap):
    changefreq = "weekly"

    def items(self) -> list[str]:
        return [p["slug"] for p in published.get_public_people()]

    def location(self, item: str) -> str:
        return reverse("public:person", args=[item])


SITEMAPS: dict[str, type[Sitemap[Any]] | Sitemap[Any]] = {
    "home": HomeSitemap,
    "cases": CaseSitemap,
    "people": PersonSitemap,
}


HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/'
    'sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
)


def sitemap_xml(request: HttpRequest) -> HttpResponse:
    """Django's sitemap view (its URLs, headers and answers), with the XML written here.

    Django renders sitemap.xml through its template engine, 60,000 nodes for a thousand cases
    and their people in three languages: most of the static mirror's incremental export
    (issue #11). This writes the same bytes (tests/public/test_sitemap_once.py compares them
    with Django's template) directly.
    """
    response = sitemap(request, sitemaps=SITEMAPS)
    if isinstance(response, TemplateResponse) and response.context_data is not None:
        response.content = render_urlset(response.context_data["urlset"])
    return response


def render_urlset(urlset: list[dict[str, Any]]) -> str:
    """What Django's sitemap.xml template makes of `urlset`: every value escaped as the
    template's autoescape does, the dates in the current time zone, no space between tags
    (its {% spaceless %})."""
    parts = [HEAD]
    for url in urlset:
        parts.append(f"<url><loc>{escape(url['location'])}</loc>")
        if url["lastmod"]:
            parts.append(
                f"<lastmod>{escape(date(template_localtime(url['lastmod']), 'Y-m-d'))}</lastmod>"
            )
        if url["changefreq"]:
            parts.append(f"<changefreq>{escape(url['changefreq'])}</changefreq>")
        if url["priority"]:
            parts.append(f"<priority>{escape(url['priority'])}</priority>")
        for alternate in url["alternates"]:
            parts.append(
                f'<xhtml:link rel="alternate" hreflang="{escape(alternate["lang_code"])}" '
                f'href="{escape(alternate["location"])}"/>'
            )
        parts.append("</url>")
    parts.append("\n</urlset>\n")
    return "".join(parts)
