from django.urls import path, re_path

from fhirapi.explorer import views

urlpatterns = [
    path("", views.explorer, name="explorer"),
    path("param-row", views.param_row, name="explorer-param-row"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<resource_id>[A-Za-z0-9\-.]{1,64})/$",
        views.resource,
        name="explorer-resource",
    ),
]
