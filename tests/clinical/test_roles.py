"""What each role may and may not do: permissions, the admin site, the audit trail."""

import pytest
from django.contrib.auth import get_user_model

from clinical.demo import demo_users_ensure
from clinical.roles import (
    BREAK_GLASS,
    EDIT_CHART,
    REGISTER_PATIENTS,
    RESTRICT_CHARTS,
    SIGN_ORDERS,
    VERIFY_ORDERS,
    VIEW_AUDIT,
    VIEW_CHART,
)
from fhirapi.audit.events import LOGIN
from fhirapi.audit.services import audit_record

pytestmark = pytest.mark.django_db

EVERY = (
    VIEW_CHART,
    EDIT_CHART,
    SIGN_ORDERS,
    VERIFY_ORDERS,
    REGISTER_PATIENTS,
    BREAK_GLASS,
    RESTRICT_CHARTS,
    VIEW_AUDIT,
)
EXPECTED = {
    "physician": {VIEW_CHART, EDIT_CHART, SIGN_ORDERS, BREAK_GLASS},
    "nurse": {VIEW_CHART, EDIT_CHART, BREAK_GLASS},
    "pharmacist": {VIEW_CHART, VERIFY_ORDERS},
    "front_desk": {REGISTER_PATIENTS},
    "administrator": {RESTRICT_CHARTS, VIEW_AUDIT},
    "outsider": set(),
}


@pytest.mark.parametrize("member", sorted(EXPECTED))
def test_each_role_holds_exactly_its_permissions(member, request):
    user = request.getfixturevalue(member)
    assert {name for name in EVERY if user.has_perm(name)} == EXPECTED[member]


def test_demo_users_get_their_roles_and_passwords(settings):
    settings.DEBUG = True
    logins = demo_users_ensure()
    assert [login.username for login in logins] == [
        "demo-physician",
        "demo-nurse",
        "demo-pharmacist",
        "demo-front-desk",
        "demo-admin",
    ]
    users = {u.username: u for u in get_user_model().objects.filter(username__startswith="demo-")}
    assert users["demo-physician"].has_perm(SIGN_ORDERS)
    assert not users["demo-front-desk"].has_perm(VIEW_CHART)
    assert users["demo-admin"].check_password("wintehr-admin-demo")


def test_admin_site_is_for_staff_with_the_admin_role(signed_in, administrator):
    assert signed_in(administrator).get("/admin/").status_code == 200


@pytest.mark.parametrize("member", ["physician", "nurse", "pharmacist", "front_desk", "outsider"])
def test_admin_site_refuses_everyone_else(member, request, signed_in):
    user = request.getfixturevalue(member)
    user.is_staff = True  # staff alone is not enough
    user.save()
    response = signed_in(user).get("/admin/", follow=True)
    assert response.status_code == 403


def test_admin_site_refuses_an_admin_who_is_not_staff(signed_in, administrator):
    administrator.is_staff = False
    administrator.save()
    assert signed_in(administrator).get("/admin/", follow=True).status_code == 403


def test_admin_sign_in_goes_through_our_sign_in_page(anonymous_client):
    response = anonymous_client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert response.status_code == 200


def test_audit_trail_in_the_admin_is_read_only(signed_in, administrator):
    record = audit_record(kind=LOGIN, username="someone", patient_id="p-7")
    audit_record(kind=LOGIN, username="someone-else", patient_id="p-8")
    client = signed_in(administrator)
    listing = client.get("/admin/audit/auditrecord/?patient_id=p-7&username=someone")
    assert listing.status_code == 200
    assert "someone" in listing.text
    assert "someone-else" not in listing.text
    assert client.get(f"/admin/audit/auditrecord/{record.pk}/change/").status_code == 200
    assert client.post(f"/admin/audit/auditrecord/{record.pk}/change/").status_code == 403
    assert client.get("/admin/audit/auditrecord/add/").status_code == 403
    assert client.post(f"/admin/audit/auditrecord/{record.pk}/delete/").status_code == 403


def test_account_page_for_every_role(signed_in, physician, nurse, pharmacist, front_desk):
    for user in (physician, nurse, pharmacist, front_desk):
        response = signed_in(user).get("/accounts/")
        assert response.status_code == 200
        assert user.username in response.text
