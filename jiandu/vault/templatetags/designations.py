"""`{{ source.designation|in_reader_language }}`: jiandu.vault.designations in the page's
language."""

from django import template
from django.utils.translation import get_language

from jiandu.vault import designations

register = template.Library()


@register.filter
def in_reader_language(designation: str) -> str:
    return designations.in_language(designation, get_language())
