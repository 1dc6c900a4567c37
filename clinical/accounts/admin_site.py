"""The admin site: for staff who hold the admin role; signing in goes through our sign-in page
(lock-out, second factor, audit), and a signed-in user without the role gets 403."""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from clinical.roles import ADMIN, user_has_role


class WintehrAdminSite(AdminSite):
    site_header = "WintEHR administration"
    site_title = "WintEHR administration"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_staff and user_has_role(user, ADMIN)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        if request.user.is_authenticated:
            raise PermissionDenied("The administration needs the admin role.")
        wanted = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(wanted, settings.LOGIN_URL)
