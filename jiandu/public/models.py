"""The public room's own data: comments on cases, and daily view counts."""


def get_approved_comments(slug: str) -> list:
    return []
