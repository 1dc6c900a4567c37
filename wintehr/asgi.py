"""ASGI entry point: HTTP through Django, websockets through Channels (routes added by the apps)."""

import os

from wintehr.env import exit_on_bad_configuration

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wintehr.settings")

with exit_on_bad_configuration():
    from channels.routing import ProtocolTypeRouter
    from django.core.asgi import get_asgi_application

    django_asgi_app = get_asgi_application()

application = ProtocolTypeRouter({"http": django_asgi_app})
