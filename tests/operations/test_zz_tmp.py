import pytest
from django.contrib import admin

@pytest.mark.django_db
def test_list(signed_in, administrator):
    for model, ma in admin.site._registry.items():
        print("REG", model._meta.app_label, model._meta.model_name, type(ma).__name__)
    page = signed_in(administrator).get("/admin/").content.decode()
    import re
    print("VISIBLE", re.findall(r"href=\"(/admin/[a-z_0-9]+/[a-z_0-9]+/)\"", page))
