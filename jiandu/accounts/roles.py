"""The four newsroom roles, as Django groups with permissions.

A member holds exactly one role. What each role may do is this table; views check the
permissions (`user.has_perm("accounts.publish_cases")`), never the role names.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

ADMIN = "admin"
EDITOR = "editor"
JOURNALIST = "journalist"
MODERATOR = "moderator"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    ADMIN: [
        "manage_newsroom",
        "read_submissions",
        "delete_sources",
        "edit_cases",
        "publish_cases",
        "moderate_comments",
    ],
    EDITOR: [
        "read_submissions",
        "delete_sources",
        "edit_cases",
        "publish_cases",
        "moderate_comments",
    ],
    JOURNALIST: ["read_submissions", "edit_cases"],
    MODERATOR: ["moderate_comments"],
}

ROLE_LABELS = {
    ADMIN: _("Admin"),
    EDITOR: _("Editor"),
    JOURNALIST: _("Journalist"),
    MODERATOR: _("Moderator"),
}

ROLE_CHOICES = [(name, ROLE_LABELS[name]) for name in ROLE_PERMISSIONS]


def sync_roles(**kwargs: Any) -> None:
    """Create the role groups and give them exactly the permissions in ROLE_PERMISSIONS.

    Runs after every `migrate`, so a permission added to the table reaches existing
    installations without a data migration.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    # Our post_migrate may run before auth's own: make sure the permissions exist first.
    create_permissions(apps.get_app_config("accounts"), verbosity=0)
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(
            content_type__app_label="accounts", codename__in=codenames
        )
        group.permissions.set(permissions)
