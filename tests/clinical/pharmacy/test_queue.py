"""The pharmacist's queue: which orders, in which order, filters, counts, the context beside each
order, and a bounded number of queries whatever the number of orders."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinical.pharmacy.selectors import QueueFilters, pharmacy_queue
from clinical.pharmacy.services import order_reject, order_return, order_verify
from clinical.pharmacy.states import PharmacyState
from tests.clinical.pharmacy import factories as f

pytestmark = pytest.mark.django_db
QUEUE_FRAGMENT = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "pharmacy-queue"}


def ids(queue) -> list[str]:
    return [row.order.order_id for row in queue.rows]


def counts(queue) -> dict[str, int]:
    return {c.state: c.count for c in queue.counts}


def test_signed_inpatient_orders_wait_for_verification(pharmacist, signed_order, admitted):
    waiting = signed_order()
    signed_order(status="draft")  # not signed yet
    signed_order(status="completed")
    f.order(admitted["patient_id"], category="community")  # goes to an outside pharmacy
    f.order(admitted["patient_id"], intent="plan")  # not an order
    queue = pharmacy_queue(user=pharmacist, filters=QueueFilters())
    assert ids(queue) == [waiting]
    assert queue.rows[0].order.state == PharmacyState.PENDING


def test_sorted_by_priority_then_longest_waiting(pharmacist, signed_order):
    routine_old = signed_order(authored=f.ago(hours=10))
    routine_new = signed_order(authored=f.ago(hours=1))
    urgent = signed_order(priority="urgent", authored=f.ago(minutes=5))
    stat = signed_order(priority="stat", authored=f.ago(minutes=1))
    no_priority = signed_order(authored=f.ago(hours=5))
    queue = pharmacy_queue(user=pharmacist, filters=QueueFilters())
    assert ids(queue) == [stat, urgent, routine_old, no_priority, routine_new]


def test_counts_per_state_and_state_filter(pharmacist, signed_order):
    pending = signed_order()
    verified = signed_order()
    returned = signed_order()
    rejected = signed_order()
    order_verify(order_id=verified, version=1, acting_user=pharmacist)
    order_return(order_id=returned, version=1, reason="Which INR target?", acting_user=pharmacist)
    order_reject(
        order_id=rejected,
        version=1,
        reason_code="sddi",
        reason_display="Drug interacts",
        comment="",
        acting_user=pharmacist,
    )
    queue = pharmacy_queue(user=pharmacist, filters=QueueFilters())
    assert counts(queue) == {
        "pending": 1,
        "verified": 1,
        "partially-dispensed": 0,
        "dispensed": 0,
        "returned": 1,
        "rejected": 1,
        "all": 4,
    }
    assert ids(queue) == [pending]
    assert ids(pharmacy_queue(user=pharmacist, filters=QueueFilters(state="returned"))) == [
        returned
    ]
    assert ids(pharmacy_queue(user=pharmacist, filters=QueueFilters(state="rejected"))) == [
        rejected
    ]
    assert len(pharmacy_queue(user=pharmacist, filters=QueueFilters(state="all")).rows) == 4


def test_filters_by_ward_and_prescriber(
    pharmacist, physician, ward, signed_order, django_user_model
):
    cardiology = signed_order()
    other_patient = f.patient("Surgical", "Sam")
    surgery_encounter = f.admission(other_patient, ward.beds["surgery-2"])
    colleague = django_user_model.objects.create_user(
        "dr-grey", first_name="Meredith", last_name="Grey"
    )
    surgery = f.order(
        other_patient, encounter_id=surgery_encounter, requester=f.prescriber(colleague)
    )
    everything = pharmacy_queue(user=pharmacist, filters=QueueFilters())
    assert set(ids(everything)) == {cardiology, surgery}
    assert [name for _, name in everything.wards] == ["Cardiology ward", "Surgical ward"]
    assert {name for _, name in everything.prescribers} == {
        "Meredith Grey",
        physician.get_username(),
    }
    by_ward = pharmacy_queue(user=pharmacist, filters=QueueFilters(ward=ward.surgery))
    assert ids(by_ward) == [surgery]
    assert by_ward.rows[0].order.place.ward == "Surgical ward"
    assert by_ward.rows[0].order.place.spot == "Bed S2"
    assert counts(by_ward)["pending"] == 1
    by_prescriber = pharmacy_queue(
        user=pharmacist,
        filters=QueueFilters(prescriber=f"Practitioner/wintehr-user-{colleague.pk}"),
    )
    assert ids(by_prescriber) == [surgery]


def test_each_order_shows_allergies_renal_function_and_other_medications(
    pharmacist, signed_order, admitted
):
    patient_id = admitted["patient_id"]
    f.allergy(patient_id)
    f.lab(patient_id, "2160-0", 1.1, "mg/dL", when=f.ago(days=20))
    f.lab(patient_id, "2160-0", 2.4, "mg/dL", when=f.ago(days=2), flag="H")  # the latest
    f.lab(patient_id, "62238-1", 28, "mL/min/{1.73_m2}", when=f.ago(days=2), flag="L")
    f.lab(patient_id, "2160-0", 0.7, "mg/dL", when=f.ago(days=800))  # too old to matter
    signed_order(drug=f.LISINOPRIL)
    amoxicillin = signed_order(drug=f.AMOXICILLIN)
    queue = pharmacy_queue(user=pharmacist, filters=QueueFilters())
    row = next(r for r in queue.rows if r.order.order_id == amoxicillin)
    assert row.patient.allergies == ("Allergy to penicillin",)
    assert row.patient.creatinine.value == "2.4 mg/dL" and row.patient.creatinine.flag == "H"
    assert row.patient.egfr.value.startswith("28")
    assert row.other_medications == [f.LISINOPRIL[1]]
    assert row.order.place.ward == "Cardiology ward"


def test_page_lists_the_queue(as_pharmacist, signed_order, admitted):
    signed_order()
    response = as_pharmacist.get("/pharmacy/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="pharmacy-queue"' in html and 'data-live-topic="pharmacy-queue"' in html
    assert "OKAFOR, Amara" in html and "Warfarin Sodium 5 MG Oral Tablet" in html
    assert 'data-state-count="pending">1<' in html


def test_poll_answers_204_until_the_queue_changes(as_pharmacist, pharmacist, signed_order):
    order_id = signed_order()
    first = as_pharmacist.get("/pharmacy/", **QUEUE_FRAGMENT)
    assert first.status_code == 200
    stamp = first.content.decode().split("stamp=")[1].split('"')[0]
    assert as_pharmacist.get(f"/pharmacy/?stamp={stamp}", **QUEUE_FRAGMENT).status_code == 204
    order_verify(order_id=order_id, version=1, acting_user=pharmacist)
    changed = as_pharmacist.get(f"/pharmacy/?stamp={stamp}", **QUEUE_FRAGMENT)
    assert changed.status_code == 200
    assert 'data-state-count="verified">1<' in changed.content.decode()


def _orders(count: int, ward, physician) -> None:
    requester = f.prescriber(physician)
    beds = list(ward.beds.values())
    for n in range(count):
        patient_id = f.patient(f"Patient{n:03d}", "Test", mrn=f"MRN{n:05d}")
        encounter_id = f.admission(patient_id, beds[n % len(beds)])
        f.allergy(patient_id)
        f.lab(patient_id, "62238-1", 60 + n, "mL/min/{1.73_m2}")
        f.order(patient_id, encounter_id=encounter_id, requester=requester)
        f.order(patient_id, encounter_id=encounter_id, requester=requester, drug=f.LISINOPRIL)


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/pharmacy/?state=all").status_code == 200
    return len(captured)


def test_queue_queries_do_not_grow_with_the_orders(
    as_pharmacist, ward, physician, django_assert_max_num_queries
):
    _orders(3, ward, physician)
    few = _queries(as_pharmacist)
    _orders(22, ward, physician)  # 25 patients, 50 orders
    with django_assert_max_num_queries(few):
        response = as_pharmacist.get("/pharmacy/?state=all")
    assert response.content.decode().count('id="queue-order-') == 50
    assert few <= 25, f"the queue costs {few} queries"
