"""ASGI entry point: websockets through Channels (routes added by the apps), HTTP through Django.

HTTP goes through Django's WSGI handler in a worker thread (see wintehr/wsgi_http.py for why).
"""

import os

from wintehr.env import exit_on_bad_configuration

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wintehr.settings")

with exit_on_bad_configuration():
    from channels.routing import ProtocolTypeRouter
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    from wintehr.wsgi_http import WsgiHttpApp

    django_http_app = WsgiHttpApp(get_wsgi_application(), threads=settings.WEB_THREADS)

application = ProtocolTypeRouter({"http": django_http_app})
