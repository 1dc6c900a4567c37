"""Every JSON example of the CDS Hooks 2.0.1 spec, accepted or produced as the spec says."""

import pytest

from cds.cards import _action_errors, _codings_errors, _source_errors, response_errors
from cds.external import _usable
from cds.feedback import parse_feedback
from cds.hooks import context_errors
from cds.prefetch import render_template, template_errors, token_values
from cds.request import CdsRequestError, parse_request
from tests.cds.helpers import fixture, hook_request

PATIENT_VIEW = ("patient-view",)


@pytest.mark.parametrize(
    "name", ["spec201-01-discovery-example.json", "spec201-27-extensions.json"]
)
def test_discovery_examples_are_usable_services(name):
    assert all(_usable(entry) for entry in fixture(name)["services"])


def test_request_example_is_accepted():
    request = parse_request(fixture("spec201-02-example.json"), service_hooks=PATIENT_VIEW)
    assert request.patient_id == "1288992"
    assert request.fhir_authorization.subject == "cds-service4"
    assert request.prefetch["patientToGreet"]["birthDate"] == "1925-12-23"


def test_extension_example_keeps_extensions_but_lacks_the_hooks_patient():
    """Example 26 shows `extension` on a request whose context holds only userId; patient-view
    requires patientId, so the request itself is refused, saying so."""
    data = fixture("spec201-26-extensions.json")
    with pytest.raises(
        CdsRequestError, match=r"context\.patientId is required by the patient-view hook"
    ):
        parse_request(data, service_hooks=PATIENT_VIEW)
    data["context"]["patientId"] = "1288992"
    request = parse_request(data, service_hooks=PATIENT_VIEW)
    assert request.extension["com.example.timestamp"] == "2017-11-27T22:13:25Z"


@pytest.mark.parametrize(
    "name",
    [
        "spec201-03-prefetch-template.json",
        "spec201-07-example-prefetch-templates.json",
        "spec201-29-what-s-the-difference.json",
    ],
)
def test_prefetch_templates_use_allowed_tokens(name):
    for template in fixture(name)["prefetch"].values():
        assert template_errors(template, PATIENT_VIEW) == []
    assert template_errors("Observation?code={{context.medication.id}}", PATIENT_VIEW)


def test_prefetch_tokens_render_from_contexts():
    values = token_values(
        {
            **fixture("spec201-04-example-prefetch-token.json")["context"],
            "userId": "PractitionerRole/123",
        }
    )
    templates = fixture("spec201-07-example-prefetch-templates.json")["prefetch"]
    assert render_template(templates["patient"], values) == "Patient/123"
    assert render_template(templates["user"], values) == "PractitionerRole?_id=123"
    order_values = token_values(fixture("spec201-06-example-prefetch-token.json")["context"])
    assert order_values["context.medicationRequestId"] == "123"
    assert "context.draftOrders" not in order_values  # only primitive root fields are tokens
    assert render_template("Patient/{{context.patientId}}", order_values) is None


def test_prefetch_data_example_keeps_resources_and_drops_non_resources():
    data = hook_request(
        "patient-view",
        {"userId": "Practitioner/1", "patientId": "1"},
        prefetch=fixture("spec201-08-example-prefetch-data.json")["prefetch"],
    )
    prefetch = parse_request(data, service_hooks=PATIENT_VIEW).prefetch
    assert set(prefetch) == {"patient", "hemoglobin-a1c"}


def test_fhir_authorization_example():
    data = hook_request(
        "patient-view",
        {"userId": "Practitioner/1", "patientId": "1"},
        fhirServer="https://ehr.example.org/fhir",
        **fixture("spec201-09-passing-the-access-token-to-the-cds-service.json"),
    )
    assert parse_request(data, service_hooks=PATIENT_VIEW).fhir_authorization.expires_in == 300


@pytest.mark.parametrize(
    "name",
    ["spec201-10-http-response.json", "spec201-16-system-action.json", "spec201-17-example.json"],
)
def test_response_examples_are_valid(name):
    assert response_errors(fixture(name)) == []


def test_response_example_without_indicator_is_refused():
    """Example 18 (autolaunchable link) leaves out `indicator`, which the card table makes
    REQUIRED: we hold external services to the table."""
    assert response_errors(fixture("spec201-18-example.json")) == [
        "cards[0].indicator must be one of info, warning, critical"
    ]


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.cookie)", "data:text/html,<script>x()</script>", "/chart/1/"]
)
def test_a_card_link_must_be_an_absolute_http_url(url):
    """A link is shown to clinicians as a link: a script or data URL is refused with the card."""
    card = {**fixture("spec201-17-example.json")["cards"][0]}
    card["links"] = [{"label": "Open", "url": url, "type": "absolute"}]
    assert response_errors({"cards": [card]}) == [
        "cards[0].links[0].url must be an absolute http(s) URL"
    ]


def test_card_parts_examples_are_valid():
    assert _source_errors(fixture("spec201-11-source.json")["source"], "source") == []
    for name in ("spec201-12-action.json", "spec201-13-action.json", "spec201-14-action.json"):
        assert _action_errors(fixture(name), "action", description_required=True) == []
    reasons = fixture("spec201-15-reasons-for-rejecting-a-card.json")["overrideReasons"]
    assert _codings_errors(reasons, "overrideReasons") == []


@pytest.mark.parametrize(
    "name",
    [
        "spec201-19-example-suggestion-accepted.json",
        "spec201-20-example-overridden-guidance-without-overridereason.json",
        "spec201-21-example-overridden-guidance-with-overridereason.json",
    ],
)
def test_feedback_examples_parse(name):
    (item,) = parse_feedback(fixture(name))
    assert item.outcome in ("accepted", "overridden")


@pytest.mark.parametrize(
    "name", ["spec201-28-what-s-the-difference.json", "hook-library/patient-view-01-examples.json"]
)
def test_patient_view_contexts_are_valid(name):
    assert context_errors("patient-view", fixture(name)["context"]) == []


def test_contexts_may_carry_any_json_values():
    context = {
        "userId": "Practitioner/1",
        "patientId": "1",
        **fixture("spec201-30-examples.json")["context"],
    }
    assert context_errors("patient-view", context) == []


@pytest.mark.parametrize(
    ("hook", "name"),
    [
        ("order-select", "hook-library/order-select-01-example-r4.json"),
        ("order-sign", "hook-library/order-sign-01-example-r4.json"),
        ("encounter-discharge", "hook-library/encounter-discharge-01-examples.json"),
        ("medication-prescribe", "hook-library/medication-prescribe-01-example-stu3.json"),
    ],
)
def test_hook_library_contexts_are_accepted(hook, name):
    services = ("order-select", "order-sign") if hook == "medication-prescribe" else (hook,)
    request = parse_request(hook_request(hook, fixture(name)["context"]), service_hooks=services)
    assert request.patient_id == "1288992"
    if hook == "medication-prescribe":
        assert len(request.context["draftOrders"]["entry"]) == 2
