"""Helpers for source-side tests: a newsroom reader with a vault key, and a source's client."""

from django.test import Client

from tests.factories import Member, make_member, sign_in


def make_reader(username: str = "zhu") -> tuple[Member, Client]:
    """A journalist who has signed in once (so the tip line is open), and their client."""
    member = make_member(username, "journalist")
    client = Client()
    sign_in(client, member)
    return member, client


def submit(client: Client, *, message: str = "", files=(), style: str = "en", **answers):
    data = {"message": message, "style": style, "website": "", **answers}
    if files:
        data["files"] = list(files)
    return client.post("/en/submit/", data)


def codename_of(client: Client) -> str:
    return client.session["tipline_new_codename"]
