"""Response-time arithmetic with dates of mixed precision."""

from datetime import UTC, datetime

import pytest

from jiandu.cases.metrics import (
    DAY,
    HOUR,
    MONTH,
    YEAR,
    TimelineEvent,
    When,
    case_metrics,
    distribution,
    elapsed,
    local_zone,
)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=local_zone())


def test_hours_known_at_both_ends_give_exact_hours():
    span = elapsed(When(at(2012, 11, 20, 19), HOUR), When(at(2012, 11, 23, 10), HOUR))
    assert (span.amount, span.unit, span.exact) == (63, HOUR, True)
    assert span.text() == "63 hours"
    assert span.low_hours == span.high_hours == 63


def test_minutes_inside_the_hour_do_not_count():
    span = elapsed(When(at(2012, 11, 20, 19, 59), HOUR), When(at(2012, 11, 23, 10, 1), HOUR))
    assert span.amount == 63


def test_a_date_known_to_the_day_makes_the_span_approximate_days():
    span = elapsed(When(at(2012, 11, 20, 19), HOUR), When(at(2012, 11, 23), DAY))
    assert (span.amount, span.unit, span.exact) == (3, DAY, False)
    assert span.text() == "about 3 days"
    # From 19:00-20:00 on the 20th to any time on the 23rd: 52 to 77 hours.
    assert span.low_hours == 52
    assert span.high_hours == 77


def test_days_at_both_ends():
    span = elapsed(When(at(2012, 11, 20), DAY), When(at(2012, 11, 23), DAY))
    assert span.amount == 3
    assert (span.low_hours, span.high_hours) == (48, 96)
    assert span.range_text() == "between 48 and 96 hours"


def test_same_day_and_less_than_an_hour():
    assert elapsed(When(at(2012, 11, 20, 9), HOUR), When(at(2012, 11, 20), DAY)).text() == (
        "the same day"
    )
    assert elapsed(When(at(2012, 11, 20, 9), HOUR), When(at(2012, 11, 20, 9, 30), HOUR)).text() == (
        "less than an hour"
    )


def test_singular_forms():
    assert elapsed(When(at(2012, 11, 20), DAY), When(at(2012, 11, 21), DAY)).text() == "about 1 day"
    assert elapsed(When(at(2012, 11, 20, 1), HOUR), When(at(2012, 11, 20, 2), HOUR)).text() == (
        "1 hour"
    )


def test_months_and_years():
    span = elapsed(When(at(2012, 11, 20), DAY), When(at(2013, 1, 1), MONTH))
    assert (span.amount, span.unit) == (2, MONTH)
    assert span.text() == "about 2 months"
    # From the end of 20 November to 1 January (41 days), or to the end of January (73).
    assert (span.low_hours, span.high_hours) == (41 * 24, 73 * 24)
    span = elapsed(When(at(2012, 11, 20), DAY), When(at(2024, 1, 25), YEAR))
    assert span.text() == "about 12 years"
    assert (
        elapsed(When(at(2012, 3, 1), MONTH), When(at(2012, 3, 9), DAY)).text() == "the same month"
    )
    assert (
        elapsed(When(at(2012, 1, 1), YEAR), When(at(2012, 12, 1), MONTH)).text() == "the same year"
    )


def test_december_month_bounds_roll_over_the_year():
    lo, hi = When(at(2012, 12, 5), MONTH).bounds()
    assert (lo.year, lo.month, hi.year, hi.month) == (2012, 12, 2013, 1)


def test_an_end_before_the_start_gives_no_span():
    assert elapsed(When(at(2012, 11, 23), DAY), When(at(2012, 11, 20), DAY)) is None
    assert elapsed(When(at(2012, 11, 23, 10), HOUR), When(at(2012, 11, 23, 9), HOUR)) is None


def test_overlapping_ends_of_different_precision_are_not_negative():
    # The end falls inside the start's month: zero months, never a negative span.
    span = elapsed(When(at(2012, 11, 1), MONTH), When(at(2012, 11, 2), DAY))
    assert span.amount == 0
    assert span.low_hours == 0


def test_bounds_are_taken_in_the_newsroom_time_zone():
    # 20:00 UTC on the 19th is 04:00 on the 20th in Chongqing (UTC+8).
    lo, _hi = When(datetime(2012, 11, 19, 20, tzinfo=UTC), DAY).bounds()
    assert (lo.day, lo.hour) == (20, 0)


def test_naive_datetimes_and_unknown_precisions_are_refused():
    with pytest.raises(ValueError):
        When(datetime(2012, 11, 20), DAY)  # noqa: DTZ001
    with pytest.raises(ValueError):
        When(at(2012, 11, 20), "week")


def demo_events():
    return [
        TimelineEvent("background", When(at(2009, 1, 1), YEAR), frozenset({"lei"})),
        TimelineEvent("evidence_published", When(at(2012, 11, 20, 19), HOUR)),
        TimelineEvent("denial", When(at(2012, 11, 21), DAY), frozenset({"lei"})),
        TimelineEvent("confirmed", When(at(2012, 11, 23, 10), HOUR)),
        TimelineEvent("removed", When(at(2012, 11, 23, 10), HOUR), frozenset({"lei"})),
        TimelineEvent("removed", When(at(2013, 1, 1), MONTH)),
    ]


def test_case_metrics_from_a_timeline():
    metrics = case_metrics(reversed(demo_events()), officials=["lei", "other"])
    assert metrics.to_first_response.text() == "about 1 day"
    assert metrics.to_confirmation.text() == "63 hours"
    assert metrics.to_removal.text() == "63 hours"
    assert metrics.officials_removed == ("lei",)
    assert metrics.officials_still_in_post == ("other",)


def test_events_before_publication_are_not_responses():
    events = [
        TimelineEvent("denial", When(at(2012, 11, 1), DAY)),
        TimelineEvent("evidence_published", When(at(2012, 11, 20), DAY)),
    ]
    metrics = case_metrics(events)
    assert metrics.to_first_response is None
    assert metrics.to_removal is None


def test_no_publication_no_spans():
    metrics = case_metrics(
        [TimelineEvent("removed", When(at(2012, 11, 23), DAY), frozenset({"lei"}))], ["lei"]
    )
    assert metrics.published is None and metrics.to_removal is None
    assert metrics.officials_still_in_post == ()  # removed, even without a publication


def test_distribution_sorts_and_skips_missing():
    a = elapsed(When(at(2012, 11, 20, 19), HOUR), When(at(2012, 11, 23, 10), HOUR))
    b = elapsed(When(at(2012, 1, 1), DAY), When(at(2012, 1, 2), DAY))
    dist = distribution([("A", a), ("B", b), ("C", None)])
    assert [label for label, _ in dist.values] == ["B", "A"]
    assert dist.median_hours == (24 + 63) / 2
    assert distribution([]).median_hours is None


def test_describe_hours():
    from jiandu.cases.metrics import describe_hours

    assert describe_hours(63) == "63 hours"
    assert describe_hours(1) == "1 hour"
    assert describe_hours(24 * 40, DAY) == "about 40 days"
    assert describe_hours(24 * 65, MONTH) == "about 2 months"


def test_median_is_said_no_finer_than_its_coarsest_date():
    exact = elapsed(When(at(2012, 11, 20, 19), HOUR), When(at(2012, 11, 23, 10), HOUR))
    daily = elapsed(When(at(2012, 11, 20), DAY), When(at(2012, 11, 21), DAY))
    assert distribution([("A", exact)]).median_text() == "63 hours"
    assert distribution([("A", exact), ("B", daily)]).median_text() == "about 2 days"
    assert distribution([]).median_text() is None
