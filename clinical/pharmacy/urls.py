"""/pharmacy/: the verification queue, an order under review and its actions, the prescriber's
returned orders, and each patient's MAR."""

from django.urls import path

from clinical.chart.urls import FhirIdConverter  # noqa: F401 - registers the "fhirid" converter
from clinical.pharmacy import mar_views, views

ORDER = "orders/<fhirid:order_id>/"

urlpatterns = [
    path("", views.queue, name="pharmacy-queue"),
    path(ORDER, views.order, name="pharmacy-order"),
    path(ORDER + "verify/", views.order_verify_view, name="pharmacy-order-verify"),
    path(ORDER + "return/", views.order_return_view, name="pharmacy-order-return"),
    path(ORDER + "reject/", views.order_reject_view, name="pharmacy-order-reject"),
    path(ORDER + "dispense/", views.order_dispense_view, name="pharmacy-order-dispense"),
    path(ORDER + "resubmit/", views.order_resubmit_view, name="pharmacy-order-resubmit"),
    path("returned/", views.returned, name="pharmacy-returned"),
    path("mar/<fhirid:patient_id>/", mar_views.mar, name="pharmacy-mar"),
    path("mar/<fhirid:patient_id>/record/", mar_views.mar_record, name="pharmacy-mar-record"),
]
