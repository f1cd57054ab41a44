"""The terminologies the export speaks, in one place so each code is checked once.

Codes were checked against their publishers: SNOMED CT route-of-administration values
(FHIR's route-codes value set), LOINC for vital signs and the two questionnaires, RxNorm
and WHO ATC for ketamine. MOAA/S sedation and the clinician's dissociation rating have no
LOINC code, so they travel as text, which FHIR allows for any CodeableConcept.
"""

from typing import Any

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
ADVERSE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
REQUEST_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"

# kapbot's own identifier systems. Slack user IDs are what kapbot knows clinicians by; the
# patient code is the only patient identifier kapbot holds (the clinic maps it to its EHR).
SLACK_USER = "urn:kapbot:slack-user-id"
PATIENT_CODE = "urn:kapbot:patient-code"
DOSE_PLAN = "urn:kapbot:dose-plan-version"

Concept = dict[str, Any]


def coded(system: str, code: str, display: str, text: str | None = None) -> Concept:
    concept: Concept = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        concept["text"] = text
    return concept


def text_only(text: str) -> Concept:
    return {"text": text}


ROUTES: dict[str, Concept] = {
    "sublingual": coded(SNOMED, "37839007", "Sublingual route", "Sublingual"),
    "buccal": coded(SNOMED, "54471007", "Buccal route", "Buccal"),
    "oral": coded(SNOMED, "26643006", "Oral route", "Oral"),
}

FORMS = {"rdt": "rapid-dissolve tablet", "troche": "troche"}


def route(name: str) -> Concept:
    """A route kapbot does not know (a policy newer than this code) keeps its words."""
    return ROUTES.get(name, text_only(name))


def ketamine(formulation: str) -> Concept:
    return {"coding": [{"system": RXNORM, "code": "6130", "display": "ketamine"},
                       {"system": ATC, "code": "N01AX03", "display": "ketamine"}],
            "text": f"Ketamine {FORMS.get(formulation, formulation)}".strip()}


BP_PANEL = coded(LOINC, "85354-9", "Blood pressure panel with all children optional",
                 "Blood pressure")
SYSTOLIC = coded(LOINC, "8480-6", "Systolic blood pressure")
DIASTOLIC = coded(LOINC, "8462-4", "Diastolic blood pressure")
HEART_RATE = coded(LOINC, "8867-4", "Heart rate", "Heart rate")
# 59408-5 names the method (pulse oximetry); 2708-6 is the code FHIR's vital-signs profile
# looks for, so both are given.
SPO2 = {"coding": [{"system": LOINC, "code": "59408-5",
                    "display": "Oxygen saturation in Arterial blood by Pulse oximetry"},
                   {"system": LOINC, "code": "2708-6",
                    "display": "Oxygen saturation in Arterial blood"}],
        "text": "SpO2"}
PHQ9 = coded(LOINC, "44261-6",
             "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]", "PHQ-9")
GAD7 = coded(LOINC, "70274-6",
             "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]", "GAD-7")
SEDATION = text_only("Sedation (MOAA/S, 0-5)")
DISSOCIATION = text_only("Dissociation (clinician's rating, 0-4)")

VITAL_SIGNS = coded(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")
SURVEY = coded(OBSERVATION_CATEGORY, "survey", "Survey")

AMBULATORY = {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"}
PRIMARY_PERFORMER = coded(PARTICIPATION_TYPE, "PPRF", "primary performer")
ATTENDER = coded(PARTICIPATION_TYPE, "ATND", "attender")
ATTESTER = coded(PROVENANCE_AGENT, "attester", "Attester")
VERIFIER = coded(PROVENANCE_AGENT, "verifier", "Verifier")
OUTPATIENT = coded(REQUEST_CATEGORY, "outpatient", "Outpatient")

SEVERITIES = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}


def severity(level: str) -> Concept:
    display = SEVERITIES.get(level)
    return coded(ADVERSE_SEVERITY, level, display) if display else text_only(level)


def mg(amount: int) -> dict[str, Any]:
    return {"value": amount, "unit": "mg", "system": UCUM, "code": "mg"}


def quantity(value: int, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}
