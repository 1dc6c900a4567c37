"""App registration in the admin: django-oauth-toolkit's application form with SMART's fields."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def test_an_apps_change_page_shows_its_smart_registration(app, django_user_model, client):
    admin = django_user_model.objects.create_superuser("smart-admin", password="unused-in-tests")
    admin.groups.add(Group.objects.get_or_create(name="admin")[0])
    client.force_login(admin)
    response = client.get(f"/admin/oauth2_provider/application/{app.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "SMART registration" in html
    assert "http://127.0.0.1:9753/launch" in html
    assert "patient/*.cruds" in html
