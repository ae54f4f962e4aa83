"""The user guides served by the product (jiandu.core.guides): readable without JavaScript from
the tip line's landing page and from every newsroom page's help link, in the reader's language,
with their screenshots from this server only and every text escaped."""

import re

import pytest
from django.test import Client

from jiandu.core import guides
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("prefix", "heading"),
    [("/en", "Guide for sources"), ("", "给爆料人的指南"), ("/zh-hant", "給爆料人的指南")],
)
def test_the_landing_page_links_the_source_guide_in_its_language(prefix, heading):
    make_member("zhu", "journalist")
    landing = Client().get(f"{prefix}/").content.decode()
    assert f'href="{prefix}/guide/source/"' in landing
    page = Client().get(f"{prefix}/guide/source/").content.decode()
    assert heading in page and "<script" not in page.split("</main>")[0].split("<main")[1]
    images = re.findall(r'<img src="([^"]+)"', page)
    assert images and all(src.startswith(f"{prefix}/guide/img/") for src in images)
    shot = Client().get(images[0])
    assert shot.status_code == 200 and shot["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("role", "guide"),
    [
        ("admin", "admin"),
        ("editor", "editor"),
        ("journalist", "journalist"),
        ("moderator", "editor"),
    ],
)
def test_every_newsroom_page_has_a_help_link_to_the_role_guide(role, guide):
    client = Client()
    sign_in(client, make_member("gao", role))
    home = client.get("/en/newsroom/home/").content.decode()
    assert f'<a href="/en/guide/{guide}/" data-help>Help</a>' in home
    assert client.get(f"/en/guide/{guide}/").status_code == 200


def test_unknown_guides_and_image_names_are_not_found():
    client = Client()
    assert client.get("/en/guide/nobody/").status_code == 404
    assert client.get("/en/guide/img/en/..%2Fsettings.py").status_code == 404
    assert client.get("/en/guide/img/fr/source-landing.png").status_code == 404


def test_text_is_escaped_and_names_are_read_per_step():
    html = guides.render_guide("## A <b>\n\nPress **[Send]** <script>x</script>\n")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<strong class="ui-name">Send</strong>' in html
    text = "## One\n![a](../img/en/source-send.png)\n**[Send]** and **[Next]**\n## Two\nx\n"
    assert [(s.title, s.images, s.names) for s in guides.steps(text)] == [
        ("One", ["source-send"], ["Send", "Next"]),
        ("Two", [], []),
    ]
