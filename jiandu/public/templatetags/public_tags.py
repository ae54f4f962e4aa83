"""Template filters for snapshot data: bilingual text, dates with their precision, labels."""

from datetime import date, datetime

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, ngettext

from jiandu.cases.models import EventType, PersonRole, RevisionKind, VerificationStatus
from jiandu.cases.text import localize

register = template.Library()

PAGE_LANG = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}
EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@register.filter
def loc(pair: dict[str, str] | None) -> SafeString:
    """The pair in the reader's language; marked with its own `lang` where it falls back."""
    language = get_language() or "zh-hans"
    text, lang = localize(pair, language)
    if lang != PAGE_LANG.get(language, language):
        return format_html('<span lang="{}">{}</span>', lang, text)
    return escape(text)


@register.filter
def loc_text(pair: dict[str, str] | None) -> str:
    """The pair in the reader's language as plain text (for attributes and meta tags)."""
    return localize(pair, get_language() or "zh-hans")[0]


def format_precise(value: datetime | date, precision: str) -> str:
    zh = (get_language() or "").startswith("zh")
    if precision == "year":
        return f"{value.year}年" if zh else str(value.year)
    if precision == "month":
        return (
            f"{value.year}年{value.month}月" if zh else f"{EN_MONTHS[value.month - 1]} {value.year}"
        )
    day = (
        f"{value.year}年{value.month}月{value.day}日"
        if zh
        else f"{value.day} {EN_MONTHS[value.month - 1]} {value.year}"
    )
    if precision == "hour" and isinstance(value, datetime):
        return f"{day} {value:%H}:00" if zh else f"{day}, {value:%H}:00"
    return day


@register.simple_tag
def precise_date(iso: str | None, precision: str = "day") -> str:
    """An ISO date or datetime shown no more precisely than it is known."""
    if not iso:
        return ""
    value = datetime.fromisoformat(iso) if "T" in iso else date.fromisoformat(iso)
    if isinstance(value, datetime):
        from jiandu.cases.metrics import local_zone

        value = value.astimezone(local_zone())
    return format_precise(value, precision)


@register.filter
def event_label(value: str) -> str:
    return str(EventType(value).label) if value in EventType.values else value


@register.filter
def role_label(value: str) -> str:
    return str(PersonRole(value).label) if value in PersonRole.values else value


@register.filter
def kind_label(value: str) -> str:
    return str(RevisionKind(value).label) if value in RevisionKind.values else value


@register.filter
def verification_label(value: str) -> str:
    return str(VerificationStatus(value).label) if value in VerificationStatus.values else value


@register.filter
def verification_class(value: str) -> str:
    return {"verified": "badge-ok", "partly": "badge-warn", "disputed": "badge-warn"}.get(
        value, "badge-muted"
    )


@register.filter
def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


@register.filter
def credential_action(action: dict) -> str:
    """One action of a file's Content Credentials (redaction.credentials.summary) in plain
    words, in the page's language."""
    key = action.get("key") if isinstance(action, dict) else None
    if key == "hidden":
        count = int(action.get("count") or 0)
        if count:
            return ngettext(
                "%(n)d region (faces, details) blurred or pixelated",
                "%(n)d regions (faces, details) blurred or pixelated",
                count,
            ) % {"n": count}
        return gettext("Regions (faces, details) blurred or pixelated")
    if key == "clip":
        return gettext("Cut to the part shown: %(clip)s") % {"clip": action.get("detail", "")}
    words = {
        "opened": gettext("Made from an original that stays with the newsroom"),
        "voice": gettext("Voices disguised (pitch changed)"),
        "muted": gettext("Sound removed"),
        "cropped": gettext("Cropped"),
        "edited": gettext("Edited"),
        "transcoded": gettext("Re-encoded from its pixels, which drops the original's metadata"),
        "published": gettext("Published by the newsroom"),
    }
    return words.get(str(key), gettext("Another change the credentials name"))
