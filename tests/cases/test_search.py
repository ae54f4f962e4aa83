"""Search folds simplified and traditional Chinese and case, on SQLite and PostgreSQL."""

import pytest

from jiandu.cases.demo import load_demo_case
from jiandu.cases.models import Case
from jiandu.cases.search import search_case_ids
from jiandu.cases.text import fold

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query", ["重庆", "重慶", "北碚区", "北碚區", "Lei Zhengfu", "lei", "雷政富"]
)
def test_demo_case_is_found(query):
    load_demo_case()
    assert search_case_ids(query) == [Case.objects.get().pk]


@pytest.mark.parametrize(
    "query", ["", "   ", "上海", "Bo Xilai", "%", "_", "lei shanghai", "*", "evidence_published"]
)
def test_no_false_hits_and_no_errors_on_odd_queries(query):
    load_demo_case()
    assert search_case_ids(query) == []


@pytest.mark.parametrize("query", ['"', "'", "a AND b", "NEAR(x y)", "x" * 500, "-", "^"])
def test_fts_syntax_in_queries_is_only_text(query):
    load_demo_case()
    assert isinstance(search_case_ids(query), list)


def test_drafts_are_not_indexed():
    from jiandu.cases import actions
    from tests.factories import make_member

    actions.do_create_case(make_member("w", "journalist").user, title_en="Secret draft Zhaotong")
    assert search_case_ids("Zhaotong") == []


def test_fold():
    assert fold("  重慶 Lei\tZHENGFU ") == "重庆 lei zhengfu"
