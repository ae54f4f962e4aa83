"""Case content on the newsroom's desk pages, in the reader's language (issue 18, item 10).

Two ways to show a {zh, en} pair of a case, a person or a timeline event:

- `local`: one text, in the reader's language and script (jiandu.cases.text.localize), for
  what names a thing: a case's title in a heading, a list, a link, a person's name. Where the
  reader's language is missing the other is shown, marked with its own `lang`.
- `both` / `both_inline`: the two sides as the editor wrote them, each marked with its
  `lang`, where the desk shows them side by side on purpose (the text an editor checks in
  both languages before asking for review).

A citation (an outlet's name, a headline, a quote) is one text in the language of the source
it quotes and is never translated: `source_lang` declares it English where it has no Chinese
characters, so a screen reader reads it in the right voice and a Chinese page is not taken to
say it in English.
"""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from jiandu.cases.text import has_chinese, localize

register = template.Library()

PAGE_LANG = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}


def _pair(obj: object, field: str) -> dict[str, str]:
    return {
        "zh": getattr(obj, f"{field}_zh", "") or "",
        "en": getattr(obj, f"{field}_en", "") or "",
    }


@register.filter
def local(obj: object, field: str) -> SafeString:
    """`obj.<field>_zh` / `_en` in the reader's language; a fallback marked with its `lang`."""
    language = get_language() or "zh-hans"
    text, lang = localize(_pair(obj, field), language)
    if not text:
        return format_html("{}", obj)
    if lang != PAGE_LANG.get(language, language):
        return format_html('<span lang="{}">{}</span>', lang, text)
    return format_html("{}", text)


@register.filter
def local_text(obj: object, field: str) -> str:
    """The same as plain text (a page's <title>, an attribute)."""
    return localize(_pair(obj, field), get_language() or "zh-hans")[0] or str(obj)


def _sides(obj: object, field: str, multiline: bool) -> list[tuple[str, str]]:
    pair = _pair(obj, field)
    return [
        (lang, linebreaksbr(pair[lang].strip(), autoescape=True) if multiline else pair[lang])
        for lang in ("zh", "en")
        if pair[lang].strip()
    ]


@register.filter
def both(obj: object, field: str) -> SafeString:
    """Both sides, one under the other, each with its `lang` (paragraphs kept)."""
    return format_html_join(
        mark_safe("<br>"), '<span lang="{}">{}</span>', _sides(obj, field, True)
    )


@register.filter
def both_inline(obj: object, field: str) -> SafeString:
    """Both sides on one line ("雷政富 / Lei Zhengfu"), each with its `lang`."""
    return format_html_join(" / ", '<span lang="{}">{}</span>', _sides(obj, field, False))


@register.filter
def source_lang(text: str) -> SafeString:
    """A quoted text in its own language: declared English where it has no Chinese."""
    if text and not has_chinese(text):
        return format_html('<span lang="en">{}</span>', text)
    return format_html("{}", text)
