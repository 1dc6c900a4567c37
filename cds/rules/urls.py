from django.urls import path

from cds.rules import views

urlpatterns = [
    path("", views.rule_list, name="cds-rule-list"),
    path("new/", views.rule_new, name="cds-rule-new"),
    path("new/condition-row/", views.condition_row, name="cds-rule-condition-row"),
    path("new/suggestion/", views.suggestion_fields, name="cds-rule-suggestion"),
    path("<slug:slug>/", views.rule_edit, name="cds-rule-edit"),
    path("<slug:slug>/try/", views.rule_try, name="cds-rule-try"),
    path("<slug:slug>/toggle/", views.rule_toggle, name="cds-rule-toggle"),
]
