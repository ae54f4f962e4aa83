"""Renders for tests of other rooms: publishing needs a render record of the studio."""

from jiandu.cases.evidence import Derivative
from jiandu.redaction.actions import do_render_newsroom_image
from jiandu.redaction.recipe import parse


def rendered(user, data: bytes, fmt: str = "png") -> Derivative:
    """A newsroom-made image rendered by the studio (faces hidden, no metadata)."""
    return do_render_newsroom_image(user, data, parse({"kind": "image", "format": fmt}))


def rendered_from_item(user, item, data: bytes) -> Derivative:
    """A finished render record of a vault item whose derivative is `data` (the worker's part
    is tested in tests/redaction; other rooms only need the record)."""
    import hashlib

    from django.utils import timezone

    from jiandu.redaction.models import Render

    render = Render.objects.create(
        item=item,
        kind="image",
        state=Render.State.DONE,
        created_by=user,
        created_hour=timezone.now().replace(minute=0, second=0, microsecond=0),
        output_sha256=hashlib.sha256(data).hexdigest(),
    )
    return Derivative(render.reference, f"item:{item.pk}", data, "1 face blurred", "1 face blurred")
