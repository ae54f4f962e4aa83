"""gunicorn's logger without client addresses.

gunicorn writes the client's address into its own error log on a malformed request ("Invalid
request from ip=203.0.113.7: Invalid HTTP Version") at the warning level we keep, whatever the
access-log setting. A source's address must never be written anywhere (docs/threat-model.md),
so every record of gunicorn's loggers passes through `RedactAddresses` first: the message, its
arguments and any traceback, with IPv4 and IPv6 addresses replaced by a fixed word.
"""

import logging
import re

from gunicorn import glogging

REDACTED = "[address]"

_IPV4 = r"(?:\d{1,3}\.){3}\d{1,3}"
# Hex groups and colons, possibly ending in an IPv4 address ("::ffff:192.0.2.1") or a zone.
_IPV6 = rf"(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}(?:{_IPV4}|[0-9A-Fa-f]{{1,4}})?(?:%\w+)?"
ADDRESS = re.compile(rf"(?<![\w.:])(?:{_IPV6}|{_IPV4})(?![\w.])")


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
    """gunicorn's own logger (`logger_class` in jiandu.core.gunicorn_conf), redacting."""

    def setup(self, cfg: object) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactAddresses) for f in log.filters):
                log.addFilter(RedactAddresses())
