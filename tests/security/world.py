"""One small newsroom with something behind every URL, made through the product's own views and
actions, for the attacker's tests (the access matrix, the XSS probe): four members (one per
role) signed in, a source signed in with two submissions (a message and a file), a tus upload
held in the source's session, the demo case published, and one comment waiting for moderation.

Object ids are real, so an allowed request reaches the view's own answer instead of a 404 for
a missing object, and a refused one is refused by the check, not by the lookup."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jiandu.accounts.roles import ROLE_PERMISSIONS
from jiandu.cases.demo import load_demo_case
from jiandu.cases.models import Case, Citation, Claim, ClaimVersion, Event
from jiandu.public.actions import do_post_comment
from jiandu.redaction.models import Render
from jiandu.tlog import read as logread
from jiandu.tlog import tlog
from jiandu.vault.models import Item, Source
from tests.factories import Member, make_member, sign_in

ANONYMOUS = "anonymous"
SOURCE = "source"
ROLES = list(ROLE_PERMISSIONS)  # admin, editor, journalist, moderator
# A journalist who first signed in after the source wrote: the role's rights, but no grant to
# this source's key (an insider reaching for what was not shared with them).
NO_GRANT = "journalist-without-grant"
PRINCIPALS = [ANONYMOUS, SOURCE, *ROLES, NO_GRANT]
# What the source sent, in plaintext: no answer to anyone without a grant may hold it.
SECRET_MESSAGE = "第一条消息 the source secret 7f3a"  # nothing HTML would escape
SECRET_FILE = b"the source secret file 9c1e\n"


def role_of(principal: str) -> str | None:
    """The role whose permissions a principal holds (None: not a member)."""
    if principal == NO_GRANT:
        return "journalist"
    return principal if principal in ROLES else None


@dataclass
class World:
    members: dict[str, Member]
    clients: dict[str, Client]
    ids: dict[str, object] = field(default_factory=dict)

    def client(self, principal: str) -> Client:
        return self.clients[principal]

    def fresh_client(self, principal: str) -> Client:
        """A new session for `principal` (for the requests that end one, like signing out)."""
        if principal == ANONYMOUS:
            return Client(raise_request_exception=False)
        if principal == SOURCE:
            return self.clients[SOURCE]  # one source session; its sign-out is run last
        # Only the rows that end a session use this, so the vault key does not matter here:
        # Django's own login, not a second TOTP sign-in (each code works once).
        client = Client(raise_request_exception=False)
        client.force_login(self.members[principal].user)
        return client


def _source_client() -> tuple[Client, Source]:
    client = Client(raise_request_exception=False)
    data = {"message": SECRET_MESSAGE, "style": "en", "website": "", "when": "2012-11"}
    assert client.post("/en/submit/", data).status_code == 302
    client.post("/en/codename/noted/", {"noted": "1"})
    upload = SimpleUploadedFile("note.txt", SECRET_FILE, "text/plain")
    response = client.post(
        "/en/submit/", {"message": "", "style": "en", "website": "", "files": [upload]}
    )
    assert response.status_code == 302, response.status_code
    return client, Source.objects.get()


def build_world() -> World:
    members = {role: make_member(f"m-{role}", role) for role in ROLES}
    clients: dict[str, Client] = {ANONYMOUS: Client(raise_request_exception=False)}
    for role, member in members.items():
        client = Client(raise_request_exception=False)
        sign_in(client, member)
        clients[role] = client
    # Readers signed in before the source wrote, so each holds a grant to it; their first
    # newsroom page shows the new recovery key once (tests/newsroom/test_views.py).
    source_client, source = _source_client()
    clients[SOURCE] = source_client
    late = make_member("m-late", "journalist")
    members[NO_GRANT] = late
    clients[NO_GRANT] = Client(raise_request_exception=False)
    sign_in(clients[NO_GRANT], late)
    for principal in [*ROLES, NO_GRANT]:
        if "read_submissions" in ROLE_PERMISSIONS[role_of(principal)]:
            clients[principal].get("/en/newsroom/sources/key/")
    created = source_client.post(
        "/en/upload/",
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10"},
    )
    assert created.status_code == 201, created.status_code
    upload_id = created["Location"].rstrip("/").rsplit("/", 1)[-1]

    load_demo_case()
    case = Case.objects.get(slug="chongqing-lei-zhengfu")
    claim = Claim.objects.filter(case=case).first()
    comment = do_post_comment(case.slug, "A reader's comment", "reader")
    submissions = list(source.submissions.order_by("pk"))
    file_item = source.items.get(kind=Item.Kind.FILE)
    size = logread.get_size()
    # A render request as the studio records it; no worker runs in the suite, so it stays
    # pending (jiandu.redaction.actions.do_request_render needs a live worker key).
    render = Render.objects.create(
        item=file_item,
        kind=Render.Kind.IMAGE,
        created_by=members["journalist"].user,
        created_hour=timezone.now().replace(minute=0, second=0, microsecond=0),
    )
    world = World(members=members, clients=clients)
    world.ids = {
        "source": source.pk,
        "file_item": file_item.pk,
        "submission_to_delete": submissions[-1].pk,
        "upload": upload_id,
        "case": case.pk,
        "case_slug": case.slug,
        "person": case.case_people.first().person_id,
        "person_slug": case.case_people.first().person.slug,
        "event": Event.objects.filter(case=case).first().pk,
        "claim": claim.pk,
        "citation": Citation.objects.filter(case=case).first().pk,
        "claim_version": ClaimVersion.objects.filter(claim=claim).first().pk,
        "revision": case.revisions.order_by("number").first().number,
        "evidence": case.evidence.first().file.name.rsplit("/", 1)[-1],
        "tile": tlog.tile_path("0", 0, size).removeprefix("tile/"),
        "comment": comment.pk,
        "render": render.pk,
        "member": members["journalist"].user.pk,
        "log_size": size,
    }
    return world
