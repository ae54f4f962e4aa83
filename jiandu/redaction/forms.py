"""The studio's form: numbers a journalist can type without JavaScript (the editor's JavaScript
fills the same fields). It only turns text into the recipe's shape; recipe.parse checks it."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jiandu.cases.models import Case
from jiandu.cases.text import localize
from jiandu.redaction.recipe import AUDIO, EDGES, Recipe, RecipeError, parse

# What each kind of original can be asked for; the others are not shown.
FIELDS = {
    "image": {"faces", "effect", "keep", "boxes", "crop", "edge", "format", "terms"},
    "video": {"faces", "effect", "keep", "boxes", "edge", "ranges", "audio", "stills", "format"},
    "pdf": {"boxes", "terms"},
}
BOX_HELP = {
    "image": _("One per line: left top width height, as percentages of the picture."),
    "video": _(
        "One per line: left top width height as percentages of the frame, then start and end "
        "(seconds or hh:mm:ss); without times the box covers the whole clip."
    ),
    "pdf": _(
        "One per line: left top width height as percentages of the page, then the page number."
    ),
}
FORMATS = {
    "image": [
        ("jpeg", _("JPEG (photos)")),
        ("png", _("PNG (lossless)")),
        ("webp", _("WebP")),
    ],
    "video": [
        ("mp4", _("MP4 (H.264, AAC)")),
        ("webm", _("WebM (VP9, Opus)")),
    ],
}

TIME = re.compile(r"^(?:(\d{1,2}):)?(?:(\d{1,2}):)?(\d{1,5}(?:\.\d{1,3})?)$")


def seconds(text: str) -> float:
    """12.5, 1:02 or 00:12:30 → seconds."""
    parts = text.strip().split(":")
    if len(parts) > 3 or not all(re.fullmatch(r"\d{1,5}(?:\.\d{1,3})?", p) for p in parts):
        raise forms.ValidationError(_("Times are seconds or hh:mm:ss."))
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def _numbers(line: str) -> list[float]:
    try:
        return [float(n) for n in line.replace(",", " ").split()]
    except ValueError as exc:
        raise forms.ValidationError(_("Boxes are numbers.")) from exc


class RecipeForm(forms.Form):
    faces = forms.BooleanField(
        label=_("Find and hide faces automatically"), required=False, initial=True
    )
    effect = forms.ChoiceField(
        label=_("Effect"),
        choices=[("blur", _("Blur")), ("pixelate", _("Pixelate"))],
        initial="blur",
    )
    keep = forms.CharField(
        label=_("Faces left visible (numbers)"),
        required=False,
        help_text=_("The subject of the story, e.g. “2”. Everyone else stays hidden."),
    )
    boxes = forms.CharField(
        label=_("Boxes to hide"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line: left top width height as percentages of the frame; for video, then "
            "start and end (seconds or hh:mm:ss); for a PDF, then the page number."
        ),
    )
    crop = forms.CharField(label=_("Crop (left top width height, percent)"), required=False)
    edge = forms.TypedChoiceField(
        label=_("Output size (longest side)"),
        coerce=int,
        choices=[(e, e or _("unchanged")) for e in EDGES],
        initial=0,
        required=False,
    )
    ranges = forms.CharField(
        label=_("Clip (video)"),
        required=False,
        help_text=_("Ranges like 00:12:30-00:13:06, separated by commas."),
    )
    audio = forms.ChoiceField(
        label=_("Audio (video)"),
        choices=[
            (a, label)
            for a, label in zip(AUDIO, (_("keep"), _("remove"), _("disguise voices")), strict=True)
        ],
        initial="keep",
        help_text=_(
            "A disguised voice can be shifted back: remove the audio when the voice could "
            "identify someone."
        ),
    )
    stills = forms.CharField(label=_("Stills at (video, seconds)"), required=False)
    terms = forms.CharField(
        label=_("Search terms to redact (one per line)"),
        required=False,
        help_text=_(
            "Found in the PDF's text, or read by OCR in a scan or a photo of a page (Chinese "
            "and English). Words the OCR was unsure of are listed after the render: box them "
            "by hand."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The kept numbers the journalist has seen listed (with their thumbnails) and confirmed:
    # a render that leaves faces visible starts only once this matches "keep".
    confirmed_keep = forms.CharField(required=False, widget=forms.HiddenInput)
    format = forms.ChoiceField(
        label=_("File format"),
        required=False,
        help_text=_("MP4 plays everywhere; WebM uses open formats. Stills are saved as PNG."),
    )

    def __init__(self, *args: Any, kind: str = "image", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        wanted = FIELDS.get(kind, FIELDS["image"])
        for name in set(self.fields) - wanted - ({"confirmed_keep"} if "keep" in wanted else set()):
            del self.fields[name]
        self.fields["boxes"].help_text = BOX_HELP.get(kind, BOX_HELP["image"])
        if "format" in self.fields:
            cast(forms.ChoiceField, self.fields["format"]).choices = FORMATS[kind]
            self.fields["format"].initial = FORMATS[kind][0][0]
            if kind == "image":
                self.fields["format"].help_text = _(
                    "The public tracker publishes JPEG as JPEG, PNG and WebP as PNG."
                )

    def clean(self) -> dict:
        cleaned = cast("dict[str, Any]", super().clean())  # Form.clean returns cleaned_data
        if self.errors:
            return cleaned
        try:
            cleaned["recipe"] = self.to_recipe(cleaned)
        except (RecipeError, forms.ValidationError, ValueError, IndexError) as exc:
            message = exc.messages[0] if isinstance(exc, forms.ValidationError) else None
            raise forms.ValidationError(message or _("These settings cannot be rendered.")) from exc
        return cleaned

    def kept_numbers(self) -> list[int]:
        """The face numbers in "faces left visible", as typed (bound or initial); [] when
        they do not parse (the form's own error says so)."""
        text = self.data.get("keep", "") if self.is_bound else self.initial.get("keep", "")
        words = str(text or "").replace(",", " ").split()
        if not all(w.isdigit() and 0 < int(w) < 10_000 for w in words):
            return []
        return sorted({int(w) for w in words})

    def needs_confirmation(self) -> bool:
        """True when faces would stay visible and the journalist has not yet confirmed which
        (the page then lists them; rendering again with the same numbers confirms)."""
        kept = " ".join(map(str, self.kept_numbers()))
        return bool(kept) and self.cleaned_data.get("confirmed_keep", "").strip() != kept

    def to_recipe(self, d: dict) -> Recipe:
        boxes = []
        for line in (d.get("boxes") or "").splitlines():
            if not line.strip():
                continue
            words = line.replace(",", " ").split()
            x, y, w, h = (v / 100 for v in _numbers(" ".join(words[:4])))
            box: dict = {"x": x, "y": y, "w": w, "h": h}
            rest = words[4:]
            if self.kind == "pdf" and rest:
                box["page"] = max(0, int(_numbers(rest[0])[0]) - 1)
            elif len(rest) >= 2:
                box["start"], box["end"] = seconds(rest[0]), seconds(rest[1])
            boxes.append(box)
        crop = None
        if (d.get("crop") or "").strip():
            crop = [v / 100 for v in _numbers(d["crop"])]
        ranges = []
        for part in (d.get("ranges") or "").split(","):
            if part.strip():
                start, _sep, end = part.partition("-")
                ranges.append([seconds(start), seconds(end)])
        stills = [seconds(s) for s in (d.get("stills") or "").replace(",", " ").split()]
        keep = []
        for word in (d.get("keep") or "").replace(",", " ").split():
            if not word.isdigit():
                raise forms.ValidationError(_("Faces are given by their numbers."))
            keep.append(int(word) - 1)  # shown from 1
        return parse(
            {
                "kind": self.kind,
                # A PDF has no faces field: its recipe keeps the default, as a parsed one does.
                "faces": bool(d.get("faces")) if "faces" in self.fields else True,
                "effect": d.get("effect") or "blur",
                "keep": keep,
                "boxes": boxes,
                "crop": crop,
                "edge": d.get("edge") or 0,
                "ranges": ranges,
                "audio": d.get("audio") or "keep",
                "stills": stills,
                "terms": [t for t in (d.get("terms") or "").splitlines() if t.strip()],
                "format": d.get("format") or "",
            }
        )


def _moment(value: float) -> str:
    """Seconds as the form reads them back: hh:mm:ss, with the fraction when there is one."""
    whole, fraction = divmod(round(value * 1000), 1000)
    text = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return f"{text}.{fraction:03d}".rstrip("0") if fraction else text


def _percent(value: float) -> str:
    return f"{value * 100:.2f}".rstrip("0").rstrip(".")


def initial_from(recipe: Recipe | None) -> dict:
    """The form's fields as a recipe fills them: "change and render again" starts from the
    last render, clip and boxes included, so the face numbers it listed still apply."""
    if recipe is None:
        return {}
    lines = []
    for box in recipe.boxes:
        words = [_percent(v) for v in (box.x, box.y, box.w, box.h)]
        if recipe.kind == "pdf":
            words.append(str(box.page + 1))
        elif box.start or box.end:
            words += [_moment(box.start), _moment(box.end)]
        lines.append(" ".join(words))
    return {
        "faces": recipe.faces,
        "effect": recipe.effect,
        "keep": " ".join(str(n + 1) for n in recipe.keep),
        "boxes": "\n".join(lines),
        "crop": " ".join(_percent(v) for v in recipe.crop) if recipe.crop else "",
        "edge": recipe.edge,
        "ranges": ", ".join(f"{_moment(a)}-{_moment(b)}" for a, b in recipe.ranges),
        "audio": recipe.audio,
        "stills": " ".join(_moment(t) for t in recipe.stills),
        "terms": "\n".join(recipe.terms),
        "format": recipe.format,
    }


class CaseChoiceField(forms.ModelChoiceField):
    """A case by its title in the reader's language (script converted, like the public site),
    not by the English of its `__str__` (issue 18, item 10)."""

    def label_from_instance(self, obj: Case) -> str:
        title = localize({"zh": obj.title_zh, "en": obj.title_en}, get_language() or "")[0]
        return title or str(obj)


class PublishForm(forms.Form):
    case = CaseChoiceField(label=_("Case"), queryset=None)
    caption_zh = forms.CharField(label=_("caption (Chinese)"), required=False, max_length=300)
    caption_en = forms.CharField(label=_("caption (English)"), required=False, max_length=300)
    verification_note = forms.CharField(
        label=_("What was checked"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, cases: QuerySet[Case] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(CaseChoiceField, self.fields["case"]).queryset = cases
