"""What was done to the original, in words a reader understands, for the public record.

"clip 00:12:30–00:13:06, 2 faces blurred, audio removed": made from the recipe and what the
worker reports (faces hidden), in Simplified Chinese and English when the derivative is
published (the public site converts to Traditional for its readers, like every text pair).
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jiandu.redaction.recipe import Recipe, clock


def describe(recipe: Recipe, hidden_faces: int) -> str:
    """The treatment in the active language."""
    parts = []
    if recipe.kind == "video" and recipe.ranges:
        clips = ", ".join(f"{clock(a)}–{clock(b)}" for a, b in recipe.ranges)
        parts.append(_("clip %(ranges)s") % {"ranges": clips})
    if recipe.kind == "video" and recipe.stills:
        parts.append(
            ngettext("%(n)d still", "%(n)d stills", len(recipe.stills)) % {"n": len(recipe.stills)}
        )
    if recipe.kind == "image" and recipe.stills:
        parts.append(_("still at %(time)s") % {"time": clock(recipe.stills[0])})
    if hidden_faces:
        if recipe.effect == "pixelate":
            text = ngettext("%(n)d face pixelated", "%(n)d faces pixelated", hidden_faces)
        else:
            text = ngettext("%(n)d face blurred", "%(n)d faces blurred", hidden_faces)
        parts.append(text % {"n": hidden_faces})
    boxes = [box for box in recipe.boxes if box.on]
    if boxes:
        if recipe.kind == "pdf":
            text = ngettext("%(n)d area redacted", "%(n)d areas redacted", len(boxes))
        else:
            text = ngettext("%(n)d region hidden", "%(n)d regions hidden", len(boxes))
        parts.append(text % {"n": len(boxes)})
    if recipe.terms:
        n = len(recipe.terms)
        parts.append(
            ngettext("%(n)d search term redacted", "%(n)d search terms redacted", n) % {"n": n}
        )
    if recipe.crop:
        parts.append(_("cropped"))
    if recipe.kind == "video" and recipe.audio == "mute":
        parts.append(_("audio removed"))
    if recipe.kind == "video" and recipe.audio == "disguise":
        parts.append(_("voices disguised"))
    if recipe.kind == "pdf":
        parts.append(_("pages rebuilt as images, text removed"))
    else:
        parts.append(_("re-encoded without metadata"))
    return _(", ").join(parts)


def describe_both(recipe: Recipe, hidden_faces: int) -> tuple[str, str]:
    """(Chinese, English) for the published evidence's text pair."""
    with translation.override("zh-hans"):
        zh = describe(recipe, hidden_faces)
    with translation.override("en"):
        en = describe(recipe, hidden_faces)
    return zh, en
