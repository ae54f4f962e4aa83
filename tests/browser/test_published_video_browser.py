"""A published clip on the public case page in Debian's chromium (issue 19, items 7 and 8): the
length the browser reports after `loadedmetadata` is the file's (a fragmented MP4 gave "0:06"
for 15 s), the page never scrolls sideways at 390 or 1280 px (the clip rendered at its native
width did), the player shows its poster, the Content Credentials block reads the same with
JavaScript off, and axe finds nothing; in English and Simplified Chinese, MP4 and WebM."""

import os

import pytest

from tests.public.test_published_media import (  # noqa: F401 (module fixtures)
    RECIPES,
    clip,
    probed_duration,
    publish_video,
    renders,
    served,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("JIANDU_SCREENSHOTS", "")

WORDS = {"en": ("Content Credentials", "Sound removed"), "": ("内容凭证", "声音已移除")}


@pytest.mark.parametrize(
    ("prefix", "width", "fmt"),
    [("/en", 390, "mp4"), ("/en", 1280, "webm"), ("", 390, "webm"), ("", 1280, "mp4")],
)
def test_the_clip_fits_tells_its_length_and_its_credentials(
    live_server,
    new_page,
    axe_check,
    settings,
    isolated_data_dir,
    renders,  # noqa: F811
    clip,  # noqa: F811
    prefix,
    width,
    fmt,
):
    case, evidence, _writer = publish_video(
        settings, isolated_data_dir, renders[fmt], RECIPES[fmt], clip
    )
    _response, body = served(evidence.file.name.rsplit("/", 1)[-1])
    url = f"{live_server.url}{prefix}/cases/{case.slug}/"

    page = new_page(width=width, height=844 if width == 390 else 900)
    page.goto(url)
    duration = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const video = document.querySelector("video");
            const done = () => resolve(video.duration);
            if (video.readyState >= 1) return done();
            video.addEventListener("loadedmetadata", done);
            video.addEventListener("error", () => reject(String(video.error && video.error.code)));
            video.load();
        })"""
    )
    assert abs(duration - probed_duration(body)) < 0.1, (duration, fmt)
    sizes = page.evaluate(
        """() => ({page: document.documentElement.scrollWidth, view: window.innerWidth,
                   video: document.querySelector("video").getBoundingClientRect().width,
                   column: document.querySelector("figure.evidence").clientWidth,
                   poster: document.querySelector("video").poster})"""
    )
    assert sizes["page"] <= sizes["view"], sizes
    assert sizes["video"] <= sizes["column"], sizes
    assert sizes["poster"].endswith(f"/cases/evidence/{evidence.poster_sha256}.jpg")
    if SHOTS:
        page.screenshot(
            path=f"{SHOTS}/video-{prefix.strip('/') or 'zh'}-{width}.png", full_page=True
        )

    # JavaScript off: the credentials block is there and visible, and the page still fits.
    quiet = new_page(javascript=False, width=width)
    quiet.goto(url)
    if fmt == "mp4":
        block = quiet.locator("section.credentials")
        for word in WORDS[prefix.strip("/")]:
            assert block.get_by_text(word).first.is_visible(), word
        assert block.get_by_text("c2patool").first.is_visible()
        assert block.get_by_role("link").first.get_attribute("href").endswith(evidence.sha256)
    else:  # C2PA cannot be embedded in WebM: the page says so instead of claiming it
        assert not evidence.credentials
        assert quiet.locator("p.credentials-none").is_visible()
    assert quiet.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    assert axe_check(url) == []
