"""Addresses in what the site and its static mirror publish (issue 17, item 8): the feeds and
the sitemap keep the port of JIANDU_PUBLIC_BASE_URL, Atom ids do not depend on the host that
served the feed, link previews' pictures are the mirror's own copy, and the mirror's JSON works
under a path prefix (an IPFS gateway's)."""

import hashlib
import json
import re
import urllib.parse

import pytest

from jiandu.public import mirror
from jiandu.tlog.management.commands.verify import page_digest
from tests.ledger.test_mirror_verify import site  # noqa: F401  (the fixture)

BASE = "http://news.example:8443"
URL = re.compile(r'(?:href="|<id>|<loc>)(?P<url>[^"<]+)')


@pytest.fixture
def on_a_port(settings):
    settings.JIANDU_PUBLIC_BASE_URL = BASE
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "news.example"]
    return settings


def test_the_mirror_s_feeds_and_sitemap_keep_the_port_of_the_public_url(
    site,  # noqa: F811
    on_a_port,
    tmp_path,
):
    one = site[1]
    out = tmp_path / "mirror"
    mirror.export_mirror(out)
    for path in (
        "cases/feed/index.xml",
        f"en/cases/{one.slug}/feed/index.xml",
        "cases/sitemap.xml",
    ):
        text = (out / path).read_text()
        urls = [m["url"] for m in URL.finditer(text) if m["url"].startswith("http")]
        assert urls, path
        assert all(u.startswith(BASE + "/") for u in urls), (path, urls)
    sitemap = (out / "cases/sitemap.xml").read_text()
    assert f"<loc>{BASE}/cases/{one.slug}/</loc>" in sitemap


def atom_ids(xml: str) -> list[str]:
    return re.findall(r"<id>([^<]+)</id>", xml)


def test_atom_ids_are_the_same_whichever_host_serves_the_feed(
    site,  # noqa: F811
    on_a_port,
    client,
    tmp_path,
):
    one = site[1]
    path = f"/en/cases/{one.slug}/feed/"
    served = {
        host: atom_ids(client.get(path, HTTP_HOST=host).content.decode())
        for host in ("localhost", "news.example:8443", "127.0.0.1")
    }
    first = served["localhost"]
    assert first[0] == f"{BASE}/en/cases/{one.slug}/"
    assert all(ids == first for ids in served.values()), served
    # Republished by two exports of the mirror (the second after the public URL's host
    # stopped being an allowed host): the same ids.
    mirror.export_mirror(tmp_path / "a")
    on_a_port.ALLOWED_HOSTS = ["localhost"]
    mirror.export_mirror(tmp_path / "b", full=True)
    for out in (tmp_path / "a", tmp_path / "b"):
        assert atom_ids((out / f"en/cases/{one.slug}/feed/index.xml").read_text()) == first


def test_link_previews_show_the_mirror_s_own_copy_of_the_picture(site, tmp_path):  # noqa: F811
    one, evidence = site[1], site[4]
    out = tmp_path / "mirror"
    mirror.export_mirror(out)
    page = out / "en/cases" / one.slug / "index.html"
    html = page.read_text()
    for name in ("og:image", "twitter:image"):
        found = re.search(rf'<meta (?:property|name)="{name}" content="([^"]+)"', html)
        assert found, name
        target = (page.parent / found[1]).resolve()
        assert not found[1].startswith(("http", "/")) and target.is_relative_to(out.resolve())
        assert hashlib.sha256(target.read_bytes()).hexdigest() == evidence.sha256
    # The page's own identity stays the canonical address.
    assert re.search(r'<meta property="og:url" content="http://127\.0\.0\.1:8000/en/cases/', html)


def test_the_mirror_s_json_api_works_under_a_path_prefix(site, client, tmp_path):  # noqa: F811
    one = site[1]
    out = tmp_path / "mirror"
    mirror.export_mirror(out)
    gateway = "https://gateway.example/ipfs/bafybeigdyrzt/"

    def fetch(url: str) -> bytes:
        assert url.startswith(gateway), url
        return (
            out / urllib.parse.urlsplit(url).path.removeprefix("/ipfs/bafybeigdyrzt/")
        ).read_bytes()

    listing_url = gateway + "cases/api/cases.json"
    listing = json.loads(fetch(listing_url))
    summary = next(c for c in listing["cases"] if c["slug"] == one.slug)
    case_url = urllib.parse.urljoin(listing_url, summary["api_url"])
    detail = json.loads(fetch(case_url))
    assert detail["slug"] == one.slug
    page = fetch(urllib.parse.urljoin(case_url, detail["url"]))
    assert b"<h1" in page
    # The case snapshot is byte for byte what the live API serves: `jiandu verify` still
    # finds a saved copy of the mirror's answer in the log.
    live = json.loads(client.get(f"/cases/api/cases/{one.slug}.json").content)
    assert detail["case"] == live["case"]
    assert page_digest(out / f"cases/api/cases/{one.slug}.json") == page_digest_of(live)


def page_digest_of(answer: dict) -> str:
    canonical = json.dumps(
        answer["case"], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
