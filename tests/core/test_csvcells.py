"""The one CSV cell guard: nothing a spreadsheet would run as a formula survives as such."""

import pytest

from jiandu.core.csvcells import safe_cell


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("https://evil.example/","x")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
        "=",
    ],
)
def test_formula_starts_are_quoted_as_text(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["", "plain", "雷政富", " =1", "'=already", "a=b", "1.5"])
def test_plain_text_is_unchanged(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [0, -3, 2.5, True, None])
def test_non_text_values_are_unchanged(value):
    assert safe_cell(value) is value


def test_every_csv_writer_uses_the_one_guard():
    """Two guards once disagreed (the public one let tabs through): no module keeps its own."""
    import re
    from pathlib import Path

    import jiandu

    root = Path(jiandu.__file__).parent
    writers = [p for p in root.rglob("*.py") if "csv.writer(" in p.read_text()]
    assert writers, "the CSV exports moved: update this test"
    for path in writers:
        text = path.read_text()
        assert "safe_cell(" in text, path
        assert not re.search(r"""["']=["'],\s*["']\+["']""", text), path
