"""The rule pages under /cds/rules/: list with acceptance rates, create, edit (a new version),
try against a patient, enable/disable. Only for users with cds.manage_rules."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cds.data_sources import DataUnavailable
from cds.models import Rule
from cds.rules import selectors
from cds.rules.condition_forms import builder_row, condition_formset
from cds.rules.forms import RuleForm, TryForm, initial_from_version
from cds.rules.services import (
    rule_create,
    rule_set_enabled,
    rule_try_on_patient,
    rule_update,
)
from cds.rules.suggestion_forms import suggestion_form, suggestion_redrawn
from clinical.fhir.display import human_name
from fhirapi.errors import FhirError

MANAGE = "cds.manage_rules"


def _rule(slug: str) -> Rule:
    rule = selectors.rule_by_slug(slug)
    if rule is None:
        raise Http404("no such rule")
    return rule


@login_required
@permission_required(MANAGE, raise_exception=True)
def rule_list(request: HttpRequest) -> HttpResponse:
    return render(request, "cds/rules/list.html", {"summaries": selectors.rule_summaries()})


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST or None)
    conditions = condition_formset(request.POST or None)
    suggestion = suggestion_form(request.POST or None)
    if request.method == "POST" and all(
        [form.is_valid(), conditions.is_valid(), suggestion.is_valid()]
    ):
        if selectors.rule_by_slug(form.cleaned_data["slug"]):
            form.add_error("slug", "a rule with this slug exists")
        else:
            content = form.content(
                conditions=conditions.conditions(), suggestion=suggestion.suggestion()
            )
            rule = rule_create(
                slug=form.cleaned_data["slug"], content=content, acting_user=request.user
            )
            messages.success(request, f"Rule {rule.slug} created (disabled until you enable it).")
            return redirect("cds-rule-edit", slug=rule.slug)
    context = {"form": form, "conditions": conditions, "suggestion": suggestion, "rule": None}
    return render(request, "cds/rules/form.html", context)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, slug: str) -> HttpResponse:
    rule = _rule(slug)
    latest = selectors.rule_latest_version(rule)
    form = RuleForm(request.POST or None, initial=initial_from_version(latest), editing=True)
    conditions = condition_formset(request.POST or None, conditions=latest.conditions)
    suggestion = suggestion_form(request.POST or None, stored=latest.card.get("suggestion"))
    if request.method == "POST" and all(
        [form.is_valid(), conditions.is_valid(), suggestion.is_valid()]
    ):
        content = form.content(
            conditions=conditions.conditions(), suggestion=suggestion.suggestion()
        )
        version = rule_update(rule=rule, content=content, acting_user=request.user)
        messages.success(request, f"Saved as version {version.number}.")
        return redirect("cds-rule-edit", slug=rule.slug)
    versions = rule.versions.select_related("created_by")
    context = {
        "form": form,
        "conditions": conditions,
        "suggestion": suggestion,
        "rule": rule,
        "versions": versions,
    }
    return render(request, "cds/rules/form.html", context)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_GET
def condition_row(request: HttpRequest) -> HttpResponse:
    """A builder row (HTMX): a new one, a row redrawn for its chosen kind, or none (removed)."""
    if "remove" in request.GET:
        return HttpResponse("")
    try:
        row, total = builder_row(request.GET)
    except ValueError:
        return HttpResponseBadRequest("no such condition row")
    return render(request, "cds/rules/_condition_row.html", {"row": row, "total": total})


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_GET
def suggestion_fields(request: HttpRequest) -> HttpResponse:
    """The suggestion builder (HTMX) redrawn for its chosen kind; for a rule whose stored
    suggestion the builder cannot show, keeping it stays a choice."""
    rule = selectors.rule_by_slug(request.GET.get("rule", ""))
    stored = selectors.rule_latest_version(rule).card.get("suggestion") if rule else None
    suggestion = suggestion_redrawn(request.GET, stored=stored)
    return render(request, "cds/rules/_suggestion.html", {"suggestion": suggestion, "rule": rule})


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def rule_try(request: HttpRequest, slug: str) -> HttpResponse:
    rule = _rule(slug)
    version = selectors.rule_latest_version(rule)
    form = TryForm(request.POST or None)
    outcome = patient = None
    if request.method == "POST" and form.is_valid():
        query = form.cleaned_data["patient"]
        try:
            patient = selectors.try_patient(query=query, user=request.user)
            if patient is None:
                form.add_error("patient", f"No single patient has the MRN or id {query}.")
            else:
                outcome = rule_try_on_patient(
                    version=version, patient_id=patient["id"], acting_user=request.user
                )
        except (FhirError, DataUnavailable) as exc:
            form.add_error("patient", f"You may not read this patient's data: {exc}")
    context = {"rule": rule, "version": version, "form": form, "outcome": outcome}
    context["patient_name"] = human_name(patient) if patient else ""
    return render(request, "cds/rules/try.html", context)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def rule_toggle(request: HttpRequest, slug: str) -> HttpResponse:
    rule = _rule(slug)
    rule_set_enabled(rule=rule, enabled=not rule.enabled, acting_user=request.user)
    state = "enabled" if rule.enabled else "disabled"
    messages.success(request, f"Rule {rule.slug} {state}.")
    return redirect("cds-rule-list")
