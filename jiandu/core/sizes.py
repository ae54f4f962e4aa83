"""One way to write a size, everywhere a person reads one: decimal SI units (1 MB = 1,000,000
bytes), as phones, browsers and most operating systems show a file's size, so the tip line's
numbers match what the source's own device says about the same file.

The rule (mirrored exactly, integer arithmetic and all, by jiandu/tipline/static/tipline/sizes.js,
which the upload progress uses): under 1,000 bytes the count of bytes; else the largest unit
that keeps the number under 1,000, with one decimal under 10 ("2.5 MB") and none above
("200 MB"), rounded half up (1,000 after rounding moves to the next unit). The unit formats
are translated strings, so each language writes its unit its own way.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext, ngettext

UNIT_STEP = 1000


def formats() -> dict[str, object]:
    """The translated formats in the current language (also handed to the page's script)."""
    return {
        "byte": ngettext("%(number)s byte", "%(number)s bytes", 1),
        "bytes": ngettext("%(number)s byte", "%(number)s bytes", 2),
        "units": [
            gettext("%(number)s kB"),
            gettext("%(number)s MB"),
            gettext("%(number)s GB"),
            gettext("%(number)s TB"),
        ],
    }


def formats_json() -> str:
    return json.dumps(formats(), ensure_ascii=False)


def format_size(size: int | float | str | None) -> str:
    """`size` bytes, written by the rule above in the current language."""
    try:
        n = max(0, int(size or 0))
    except (TypeError, ValueError):
        n = 0
    shapes = formats()
    if n < UNIT_STEP:  # the script knows only these two forms, so this uses only them too
        return str(shapes["byte" if n == 1 else "bytes"]) % {"number": n}
    units: list[str] = shapes["units"]  # type: ignore[assignment]
    for power, unit in enumerate(units, start=1):
        step = UNIT_STEP**power
        tenths = (n * 10 + step // 2) // step
        if tenths < 100:
            return unit % {"number": f"{tenths // 10}.{tenths % 10}"}
        whole = (n + step // 2) // step
        if whole < UNIT_STEP or power == len(units):
            return unit % {"number": str(whole)}
    raise AssertionError("unreachable")
