"""WSGI entry point for the production server (`jiandu serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiandu.settings")
application = get_wsgi_application()

# Published pages for anonymous readers are answered before Django runs (jiandu.public.pagecache).
from jiandu.public.pagecache import wrap  # noqa: E402 - needs the settings configured above

application = wrap(application)
