import pytest

from jiandu.cases.demo import load_demo_case


@pytest.fixture
def demo(db):
    """The Chongqing demo case, published."""
    load_demo_case()
    return "chongqing-lei-zhengfu"
