"""The generated test media of the forensics tests, for previews seen through the newsroom."""

from tests.forensics.conftest import media  # noqa: F401
