"""ASGI entry point: websockets through Channels (routes added by the apps), HTTP through Django.

HTTP goes through Django's WSGI handler in a worker thread (see wintehr/wsgi_http.py for why).
"""

import os

from wintehr.env import exit_on_bad_configuration

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wintehr.settings")

with exit_on_bad_configuration():
    from channels.auth import AuthMiddlewareStack
    from channels.routing import ProtocolTypeRouter, URLRouter
    from channels.security.websocket import AllowedHostsOriginValidator
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    from wintehr.wsgi_http import WsgiHttpApp

    django_http_app = WsgiHttpApp(get_wsgi_application(), threads=settings.WEB_THREADS)

    from clinical.realtime.routing import websocket_urlpatterns as live_routes
    from fhirapi.subscriptions.routing import websocket_urlpatterns as subscription_routes

application = ProtocolTypeRouter(
    {
        "http": django_http_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([*live_routes, *subscription_routes]))
        ),
    }
)
