"""SMART tests: a clinician, two patients with an Observation each, registered apps, and a driver
for the authorization code flow over Django's test client (the browser and the app in one)."""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from clinical.roles import PHYSICIAN
from fhirapi.services import FhirRepository
from fhirapi.smart.services import smart_app_register
from tests.fhirapi.conftest import observation, patient

FHIR_BASE = "http://testserver/fhir"
REDIRECT_URI = "http://127.0.0.1:9753/callback"
APP_SCOPES = (
    "launch launch/patient launch/encounter openid fhirUser offline_access online_access "
    "patient/*.cruds user/*.cruds"
)
LAB = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "laboratory",
        }
    ]
}
VITALS = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs",
        }
    ]
}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class FormFields(HTMLParser):
    """The named inputs of the first form on a page (enough for the consent form)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "input" and values.get("name") and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value") or ""
        if tag == "a" and values.get("data-patient-id"):
            self.links.append(values["href"])


def page_fields(html: str) -> FormFields:
    parser = FormFields()
    parser.feed(html)
    return parser


def redirect_params(response) -> dict[str, str]:
    assert response.status_code == 302, response.content[:500]
    query = parse_qs(urlsplit(response["Location"]).query)
    return {key: values[0] for key, values in query.items()}


@dataclass
class Flow:
    """One app's authorization code flow, driven by a signed-in browser (`browser`)."""

    browser: Client
    client_id: str
    redirect_uri: str = REDIRECT_URI
    verifier: str = ""
    extra: dict = field(default_factory=dict)

    def authorize_url(self, scope: str, **params: str) -> str:
        self.verifier, challenge = pkce_pair()
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": scope,
            "state": "state-123",
            "aud": FHIR_BASE,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **params,
        }
        return "/auth/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})

    def approve(self, consent_page, *, allow: bool = True):
        fields = page_fields(consent_page.content.decode()).fields
        assert "csrfmiddlewaretoken" in fields, consent_page.content[:800]
        if allow:
            fields["allow"] = "Authorize"
        return self.browser.post("/auth/authorize", fields)

    def code(self, scope: str, **params: str) -> str:
        page = self.browser.get(self.authorize_url(scope, **params))
        assert page.status_code == 200, page.content[:800]
        return redirect_params(self.approve(page))["code"]

    def exchange(self, code: str, *, verifier: str | None = None, **params: str):
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": self.verifier if verifier is None else verifier,
            **params,
        }
        return Client().post("/auth/token", data)

    def token(self, scope: str, **params: str) -> dict:
        response = self.exchange(self.code(scope, **params))
        assert response.status_code == 200, response.content
        return response.json()

    def refresh(self, refresh_token: str, **params: str):
        data = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.client_id,
            **params,
        }
        return Client().post("/auth/token", data)


def fhir(method: str, path: str, token: str, body=None):
    """A FHIR request as an app makes it: bearer token, FHIR JSON, no session."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    data = json.dumps(body) if body is not None else None
    kwargs = {"content_type": "application/fhir+json"} if data is not None else {}
    return getattr(client, method.lower())(path, data=data, **kwargs)


@pytest.fixture
def clinician(db):
    user = get_user_model().objects.create_user("dr-smart", password="unused-in-tests")
    user.groups.add(Group.objects.get_or_create(name=PHYSICIAN.name)[0])
    return user


@pytest.fixture
def browser(clinician) -> Client:
    client = Client()
    client.force_login(clinician)
    return client


@dataclass(frozen=True)
class Chart:
    patient_id: str
    observation_id: str
    vitals_id: str
    family: str


@pytest.fixture
def charts(db) -> tuple[Chart, Chart]:
    """Two patients, each with a laboratory and a vital-signs Observation."""
    repository = FhirRepository()
    made = []
    for family in ("Chalmers", "Outsider"):
        pid = repository.create(patient(family)).stored.resource_id
        lab = repository.create(observation(f"Patient/{pid}", category=[LAB]))
        vitals = repository.create(observation(f"Patient/{pid}", category=[VITALS]))
        made.append(Chart(pid, lab.stored.resource_id, vitals.stored.resource_id, family))
    return made[0], made[1]


@pytest.fixture
def app(db):
    application, _ = smart_app_register(
        name="Growth chart",
        allowed_scopes=APP_SCOPES,
        redirect_uris=REDIRECT_URI,
        launch_url="http://127.0.0.1:9753/launch",
    )
    return application


@pytest.fixture
def flow(browser, app) -> Flow:
    return Flow(browser=browser, client_id=app.client_id)
