from django.urls import include, path

from clinical.accounts import views

urlpatterns = [
    path("", views.account, name="account"),
    path("second-factor/", views.second_factor_verify, name="second-factor-verify"),
    path("second-factor/setup/", views.second_factor_setup, name="second-factor-setup"),
    path("", include("django.contrib.auth.urls")),
]
