"""The sitemap: home, every public case and every person named in one, in each language."""

from typing import Any

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from jiandu.cases import published


class _I18nSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

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


SITEMAPS = {"home": HomeSitemap, "cases": CaseSitemap, "people": PersonSitemap}
