"""Issue 19, item 4: one way to write a size (decimal SI), in each language, from one rule."""

import pytest
from django.template import Context, Template
from django.utils import translation

from jiandu.core.sizes import format_size

CASES = [
    (0, "0 bytes"),
    (1, "1 byte"),
    (999, "999 bytes"),
    (1000, "1.0 kB"),
    (1049, "1.0 kB"),
    (1050, "1.1 kB"),  # half up
    (12_500_000, "13 MB"),  # half up, where round-half-even would say 12
    (999_499, "999 kB"),
    (999_500, "1.0 MB"),  # 1,000 kB after rounding moves up a unit
    (9_949_999, "9.9 MB"),
    (9_950_000, "10 MB"),
    (200_000_000, "200 MB"),  # the file: not "190.7 MB"
    (8 * 1024**3, "8.6 GB"),
    (3 * 10**15, "3000 TB"),
]


@pytest.mark.parametrize(("size", "written"), CASES)
def test_sizes_are_decimal_si(size, written):
    with translation.override("en"):
        assert format_size(size) == written


def test_each_language_writes_its_unit_and_the_filter_uses_the_same_rule():
    template = Template("{% load sizes %}{{ n|size }}|{{ b|size }}")
    with translation.override("zh-hans"):
        assert template.render(Context({"n": 200_000_000, "b": 12})) == "200 MB|12 字节"
    with translation.override("zh-hant"):
        assert template.render(Context({"n": 200_000_000, "b": 12})) == "200 MB|12 位元組"
    with translation.override("en"):
        assert template.render(Context({"n": 200_000_000, "b": 12})) == "200 MB|12 bytes"
