from django.urls import path

from clinical.catalog import views

urlpatterns = [
    path("<slug:kind>/", views.catalog_autocomplete, name="catalog-search"),
]
