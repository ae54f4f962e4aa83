"""The newsroom in the reader's language (issue 18, item 10): no raw key and no English sentence
in the visible text of a Chinese newsroom page.

One newsroom with demo-like content (the demo case, a source with a photo and a video, both
analysed, a render of the photo published to the case, a checklist entry, a reply), then every
page a member reaches, in Simplified and Traditional Chinese, read as a person reads it: tags,
scripts, styles and attribute values stripped; <code>, <kbd>, elements marked as file names or
hashes (class `mono`, `filename`), <details class="raw-keys"> (where the raw keys stay
available) and content declared English (`lang="en"`) left out. A snake_case token or a run
of three English words with a small word ("the", "of", ...) among them is a finding.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from jiandu.cases.demo import load_demo_case
from jiandu.cases.models import Case, Person
from jiandu.forensics import handoff
from jiandu.forensics.models import Analysis
from jiandu.redaction import actions as redaction
from jiandu.redaction.models import Render
from jiandu.vault import actions as vault
from jiandu.vault.access import get_source_key_for_member
from jiandu.vault.models import Item, Source
from tests.factories import make_member
from tests.forensics.conftest import run_tasks
from tests.forensics.test_metadata import exif_photo, pyav_video
from tests.tipline.helpers import submit

pytestmark = pytest.mark.django_db

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
SMALL_WORDS = {
    "the", "of", "and", "to", "a", "an", "is", "are", "was", "in", "on", "for", "by", "with",
    "from", "not", "this", "that", "it", "be", "or", "at", "as", "your", "you",
}  # fmt: skip
# Words joined by spaces, with light punctuation and digits between them ("render 2 (video)
# of ..."); a list without spaces ("mov,mp4,m4a") is a value, not a sentence.
ENGLISH_RUN = re.compile(r"[A-Za-z']+(?:[,.:;()\-–0-9%\s]*\s[,.:;()\-–0-9%\s]*[A-Za-z']+){2,}")
SKIPPED = {"script", "style", "code", "kbd", "template", "noscript"}
SKIPPED_CLASSES = {"mono", "filename", "raw-keys"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


class VisibleText(HTMLParser):
    """The text a reader sees, one string per text node, minus the exempt elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: does it hide its content?
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        # Text the page declares English (lang="en": the English side of a bilingual field an
        # editor writes) is content, not an untranslated label.
        english = (attributes.get("lang") or "").lower().startswith("en")
        self.stack.append(tag in SKIPPED or bool(classes & SKIPPED_CLASSES) or english)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(self.stack):
            self.texts.append(data.strip())


def offences(html: str) -> list[str]:
    """Each snake_case token and each English sentence fragment in the visible text."""
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        found += [f"raw key {token!r} in {text!r}" for token in SNAKE.findall(text)]
        if "你" in text:
            found.append(f"informal address 你 in {text!r} (the newsroom writes 您)")
        for run in ENGLISH_RUN.finditer(text):
            words = {word.lower() for word in re.findall(r"[A-Za-z']+", run.group())}
            if words & SMALL_WORDS:
                found.append(f"English {run.group()!r}")
    return found


def test_every_chinese_catalogue_addresses_the_reader_as_nin():
    """One form of address throughout: 您, never 你, in every room's translations and in the
    project's overrides of Django's own strings."""
    import polib

    root = Path(__file__).resolve().parents[2] / "jiandu"
    informal = [
        f"{path.relative_to(root)}: {entry.msgid[:60]!r}"
        for path in sorted(root.glob("**/locale/zh_Han*/LC_MESSAGES/django.po"))
        for entry in polib.pofile(str(path))
        if "你" in entry.msgstr + "".join(entry.msgstr_plural.values())
    ]
    assert not informal, "\n".join(informal)


def test_the_checker_finds_raw_keys_and_sentences_and_spares_the_exempt():
    assert offences("<p>exif_modified: 2024</p>")
    assert offences("<p>用你的密钥加密</p>")
    assert offences("<p>与 render 2 (video) of 图片 相似</p>")
    assert offences("<p>Generated for the demo.</p>")
    assert not offences('<p>拍摄 <span class="mono">a_b_c</span></p><code>item_key</code>')
    assert not offences('<details class="raw-keys"><tr><td>exif_modified</td></tr></details>')
    assert not offences("<p>来源 amber falcon · Jiandu · photo.jpg · 2024-05-01 10:15</p>")
    assert not offences('<input value="container_creation_time" title="of the and">')
    assert not offences("<dd>mov,mp4,m4a,3gp,3g2,mj2</dd>")
    assert not offences('<dd>重庆<br><span lang="en">Chongqing: the Beibei case</span></dd>')


def modified_photo() -> bytes:
    """The workbench's test photo (GPS, serial, an editor) saved again with a modification date
    far from its capture date: "dates disagree" names two of them."""
    import io

    image = Image.open(io.BytesIO(exif_photo(quality=70)))
    exif = image.getexif()
    exif[0x0132] = "2024:06:20 08:00:00"  # DateTime: exif_modified
    exif.get_ifd(0x8769)[0x9004] = "2024:06:02 09:00:00"  # DateTimeDigitized
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=exif)
    return buffer.getvalue()


@pytest.fixture
def newsroom(isolated_data_dir, settings, django_capture_on_commit_callbacks):
    """A signed-in admin with the demo case, an analysed photo and video, a published render."""
    settings.MEDIA_ROOT = str(isolated_data_dir / "media")
    with django_capture_on_commit_callbacks(execute=True):
        load_demo_case()
    admin = make_member("zhu", "admin")
    client = Client()
    client.post("/newsroom/", {"username": "zhu", "password": admin.password})
    client.post("/newsroom/verify/", {"code": admin.code()})
    photo = modified_photo()
    submit(
        Client(),
        message="请看附件",
        when="2024-05-01",
        files=[
            SimpleUploadedFile("photo.jpg", photo, "image/jpeg"),
            SimpleUploadedFile("clip.mp4", pyav_video(), "video/mp4"),
        ],
    )
    handoff.start_worker_key()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/newsroom/sign-out/")
        client.post("/newsroom/", {"username": "zhu", "password": admin.password})
        client.post("/newsroom/verify/", {"code": admin.code(1)})
    run_tasks()
    source = Source.objects.get()
    photo_item, video_item = (
        source.items.filter(kind=Item.Kind.FILE).order_by("pk")[0],
        source.items.filter(kind=Item.Kind.FILE).order_by("pk")[1],
    )
    assert Analysis.objects.filter(state=Analysis.State.DONE).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/newsroom/redaction/items/{photo_item.pk}/",
            {"faces": "on", "effect": "blur", "edge": "320", "audio": "keep"},
        )
    run_tasks()
    render = Render.objects.get(item=photo_item)
    assert render.state == Render.State.DONE
    private = vault.do_unlock_member_key(admin.user, admin.password).private_key
    source_key = get_source_key_for_member(admin.user, private, source)
    case = Case.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        redaction.do_publish_render(admin.user, source_key, render, case, caption_zh="照片")
    run_tasks()
    client.post(
        f"/newsroom/forensics/items/{photo_item.pk}/",
        {"topic": "origin", "origin-outcome": "confirmed", "origin-note": "已致电"},
    )
    client.post(f"/newsroom/sources/{source.pk}/reply/", {"text": "谢谢"})
    return {
        "client": client,
        "admin": admin,
        "source": source,
        "photo": photo_item,
        "video": video_item,
        "render": render,
        "case": case,
        "person": Person.objects.order_by("pk").first(),
        "photo_bytes": photo,
    }


def pages(data: dict) -> list[str]:
    source, case = data["source"], data["case"]
    return [
        "/newsroom/home/",
        "/newsroom/sources/",
        f"/newsroom/sources/{source.pk}/",
        "/newsroom/sources/key/",
        "/newsroom/sources/notifications/",
        "/newsroom/sources/keys/",
        "/newsroom/sources/retention/",
        f"/newsroom/forensics/items/{data['photo'].pk}/",
        f"/newsroom/forensics/items/{data['video'].pk}/",
        "/newsroom/forensics/lookup/",
        "/newsroom/redaction/",
        f"/newsroom/redaction/items/{data['photo'].pk}/",
        f"/newsroom/redaction/renders/{data['render'].pk}/",
        "/newsroom/cases/",
        "/newsroom/cases/new/",
        f"/newsroom/cases/{case.pk}/",
        f"/newsroom/cases/{case.pk}/edit/",
        "/newsroom/cases/people/",
        f"/newsroom/cases/people/{data['person'].pk}/",
        "/newsroom/custody/",
        "/newsroom/members/",
        f"/newsroom/members/{data['admin'].user.pk}/",
        "/newsroom/passkeys/",
        "/newsroom/password/",
        "/newsroom/recovery-codes/",
        "/newsroom/comments/",
        "/newsroom/questionnaire/",
    ]


def test_chinese_newsroom_pages_show_no_raw_keys_or_english_sentences(newsroom):
    client = newsroom["client"]
    found = []
    for prefix in ("", "/zh-hant"):
        for path in pages(newsroom):
            response = client.get(prefix + path)
            assert response.status_code == 200, (prefix + path, response.status_code)
            found += [f"{prefix}{path}: {line}" for line in offences(response.content.decode())]
        lookup = client.post(
            f"{prefix}/newsroom/forensics/lookup/",
            {"file": SimpleUploadedFile("again.jpg", newsroom["photo_bytes"], "image/jpeg")},
        )
        assert lookup.status_code == 200
        found += [f"{prefix} lookup: {line}" for line in offences(lookup.content.decode())]
    assert not found, "\n".join(found)
