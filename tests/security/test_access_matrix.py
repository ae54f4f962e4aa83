"""The access matrix: every URL the URLconf defines, requested by an anonymous visitor, a
signed-in source and a member of each role, is allowed or refused exactly as the roles table
(jiandu.accounts.roles.ROLE_PERMISSIONS) says.

The expected answer is data, below: each URL name has a rule (`PUBLIC`, `SOURCE`, `PENDING`,
`MEMBER` or a permission of the roles table) and the shape of the view's answer to an allowed
request. Who is allowed is derived from the rule and the roles table, never from what the
server answered. A refusal must look like one: 403, 404, or a redirect to a sign-in page.

A URL with no entry fails the test: whoever adds a view adds its row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from jiandu.accounts.roles import ROLE_PERMISSIONS
from tests.security.world import (
    ANONYMOUS,
    NO_GRANT,
    PRINCIPALS,
    SECRET_FILE,
    SECRET_MESSAGE,
    SOURCE,
    World,
    build_world,
    role_of,
)

pytestmark = pytest.mark.django_db

# --- Rules -------------------------------------------------------------------------------

PUBLIC = "public"  # anyone, signed in or not
SOURCE_ONLY = "source"  # a source signed in with a codename (the tip line's session)
PENDING = "pending"  # only halfway through a member's sign-in: nobody in the matrix
MEMBER = "member"  # any signed-in member, whatever the role
OWN_UPLOAD = "own-upload"  # the session that created the tus upload (the source here)


def perm(codename: str) -> str:
    assert any(codename in perms for perms in ROLE_PERMISSIONS.values()), codename
    return f"perm:{codename}"


def grant(codename: str) -> str:
    """The permission, and a grant to the source's key (what opens its plaintext)."""
    return "grant:" + perm(codename).removeprefix("perm:")


def allowed(rule: str, principal: str) -> bool:
    """The roles table's answer: may `principal` use a URL under `rule`?"""
    if rule == PUBLIC:
        return True
    if rule in (SOURCE_ONLY, OWN_UPLOAD):
        return principal == SOURCE
    if rule == PENDING:
        return False
    role = role_of(principal)
    if role is None:
        return False
    if rule == MEMBER:
        return True
    if rule.startswith("grant:"):
        return principal != NO_GRANT and rule.removeprefix("grant:") in ROLE_PERMISSIONS[role]
    return rule.removeprefix("perm:") in ROLE_PERMISSIONS[role]


def holds_a_grant(principal: str) -> bool:
    """Whether the principal may read this source's plaintext (a reader with a grant)."""
    return allowed(GRANTED, principal)


# --- What a refusal looks like -----------------------------------------------------------

MEMBER_SIGN_IN = "/en/newsroom/"
SOURCE_SIGN_IN = ("/en/return/", "/en/")


def is_refusal(response, rule: str, ids: dict) -> bool:
    if response.status_code in (403, 404):
        return True
    if response.status_code == 302:
        target = urlsplit(response["Location"]).path
        if rule in (SOURCE_ONLY, OWN_UPLOAD):
            return target in SOURCE_SIGN_IN
        if rule.startswith("grant:") and target == f"/en/newsroom/sources/{ids['source']}/":
            return True  # a reader without a grant is sent back to the source's page
        return target == MEMBER_SIGN_IN
    return False


# --- The table ---------------------------------------------------------------------------

Ids = dict[str, Any]


@dataclass(frozen=True)
class Entry:
    rule: str
    method: str = "GET"
    kwargs: Callable[[Ids], dict[str, Any]] = lambda ids: {}
    ok: tuple[int, ...] = (200,)  # the allowed answer's status
    ok_to: str = ""  # for an allowed redirect: where it goes (a path suffix)
    member_ok: tuple[int, ...] | None = None  # a different allowed answer for members
    member_ok_to: str = ""
    refused: tuple[int, ...] = ()  # a refusal status besides 403/404/sign-in redirect
    data: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    order: int = 0  # 1: changes the world (run after the others); 2: ends the session


READERS = perm("read_submissions")
GRANTED = grant("read_submissions")
GRANTED_PUBLISHERS = grant("publish_cases")
ADMINS = perm("manage_newsroom")
EDITORS = perm("edit_cases")
PUBLISHERS = perm("publish_cases")
MODERATORS = perm("moderate_comments")
TUS = {"Tus-Resumable": "1.0.0"}


def source_kwargs(ids: Ids) -> dict[str, Any]:
    return {"source_id": ids["source"]}


def item_kwargs(ids: Ids) -> dict[str, Any]:
    return {"source_id": ids["source"], "item_id": ids["file_item"]}


def case_kwargs(ids: Ids) -> dict[str, Any]:
    return {"case_id": ids["case"]}


EXPECTED: dict[str, list[Entry]] = {
    # The transparency log (C2SP tlog-tiles, witnessing): public by design.
    "tlog:checkpoint": [Entry(PUBLIC)],
    "tlog:cosigned_checkpoint": [Entry(PUBLIC, ok=(404,))],  # no witness in the test settings
    "tlog:key": [Entry(PUBLIC)],
    "tlog:consistency": [
        Entry(PUBLIC, kwargs=lambda ids: {"old": 1, "new": ids["log_size"]}),
    ],
    "tlog:tile": [Entry(PUBLIC, kwargs=lambda ids: {"path": ids["tile"]})],
    # A checkpoint is judged by its signature, not by who posts it: an empty body is a 400
    # for everybody (C2SP tlog-witness; tests/ledger/test_tlog_witness.py signs real ones).
    "tlog:add_checkpoint": [Entry(PUBLIC, "POST", ok=(400,))],
    "tlog:witness_key": [Entry(PUBLIC)],
    "tlog:witnessed_checkpoint": [
        Entry(PUBLIC, kwargs=lambda ids: {"origin_hash": "0" * 64}, ok=(404,)),
    ],
    "verify:page": [Entry(PUBLIC)],
    "log_about:checkpoint": [Entry(PUBLIC)],  # the signed checkpoint explained for people
    # The custody log: admins only.
    "ledger:custody_log": [Entry(ADMINS)],
    # The newsroom's side of the tip line: readers of submissions.
    "newsroom:sources": [Entry(READERS)],
    "newsroom:bulk": [Entry(READERS, "POST", ok=(302,), ok_to="/newsroom/sources/")],
    # Clearing a flood of junk first contacts: those who may delete sources (issue 17).
    "newsroom:clear_flood": [
        Entry(perm("delete_sources")),
        Entry(perm("delete_sources"), "POST", ok=(400,)),
    ],
    "newsroom:export_csv": [Entry(READERS)],
    "newsroom:grant": [Entry(READERS, "POST", ok=(302,), ok_to="/newsroom/sources/")],
    # The inbox's hand-off of new files to the worker (issue 20, item 6: a POST, never a GET).
    "newsroom:hand_new_files": [Entry(READERS, "POST", ok=(302,), ok_to="/newsroom/sources/")],
    "newsroom:key": [Entry(READERS)],
    "newsroom:export_key": [Entry(READERS)],  # the member's own wrapped key file
    "newsroom:notifications": [Entry(READERS)],
    "newsroom:key_status": [Entry(ADMINS)],
    "newsroom:retention": [Entry(ADMINS)],
    "newsroom:source": [Entry(READERS, kwargs=source_kwargs)],
    "newsroom:triage": [Entry(READERS, "POST", kwargs=source_kwargs, ok=(302,))],
    "newsroom:reply": [Entry(READERS, "POST", kwargs=source_kwargs, ok=(200, 400))],
    # Tags and internal notes (issue 18, item 8): only a member who can open the source's key
    # reads or writes them; a member without a grant is refused (403). An empty note is the
    # source page again with the form's error; an unknown tag is nothing to remove.
    "newsroom:untag": [
        Entry(
            GRANTED,
            "POST",
            kwargs=lambda ids: {"source_id": ids["source"], "tag_id": 0},
            ok=(302,),
            ok_to="/newsroom/sources/{source}/",
        )
    ],
    "newsroom:note": [Entry(GRANTED, "POST", kwargs=source_kwargs)],
    # An admin moves a leaving member's assignments and access (needs the admin's own key).
    "newsroom:reassign": [Entry(ADMINS), Entry(ADMINS, "POST")],
    "newsroom:export_source": [Entry(GRANTED, kwargs=source_kwargs)],
    "newsroom:preview_all": [Entry(GRANTED, "POST", kwargs=source_kwargs, ok=(302,))],
    "newsroom:download": [Entry(GRANTED, kwargs=item_kwargs)],
    "newsroom:export_item": [Entry(GRANTED, kwargs=item_kwargs)],
    "newsroom:preview": [Entry(GRANTED, kwargs=item_kwargs)],
    # No preview is ready in this world, so an allowed reader meets the view's own "no such
    # part" (403) too; tests/newsroom/test_previews_exports.py serves a ready part.
    "newsroom:preview_part": [
        Entry(GRANTED, kwargs=lambda ids: {**item_kwargs(ids), "part": 0}, ok=(403,)),
    ],
    # The case desk: editing needs edit_cases, publishing steps publish_cases.
    "cases:list": [Entry(EDITORS)],
    "cases:new": [Entry(EDITORS)],
    "cases:people": [Entry(EDITORS)],
    # The publishing policy is the admins'; any member may stop a held publication (the world
    # has none waiting, so a member's allowed answer is a 404: tests/cases cover the stop).
    "cases:policy": [Entry(ADMINS)],
    "cases:hold_stopped": [Entry(MEMBER)],
    "cases:hold_stop": [Entry(MEMBER, kwargs=case_kwargs, ok=(404,))],
    "cases:person": [Entry(EDITORS, kwargs=lambda ids: {"person_id": ids["person"]})],
    "cases:workspace": [Entry(EDITORS, kwargs=case_kwargs)],
    "cases:edit": [Entry(EDITORS, kwargs=case_kwargs)],
    "cases:claim_version": [
        Entry(
            EDITORS,
            "POST",
            kwargs=lambda ids: {"case_id": ids["case"], "claim_id": ids["claim"]},
            ok=(400,),
        )
    ],
    "cases:event_edit": [
        Entry(EDITORS, kwargs=lambda ids: {"case_id": ids["case"], "event_id": ids["event"]})
    ],
    "cases:event_delete": [
        Entry(
            EDITORS,
            "POST",
            kwargs=lambda ids: {"case_id": ids["case"], "event_id": ids["event"]},
            ok=(302,),
            order=1,
        )
    ],
    "cases:person_unlink": [
        Entry(
            EDITORS,
            "POST",
            kwargs=lambda ids: {"case_id": ids["case"], "person_id": ids["person"]},
            ok=(302,),
            order=1,
        )
    ],
    "cases:item_delete": [
        Entry(
            EDITORS,
            "POST",
            kwargs=lambda ids: {"case_id": ids["case"], "kind": "citation", "item_id": 0},
            ok=(404,),  # no citation 0: the lookup answers only after the permission check
        ),
        Entry(
            EDITORS,
            "POST",
            kwargs=lambda ids: {
                "case_id": ids["case"],
                "kind": "version",
                "item_id": ids["claim_version"],
            },
            ok=(302,),
            order=1,
        ),
    ],
    "cases:step": [
        Entry(
            EDITORS,
            "POST",
            kwargs=lambda ids: {"case_id": ids["case"], "step": "citation"},
            ok=(400,),
        ),
        Entry(
            PUBLISHERS,
            "POST",
            kwargs=lambda ids: {"case_id": ids["case"], "step": "retract"},
            ok=(400,),
        ),
    ],
    # The workbench.
    "forensics:report": [Entry(GRANTED, kwargs=lambda ids: {"item_id": ids["file_item"]})],
    "forensics:lookup": [Entry(READERS)],
    # Searching the text read from scans (issue 21, part 2): what the member's own keys open.
    "forensics:text_search": [Entry(READERS)],
    # The redaction studio: readers of submissions make renders; publishing one to a case
    # needs publish_cases. Renders open only with a grant (tests/redaction).
    "redaction:index": [Entry(READERS)],
    "redaction:studio": [Entry(GRANTED, kwargs=lambda ids: {"item_id": ids["file_item"]})],
    "redaction:render": [Entry(GRANTED, kwargs=lambda ids: {"render_id": ids["render"]})],
    # The live preview of one frame: the world's file is a text file, which has no frame, so an
    # allowed reader gets the view's 400; everyone else is refused before the file is opened.
    "redaction:frame_preview": [
        Entry(GRANTED, "POST", kwargs=lambda ids: {"item_id": ids["file_item"]}, ok=(400,))
    ],
    # The render is unfinished here, so an allowed reader meets the view's own refusal too.
    "redaction:output": [
        Entry(GRANTED, kwargs=lambda ids: {"render_id": ids["render"]}, ok=(403,)),
    ],
    # A face's thumbnail: only for those who may open the render; this render is unfinished,
    # so it has no faces and an allowed reader gets the view's 404 (issue 18, item 3).
    "redaction:face": [
        Entry(GRANTED, kwargs=lambda ids: {"render_id": ids["render"], "number": 1}, ok=(404,)),
    ],
    # Marking renders seen (issue 18, item 9): a POST; one render only through its own gate.
    "redaction:seen": [
        Entry(
            GRANTED,
            "POST",
            kwargs=lambda ids: {"render_id": ids["render"]},
            ok=(302,),
            ok_to="/redaction/renders/{render}/",
        )
    ],
    "redaction:seen_all": [Entry(READERS, "POST", ok=(302,), ok_to="/newsroom/redaction/")],
    "redaction:cancel": [
        Entry(
            GRANTED,
            "POST",
            kwargs=lambda ids: {"render_id": ids["render"]},
            ok=(302,),
            ok_to="/redaction/renders/{render}/",
            order=1,
        )
    ],
    "redaction:publish": [
        Entry(
            GRANTED_PUBLISHERS,
            "POST",
            kwargs=lambda ids: {"render_id": ids["render"]},
            ok=(302,),  # no case chosen: back to the render page
            ok_to="/redaction/renders/{render}/",
        )
    ],
    # The questionnaire designer (the tip line's questions): admins.
    "questionnaire:designer": [Entry(ADMINS)],
    # Its review (a draft's approval or discard): admins and editors (issue 17, item 2).
    "questionnaire:review": [Entry(PUBLISHERS), Entry(PUBLISHERS, "POST", ok=(400,))],
    # Comment moderation.
    "moderation:queue": [Entry(MODERATORS)],
    "moderation:decide": [
        Entry(MODERATORS, "POST", kwargs=lambda ids: {"comment_id": ids["comment"]}, ok=(400,)),
    ],
    # Accounts: the sign-in steps, then a member's own pages, then the admin's.
    "accounts:login": [Entry(PUBLIC, member_ok=(302,), member_ok_to="/newsroom/home/")],
    "accounts:verify": [Entry(PENDING)],
    "accounts:passkey_login_options": [Entry(PENDING, "POST", refused=(400,))],
    "accounts:passkey_login": [Entry(PENDING, "POST", refused=(400,))],
    "accounts:enrol": [Entry(PENDING)],
    # Shown once, right after making them; a member's reload says so (issue 18, item 12).
    "accounts:recovery_codes": [Entry(MEMBER)],
    "accounts:finish": [Entry(PENDING, "POST")],
    "accounts:passkeys": [Entry(MEMBER)],
    # A new second factor only after confirming it is you (issue 17, item 10): 403 until then.
    "accounts:confirm": [Entry(MEMBER)],
    "accounts:passkey_register_options": [Entry(MEMBER, "POST", ok=(403,))],
    "accounts:passkey_register": [Entry(MEMBER, "POST", ok=(403,))],
    "accounts:passkey_delete": [
        Entry(MEMBER, "POST", kwargs=lambda ids: {"passkey_id": 0}, ok=(302,), ok_to="/passkeys/")
    ],
    "accounts:regenerate_codes": [
        Entry(MEMBER, "POST", ok=(302,), ok_to="/newsroom/confirm/", order=1)
    ],
    "accounts:logout": [Entry(PUBLIC, "POST", ok=(302,), ok_to="/en/newsroom/", order=2)],
    "accounts:home": [Entry(MEMBER)],
    "accounts:password_change": [Entry(MEMBER)],
    # The members list and the add-member form (the newsroom room: accounts and vault).
    "members:index": [Entry(ADMINS)],
    "accounts:member": [Entry(ADMINS, kwargs=lambda ids: {"member_id": ids["member"]})],
    # The public site and its API: anyone.
    "public:home": [Entry(PUBLIC)],
    "public:search": [Entry(PUBLIC)],
    "public:feed": [Entry(PUBLIC)],
    "public:sitemap": [Entry(PUBLIC)],
    "public:openapi": [Entry(PUBLIC)],
    "public:api_cases": [Entry(PUBLIC)],
    "public:api_case": [Entry(PUBLIC, kwargs=lambda ids: {"slug": ids["case_slug"]})],
    "public:api_person": [Entry(PUBLIC, kwargs=lambda ids: {"slug": ids["person_slug"]})],
    "public:export_ftm": [Entry(PUBLIC)],
    "public:export_csv": [Entry(PUBLIC, kwargs=lambda ids: {"table": "cases"})],
    "public:evidence": [Entry(PUBLIC, kwargs=lambda ids: {"name": ids["evidence"]})],
    "public:person": [Entry(PUBLIC, kwargs=lambda ids: {"slug": ids["person_slug"]})],
    "public:person_feed": [Entry(PUBLIC, kwargs=lambda ids: {"slug": ids["person_slug"]})],
    "public:case": [Entry(PUBLIC, kwargs=lambda ids: {"slug": ids["case_slug"]})],
    "public:case_feed": [Entry(PUBLIC, kwargs=lambda ids: {"slug": ids["case_slug"]})],
    "public:qr": [Entry(PUBLIC, kwargs=lambda ids: {"slug": ids["case_slug"]})],
    "public:comment": [Entry(PUBLIC, kwargs=lambda ids: {"slug": ids["case_slug"]})],
    "public:revision": [
        Entry(PUBLIC, kwargs=lambda ids: {"slug": ids["case_slug"], "number": ids["revision"]})
    ],
    # The tip line.
    "tipline:landing": [Entry(PUBLIC)],
    "tipline:guide": [Entry(PUBLIC, kwargs=lambda ids: {"role": "source"})],
    "tipline:guide_image": [
        Entry(PUBLIC, kwargs=lambda ids: {"language": "en", "name": "source-landing.png"})
    ],
    "tipline:submit": [Entry(PUBLIC)],
    "tipline:return": [Entry(PUBLIC)],
    "tipline:questions": [
        # The questionnaire's first page, or the sending page where there is no questionnaire.
        Entry(PUBLIC, kwargs=lambda ids: {"step": 1}, ok=(200, 302), ok_to="/en/submit/"),
    ],
    "tipline:receipt": [Entry(SOURCE_ONLY)],
    "tipline:codename_noted": [
        Entry(SOURCE_ONLY, "POST", data={"noted": "1"}, ok=(302,), ok_to="/en/conversation/")
    ],
    "tipline:conversation": [Entry(SOURCE_ONLY)],
    # The reply box posts to the tip line's multipart path; without a codename, to sign in.
    "tipline:reply": [
        Entry(
            SOURCE_ONLY,
            "POST",
            data={"message": "one more thing", "website": ""},
            ok=(302,),
            ok_to="/en/conversation/",
        )
    ],
    "tipline:delete": [
        Entry(
            SOURCE_ONLY,
            "POST",
            kwargs=lambda ids: {"submission_id": ids["submission_to_delete"]},
            ok=(302,),
            ok_to="/en/conversation/",
            order=1,
        )
    ],
    "tipline:sign_out": [Entry(PUBLIC, "POST", ok=(302,), ok_to="/en/", order=2)],
    # tus: anyone may offer and create an upload; an upload is reachable only from its session.
    "tipline:upload_create": [Entry(PUBLIC, "OPTIONS", headers=TUS, ok=(204,))],
    "tipline:upload_piece": [
        Entry(OWN_UPLOAD, "HEAD", kwargs=lambda ids: {"upload_id": ids["upload"]}, headers=TUS),
    ],
}


# --- The URLconf -------------------------------------------------------------------------


def url_names() -> dict[str, str]:
    """Every URL the URLconf defines: "namespace:name" (or the route, if unnamed) -> route."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                found[f"{namespace}{entry.name}" if entry.name else route] = route

    with translation.override("en"):
        walk(get_resolver().url_patterns, "", "")
    return found


def test_every_url_has_an_entry_in_the_expected_table():
    names = url_names()
    missing = sorted(set(names) - set(EXPECTED))
    assert not missing, (
        "These URLs have no row in the access matrix; add one to EXPECTED in "
        "tests/security/test_access_matrix.py (who may use it, by the roles table):\n"
        + "\n".join(f"  {name!r}  ({names[name]})" for name in missing)
    )
    gone = sorted(set(EXPECTED) - set(names))
    assert not gone, f"EXPECTED names URLs the URLconf no longer defines: {gone}"


# --- The matrix --------------------------------------------------------------------------


def _request(client, entry: Entry, url: str):
    method = getattr(client, entry.method.lower())
    if entry.method in ("POST", "PUT", "PATCH"):
        return method(url, entry.data, headers=entry.headers)
    return method(url, headers=entry.headers)


def _is_allowed_answer(response, entry: Entry, principal: str, ids: Ids) -> bool:
    codes, target = entry.ok, entry.ok_to
    if role_of(principal) and entry.member_ok is not None:
        codes, target = entry.member_ok, entry.member_ok_to
    if response.status_code not in codes:
        return False
    if response.status_code == 302:
        location = urlsplit(response["Location"]).path
        if target:
            return location.endswith(target.format(**ids))
        # A redirect to a sign-in page is a refusal, not an allowed answer.
        return location not in (MEMBER_SIGN_IN, *SOURCE_SIGN_IN)
    return True


def _shows_the_secret(response, principal: str) -> bool:
    """Whether the answer holds the source's message or file. The source who wrote the message
    reads it back in its own conversation (sealed to its codename); a file's content, never."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if principal == SOURCE:
        return SECRET_FILE in body
    return SECRET_MESSAGE.encode() in body or SECRET_FILE in body


def check_principal(world: World, principal: str) -> list[str]:
    """Every row for `principal`; the list of rows that did not answer as the table says."""
    wrong: list[str] = []
    rows = [(name, e) for name, entries in EXPECTED.items() for e in entries]
    rows.sort(key=lambda row: row[1].order)
    client = world.client(principal)
    for name, entry in rows:
        with translation.override("en"):
            url = reverse(name, kwargs=entry.kwargs(world.ids)) if ":" in name else name
        if entry.order == 2:
            client = world.fresh_client(principal)
        response = _request(client, entry, url)
        expected_allowed = allowed(entry.rule, principal)
        if expected_allowed:
            good = _is_allowed_answer(response, entry, principal, world.ids)
        else:
            good = is_refusal(response, entry.rule, world.ids)
            good = good or response.status_code in entry.refused
        if not holds_a_grant(principal) and _shows_the_secret(response, principal):
            wrong.append(f"{principal} {entry.method} {url} ({name}): the source's plaintext")
        if not good:
            where = response.get("Location", "")
            wrong.append(
                f"{principal} {entry.method} {url} ({name}, rule {entry.rule}): expected "
                f"{'allowed ' + str(entry.ok) if expected_allowed else 'a refusal'}, got "
                f"{response.status_code} {where}"
            )
    return wrong


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_access_matrix(principal):
    world = build_world()
    wrong = check_principal(world, principal)
    assert not wrong, "\n".join(wrong)


def test_the_rules_follow_the_roles_table():
    """The derivation itself, spelled out for the roles whose rights differ most."""
    assert allowed(READERS, "journalist") and not allowed(READERS, "moderator")
    assert allowed(PUBLISHERS, "editor") and not allowed(PUBLISHERS, "journalist")
    assert allowed(ADMINS, "admin") and not allowed(ADMINS, "editor")
    assert not any(allowed(rule, ANONYMOUS) for rule in (READERS, MEMBER, SOURCE_ONLY, PENDING))
    assert not any(allowed(rule, SOURCE) for rule in (READERS, MEMBER, PENDING))
    assert allowed(OWN_UPLOAD, SOURCE) and not allowed(OWN_UPLOAD, "admin")


def test_the_plaintext_check_sees_what_a_granted_reader_sees():
    """The secret the matrix looks for is on the source's page and in the download for a
    reader with a grant, and in neither for the journalist without one."""
    world = build_world()
    ids = world.ids
    page = f"/en/newsroom/sources/{ids['source']}/"
    download = f"/en/newsroom/sources/{ids['source']}/items/{ids['file_item']}/"
    granted, ungranted = world.client("journalist"), world.client(NO_GRANT)
    assert _shows_the_secret(granted.get(page), "journalist")
    assert _shows_the_secret(granted.get(download), "journalist")
    assert not _shows_the_secret(ungranted.get(page), "journalist-without-grant")
    assert not _shows_the_secret(ungranted.get(download), "journalist-without-grant")


def test_the_matrix_catches_a_missing_check(monkeypatch):
    """Take the custody log's permission check away (as a careless edit would) and the matrix
    reports the editor getting in."""
    from jiandu.ledger import views
    from jiandu.ledger.models import CustodyRecord

    monkeypatch.setattr(views, "access_custody_log", lambda user: CustodyRecord.objects.all())
    wrong = check_principal(build_world(), "editor")
    assert any("ledger:custody_log" in line for line in wrong), wrong
