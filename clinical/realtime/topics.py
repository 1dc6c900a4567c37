"""Topics a screen can follow, who may follow them, and which topics a committed change concerns.

- `chart:<patient id>`: any resource in the Patient's compartment; who may open the chart
  (chart_access_check).
- `pharmacy-queue`: MedicationRequest, MedicationDispense, MedicationAdministration; users with
  `verify_orders` (pharmacists).
- `results-inbox:<username>`: Observation, DiagnosticReport, ServiceRequest of a patient of the
  user's inbox (orders they requested, encounters they attend); that user, with `view_chart`.
- `ward:<location id>`: Encounter at the location or at a bed/room `partOf` it; `view_chart`.
- `note-edit:<document id>`: the DocumentReference, and presence (who is editing it); whoever may
  open the note's chart.

On queue, inbox and ward topics a change about a patient whose chart the user may not open is
not delivered. Every check runs when subscribing and again for every message, once for all
the followers of a topic in a server process (clinical/realtime/hub.py).
"""

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from clinical.chart_access.selectors import chart_open_to
from clinical.fhir.practitioners import practitioner_id
from clinical.roles import VERIFY_ORDERS, VIEW_CHART
from fhirapi.errors import FhirError
from fhirapi.services import FhirRepository
from fhirapi.store.events import ResourceChanged

User = AbstractBaseUser | AnonymousUser

CHART = "chart"
PHARMACY_QUEUE = "pharmacy-queue"
RESULTS_INBOX = "results-inbox"
WARD = "ward"
NOTE_EDIT = "note-edit"
PRESENCE_KINDS = frozenset({CHART, NOTE_EDIT})  # topics whose followers are shown to each other

PHARMACY_TYPES = frozenset({"MedicationRequest", "MedicationDispense", "MedicationAdministration"})
RESULT_TYPES = frozenset({"Observation", "DiagnosticReport", "ServiceRequest"})
_FHIR_ID = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.")


@dataclass(frozen=True)
class Topic:
    kind: str
    key: str = ""

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.key}" if self.key else self.kind

    @property
    def group(self) -> str:
        """The channel layer group (names allow only ASCII letters, digits, `-_.`)."""
        if self.kind == RESULTS_INBOX:  # usernames may hold @ and +
            return f"live.{self.kind}.{hashlib.sha256(self.key.encode()).hexdigest()[:32]}"
        return f"live.{self.kind}.{self.key}" if self.key else f"live.{self.kind}"

    @property
    def has_presence(self) -> bool:
        return self.kind in PRESENCE_KINDS


def topic_parse(name: object) -> Topic | None:
    """The topic a client named, or None when it is not one."""
    if not isinstance(name, str) or len(name) > 200:
        return None
    kind, _, key = name.partition(":")
    if kind == PHARMACY_QUEUE:
        return Topic(kind) if not key else None
    if kind in (CHART, WARD, NOTE_EDIT):
        return Topic(kind, key) if _is_fhir_id(key) else None
    if kind == RESULTS_INBOX:
        return Topic(kind, key) if 0 < len(key) <= 150 else None
    return None


def _is_fhir_id(text: str) -> bool:
    return 0 < len(text) <= 64 and set(text) <= _FHIR_ID


# -- permission ----------------------------------------------------------------------------------


def topic_allowed(*, user: User, topic: Topic) -> bool:
    """May the user follow the topic (now)?"""
    return user.is_authenticated and user.pk in followers_allowed(users=[user], topic=topic)


def message_allowed(*, user: User, topic: Topic, patient_ids: Iterable[str]) -> bool:
    """May the user receive this message of the topic?"""
    _, allowed = message_recipients(users=[user], topic=topic, patient_ids=patient_ids)
    return user.is_authenticated and user.pk in allowed


def followers_allowed(*, users: Sequence[User], topic: Topic) -> set:
    """The primary keys of those of `users` who may follow the topic now (one decision for all
    the followers of a change: its queries do not grow with their number)."""
    active = [u for u in users if u.is_authenticated and u.is_active]
    if topic.kind == CHART:
        return chart_open_to(users=active, patient_id=topic.key)
    if topic.kind == NOTE_EDIT:
        patient_id = _note_patient(topic.key) if active else None
        return chart_open_to(users=active, patient_id=patient_id) if patient_id else set()
    if topic.kind == PHARMACY_QUEUE:
        return {u.pk for u in active if u.has_perm(VERIFY_ORDERS)}
    if topic.kind == RESULTS_INBOX:
        return {u.pk for u in active if u.get_username() == topic.key and u.has_perm(VIEW_CHART)}
    if topic.kind == WARD:
        return {u.pk for u in active if u.has_perm(VIEW_CHART)}
    return set()


def message_recipients(
    *, users: Sequence[User], topic: Topic, patient_ids: Iterable[str]
) -> tuple[set, set]:
    """(who of `users` may still follow the topic, who of those may receive this message): off
    the chart topics, which have checked their one patient, the chart of every patient the
    message is about must be open to them."""
    following = followers_allowed(users=users, topic=topic)
    allowed = set(following)
    if topic.kind in (CHART, NOTE_EDIT):
        return following, allowed
    for patient_id in set(patient_ids):
        if not allowed:
            break
        allowed &= chart_open_to(users=[u for u in users if u.pk in allowed], patient_id=patient_id)
    return following, allowed


def _note_patient(document_id: str) -> str | None:
    try:
        document = FhirRepository().read("DocumentReference", document_id).content
    except FhirError:
        return None
    return _reference_id((document or {}).get("subject"), "Patient")


def _reference_id(reference: dict | None, resource_type: str) -> str | None:
    parts = ((reference or {}).get("reference") or "").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2 and parts[-2] == resource_type and parts[-1]:
        return parts[-1]
    return None


# -- routing -------------------------------------------------------------------------------------


def topics_for(
    events: list[ResourceChanged], *, watched: "WatchedTopics"
) -> list[tuple[str, ResourceChanged]]:
    """(topic name, event) for every topic each event concerns, in the order of the events."""
    routed: list[tuple[str, ResourceChanged]] = []
    for event in events:
        names = [f"{CHART}:{p}" for p in event.patient_ids]
        if event.resource_type in PHARMACY_TYPES:
            names.append(PHARMACY_QUEUE)
        if event.resource_type == "DocumentReference":
            names.append(f"{NOTE_EDIT}:{event.resource_id}")
        if event.resource_type == "Encounter":
            names += watched.wards_of(event)
        if event.resource_type in RESULT_TYPES and event.patient_ids:
            names += watched.inboxes_of(event)
        routed += [(name, event) for name in names]
    return routed


class WatchedTopics:
    """The ward and inbox topics followed now, and what they need to route a change: read only
    when a change could concern them (an Encounter; a result), and only when someone follows one."""

    PANEL_SECONDS = 60  # how long a results inbox's patient list is reused
    _panels: dict[str, tuple[float, frozenset[str]]] = {}  # username -> (until, patient ids)

    def __init__(self, log) -> None:
        self.log = log
        self._wards: list[str] | None = None
        self._inboxes: list[str] | None = None

    def wards_of(self, event: ResourceChanged) -> list[str]:
        if self._wards is None:
            self._wards = self.log.watched(f"{WARD}:")
        if not self._wards:
            return []
        places = _encounter_places(event)
        return [t for t in self._wards if t.partition(":")[2] in places]

    def inboxes_of(self, event: ResourceChanged) -> list[str]:
        if self._inboxes is None:
            self._inboxes = self.log.watched(f"{RESULTS_INBOX}:")
        patients = set(event.patient_ids)
        return [t for t in self._inboxes if patients & self._panel(t.partition(":")[2])]

    @classmethod
    def _panel(cls, username: str) -> frozenset[str]:
        now = time.monotonic()
        cached = cls._panels.get(username)
        if cached is not None and cached[0] > now:
            return cached[1]
        panel = frozenset(inbox_patient_ids(username))
        cls._panels[username] = (now + cls.PANEL_SECONDS, panel)
        return panel


def _encounter_places(event: ResourceChanged) -> set[str]:
    """The Locations of the Encounter (as of this version, or the last one before a deletion)
    and the Locations those are part of (bed → room → ward)."""
    repository = FhirRepository()
    version = event.version_id - 1 if event.action == "delete" else event.version_id
    try:
        encounter = repository.vread("Encounter", event.resource_id, version).content or {}
    except FhirError:
        return set()
    places: set[str] = set()
    todo = [
        i
        for item in encounter.get("location") or []
        if (i := _reference_id(item.get("location"), "Location"))
    ]
    while todo and len(places) < 20:
        place = todo.pop()
        if place in places:
            continue
        places.add(place)
        try:
            location = repository.read("Location", place).content or {}
        except FhirError:
            continue
        parent = _reference_id(location.get("partOf"), "Location")
        if parent:
            todo.append(parent)
    return places


def inbox_patient_ids(username: str) -> set[str]:
    """The patients of a user's results inbox: those of the orders they requested and of the
    encounters they attend (as clinical/results/inbox.py chooses them)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return set()
    me = f"Practitioner/{practitioner_id(user)}"
    repository = FhirRepository()
    patients: set[str] = set()
    for resource_type, param in (("ServiceRequest", "requester"), ("Encounter", "participant")):
        bundle = repository.search_bundle(
            resource_type,
            [(param, me), ("_count", "500"), ("_total", "none"), ("_elements", "subject")],
            base_url=settings.FHIR_BASE_URL,
        )
        for entry in bundle.get("entry") or []:
            found = _reference_id((entry.get("resource") or {}).get("subject"), "Patient")
            if found:
                patients.add(found)
    return patients
