"""Response-time metrics, computed from the timeline and never typed in.

A date on the timeline is known to a precision: the hour, the day, the month or the year. The
time between two dates is given in the coarser of their two units, from the dates as recorded
("63 hours" when both ends are known to the hour, "about 3 days" when one is known only to
the day), together with the smallest and largest span the precision allows, so a chart or a
careful reader can show the uncertainty rather than hide it.

Pure functions over plain values: no database, so every rule here has a unit test.
"""

from __future__ import annotations

import statistics
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

HOUR, DAY, MONTH, YEAR = "hour", "day", "month", "year"
PRECISIONS = (HOUR, DAY, MONTH, YEAR)  # finest first
HOURS_PER_UNIT = {HOUR: 1.0, DAY: 24.0, MONTH: 24 * 30.44, YEAR: 24 * 365.25}

# The event types that end each measured span (jiandu.cases.models.EventType values).
PUBLICATION = "evidence_published"
OFFICIAL_RESPONSES = frozenset(
    {"denial", "verifying", "confirmed", "removed", "investigated", "charged", "demand_originals"}
)
CONFIRMATION = frozenset({"confirmed"})
REMOVAL = frozenset({"removed"})


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class When:
    """A moment known to a precision; `at` is timezone-aware."""

    at: datetime
    precision: str = DAY

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}")
        if self.at.tzinfo is None:
            raise ValueError("a When needs a timezone-aware datetime")

    def bounds(self) -> tuple[datetime, datetime]:
        """[earliest, latest) instant this date may stand for, in the newsroom's time zone."""
        local = self.at.astimezone(local_zone())
        if self.precision == HOUR:
            start = local.replace(minute=0, second=0, microsecond=0)
            return start, start + timedelta(hours=1)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.precision == DAY:
            return start, _add_days(start, 1)
        if self.precision == MONTH:
            start = start.replace(day=1)
            year, month = (
                (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
            )
            return start, start.replace(year=year, month=month)
        start = start.replace(month=1, day=1)
        return start, start.replace(year=start.year + 1)


def _add_days(start: datetime, days: int) -> datetime:
    # Wall-clock arithmetic, so a day is midnight to midnight even across a DST change.
    naive = start.replace(tzinfo=None) + timedelta(days=days)
    return naive.replace(tzinfo=start.tzinfo)


def coarser(a: str, b: str) -> str:
    return a if PRECISIONS.index(a) >= PRECISIONS.index(b) else b


@dataclass(frozen=True)
class Elapsed:
    """The time from one date to a later one: `amount` in `unit`, and the range it allows."""

    amount: int
    unit: str
    low_hours: float
    high_hours: float

    @property
    def exact(self) -> bool:
        return self.unit == HOUR

    @property
    def hours(self) -> float:
        """The nominal span in hours, for charts."""
        return self.amount * HOURS_PER_UNIT[self.unit]

    def text(self) -> str:
        n = self.amount
        if self.unit == HOUR:
            if n == 0:
                return _("less than an hour")
            return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
        if self.unit == DAY:
            if n == 0:
                return _("the same day")
            return ngettext("about %(n)d day", "about %(n)d days", n) % {"n": n}
        if self.unit == MONTH:
            if n == 0:
                return _("the same month")
            return ngettext("about %(n)d month", "about %(n)d months", n) % {"n": n}
        if n == 0:
            return _("the same year")
        return ngettext("about %(n)d year", "about %(n)d years", n) % {"n": n}

    def range_text(self) -> str:
        """The bounds in hours, e.g. "between 48 and 96 hours" (for text alternatives)."""
        low, high = round(self.low_hours), round(self.high_hours)
        if self.exact:
            return _("known to the hour")
        return _("between %(low)d and %(high)d hours") % {"low": low, "high": high}


def elapsed(start: When, end: When) -> Elapsed | None:
    """The time from `start` to `end`, or None when `end` cannot be after `start`."""
    a_lo, a_hi = start.bounds()
    b_lo, b_hi = end.bounds()
    if b_hi <= a_lo:
        return None
    unit = coarser(start.precision, end.precision)
    amount = _units_between(a_lo, b_lo, start, end, unit)
    if amount < 0:
        return None
    low = max(0.0, (b_lo - a_hi).total_seconds() / 3600)
    high = (b_hi - a_lo).total_seconds() / 3600
    if unit == HOUR:
        # Both ends known to the hour: the span is the difference of the recorded hours.
        low = high = float(amount)
    return Elapsed(amount=amount, unit=unit, low_hours=low, high_hours=high)


def _units_between(a_lo: datetime, b_lo: datetime, start: When, end: When, unit: str) -> int:
    a = When(start.at, unit).bounds()[0]
    b = When(end.at, unit).bounds()[0]
    if unit == HOUR:
        return int((b - a).total_seconds() // 3600)
    if unit == DAY:
        return (b.date() - a.date()).days
    if unit == MONTH:
        return (b.year * 12 + b.month) - (a.year * 12 + a.month)
    return b.year - a.year


@dataclass(frozen=True)
class TimelineEvent:
    type: str
    when: When
    people: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CaseMetrics:
    published: When | None
    to_first_response: Elapsed | None
    to_confirmation: Elapsed | None
    to_removal: Elapsed | None
    officials_named: tuple[str, ...] = ()
    officials_removed: tuple[str, ...] = ()
    officials_still_in_post: tuple[str, ...] = field(default=())


def _first_after(
    events: Sequence[TimelineEvent], published: When, types: frozenset[str]
) -> Elapsed | None:
    for event in events:
        if event.type in types:
            span = elapsed(published, event.when)
            if span is not None:
                return span
    return None


def case_metrics(events: Iterable[TimelineEvent], officials: Iterable[str] = ()) -> CaseMetrics:
    """The spans from first publication to the first official response, to confirmation and to
    removal, and which of the case's named officials (`officials`: person ids) have not been
    recorded as removed."""
    ordered = sorted(events, key=lambda e: e.when.bounds()[0])
    named = tuple(officials)
    removed_people = {p for e in ordered if e.type in REMOVAL for p in e.people}
    removed = tuple(p for p in named if p in removed_people)
    still = tuple(p for p in named if p not in removed_people)
    published = next((e.when for e in ordered if e.type == PUBLICATION), None)
    if published is None:
        return CaseMetrics(None, None, None, None, named, removed, still)
    return CaseMetrics(
        published=published,
        to_first_response=_first_after(ordered, published, OFFICIAL_RESPONSES),
        to_confirmation=_first_after(ordered, published, CONFIRMATION),
        to_removal=_first_after(ordered, published, REMOVAL),
        officials_named=named,
        officials_removed=removed,
        officials_still_in_post=still,
    )


@dataclass(frozen=True)
class Distribution:
    """One measured span across all cases: each case's value, and the median in hours."""

    values: tuple[tuple[str, Elapsed], ...]

    @property
    def unit(self) -> str:
        """The coarsest unit among the cases: the median is said no more precisely."""
        units = [span.unit for _label, span in self.values] or [HOUR]
        return max(units, key=PRECISIONS.index)

    def median_text(self) -> str | None:
        median = self.median_hours
        return None if median is None else describe_hours(median, self.unit)

    @property
    def median_hours(self) -> float | None:
        if not self.values:
            return None
        return statistics.median(e.hours for _label, e in self.values)


def describe_hours(hours: float, unit: str = HOUR) -> str:
    """A span in hours said in `unit`, no finer than the dates behind it (for medians)."""
    n = round(hours / HOURS_PER_UNIT[unit])
    return Elapsed(amount=n, unit=unit, low_hours=hours, high_hours=hours).text()


def distribution(per_case: Iterable[tuple[str, Elapsed | None]]) -> Distribution:
    """The cases that have this span, shortest first (cases without it are left out)."""
    present = [(label, span) for label, span in per_case if span is not None]
    present.sort(key=lambda item: (item[1].hours, item[0]))
    return Distribution(tuple(present))
