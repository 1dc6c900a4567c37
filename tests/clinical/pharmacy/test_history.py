"""Each order's history with the pharmacy, from its versions: who signed, returned, resubmitted,
verified and dispensed it, when, and what they said; shown on the order under review."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from clinical.pharmacy.history import order_history
from clinical.pharmacy.services import (
    medication_dispense,
    order_reject,
    order_resubmit,
    order_return,
    order_verify,
)

pytestmark = pytest.mark.django_db
PANEL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "order-panel"}


def test_each_action_is_an_entry(pharmacist, second_pharmacist, physician, signed_order):
    order_id = signed_order(quantity=20)
    order_return(order_id=order_id, version=1, reason="Which INR target?", acting_user=pharmacist)
    order_resubmit(order_id=order_id, version=2, comment="INR 2-3", acting_user=physician)
    order_verify(order_id=order_id, version=3, comment="ok", acting_user=second_pharmacist)
    for version in (4, 5):  # two partial fills: the second changes no state
        medication_dispense(
            order_id=order_id,
            version=version,
            quantity=Decimal(5),
            unit="tablet",
            lot="L",
            expiry=date.today() + timedelta(days=300),
            acting_user=pharmacist,
        )
    history = order_history(user=pharmacist, order_id=order_id)
    assert [(h.version, h.action, h.by, h.comment) for h in history] == [
        (1, "Signed", "dr-house", ""),
        (2, "Returned", "pharm-pat", "Which INR target?"),
        (3, "Resubmitted", "dr-house", "Resubmitted after clarification: INR 2-3"),
        (4, "Verified", "pharm-quinn", "ok"),
        (5, "Partially dispensed", "pharm-pat", ""),
    ]
    assert all(h.at is not None for h in history)
    assert [h.at for h in history] == sorted(h.at for h in history)


def test_a_rejection_and_the_panel(as_pharmacist, pharmacist, signed_order):
    order_id = signed_order()
    order_reject(
        order_id=order_id,
        version=1,
        reason_code="salg",
        reason_display="Allergy",
        comment="anaphylaxis history",
        acting_user=pharmacist,
    )
    html = as_pharmacist.get(f"/pharmacy/orders/{order_id}/", **PANEL).content.decode()
    assert 'id="order-history"' in html
    assert '<tr data-version="2">' in html and "<td>Rejected</td>" in html
    assert "anaphylaxis history" in html
