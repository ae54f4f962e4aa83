"""One gate for every page that opens sources' files (issue 20, item 6): signed in, allowed to
read submissions, the member key unlocked and not waiting for its recovery. The workbench and
the redaction studio had their own copy of the gate, which had drifted: a member whose key needs
restoring from the recovery key (or whose new recovery key was never shown) was sent to the key
page by the inbox but let into the workbench and the studio."""

import pytest

from jiandu.vault import session_keys
from tests.tipline.helpers import make_reader

pytestmark = pytest.mark.django_db

PAGES = [
    "/en/newsroom/sources/",  # the newsroom's inbox
    "/en/newsroom/forensics/lookup/",  # the workbench's "seen before?"
    "/en/newsroom/redaction/",  # the redaction studio
]


@pytest.mark.parametrize("page", PAGES)
def test_every_room_sends_a_member_whose_key_waits_for_recovery_to_the_key_page(page):
    _member, client = make_reader()
    client.get("/en/newsroom/sources/key/")  # the new recovery key is shown once first
    assert client.get(page).status_code == 200  # the key is unlocked: the page opens
    session = client.session
    session[session_keys.NEEDS_RECOVERY] = True  # as after a password reset
    session.save()
    answer = client.get(page)
    assert answer.status_code == 302
    assert answer["Location"] == "/en/newsroom/sources/key/"


def test_every_room_imports_the_one_gate():
    from jiandu.forensics import views as forensics_views
    from jiandu.newsroom.views import sources as newsroom_views
    from jiandu.redaction import views as redaction_views
    from jiandu.vault import gate

    assert not hasattr(forensics_views, "member_view")
    assert forensics_views.vault_view is gate.vault_view
    assert redaction_views.vault_view is gate.vault_view
    assert newsroom_views.vault_view_recovery_key_first is gate.vault_view_recovery_key_first
