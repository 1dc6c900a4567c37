from django.urls import re_path

from clinical.chart_access import views

urlpatterns = [
    re_path(
        r"^(?P<patient_id>[A-Za-z0-9\-.]{1,64})/break-glass/$",
        views.break_glass_page,
        name="break-glass",
    ),
]
