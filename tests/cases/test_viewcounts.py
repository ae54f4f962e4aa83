"""View counts belong to the cases room: the public site reports reads here, the desk reads the
totals, and moving the table out of the public room kept every row."""

import time
from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from jiandu.cases import actions, viewcounts
from jiandu.cases.models import PageView
from tests.factories import make_member, sign_in

CASE = "/cases/chongqing-lei-zhengfu/"


def test_the_counter_day_is_the_local_date_and_expires_by_midnight():
    viewcounts._today[:] = [0.0, None]
    assert viewcounts.today() == timezone.localdate()
    assert viewcounts._today[0] <= time.time() + 3600


@pytest.mark.django_db
def test_buffered_reads_add_to_one_row_per_page_and_day_and_total_across_days():
    PageView.objects.create(path=CASE, day=date(2026, 1, 1), count=5)
    for _ in range(3):
        viewcounts.count_view(CASE, flush_seconds=3600)
    assert PageView.objects.filter(day=viewcounts.today()).count() == 0  # still buffered
    viewcounts.flush_view_counts()
    viewcounts.count_view(CASE, flush_seconds=0)  # due: written at once
    assert PageView.objects.get(path=CASE, day=viewcounts.today()).count == 4
    assert viewcounts.get_view_totals() == {CASE: 9}


@pytest.mark.django_db
def test_the_desk_lists_each_cases_public_page_views(client):
    writer = make_member("writer", "journalist")
    case = actions.do_create_case(writer.user, title_en="A case", summary_en="What happened.")
    PageView.objects.create(path=f"/cases/{case.slug}/", day=date(2026, 1, 1), count=41)
    PageView.objects.create(path=f"/cases/{case.slug}/", day=date(2026, 1, 2), count=1)
    sign_in(client, writer)
    html = client.get("/en/newsroom/cases/").content.decode()
    assert "<td>42</td>" in html


@pytest.mark.django_db(transaction=True)
def test_moving_the_counts_from_public_to_cases_keeps_the_rows():
    before = [("public", "0001_initial"), ("cases", "0001_initial")]
    after = [("public", "0002_pageview_to_cases"), ("cases", "0002_pageview_from_public")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("public", "PageView")
    old.objects.create(path=CASE, day=date(2026, 11, 1), count=7)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    state = executor.loader.project_state(after).apps
    new = state.get_model("cases", "PageView")
    assert list(new.objects.values_list("path", "day", "count")) == [(CASE, date(2026, 11, 1), 7)]
    assert "cases_pageview" in connection.introspection.table_names()
    assert "public_pageview" not in connection.introspection.table_names()
    with pytest.raises(LookupError):
        state.get_model("public", "PageView")

    executor = MigrationExecutor(connection)
    executor.migrate(before)  # and back: the rows return to the public room's table
    old = executor.loader.project_state(before).apps.get_model("public", "PageView")
    assert old.objects.get().count == 7

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as it was
