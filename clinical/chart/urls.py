"""Every chart URL: /chart/<patient_id>/<tab>/ and the actions inside a tab."""

from django.urls import path, register_converter

from clinical.allergies import views as allergies
from clinical.cds_cards import views as cds
from clinical.chart import views as chart
from clinical.encounters import views as encounters
from clinical.medications import views as medications
from clinical.notes import views as notes
from clinical.orders import views as orders
from clinical.problems import views as problems
from clinical.results import views as results
from clinical.vitals import views as vitals


class FhirIdConverter:
    regex = r"[A-Za-z0-9\-.]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class OrderTypeConverter:
    regex = "MedicationRequest|ServiceRequest"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FhirIdConverter, "fhirid")
register_converter(OrderTypeConverter, "ordertype")

P = "<fhirid:patient_id>/"
ORDER = P + "orders/<ordertype:resource_type>/<fhirid:order_id>/"

urlpatterns = [
    path(P, chart.summary, name="chart-summary"),
    path(P + "cds/", cds.cds_cards, name="chart-cds"),
    path(P + "cds/accept/", cds.cds_accept, name="chart-cds-accept"),
    path(P + "cds/override/", cds.cds_override, name="chart-cds-override"),
    path(P + "vitals/", vitals.vitals, name="chart-vitals"),
    path(P + "medications/", medications.medications, name="chart-medications"),
    path(
        P + "medications/reconcile/",
        medications.medication_reconcile_view,
        name="chart-medication-reconcile",
    ),
    path(
        P + "medications/<fhirid:request_id>/stop/",
        medications.medication_stop_view,
        name="chart-medication-stop",
    ),
    path(P + "orders/", orders.orders, name="chart-orders"),
    path(P + "orders/select/", orders.order_select, name="chart-order-select"),
    path(P + "orders/select/accept/", orders.order_select_accept, name="chart-order-select-accept"),
    path(
        P + "orders/select/override/",
        orders.order_select_override,
        name="chart-order-select-override",
    ),
    path(ORDER + "sign/", orders.order_review, name="chart-order-review"),
    path(ORDER + "accept/", orders.order_accept, name="chart-order-accept"),
    path(ORDER + "discard/", orders.order_discard_view, name="chart-order-discard"),
    path(P + "notes/", notes.notes, name="chart-notes"),
    path(P + "notes/new/", notes.note_new, name="chart-note-new"),
    path(P + "notes/<fhirid:note_id>/", notes.note_detail, name="chart-note"),
    path(P + "notes/<fhirid:note_id>/amend/", notes.note_amend, name="chart-note-amend"),
    path(P + "results/", results.results, name="chart-results"),
    path(P + "results/trend/<fhirid:code>/", results.result_trend, name="chart-result-trend"),
    path(
        P + "results/<fhirid:observation_id>/acknowledge/",
        results.result_acknowledge_view,
        name="chart-result-acknowledge",
    ),
    path(P + "problems/", problems.problems, name="chart-problems"),
    path(
        P + "problems/<fhirid:condition_id>/edit/",
        problems.problem_edit,
        name="chart-problem-edit",
    ),
    path(
        P + "problems/<fhirid:condition_id>/resolve/",
        problems.problem_resolve_view,
        name="chart-problem-resolve",
    ),
    path(P + "allergies/", allergies.allergies, name="chart-allergies"),
    path(
        P + "allergies/none-known/",
        allergies.allergies_none_known,
        name="chart-allergies-none-known",
    ),
    path(
        P + "allergies/<fhirid:allergy_id>/edit/",
        allergies.allergy_edit,
        name="chart-allergy-edit",
    ),
    path(
        P + "allergies/<fhirid:allergy_id>/entered-in-error/",
        allergies.allergy_entered_in_error,
        name="chart-allergy-error",
    ),
    path(P + "encounters/", encounters.encounters, name="chart-encounters"),
    path(
        P + "encounters/<fhirid:encounter_id>/discharge/",
        encounters.encounter_discharge_view,
        name="chart-encounter-discharge",
    ),
    path(
        P + "encounters/<fhirid:encounter_id>/discharge/accept/",
        encounters.discharge_accept,
        name="chart-discharge-accept",
    ),
    path(P + "imaging/", chart.imaging, name="chart-imaging"),
    path(P + "timeline/", chart.timeline, name="chart-timeline"),
    path(P + "access-log/", chart.access_log, name="chart-access-log"),
]
