"""The whole SMART round trip over real HTTP: a small SMART app served here (http.server in a
thread) is launched by the EHR, discovers the server, sends the signed-in browser to authorize,
exchanges the code with PKCE and reads the launch patient from the live FHIR server."""

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.contrib.auth.models import Group
from django.test import Client

from clinical.roles import PHYSICIAN
from fhirapi.services import FhirRepository
from fhirapi.smart.services import launch_create, smart_app_register, smart_launch_url
from tests.fhirapi.conftest import patient
from tests.fhirapi.smart.conftest import page_fields

SCOPE = "launch openid fhirUser patient/Patient.r patient/Observation.rs"


@dataclass
class AppState:
    client_id: str = ""
    base: str = ""  # where the app is served
    pending: dict = field(default_factory=dict)  # state -> (iss, token endpoint, verifier)
    token: dict = field(default_factory=dict)


def smart_app_handler(app: AppState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            params = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path == "/launch":
                self.launch(params["iss"], params["launch"])
            elif url.path == "/callback":
                self.callback(params["code"], params["state"])
            else:
                self.send_error(404)

        def launch(self, iss: str, launch: str) -> None:
            config = requests.get(f"{iss}/.well-known/smart-configuration", timeout=10).json()
            verifier = secrets.token_urlsafe(48)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            state = secrets.token_urlsafe(8)
            app.pending[state] = (iss, config["token_endpoint"], verifier)
            query = urlencode(
                {
                    "response_type": "code",
                    "client_id": app.client_id,
                    "redirect_uri": f"{app.base}/callback",
                    "scope": SCOPE,
                    "state": state,
                    "aud": iss,
                    "launch": launch,
                    "code_challenge": challenge.rstrip(b"=").decode(),
                    "code_challenge_method": "S256",
                }
            )
            self.reply(302, "", location=f"{config['authorization_endpoint']}?{query}")

        def callback(self, code: str, state: str) -> None:
            iss, token_endpoint, verifier = app.pending.pop(state)
            app.token = requests.post(
                token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": f"{app.base}/callback",
                    "client_id": app.client_id,
                    "code_verifier": verifier,
                },
                timeout=10,
            ).json()
            record = requests.get(
                f"{iss}/Patient/{app.token['patient']}",
                headers={"Authorization": f"Bearer {app.token['access_token']}"},
                timeout=10,
            ).json()
            self.reply(200, f"<h1>{escape(record['name'][0]['family'])}</h1>")

        def reply(self, status: int, html: str, location: str | None = None) -> None:
            body = html.encode()
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def smart_app_server():
    app = AppState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), smart_app_handler(app))
    app.base = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app
    server.shutdown()
    server.server_close()


def test_ehr_launch_round_trip_over_real_http(live_server, smart_app_server, django_user_model):
    fhir_base = live_server.url.replace("localhost", "127.0.0.1") + "/fhir"
    clinician = django_user_model.objects.create_user("dr-live", password="unused-in-tests")
    clinician.groups.add(Group.objects.get_or_create(name=PHYSICIAN.name)[0])
    repository = FhirRepository()
    chart = repository.create(patient("Roundtrip")).stored.resource_id
    repository.create(patient("Elsewhere"))
    application, _ = smart_app_register(
        name="Live test app",
        allowed_scopes=SCOPE,
        redirect_uris=f"{smart_app_server.base}/callback",
        launch_url=f"{smart_app_server.base}/launch",
    )
    smart_app_server.client_id = application.client_id

    signed_in = Client()
    signed_in.force_login(clinician)
    browser = requests.Session()
    browser.cookies.set("sessionid", signed_in.cookies["sessionid"].value)

    launch_id = launch_create(user=clinician, patient_id=chart)
    consent = browser.get(smart_launch_url(application.smart, launch_id, iss=fhir_base), timeout=10)
    assert consent.status_code == 200 and "Allow Live test app access?" in consent.text
    fields = {**page_fields(consent.text).fields, "allow": "Authorize"}
    app_page = browser.post(
        urlsplit(consent.url)._replace(query="").geturl(), data=fields, timeout=10
    )

    assert app_page.status_code == 200
    assert app_page.url.startswith(f"{smart_app_server.base}/callback")
    assert "<h1>Roundtrip</h1>" in app_page.text
    assert smart_app_server.token["patient"] == chart
    assert smart_app_server.token["id_token"]
