"""The clinical content the demo population is made of: real SNOMED CT, LOINC, RxNorm and CVX
codes with their displays (most as Synthea writes them), UCUM units and adult reference ranges."""

from dataclasses import dataclass, field
from pathlib import Path

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"
NUCC = "http://nucc.org/provider-taxonomy"


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str

    def concept(self) -> dict:
        return {
            "coding": [{"system": self.system, "code": self.code, "display": self.display}],
            "text": self.display,
        }


def sct(code: str, display: str) -> Code:
    return Code(SNOMED, code, display)


def loinc(code: str, display: str) -> Code:
    return Code(LOINC, code, display)


def rx(code: str, display: str) -> Code:
    return Code(RXNORM, code, display)


@dataclass(frozen=True)
class Lab:
    """A laboratory test: its reference range, and the mean and spread of a healthy result."""

    code: Code
    unit: str  # UCUM
    low: float | None
    high: float | None
    mean: float
    spread: float
    decimals: int = 0


@dataclass(frozen=True)
class Panel:
    code: Code
    labs: tuple[str, ...]


@dataclass(frozen=True)
class Chronic:
    """A long-term condition, what treats it and what is watched."""

    condition: Code
    medications: tuple[Code, ...]
    panels: tuple[str, ...]
    lab_means: dict[str, float] = field(default_factory=dict)  # results typical of the disease
    care_plan: Code | None = None
    activities: tuple[Code, ...] = ()
    min_age: int = 18
    pressure: int = 0  # added to systolic blood pressure


@dataclass(frozen=True)
class Acute:
    condition: Code
    medication: Code | None
    visit: str  # "symptom", "emergency" or "inpatient"


LABS = {
    "glucose": Lab(
        loinc("2345-7", "Glucose [Mass/volume] in Serum or Plasma"), "mg/dL", 70, 99, 88, 8
    ),
    "bun": Lab(
        loinc("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma"), "mg/dL", 7, 20, 14, 3
    ),
    "creatinine": Lab(
        loinc("2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
        "mg/dL",
        0.6,
        1.3,
        0.9,
        0.15,
        2,
    ),
    "sodium": Lab(
        loinc("2951-2", "Sodium [Moles/volume] in Serum or Plasma"), "mmol/L", 136, 145, 140, 2
    ),
    "potassium": Lab(
        loinc("2823-3", "Potassium [Moles/volume] in Serum or Plasma"),
        "mmol/L",
        3.5,
        5.1,
        4.2,
        0.3,
        1,
    ),
    "chloride": Lab(
        loinc("2075-0", "Chloride [Moles/volume] in Serum or Plasma"), "mmol/L", 98, 107, 102, 2
    ),
    "co2": Lab(
        loinc("2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma"),
        "mmol/L",
        22,
        29,
        25,
        2,
    ),
    "calcium": Lab(
        loinc("17861-6", "Calcium [Mass/volume] in Serum or Plasma"),
        "mg/dL",
        8.6,
        10.3,
        9.4,
        0.3,
        1,
    ),
    "egfr": Lab(
        loinc(
            "33914-3",
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma "
            "by Creatinine-based formula (MDRD)",
        ),
        "mL/min/{1.73_m2}",
        60,
        None,
        92,
        12,
    ),
    "wbc": Lab(
        loinc("6690-2", "Leukocytes [#/volume] in Blood by Automated count"),
        "10*3/uL",
        4.5,
        11.0,
        7.0,
        1.4,
        1,
    ),
    "rbc": Lab(
        loinc("789-8", "Erythrocytes [#/volume] in Blood by Automated count"),
        "10*6/uL",
        4.2,
        5.9,
        4.8,
        0.3,
        2,
    ),
    "hemoglobin": Lab(
        loinc("718-7", "Hemoglobin [Mass/volume] in Blood"), "g/dL", 12.0, 17.5, 14.2, 0.9, 1
    ),
    "hematocrit": Lab(
        loinc("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count"),
        "%",
        36,
        52,
        42,
        2.5,
        1,
    ),
    "mcv": Lab(loinc("787-2", "MCV [Entitic volume] by Automated count"), "fL", 80, 100, 90, 4, 1),
    "platelets": Lab(
        loinc("777-3", "Platelets [#/volume] in Blood by Automated count"),
        "10*3/uL",
        150,
        400,
        250,
        45,
    ),
    "cholesterol": Lab(
        loinc("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma"), "mg/dL", None, 200, 182, 18
    ),
    "triglycerides": Lab(
        loinc("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma"),
        "mg/dL",
        None,
        150,
        118,
        25,
    ),
    "hdl": Lab(
        loinc("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma"),
        "mg/dL",
        40,
        None,
        55,
        9,
    ),
    "ldl": Lab(
        loinc("18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay"),
        "mg/dL",
        None,
        130,
        104,
        16,
    ),
    "a1c": Lab(
        loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"), "%", 4.0, 5.6, 5.2, 0.25, 1
    ),
    "ntprobnp": Lab(
        loinc(
            "33762-6",
            "Natriuretic peptide.B prohormone N-Terminal [Mass/volume] in Serum or Plasma",
        ),
        "pg/mL",
        None,
        125,
        60,
        20,
    ),
    "inr": Lab(
        loinc("6301-6", "INR in Platelet poor plasma by Coagulation assay"),
        "{INR}",
        0.8,
        1.2,
        1.0,
        0.07,
        1,
    ),
}

PANELS = {
    "bmp": Panel(
        loinc("51990-0", "Basic metabolic panel - Blood"),
        (
            "glucose",
            "bun",
            "creatinine",
            "sodium",
            "potassium",
            "chloride",
            "co2",
            "calcium",
            "egfr",
        ),
    ),
    "cbc": Panel(
        loinc("58410-2", "CBC panel - Blood by Automated count"),
        ("wbc", "rbc", "hemoglobin", "hematocrit", "mcv", "platelets"),
    ),
    "lipids": Panel(
        loinc("57698-3", "Lipid panel with direct LDL - Serum or Plasma"),
        ("cholesterol", "triglycerides", "hdl", "ldl"),
    ),
    "a1c": Panel(LABS["a1c"].code, ("a1c",)),
    "ntprobnp": Panel(LABS["ntprobnp"].code, ("ntprobnp",)),
    "inr": Panel(LABS["inr"].code, ("inr",)),
}

# Vital signs: (key, code, UCUM unit, mean, spread, decimals).
VITALS = (
    ("heart_rate", loinc("8867-4", "Heart rate"), "/min", 74, 8, 0),
    ("respiratory_rate", loinc("9279-1", "Respiratory rate"), "/min", 15, 2, 0),
    ("temperature", loinc("8310-5", "Body temperature"), "Cel", 36.8, 0.25, 1),
    (
        "oxygen_saturation",
        loinc("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
        "%",
        97.5,
        1.0,
        0,
    ),
)
BLOOD_PRESSURE = loinc("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = loinc("8480-6", "Systolic blood pressure")
DIASTOLIC = loinc("8462-4", "Diastolic blood pressure")
WEIGHT = loinc("29463-7", "Body weight")
HEIGHT = loinc("8302-2", "Body height")
BMI = loinc("39156-5", "Body mass index (BMI) [Ratio]")

METFORMIN = rx("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet")
ACETAMINOPHEN = rx("313782", "Acetaminophen 325 MG Oral Tablet")
METOPROLOL = rx("866412", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet")
EXERCISE = sct("229065009", "Exercise therapy")
HEALTHY_DIET = sct("226234005", "Healthy diet")

CHRONIC = (
    Chronic(
        sct("59621000", "Essential hypertension (disorder)"),
        (rx("314076", "lisinopril 10 MG Oral Tablet"), rx("197361", "Amlodipine 5 MG Oral Tablet")),
        ("bmp",),
        care_plan=sct("443402002", "Lifestyle education regarding hypertension (procedure)"),
        activities=(HEALTHY_DIET, EXERCISE),
        min_age=30,
        pressure=28,
    ),
    Chronic(
        sct("44054006", "Diabetes mellitus type 2 (disorder)"),
        (METFORMIN,),
        ("a1c", "bmp"),
        {"a1c": 7.6, "glucose": 155},
        sct("698360004", "Diabetes self management plan"),
        (sct("160670007", "Diabetic diet"), EXERCISE),
        min_age=30,
    ),
    Chronic(
        sct("55822004", "Hyperlipidemia (disorder)"),
        (rx("259255", "Atorvastatin 80 MG Oral Tablet"),),
        ("lipids",),
        {"ldl": 168, "cholesterol": 248, "triglycerides": 190},
        sct("736285004", "Hyperlipidemia clinical management plan"),
        (HEALTHY_DIET, EXERCISE),
        min_age=30,
    ),
    Chronic(
        sct("195967001", "Asthma (disorder)"),
        (
            rx("745679", "200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler"),
            rx("895994", "120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler"),
        ),
        (),
        care_plan=sct("699728000", "Asthma self management"),
        activities=(sct("371605008", "Deep breathing and coughing exercises"),),
    ),
    Chronic(
        sct("49436004", "Atrial fibrillation (disorder)"),
        (rx("855332", "Warfarin Sodium 5 MG Oral Tablet"), METOPROLOL),
        ("inr",),
        {"inr": 2.5},
        min_age=55,
    ),
    Chronic(
        sct("88805009", "Chronic congestive heart failure (disorder)"),
        (rx("313988", "Furosemide 40 MG Oral Tablet"), METOPROLOL),
        ("ntprobnp", "bmp"),
        {"ntprobnp": 1450},
        sct("735984001", "Heart failure self management plan"),
        (HEALTHY_DIET,),
        min_age=55,
    ),
    Chronic(
        sct("433144002", "Chronic kidney disease stage 3 (disorder)"),
        (),
        ("bmp", "cbc"),
        {"creatinine": 1.9, "egfr": 42, "bun": 31, "potassium": 5.0, "hemoglobin": 11.4},
        min_age=45,
    ),
    Chronic(
        sct("271737000", "Anemia (disorder)"),
        (rx("310325", "ferrous sulfate 325 MG Oral Tablet"),),
        ("cbc",),
        {"hemoglobin": 10.4, "hematocrit": 32.5, "mcv": 76},
    ),
    Chronic(
        sct("239873007", "Osteoarthritis of knee (disorder)"),
        (ACETAMINOPHEN, rx("849574", "Naproxen sodium 220 MG Oral Tablet")),
        (),
        min_age=50,
    ),
    Chronic(
        sct("64859006", "Osteoporosis (disorder)"),
        (rx("904419", "Alendronic acid 10 MG Oral Tablet"),),
        (),
        min_age=60,
    ),
    Chronic(sct("15777000", "Prediabetes (finding)"), (), ("a1c",), {"a1c": 6.0, "glucose": 110}),
)

ACUTE = (
    Acute(sct("195662009", "Acute viral pharyngitis (disorder)"), ACETAMINOPHEN, "symptom"),
    Acute(sct("444814009", "Viral sinusitis (disorder)"), ACETAMINOPHEN, "symptom"),
    Acute(sct("10509002", "Acute bronchitis (disorder)"), ACETAMINOPHEN, "symptom"),
    Acute(
        sct("43878008", "Streptococcal sore throat (disorder)"),
        rx("834102", "Penicillin V Potassium 500 MG Oral Tablet"),
        "symptom",
    ),
    Acute(
        sct("301011002", "Escherichia coli urinary tract infection (disorder)"),
        rx("311995", "NITROFURANTOIN, MACROCRYSTALS 50 MG Oral Capsule"),
        "symptom",
    ),
    Acute(
        sct("44465007", "Sprain of ankle (disorder)"),
        rx("310965", "Ibuprofen 200 MG Oral Tablet"),
        "emergency",
    ),
    Acute(sct("284549007", "Laceration of hand (disorder)"), ACETAMINOPHEN, "emergency"),
)

# Why patients are in hospital, and the orders written on admission.
ADMISSIONS = (
    (
        sct("233604007", "Pneumonia (disorder)"),
        (rx("562251", "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet"), ACETAMINOPHEN),
    ),
    (
        sct("128045006", "Cellulitis (disorder)"),
        (rx("562251", "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet"), ACETAMINOPHEN),
    ),
    (
        sct("195951007", "Acute exacerbation of chronic obstructive airways disease (disorder)"),
        (
            rx("351137", "albuterol 0.21 MG/ML Inhalation Solution"),
            rx("351109", "budesonide 0.25 MG/ML Inhalation Suspension"),
        ),
    ),
    (
        sct("88805009", "Chronic congestive heart failure (disorder)"),
        (rx("313988", "Furosemide 40 MG Oral Tablet"), rx("243670", "Aspirin 81 MG Oral Tablet")),
    ),
)
INSULIN = rx(
    "106892",
    "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML Injectable Suspension "
    "[Humulin]",
)

ENCOUNTER_TYPES = {
    "checkup": (sct("185349003", "Encounter for check up (procedure)"), "AMB"),
    "followup": (sct("390906007", "Follow-up encounter (procedure)"), "AMB"),
    "symptom": (sct("185345009", "Encounter for symptom (procedure)"), "AMB"),
    "emergency": (sct("50849002", "Emergency room admission (procedure)"), "EMER"),
    "inpatient": (sct("32485007", "Hospital admission (procedure)"), "IMP"),
}
ENCOUNTER_CLASSES = {"AMB": "ambulatory", "EMER": "emergency", "IMP": "inpatient encounter"}

NOTE_TYPES = {
    "checkup": loinc("34117-2", "History and physical note"),
    "followup": loinc("11506-3", "Progress note"),
    "symptom": loinc("11506-3", "Progress note"),
    "emergency": loinc("34111-5", "Emergency department note"),
    "inpatient": loinc("34117-2", "History and physical note"),
    "discharge": loinc("18842-5", "Discharge summary"),
}

PROCEDURES = {
    "checkup": sct("171207006", "Depression screening (procedure)"),
    "followup": sct("430193006", "Medication reconciliation (procedure)"),
    "colonoscopy": sct("73761001", "Colonoscopy (procedure)"),
    "spirometry": sct("23426006", "Measurement of respiratory function (procedure)"),
    "chest_xray": sct("399208008", "Plain chest X-ray (procedure)"),
    "suture": sct("288086009", "Suture open wound (procedure)"),
}

# (code, years between doses, minimum age)
IMMUNIZATIONS = (
    (Code(CVX, "140", "Influenza, seasonal, injectable, preservative free"), 1, 18),
    (Code(CVX, "113", "Td (adult) preservative free"), 10, 18),
    (Code(CVX, "133", "Pneumococcal conjugate PCV 13"), 100, 65),
    (Code(CVX, "121", "zoster"), 100, 60),
)

# (code, category, criticality, reaction manifestation)
ALLERGIES = (
    (
        sct("764146007", "Penicillin (substance)"),
        "medication",
        "high",
        sct("247472004", "Wheal (finding)"),
    ),
    (rx("1191", "Aspirin"), "medication", "low", sct("271807003", "Eruption of skin (disorder)")),
    (
        rx("10831", "Sulfamethoxazole / Trimethoprim"),
        "medication",
        "low",
        sct("271807003", "Eruption of skin (disorder)"),
    ),
    (
        sct("762952008", "Peanut (substance)"),
        "food",
        "high",
        sct("39579001", "Anaphylaxis (disorder)"),
    ),
    (
        sct("111088007", "Latex (substance)"),
        "environment",
        "low",
        sct("247472004", "Wheal (finding)"),
    ),
    (
        sct("260147004", "House dust mite (organism)"),
        "environment",
        "low",
        sct("76067001", "Sneezing (finding)"),
    ),
    (
        sct("288328004", "Bee venom (substance)"),
        "environment",
        "high",
        sct("39579001", "Anaphylaxis (disorder)"),
    ),
)

# The demo DICOM files (fhirapi/data/demo-dicom; imaging/services/demo.py stores them for the
# demo patients): (modality, description, study, series, instance, SOP class).
DEMO_DICOM_DIR = Path(__file__).resolve().parents[1] / "data" / "demo-dicom"
IMAGING = (
    (
        "CT",
        "CT chest without contrast",
        "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322",
        "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322",
        "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322",
        "1.2.840.10008.5.1.4.1.1.2",
    ),
    (
        "MR",
        "MR knee without contrast",
        "1.3.6.1.4.1.5962.1.2.4.20040826185059.5457",
        "1.3.6.1.4.1.5962.1.3.4.1.20040826185059.5457",
        "1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457",
        "1.2.840.10008.5.1.4.1.1.4",
    ),
)
