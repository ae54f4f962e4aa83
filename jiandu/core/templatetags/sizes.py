"""`{{ bytes|size }}`: a size written the one way every page and script writes it
(jiandu.core.sizes); `{% size_formats %}` hands the same translated formats to a script."""

from __future__ import annotations

from django import template

from jiandu.core import sizes

register = template.Library()


@register.filter(name="size")
def size(value: int | float | str | None) -> str:
    return sizes.format_size(value)


@register.simple_tag
def size_formats() -> str:
    """The formats as JSON, for a data attribute (autoescaped there)."""
    return sizes.formats_json()
