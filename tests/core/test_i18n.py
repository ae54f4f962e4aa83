"""Three languages, switched by URL prefix: no cookie, no JavaScript."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "lang", "text"),
    [
        ("/", "zh-Hans", "安全地向我们提供证据"),
        ("/zh-hant/", "zh-Hant", "安全地向我們提供證據"),
        ("/en/", "en", "Send us evidence safely"),
        ("/newsroom/", "zh-Hans", "编辑部登录"),
        ("/zh-hant/newsroom/", "zh-Hant", "編輯部登入"),
        ("/en/newsroom/", "en", "Newsroom sign-in"),
        ("/cases/", "zh-Hans", "尚未发布任何案件"),
        ("/zh-hant/cases/", "zh-Hant", "尚未發布任何案件"),
        ("/en/cases/", "en", "No cases have been published yet."),
    ],
)
def test_each_page_in_each_language(client, path, lang, text):
    html = client.get(path).content.decode()
    assert f'<html lang="{lang}">' in html
    assert text in html


def test_language_links_point_to_the_same_page(client):
    html = client.get("/en/newsroom/").content.decode()
    assert 'href="/newsroom/"' in html
    assert 'href="/zh-hant/newsroom/"' in html
    assert '<span aria-current="true" lang="en">English</span>' in html


def test_switching_language_sets_no_cookie(client):
    response = client.get("/zh-hant/")
    assert "django_language" not in response.cookies
    assert not response.cookies  # the tip-line landing sets no cookie at all


def test_every_message_is_translated():
    """No string of ours is missing from a Chinese catalogue (checked on the compiled files)."""
    import subprocess
    from pathlib import Path

    import jiandu

    root = Path(jiandu.__file__).parent
    missing = []
    for po in root.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"):
        for variant in ("zh_Hans", "zh_Hant"):
            path = Path(str(po).replace("zh_Hans", variant))
            out = subprocess.run(
                ["msgfmt", "--statistics", "-o", "/dev/null", str(path)],
                capture_output=True,
                text=True,
                check=True,
            ).stderr
            if "untranslated" in out or "fuzzy" in out:
                missing.append(f"{path.relative_to(root)}: {out.strip()}")
    assert not missing, missing


def test_no_message_means_two_things_in_two_rooms(tmp_path):
    """Django merges the rooms' catalogues and the first room in INSTALLED_APPS wins everywhere:
    "Sources" as the newsroom's tipsters (线人) once titled the public page's citations. A
    message two rooms translate differently must carry a context in one of them."""
    import gettext
    import subprocess
    from pathlib import Path

    import jiandu

    root = Path(jiandu.__file__).parent
    clashes = []
    for variant in ("zh_Hans", "zh_Hant"):
        seen: dict[object, tuple[str, object]] = {}
        for po in sorted(root.glob(f"*/locale/{variant}/LC_MESSAGES/django.po")):
            room = po.relative_to(root).parts[0]
            mo = tmp_path / f"{room}-{variant}.mo"
            subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)
            with mo.open("rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog
            for key, text in catalog.items():
                if key == "" or not text:
                    continue
                first = seen.setdefault(key, (room, text))
                if first[1] != text:
                    clashes.append(f"{variant} {key!r}: {first[0]} {first[1]!r}, {room} {text!r}")
    assert not clashes, clashes


def test_the_public_page_cites_sources_not_tipsters(client):
    from jiandu.cases.demo import SLUG, load_demo_case

    load_demo_case()
    html = client.get(f"/cases/{SLUG}/").content.decode()
    assert '<h2 id="sources-h">来源</h2>' in html and "线人" not in html
    html = client.get(f"/zh-hant/cases/{SLUG}/").content.decode()
    assert '<h2 id="sources-h">來源</h2>' in html and "線人" not in html
