"""`{% sandbox_warning %}`: the newsroom says loudly when files are not analysed safely.

Shown on the pages where previews appear: either the sandbox is unavailable (files are kept but
not analysed) or JIANDU_SANDBOX_ALLOW_WEAK let them be parsed without bubblewrap.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from jiandu.sandbox import runner

register = template.Library()


@register.simple_tag
def sandbox_warning() -> SafeString | str:
    if runner.isolation_problem() is None:
        return ""
    if runner.weak_isolation():
        text = _(
            "Warning: the sandbox is weakened on this server. Submitted files are analysed "
            "without its namespaces and system-call filter, so a crafted file could reach the "
            "server's secrets. An administrator must install bubblewrap."
        )
    else:
        text = _(
            "The sandbox is unavailable on this server: submitted files are kept but not "
            "analysed, and no preview is made. An administrator must install bubblewrap."
        )
    return format_html('<p class="panel sandbox-warning" role="alert">{}</p>', text)
