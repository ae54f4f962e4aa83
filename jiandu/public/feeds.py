"""Atom feeds (Django's syndication framework): every public revision is an entry, so readers
of a feed see each correction and retraction, not only first publications.

Every address in a feed is the canonical one, JIANDU_PUBLIC_BASE_URL (its port too), never the
host that happened to serve it: the static mirror, a proxy or an onion address republish the
same feed, and an Atom `id` must not change when a feed is republished (RFC 4287 4.2.6). A
feed's id is its canonical page's address; an entry's id is `jiandu:case:<slug>:revision:<n>`
(already free of any host, unchanged since the first feed).
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.encoding import iri_to_uri
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jiandu.cases import published
from jiandu.cases.models import Revision
from jiandu.cases.text import localize


def canonical(path: str) -> str:
    """`path` on the canonical site: the scheme, host and port of JIANDU_PUBLIC_BASE_URL."""
    return settings.JIANDU_PUBLIC_BASE_URL.rstrip("/") + path


class _RevisionFeed(Feed):
    feed_type = Atom1Feed

    def get_feed(self, obj: object, request: HttpRequest):
        """Django's feed, with its own address (`rel="self"`) on the canonical site too."""
        feed = super().get_feed(obj, request)
        feed.feed["feed_url"] = iri_to_uri(canonical(request.path))
        return feed

    def item_title(self, item: Revision) -> str:
        title = localize(item.snapshot["title"], get_language() or "zh-hans")[0]
        return f"{title} ({item.get_kind_display()} {item.number})"

    def item_description(self, item: Revision) -> str:
        summary = localize(item.snapshot["summary"], get_language() or "zh-hans")[0]
        return f"{item.note}\n\n{summary}"

    def item_link(self, item: Revision) -> str:
        return canonical(reverse("public:revision", args=[item.case.slug, item.number]))

    def item_pubdate(self, item: Revision):
        return item.published_at

    def item_updateddate(self, item: Revision):
        return item.published_at

    def item_guid(self, item: Revision) -> str:
        return f"jiandu:case:{item.case.slug}:revision:{item.number}"

    item_guid_is_permalink = False


class AllCasesFeed(_RevisionFeed):
    def title(self) -> str:
        return _("Jiandu: all cases")

    def link(self) -> str:
        return canonical(reverse("public:home"))

    def subtitle(self) -> str:
        return _("Every publication, update and retraction on the public tracker.")

    def items(self) -> list[Revision]:
        return published.get_latest_revisions()


class CaseFeed(_RevisionFeed):
    def get_object(self, request: HttpRequest, slug: str) -> published.PublicCase:
        case = published.get_public_case(slug)
        if case is None:
            raise Http404
        return case

    def title(self, obj: published.PublicCase) -> str:
        return localize(obj.snapshot["title"], get_language() or "zh-hans")[0]

    def link(self, obj: published.PublicCase) -> str:
        return canonical(reverse("public:case", args=[obj.slug]))

    def items(self, obj: published.PublicCase) -> list[Revision]:
        return published.get_latest_revisions(slugs=[obj.slug])


class PersonFeed(_RevisionFeed):
    def get_object(self, request: HttpRequest, slug: str) -> tuple[dict, list]:
        found = published.get_public_person(slug)
        if found is None:
            raise Http404
        return found

    def title(self, obj: tuple[dict, list]) -> str:
        return localize(obj[0]["name"], get_language() or "zh-hans")[0]

    def link(self, obj: tuple[dict, list]) -> str:
        return canonical(reverse("public:person", args=[obj[0]["slug"]]))

    def items(self, obj: tuple[dict, list]) -> list[Revision]:
        return published.get_latest_revisions(slugs=[c.slug for c in obj[1]])
