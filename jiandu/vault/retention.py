"""The rules for the retention period: a floor, a ceiling, and a second confirmation to lower it.

Retention deletes sources for good (their keys are destroyed), so one mistaken or coerced
setting would wipe the newsroom's evidence within the hour. Hence:

- nothing below `FLOOR_DAYS` (7) is accepted, and the purge never uses less than the floor
  even if the environment or the database says so (`effective_days`);
- lowering the period needs a second confirmation bound to the exact new value, so a stale or
  forged confirmation for another number does not count.

No Django forms here: the view translates `RetentionRefused.code` into a message.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from django.utils import timezone

from jiandu.vault import conf
from jiandu.vault.models import Source

FLOOR_DAYS = 7
CEILING_DAYS = 3650


class Refusal(StrEnum):
    BELOW_FLOOR = "below_floor"
    ABOVE_CEILING = "above_ceiling"
    NEEDS_CONFIRMATION = "needs_confirmation"


class RetentionRefused(Exception):
    """A new retention period that may not be saved (yet)."""

    def __init__(self, code: Refusal) -> None:
        super().__init__(str(code))
        self.code = code


def effective_days() -> int:
    """The period the purge applies: the configured one, never below the floor."""
    return max(conf.retention_days(), FLOOR_DAYS)


def check_change(current: int, days: object, confirmed_days: object = None) -> int:
    """Return `days` as the new period, or raise RetentionRefused.

    `confirmed_days` is what the second confirmation said; lowering counts as confirmed only
    when it names the very same number (booleans, strings and other types never do).
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError("days must be an int")
    if days < FLOOR_DAYS:
        raise RetentionRefused(Refusal.BELOW_FLOOR)
    if days > CEILING_DAYS:
        raise RetentionRefused(Refusal.ABOVE_CEILING)
    lowering = days < current
    confirmed = (
        isinstance(confirmed_days, int)
        and not isinstance(confirmed_days, bool)
        and confirmed_days == days
    )
    if lowering and not confirmed:
        raise RetentionRefused(Refusal.NEEDS_CONFIRMATION)
    return days


def get_sources_idle_over(days: int) -> int:
    """How many sources a period of `days` would delete at the next hourly run (shown before
    an admin confirms lowering it)."""
    return Source.objects.filter(last_active_hour__lt=timezone.now() - timedelta(days=days)).count()
