"""Marks a compared text for the review panel: <del> and <ins>, each announced in words.

Written in Python rather than a template loop so that no whitespace of the template creeps
between the pieces of a sentence (in Chinese a stray space is visible and wrong).
"""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from jiandu.cases.diff import Segment

register = template.Library()


@register.filter
def diff_segments(segments: list[Segment]) -> SafeString:
    """One side of a comparison as HTML: removed text in <del>, added text in <ins>, each
    preceded by a visually hidden word for screen readers (colour alone says nothing)."""
    labels = {"del": _("removed:"), "ins": _("added:")}
    parts = []
    for segment in segments:
        if segment.op == "del":
            parts.append(
                format_html(
                    '<span class="visually-hidden">{} </span><del>{}</del>',
                    labels["del"],
                    segment.text,
                )
            )
        elif segment.op == "ins":
            parts.append(
                format_html(
                    '<span class="visually-hidden">{} </span><ins>{}</ins>',
                    labels["ins"],
                    segment.text,
                )
            )
        else:
            parts.append(conditional_escape(segment.text))
    return mark_safe("".join(parts))  # noqa: S308 - every piece escaped above
