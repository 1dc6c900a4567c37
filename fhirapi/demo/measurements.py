"""The measurements of a visit: vital signs (every visit; twice a day in hospital) and the
laboratory panels a check-up, a follow-up or an admission calls for, with results around the
patient's own means (abnormal where their conditions make them so)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from fhirapi.demo import builders as b
from fhirapi.demo.catalogue import (
    BLOOD_PRESSURE,
    BMI,
    DIASTOLIC,
    HEIGHT,
    LABS,
    PANELS,
    SYSTOLIC,
    VITALS,
    WEIGHT,
)
from fhirapi.demo.facility import ref
from fhirapi.demo.visits import Visit

if TYPE_CHECKING:
    from fhirapi.demo.population import PatientStory

INFECTIONS = ("233604007", "128045006")  # admissions with a raised white cell count and fever


def vital_times(story: PatientStory, visit: Visit) -> list[datetime]:
    if visit.kind != "inpatient":
        return [visit.start + timedelta(minutes=5)]
    end = visit.end or story.now
    times, moment = [], visit.start + timedelta(hours=1)
    while moment < end:
        times.append(moment)
        moment += timedelta(hours=12)
    return times


def vitals(story: PatientStory, moment: datetime, visit: Visit) -> None:
    febrile = bool(visit.acute and visit.kind == "symptom") or bool(
        visit.admission and visit.admission[0].code in INFECTIONS
    )
    systolic = round(story.rng.gauss(story.systolic, 7))
    diastolic = round(systolic * 0.62 + story.rng.gauss(4, 4))
    common = {"patient": story.patient, "encounter_ref": story.encounter, "when": moment}
    story.add(
        b.blood_pressure(
            story.new_id("observation"),
            codes=(BLOOD_PRESSURE, SYSTOLIC, DIASTOLIC),
            systolic=systolic,
            diastolic=diastolic,
            **common,
        )
    )
    for key, code, unit, mean, spread, decimals in VITALS:
        if febrile and key == "temperature":
            mean, spread = 38.3, 0.4
        value = round(story.rng.gauss(mean, spread), decimals)
        value = min(value, 100) if key == "oxygen_saturation" else value
        story.add(
            b.vital_sign(story.new_id("observation"), code=code, value=value, unit=unit, **common)
        )
    if visit.kind in ("checkup", "inpatient"):
        weight = round(story.weight + story.rng.gauss(0, 1.2), 1)
        bmi = round(weight / (story.height / 100) ** 2, 1)
        for code, value, unit in (
            (WEIGHT, weight, "kg"),
            (HEIGHT, story.height, "cm"),
            (BMI, bmi, "kg/m2"),
        ):
            story.add(
                b.vital_sign(
                    story.new_id("observation"), code=code, value=value, unit=unit, **common
                )
            )


def panels(story: PatientStory, visit: Visit) -> list[str]:
    if visit.kind == "checkup":
        watched = {p for chronic, _, _ in story.problems.values() for p in chronic.panels}
        return sorted({"bmp", "cbc", "lipids"} | watched)
    if visit.kind == "followup" and visit.chronic is not None:
        return list(visit.chronic.panels)
    if visit.kind == "inpatient":
        return ["bmp", "cbc"]
    return []


def lab_panel(story: PatientStory, panel_key: str, when: datetime, visit: Visit) -> None:
    panel = PANELS[panel_key]
    issued = when + timedelta(hours=2)
    infection = bool(visit.admission and visit.admission[0].code in INFECTIONS)
    results = []
    for key in panel.labs:
        lab = LABS[key]
        mean = 14.8 if infection and key == "wbc" else story.lab_means.get(key, lab.mean)
        value = round(max(story.rng.gauss(mean, lab.spread), 0.1), lab.decimals)
        results.append(
            story.add(
                b.lab_result(
                    story.new_id("observation"),
                    lab=lab,
                    patient=story.patient,
                    encounter_ref=story.encounter,
                    when=when,
                    issued=issued,
                    value=int(value) if lab.decimals == 0 else value,
                    performer=ref(story.facility.laboratory),
                )
            )
        )
    story.add(
        b.lab_report(
            story.new_id("report"),
            code=panel.code,
            patient=story.patient,
            encounter_ref=story.encounter,
            when=when,
            issued=issued,
            performer=ref(story.facility.laboratory),
            results=results,
        )
    )
