from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lock-out check for sign-ins over HTTP (the sign-in page, the admin).

    authenticate() called without a request (tests, scripts) has no address or form to count
    failures by; it is let through to the next backend unchecked instead of raising.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
