"""Modal submissions: read the fields, call one service, answer inside the modal.

A refusal comes back as `response_action: errors` on the fields it concerns, so nothing
typed is lost; an accepted form with cautions is replaced by a short notice of them.
"""

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from kapbot.blocks.notice import notice
from kapbot.care.dosing import PlanForm
from kapbot.handlers.forms import errors, metadata, values
from kapbot.services import Outcome, Services

VITALS = {"systolic": "Systolic BP", "diastolic": "Diastolic BP", "heart_rate": "Heart rate",
          "spo2": "SpO2"}
LABELS: dict[str, dict[str, str]] = {
    "plan": {"dose_mg": "Dose per session", "formulation": "Formulation", "route": "Route",
             "max_dose_mg": "Maximum dose", "sessions_authorised": "Sessions authorised",
             "valid_until": "Valid until", "notes": "Notes"},
    "checklist": {"items": "Checklist item", **VITALS},
    "sign_off": {"dose_mg": "Dose for this session"},
    "presence": {"in_room": "Tick", "dose_mg": "Dose on the dispensed tablets",
                 "route": "Route"},
    "vitals": {**VITALS, "sedation": "Sedation", "dissociation": "Dissociation"},
    "end": {"discharge": "Discharge item", "adverse_events": "Describe the adverse event",
            "severity": "Severity", "notes": "Notes for the prescriber", **VITALS},
    "abort": {"reason": "Reason for aborting"},
    "cancel": {"reason": "Reason for cancelling"},
    "follow_up": {"phq9": "PHQ-9", "gad7": "GAD-7", "notes": "Notes"},
}
TITLES = {"plan": "Dose plan posted", "checklist": "Checklist recorded",
          "sign_off": "Dose signed off", "presence": "Presence confirmed",
          "vitals": "Vitals recorded", "end": "Session ended", "abort": "Session aborted",
          "cancel": "Session cancelled", "follow_up": "Follow-up done"}


def _submit(services: Services, form: str, user: str, meta: dict[str, Any],
            v: dict[str, Any]) -> Outcome:
    """The one service call each modal makes."""
    session = int(meta.get("session_id", 0))
    if form == "plan":
        return services.post_plan(user, str(meta.get("code", "")), PlanForm(
            v.get("formulation") or "", v.get("route") or "", v.get("dose_mg"),
            v.get("max_dose_mg"), v.get("sessions_authorised"), v.get("valid_until") or "",
            v.get("notes") or ""))
    if form == "checklist":
        return services.complete_checklist(user, session, v.get("items") or [],
                                           *(v.get(k) for k in VITALS))
    if form == "sign_off":
        return services.sign_off_dose(user, session, v.get("dose_mg"))
    if form == "presence":
        return services.confirm_presence(user, session, bool(v.get("in_room")),
                                         v.get("dose_mg"), v.get("route") or "")
    if form == "vitals":
        return services.record_vitals(user, session, *(v.get(k) for k in VITALS),
                                      sedation=v.get("sedation"),
                                      dissociation=v.get("dissociation"))
    if form == "end":
        return services.end_session(user, session, v.get("discharge") or [],
                                    adverse_events=v.get("adverse_events") or "",
                                    severity=v.get("severity") or "none",
                                    notes=v.get("notes") or "",
                                    vitals=tuple(v.get(k) for k in VITALS))
    if form == "abort":
        return services.abort_session(user, session, v.get("reason") or "")
    if form == "cancel":
        return services.cancel_session(user, session, v.get("reason") or "")
    return services.complete_follow_up(user, int(meta.get("follow_up_id", 0)),
                                       phq9=v.get("phq9"), gad7=v.get("gad7"),
                                       notes=v.get("notes") or "")


def register(app: App, services: Services) -> None:
    def listener(form: str) -> Callable[..., None]:
        def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
            outcome = _submit(services, form, body["user"]["id"], metadata(view),
                              values(view))
            if outcome.refused:
                ack(response_action="errors", errors=errors(outcome.reasons, LABELS[form]))
            elif outcome.warnings:
                ack(response_action="update", view=notice(TITLES[form],
                                                          list(outcome.warnings)))
            else:
                ack()

        return submitted

    for form in LABELS:
        app.view(form)(listener(form))
