from django.contrib import admin
from django.urls import path

from clinical.operations import metrics_views, views

urlpatterns = [
    path(
        "admin/status/",
        admin.site.admin_view(views.system_status_page),
        name="admin-system-status",
    ),
    path(
        "admin/subscriptions/",
        admin.site.admin_view(views.subscriptions_page),
        name="admin-subscriptions",
    ),
    path(
        "admin/subscriptions/<str:subscription_id>/switch",
        admin.site.admin_view(views.subscription_switch_view),
        name="admin-subscription-switch",
    ),
    path("metrics", metrics_views.metrics, name="metrics"),
]
