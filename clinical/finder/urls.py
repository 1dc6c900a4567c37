from django.urls import path

from clinical.finder import views

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.finder, name="finder"),
]
