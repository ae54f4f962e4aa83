"""The request a signed-in member's view receives, for the type checker.

Behind `login_required` or `permission_required`, `request.user` is a `User`, never an
`AnonymousUser`: annotating such a view's request as `MemberRequest` says so once, instead of a
check in every view (docs/architecture.md; mypy with django-stubs runs on this room). At run
time the request is Django's own; nothing here changes it.
"""

from django.http import HttpRequest

from jiandu.accounts.models import User


class MemberRequest(HttpRequest):
    user: User
