"""Template filters and the SVG chart: precision-aware dates, escaping, text alternatives."""

from datetime import datetime

from django.utils import translation

from jiandu.cases.metrics import HOUR, When, distribution, elapsed, local_zone
from jiandu.public.charts import Series, response_chart
from jiandu.public.templatetags.public_tags import loc, precise_date


def test_dates_are_shown_no_more_precisely_than_known():
    at = datetime(2012, 11, 20, 19, tzinfo=local_zone()).isoformat()
    with translation.override("en"):
        assert precise_date(at, "hour") == "20 November 2012, 19:00"
        assert precise_date(at, "day") == "20 November 2012"
        assert precise_date(at, "month") == "November 2012"
        assert precise_date(at, "year") == "2012"
        assert precise_date("2012-11-23", "day") == "23 November 2012"
        assert precise_date(None) == ""
    with translation.override("zh-hans"):
        assert precise_date(at, "hour") == "2012年11月20日 19:00"
        assert precise_date(at, "month") == "2012年11月"


def test_times_are_shown_in_the_newsroom_zone():
    utc = "2012-11-20T11:00:00+00:00"  # 19:00 in Chongqing
    with translation.override("en"):
        assert precise_date(utc, "hour") == "20 November 2012, 19:00"


def test_loc_escapes_and_marks_fallbacks():
    with translation.override("en"):
        assert loc({"zh": "", "en": "<b>x</b>"}) == "&lt;b&gt;x&lt;/b&gt;"
        assert (
            loc({"zh": "<i>雷</i>", "en": ""})
            == '<span lang="zh-Hans">&lt;i&gt;雷&lt;/i&gt;</span>'
        )


def test_chart_escapes_labels_and_has_a_title_and_description():
    span = elapsed(
        When(datetime(2012, 11, 20, 19, tzinfo=local_zone()), HOUR),
        When(datetime(2012, 11, 23, 10, tzinfo=local_zone()), HOUR),
    )
    with translation.override("en"):
        svg = response_chart(
            [Series("To removal", distribution([("<script>alert(1)</script>", span)]))],
            title="Title & more",
            description="Desc",
            hours_label="h",
        )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert '<title id="chart-title">Title &amp; more</title>' in svg
    assert "63 hours" in svg
    assert "style=" not in svg  # CSP: no inline style


def test_empty_chart_is_nothing():
    assert response_chart([Series("x", distribution([]))], "t", "d", "h") == ""
