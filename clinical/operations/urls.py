from django.contrib import admin
from django.urls import path

from clinical.operations import metrics_views, views

urlpatterns = [
    path(
        "admin/status/",
        admin.site.admin_view(views.system_status_page),
        name="admin-system-status",
    ),
    path("metrics", metrics_views.metrics, name="metrics"),
]
