"""The user guides (docs/guides/<lang>/<role>.md), read from the product itself.

A source reads the guide in Tor Browser at "Safest": no JavaScript, nothing from another host.
So the guides are served by this server as plain HTML, rendered here from the small subset of
Markdown they are written in (headings, paragraphs, lists, bold, links, images), with every
piece of text escaped: no Markdown library, no raw HTML passed through. Their screenshots are
served from docs/guides/img by name (checked against a pattern, never a path from the request).

Interface names are written **[Send]** / **[发送]**: `interface_names` reads them per step
(a step is a section with one screenshot) so a test can check that each still exists on the
page the step is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from jiandu.core import chinese

ROLES = ("source", "journalist", "editor", "admin")
# A moderator's work (comments) is in the editor's guide.
GUIDE_FOR_ROLE = {"admin": "admin", "editor": "editor", "journalist": "journalist"}
LANGUAGES = {"zh-hans": "zh-hans", "zh-hant": "zh-hans", "en": "en"}
IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}\.png$")

_HEADING = re.compile(r"^(#{1,3}) (.+)$")
_IMAGE_LINE = re.compile(r"^!\[([^\]]*)\]\(\.\./img/(en|zh-hans)/([a-z0-9-]+\.png)\)$")
_BULLET = re.compile(r"^- (.+)$")
_NUMBERED = re.compile(r"^\d+\. (.+)$")
_NAME = re.compile(r"\*\*\[([^\]]+)\]\*\*")
_INLINE = re.compile(r"\*\*\[([^\]]+)\]\*\*|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)")


def guides_dir() -> Path:
    """docs/guides beside the package: the same files the repository's readers see."""
    return Path(settings.BASE_DIR).parent / "docs" / "guides"


def guide_for_role(role: str) -> str:
    """The guide a newsroom member's help link opens."""
    return GUIDE_FOR_ROLE.get(role, "editor")


def guide_language(language: str | None) -> str:
    """Which copy a reader's language reads: Traditional Chinese readers get the Simplified one,
    converted by `read_guide` (the same converter as the case's texts), so the two cannot drift."""
    return LANGUAGES.get((language or "zh-hans").lower(), "en")


def read_guide(role: str, language: str) -> str | None:
    """The guide's Markdown, or None for a role without one."""
    if role not in ROLES:
        return None
    path = guides_dir() / guide_language(language) / f"{role}.md"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    return chinese.to_traditional(text) if (language or "").lower() == "zh-hant" else text


def image_path(language: str, name: str) -> Path | None:
    """A screenshot's file, only for a name of the allowed shape in a known language."""
    if language not in ("en", "zh-hans") or not IMAGE_NAME.match(name):
        return None
    path = guides_dir() / "img" / language / name
    return path if path.is_file() else None


def _inline(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in _INLINE.finditer(text):
        out.append(escape(text[last : match.start()]))
        name, bold, label, href = match.groups()
        if name is not None:
            out.append(f'<strong class="ui-name">{escape(name)}</strong>')
        elif bold is not None:
            out.append(f"<strong>{escape(bold)}</strong>")
        elif href.startswith(("/", "#", "https://")):
            out.append(f'<a href="{escape(href)}">{escape(label)}</a>')
        else:  # another guide file: shown as text, the product links guides itself
            out.append(escape(label))
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def render_guide(markdown: str) -> str:
    """The guide as HTML, every text escaped; images point at this server's image view."""
    html: list[str] = []
    paragraph: list[str] = []
    list_tag = ""

    def close() -> None:
        nonlocal list_tag
        if paragraph:
            html.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if list_tag:
            html.append(f"</{list_tag}>")
            list_tag = ""

    for raw in markdown.splitlines():
        line = raw.strip()
        heading, image = _HEADING.match(line), _IMAGE_LINE.match(line)
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if not line:
            close()
        elif heading:
            close()
            level = len(heading.group(1))
            html.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif image:
            close()
            alt, language, name = image.groups()
            src = reverse("tipline:guide_image", args=[language, name])
            html.append(
                f'<figure class="guide-shot"><img src="{escape(src)}" alt="{escape(alt)}" '
                f'loading="lazy"></figure>'
            )
        elif bullet or numbered:
            tag = "ul" if bullet else "ol"
            if paragraph or list_tag != tag:
                close()
                html.append(f"<{tag}>")
                list_tag = tag
            html.append(f"<li>{_inline((bullet or numbered).group(1))}</li>")  # type: ignore[union-attr]
        else:
            if list_tag:
                close()
            paragraph.append(line)
    close()
    return "\n".join(html)


@dataclass
class Step:
    """One section of a guide with its screenshots and the interface names it mentions."""

    title: str
    images: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def steps(markdown: str) -> list[Step]:
    """The guide's sections (## or ###) with their screenshots' names (without .png) and the
    **[names]** written in them: each name must be on the page of one of its screenshots."""
    found: list[Step] = []
    for raw in markdown.splitlines():
        line = raw.strip()
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) >= 2:
            found.append(Step(title=heading.group(2)))
            continue
        if not found:
            continue
        image = _IMAGE_LINE.match(line)
        if image:
            found[-1].images.append(image.group(3).removesuffix(".png"))
        found[-1].names.extend(_NAME.findall(line))
    return found
