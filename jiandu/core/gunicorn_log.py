"""gunicorn's logger without client addresses.

gunicorn writes the client's address into its own error log on a malformed request ("Invalid
request from ip=203.0.113.7: Invalid HTTP Version") at the warning level we keep, whatever the
access-log setting. A source's address must never be written anywhere (docs/threat-model.md),
so every record of gunicorn's loggers passes through `RedactAddresses` first: the message, its
arguments and any traceback, with IPv4 and IPv6 addresses replaced by a fixed word.

Nor may the time of a source's request: journald stamps every line to the microsecond, and
Django's `django.request` and `django.security.csrf` loggers write one per 4xx ("Not Found:
/upload/<id>/", "Forbidden (CSRF token missing.): /submit/"), so a line is a precise record
that someone used the tip line, with the tus upload id in it. `QuietSources` (on the console
handler in settings.LOGGING and on gunicorn's own loggers) drops every record about a request
outside the newsroom: the tip line lives at the root, and a source's mistyped URL, or a reader
of the public site, is as anonymous as a submission. The newsroom's own errors still log.
"""

import logging
import re

from gunicorn import glogging

REDACTED = "[address]"

_IPV4 = r"(?:\d{1,3}\.){3}\d{1,3}"
# Hex groups and colons, possibly ending in an IPv4 address ("::ffff:192.0.2.1") or a zone.
_IPV6 = rf"(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}(?:{_IPV4}|[0-9A-Fa-f]{{1,4}})?(?:%\w+)?"
ADDRESS = re.compile(rf"(?<![\w.:])(?:{_IPV6}|{_IPV4})(?![\w.])")


# /newsroom/... with or without a language prefix (/en/, /zh-hant/): the members' pages.
NEWSROOM_PATH = re.compile(r"^/(?:[a-z]{2}(?:-[a-z]+)?/)?newsroom/")
# Loggers whose every line is about one request (Django names the path in the message).
REQUEST_LOGGERS = ("django.request", "django.security", "django.server")


def is_newsroom_path(path: object) -> bool:
    """Whether a request path is the members' side, whose errors may be logged."""
    return isinstance(path, str) and bool(NEWSROOM_PATH.match(path))


class QuietSources(logging.Filter):
    """Drop records about requests outside the newsroom (a source's, a reader's).

    A record counts as about a request when it carries one (`record.request`, as Django's
    request and security loggers attach it), when it comes from one of those loggers at all
    (a record there without a request cannot show whose it was), or when it is gunicorn's own
    "Error handling request <uri>".
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None:
            return is_newsroom_path(getattr(request, "path", None))
        if record.name.startswith(REQUEST_LOGGERS):
            return False
        if isinstance(record.msg, str) and record.msg.startswith("Error handling request"):
            uri = record.args[-1] if isinstance(record.args, tuple) and record.args else None
            return is_newsroom_path(uri.split("?", 1)[0] if isinstance(uri, str) else None)
        return True


def _replace(match: re.Match[str]) -> str:
    text = match.group(0)
    if ":" not in text:
        return REDACTED
    # An IPv6 address has "::" or eight groups; "12:30:45" (a time) has neither.
    groups = text.rstrip(":").split("%")[0]
    if "::" in groups or groups.count(":") >= 6:
        return REDACTED
    return text


def redact(text: str) -> str:
    return ADDRESS.sub(_replace, text)


class RedactAddresses(logging.Filter):
    """Rewrite a record so that no IP address survives in what any handler formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class AddresslessLogger(glogging.Logger):
    """gunicorn's own logger (`logger_class` in jiandu.core.gunicorn_conf): quiet about
    sources' requests, redacting addresses."""

    def setup(self, cfg: object) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, QuietSources) for f in log.filters):
                log.addFilter(QuietSources())
            if not any(isinstance(f, RedactAddresses) for f in log.filters):
                log.addFilter(RedactAddresses())
