"""WSGI entry point, for tools that need one; Skranke itself is served over ASGI."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skranke.settings")
application = get_wsgi_application()
