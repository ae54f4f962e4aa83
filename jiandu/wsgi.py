"""WSGI entry point for the production server (`jiandu serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiandu.settings")
application = get_wsgi_application()
