"""The demo population: a hospital with its staff and wards, and patients with years of history,
told visit by visit: check-ups with vital signs, laboratory panels, prescriptions, vaccines and
screening; follow-ups of chronic conditions; acute illnesses; emergency visits; hospital stays.
About one patient in five is in hospital now, on a ward, with active medication orders that the
pharmacy has not dispensed yet.

Deterministic: the same seed and `as_of` date give the same resources (ids and content), so a
re-load updates nothing. Times lie before `as_of` (midnight UTC)."""

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fhirapi.demo import builders as b
from fhirapi.demo import measurements
from fhirapi.demo.catalogue import (
    ACUTE,
    ADMISSIONS,
    ALLERGIES,
    CHRONIC,
    ENCOUNTER_CLASSES,
    ENCOUNTER_TYPES,
    IMAGING,
    IMMUNIZATIONS,
    INSULIN,
    NOTE_TYPES,
    PROCEDURES,
    Chronic,
    Code,
)
from fhirapi.demo.facility import IDENTIFIERS, Facility, Ids, build_facility, ref
from fhirapi.demo.notes import PatientFacts, note_text
from fhirapi.demo.people import address, person, phone
from fhirapi.demo.visits import Visit

MR_TYPE = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}],
    "text": "Medical record number",
}
DIABETES = "44054006"


def demo_population(*, patients: int, seed: int = 1, as_of: date) -> Iterator[dict[str, Any]]:
    """Every resource of the population, each written before the resources that refer to it."""
    ids = Ids(seed)
    facility = build_facility(ids, random.Random(f"{seed}:facility"))
    yield from facility.resources
    beds = _bed_assignments(facility, patients, random.Random(f"{seed}:admissions"))
    for number in range(patients):
        imaging = IMAGING[number] if number < len(IMAGING) else None
        story = PatientStory(ids, facility, seed, number, as_of, bed=beds.get(number))
        yield from story.resources(imaging)


def _bed_assignments(
    facility: Facility, patients: int, rng: random.Random
) -> dict[int, tuple[dict, dict]]:
    """About one patient in five is in hospital now: patient number -> (ward, bed)."""
    admitted = sorted(rng.sample(range(patients), k=(patients + 4) // 5)) if patients else []
    assignments = {}
    for slot, number in enumerate(admitted):
        ward = facility.wards[slot % len(facility.wards)]
        ward_beds = facility.beds[ward["id"]]
        assignments[number] = (ward, ward_beds[(slot // len(facility.wards)) % len(ward_beds)])
    return assignments


class PatientStory:
    def __init__(
        self,
        ids: Ids,
        facility: Facility,
        seed: int,
        number: int,
        as_of: date,
        *,
        bed: tuple[dict, dict] | None,
    ) -> None:
        self.ids = ids
        self.facility = facility
        self.number = number
        self.bed = bed
        self.rng = random.Random(f"{seed}:patient:{number}")
        self.now = datetime.combine(as_of, time(0), tzinfo=UTC)
        self.serial = itertools.count()
        self.out: list[dict[str, Any]] = []
        self.gp = ref(facility.doctors("General Practice")[number % 3])

    def new_id(self, kind: str) -> str:
        return self.ids("patient", self.number, kind, next(self.serial))

    def add(self, resource: dict[str, Any]) -> dict[str, str]:
        self.out.append(resource)
        return ref(resource)

    # -- the story ------------------------------------------------------------------------------

    def resources(self, imaging: tuple | None) -> list[dict[str, Any]]:
        self.patient = self.add(self._patient())
        self.years = min(self.rng.randint(3, 8), self.age - 17)
        self.history_start = self.now - timedelta(days=365 * self.years)
        self.problems = self._problems()
        self._body()
        visits = self._visits()
        self.last_checkup = max((v.start for v in visits if v.kind == "checkup"), default=None)
        self.checkup: dict[str, Any] | None = None  # the latest check-up's Encounter
        for visit in visits:
            self._visit(visit)
        self._allergies()
        self._care_plans()
        if imaging is not None and self.checkup is not None:
            self._imaging(imaging)
        return self.out

    def _patient(self) -> dict[str, Any]:
        who = person(self.rng)
        self.age = self.rng.randint(24, 88)
        birth = self.now.date() - timedelta(days=365 * self.age + self.rng.randint(0, 364))
        self.birth_date = birth.isoformat()
        self.gender = who.gender
        self.name = f"{who.given} {who.family}"
        return {
            "resourceType": "Patient",
            "id": self.ids("patient", self.number),
            "identifier": [
                {
                    "type": MR_TYPE,
                    "system": f"{IDENTIFIERS}/mrn",
                    "value": f"W{self.number + 1:06d}",
                }
            ],
            "active": True,
            "name": [{"use": "official", "family": who.family, "given": [who.given]}],
            "telecom": [{**phone(self.rng), "use": "home"}],
            "gender": who.gender,
            "birthDate": self.birth_date,
            "address": [address(self.rng)],
            "communication": [
                {
                    "language": b.coding("urn:ietf:bcp:47", "en-US", "English (United States)"),
                    "preferred": True,
                }
            ],
            "generalPractitioner": [self.gp],
            "managingOrganization": ref(self.facility.clinic),
        }

    def _problems(self) -> dict[str, tuple[Chronic, dict[str, str], datetime]]:
        """The patient's chronic conditions: code -> (definition, Condition reference, onset)."""
        eligible = [c for c in CHRONIC if c.min_age <= self.age]
        chosen = self.rng.sample(
            eligible, k=min(len(eligible), self.rng.randint(0, 1 + self.age // 25))
        )
        codes = {c.condition.code for c in chosen}
        if DIABETES in codes:
            chosen = [c for c in chosen if c.condition.code != "15777000"]
        problems = {}
        for chronic in chosen:
            onset = self.history_start + timedelta(
                days=self.rng.randint(-5 * 365, self.years * 180)
            )
            reference = self.add(
                b.condition(
                    self.new_id("condition"),
                    code=chronic.condition,
                    patient=self.patient,
                    onset=onset,
                    encounter_ref=None,
                    abated=None,
                    problem_list=True,
                )
            )
            problems[chronic.condition.code] = (chronic, reference, onset)
        return problems

    def _body(self) -> None:
        self.height = round(self.rng.gauss(163 if self.gender == "female" else 177, 6), 1)
        self.weight = round(self.rng.gauss(26.5, 4) * (self.height / 100) ** 2, 1)
        pressure = sum(chronic.pressure for chronic, _, _ in self.problems.values())
        self.systolic = self.rng.gauss(116, 6) + pressure
        self.lab_means = {}
        for chronic, _, _ in self.problems.values():
            for key, mean in chronic.lab_means.items():
                self.lab_means.setdefault(key, mean)

    def _visits(self) -> list[Visit]:
        visits = [self._visit_in_year("checkup", year) for year in range(self.years)]
        for chronic, _, onset in self.problems.values():
            for year in range(self.years):
                for _ in range(self.rng.randint(0, 2)):
                    visit = self._visit_in_year("followup", year, chronic=chronic)
                    if visit.start > onset:
                        visits.append(visit)
        symptomatic = [a for a in ACUTE if a.visit == "symptom"]
        for _ in range(self.rng.randint(0, self.years // 2 + 1)):
            year = self.rng.randrange(self.years)
            visits.append(self._visit_in_year("symptom", year, acute=self.rng.choice(symptomatic)))
        if self.rng.random() < 0.35:
            injury = self.rng.choice([a for a in ACUTE if a.visit == "emergency"])
            visits.append(
                self._visit_in_year("emergency", self.rng.randrange(self.years), acute=injury)
            )
        if self.rng.random() < 0.15:
            visits.append(self._past_stay())
        if self.bed is not None:
            visits.append(self._current_stay())
        return sorted(visits, key=lambda visit: visit.start)

    def _visit_in_year(self, kind: str, year: int, **extra: Any) -> Visit:
        day = self.history_start + timedelta(days=365 * year + self.rng.randint(0, 330))
        start = day.replace(hour=self.rng.randint(8, 16), minute=self.rng.choice((0, 15, 30, 45)))
        length = (
            timedelta(hours=self.rng.randint(2, 5))
            if kind == "emergency"
            else timedelta(minutes=self.rng.choice((20, 30, 40)))
        )
        return Visit(kind, start, start + length, **extra)

    def _past_stay(self) -> Visit:
        start = self.history_start + timedelta(days=self.rng.randint(30, 365 * self.years - 30))
        start = start.replace(hour=self.rng.randint(0, 23))
        end = start + timedelta(days=self.rng.randint(3, 6), hours=self.rng.randint(1, 8))
        return Visit("inpatient", start, end, admission=self.rng.choice(ADMISSIONS))

    def _current_stay(self) -> Visit:
        start = self.now - timedelta(days=self.rng.randint(1, 5), hours=self.rng.randint(2, 20))
        return Visit("inpatient", start, None, admission=self.rng.choice(ADMISSIONS))

    # -- one visit ------------------------------------------------------------------------------

    def _visit(self, visit: Visit) -> None:
        doctor = self._doctor(visit)
        encounter = self._encounter(visit, doctor)
        self.encounter = self.add(encounter)
        if visit.kind == "checkup":
            self.checkup = encounter
        reason = self._reason(visit)
        for moment in measurements.vital_times(self, visit):
            measurements.vitals(self, moment, visit)
        for panel in measurements.panels(self, visit):
            measurements.lab_panel(self, panel, visit.start + timedelta(minutes=15), visit)
        prescribed = self._prescriptions(visit, doctor, reason)
        self._procedures(visit, doctor)
        if visit.kind == "checkup":
            self._immunizations(visit.start + timedelta(minutes=25))
        self._note(visit, doctor, prescribed)

    def _doctor(self, visit: Visit) -> dict[str, str]:
        staff = self.facility
        if visit.kind == "emergency":
            return ref(staff.doctors("Emergency Medicine")[0])
        if visit.kind == "inpatient":
            return ref(staff.doctors("Internal Medicine")[self.number % 2])
        if visit.chronic is not None and visit.chronic.condition.code in ("49436004", "88805009"):
            return ref(staff.doctors("Cardiovascular Disease")[0])
        return self.gp

    def _encounter(self, visit: Visit, doctor: dict[str, str]) -> dict[str, Any]:
        kind, class_code = ENCOUNTER_TYPES[visit.kind]
        facility = self.facility
        if visit.kind == "inpatient":
            ward, bed = self.bed if visit.end is None else (facility.wards[self.number % 2], None)
            locations = [ref(ward)] + ([ref(bed)] if bed else [])
            provider = ref(facility.hospital)
        elif visit.kind == "emergency":
            locations, provider = [ref(facility.emergency)], ref(facility.hospital)
        else:
            locations, provider = [ref(facility.clinic_location)], ref(facility.clinic)
        reason = visit.acute.condition if visit.acute else None
        reason = visit.admission[0] if visit.admission else reason
        reason = visit.chronic.condition if visit.chronic else reason
        return b.encounter(
            self.new_id("encounter"),
            patient=self.patient,
            kind=kind,
            class_code=class_code,
            class_display=ENCOUNTER_CLASSES[class_code],
            start=visit.start,
            end=visit.end,
            practitioner=doctor,
            provider=provider,
            locations=locations,
            reason=reason,
        )

    def _reason(self, visit: Visit) -> dict[str, str] | None:
        """The Condition the visit is for: a new one for an acute illness or an admission."""
        if visit.chronic is not None:
            return self.problems[visit.chronic.condition.code][1]
        code = (
            visit.acute.condition
            if visit.acute
            else visit.admission[0]
            if visit.admission
            else None
        )
        if code is None:
            return None
        if code.code in self.problems:
            return self.problems[code.code][1]
        abated = visit.start + timedelta(days=self.rng.randint(7, 14)) if visit.end else None
        return self.add(
            b.condition(
                self.new_id("condition"),
                code=code,
                patient=self.patient,
                onset=visit.start,
                encounter_ref=self.encounter,
                abated=abated,
                problem_list=False,
            )
        )

    def _prescriptions(
        self, visit: Visit, doctor: dict[str, str], reason: dict[str, str] | None
    ) -> list[Code]:
        """Orders written at the visit: renewals at check-ups (the latest ones still active),
        a course for an acute illness, the orders of a hospital stay (active while it lasts)."""
        orders: list[tuple[Code, dict[str, str] | None]] = []
        if visit.kind == "checkup":
            orders = [
                (medication, reference)
                for chronic, reference, onset in self.problems.values()
                if onset < visit.start
                for medication in chronic.medications
            ]
        elif visit.acute and visit.acute.medication:
            orders = [(visit.acute.medication, reason)]
        elif visit.admission:
            orders = [(medication, reason) for medication in visit.admission[1]]
            if DIABETES in self.problems:
                orders.append((INSULIN, self.problems[DIABETES][1]))
        active = visit.end is None or (visit.kind == "checkup" and visit.start == self.last_checkup)
        for medication, why in dict(orders).items():
            self.add(
                b.medication_request(
                    self.new_id("medication-request"),
                    medication=medication,
                    patient=self.patient,
                    encounter_ref=self.encounter,
                    authored=visit.start + timedelta(minutes=20),
                    requester=doctor,
                    reason=why,
                    status="active" if active else "completed",
                    inpatient=visit.kind == "inpatient",
                )
            )
        return [medication for medication, _ in orders]

    def _procedures(self, visit: Visit, doctor: dict[str, str]) -> None:
        codes = []
        if visit.kind == "checkup":
            codes.append(PROCEDURES["checkup"])
            if self.age >= 50 and visit.start == self.last_checkup and self.number % 3 == 0:
                codes.append(PROCEDURES["colonoscopy"])
        elif visit.kind == "followup":
            codes.append(PROCEDURES["followup"])
        elif visit.acute and visit.acute.condition.code == "284549007":
            codes.append(PROCEDURES["suture"])
        elif visit.admission and visit.admission[0].code in ("233604007", "195951007"):
            codes.append(PROCEDURES["chest_xray"])
        for code in codes:
            start = visit.start + timedelta(minutes=10)
            self.add(
                b.procedure(
                    self.new_id("procedure"),
                    code=code,
                    patient=self.patient,
                    encounter_ref=self.encounter,
                    start=start,
                    end=start + timedelta(minutes=15),
                    performer=doctor,
                )
            )

    def _immunizations(self, when: datetime) -> None:
        age_then = self.age - (self.now - when).days // 365
        for vaccine, every, min_age in IMMUNIZATIONS:
            due = age_then >= min_age and (every == 1 or self.rng.random() < 1 / every)
            if due and not (every == 100 and self._had(vaccine)):
                self.add(
                    b.immunization(
                        self.new_id("immunization"),
                        vaccine=vaccine,
                        patient=self.patient,
                        encounter_ref=self.encounter,
                        when=when,
                    )
                )

    def _had(self, vaccine: Code) -> bool:
        return any(
            r["resourceType"] == "Immunization"
            and r["vaccineCode"]["coding"][0]["code"] == vaccine.code
            for r in self.out
        )

    def _note(self, visit: Visit, doctor: dict[str, str], prescribed: list[Code]) -> None:
        kind = NOTE_TYPES["discharge" if visit.kind == "inpatient" and visit.end else visit.kind]
        when = (
            (visit.end or visit.start + timedelta(hours=1))
            if visit.kind == "inpatient"
            else visit.start + timedelta(minutes=30)
        )
        self.add(
            b.clinical_note(
                self.new_id("note"),
                kind=kind,
                patient=self.patient,
                encounter_ref=self.encounter,
                when=when,
                author=doctor,
                custodian=ref(self.facility.hospital),
                text=note_text(kind, visit, self._about(), doctor, prescribed),
            )
        )

    def _about(self) -> PatientFacts:
        problems = [chronic.condition for chronic, _, _ in self.problems.values()]
        return PatientFacts(self.name, self.gender, self.birth_date, problems)

    # -- not tied to one visit ------------------------------------------------------------------

    def _allergies(self) -> None:
        if self.rng.random() > 0.4:
            return
        for code, category, criticality, manifestation in self.rng.sample(
            ALLERGIES, k=self.rng.randint(1, 2)
        ):
            self.add(
                b.allergy(
                    self.new_id("allergy"),
                    code=code,
                    category=category,
                    criticality=criticality,
                    manifestation=manifestation,
                    patient=self.patient,
                    recorded=self.history_start + timedelta(days=self.rng.randint(1, 60)),
                )
            )

    def _care_plans(self) -> None:
        for chronic, reference, onset in self.problems.values():
            if chronic.care_plan is None:
                continue
            self.add(
                b.care_plan(
                    self.new_id("care-plan"),
                    code=chronic.care_plan,
                    activities=chronic.activities,
                    patient=self.patient,
                    start=max(onset, self.history_start),
                    addresses=reference,
                    author=self.gp,
                )
            )

    def _imaging(self, study: tuple) -> None:
        """An imaging study (the demo DICOM files) ordered at the latest check-up."""
        checkup = self.checkup
        when = datetime.fromisoformat(checkup["period"]["start"]) + timedelta(days=3)
        self.add(
            b.imaging_study(
                self.new_id("imaging-study"),
                study=study,
                patient=self.patient,
                encounter_ref=ref(checkup),
                when=when,
                referrer=self.gp,
                interpreter=ref(self.facility.doctors("Diagnostic Radiology")[0]),
            )
        )
