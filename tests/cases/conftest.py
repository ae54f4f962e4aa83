import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Texts such as "63 hours" are checked in English; other tests may leave a language on."""
    with translation.override("en"):
        yield
