"""The vital signs the workspace records: LOINC code, UCUM unit, the range a measurement can
plausibly have (outside it is a typing error) and the usual adult reference band."""

from dataclasses import dataclass

from clinical.fhir.codes import LOINC


@dataclass(frozen=True)
class VitalKind:
    key: str
    label: str
    code: str
    display: str
    unit: str  # UCUM code
    unit_label: str
    plausible: tuple[float, float]
    band: tuple[float, float] | None  # usual adult reference range, drawn on the trend chart
    decimals: int = 0
    also_codes: tuple[str, ...] = ()  # other LOINC codes read as this vital sign


SYSTOLIC = VitalKind(
    "systolic", "Systolic", "8480-6", "Systolic blood pressure", "mm[Hg]", "mmHg",
    (40, 300), (90, 140),
)  # fmt: skip
DIASTOLIC = VitalKind(
    "diastolic", "Diastolic", "8462-4", "Diastolic blood pressure", "mm[Hg]", "mmHg",
    (20, 200), (60, 90),
)  # fmt: skip
HEART_RATE = VitalKind(
    "heart_rate", "Heart rate", "8867-4", "Heart rate", "/min", "/min", (20, 300), (60, 100)
)
RESPIRATORY_RATE = VitalKind(
    "respiratory_rate", "Respiratory rate", "9279-1", "Respiratory rate", "/min", "/min",
    (4, 80), (12, 20),
)  # fmt: skip
TEMPERATURE = VitalKind(
    "temperature", "Temperature", "8310-5", "Body temperature", "Cel", "°C",
    (30, 45), (36.1, 37.8), decimals=1,
)  # fmt: skip
SPO2 = VitalKind(
    "spo2", "SpO₂", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%",
    "%", (50, 100), (95, 100), also_codes=("2708-6",),
)  # fmt: skip
WEIGHT = VitalKind(
    "weight", "Weight", "29463-7", "Body weight", "kg", "kg", (0.3, 500), None, decimals=1
)
HEIGHT = VitalKind(
    "height", "Height", "8302-2", "Body height", "cm", "cm", (20, 272), None, decimals=1
)
BMI = VitalKind(
    "bmi", "BMI", "39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", "kg/m²",
    (5, 150), (18.5, 25), decimals=1,
)  # fmt: skip

BLOOD_PRESSURE_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SIMPLE_KINDS = (HEART_RATE, RESPIRATORY_RATE, TEMPERATURE, SPO2, WEIGHT, HEIGHT, BMI)
ALL_KINDS = (SYSTOLIC, DIASTOLIC, *SIMPLE_KINDS)
BY_CODE = {code: kind for kind in ALL_KINDS for code in (kind.code, *kind.also_codes)}
# The trend charts, in order: (title, kinds drawn together).
CHARTS = (
    ("Blood pressure", (SYSTOLIC, DIASTOLIC)),
    ("Heart rate", (HEART_RATE,)),
    ("Temperature", (TEMPERATURE,)),
    ("SpO₂", (SPO2,)),
    ("Weight", (WEIGHT,)),
    ("BMI", (BMI,)),
)


def loinc_coding(code: str, display: str) -> dict[str, str]:
    return {"system": LOINC, "code": code, "display": display}
