"""A KAP session from roster to acknowledged summary, through Slack as the clinicians use it.

The real `kapbot run` serves HTTP; the local Slack delivers every command, click and form.
"""

from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import Running

CHECKLIST = {"Consent is current": True,
             "Fasting: no food for 2 h and no liquids for 30 min": True,
             "No alcohol, sedatives or benzodiazepines in the last 24 h": True,
             "Transport home arranged (no driving until the next day)": True,
             "Emergency contact on file": True,
             "Systolic BP (mmHg)": "128", "Diastolic BP (mmHg)": "82", "Heart rate (bpm)": "74",
             "SpO2 (%)": "98"}


def set_up_pair(kapbot: Running) -> None:
    d = kapbot.driver
    d.command("admin", "/kap", "roster add @rowe prescriber")
    d.command("admin", "/kap", "roster add @lee therapist")
    d.command("admin", "/kap", "patient add KAP-0042 @rowe @lee")
    kapbot.delivered()


def post_plan(kapbot: Running) -> None:
    kapbot.driver.command("rowe", "/kap", "plan KAP-0042")
    done = kapbot.driver.fill_and_submit("rowe", {
        "Formulation": "RDT", "Route": "Sublingual", "Dose per session (mg)": "100",
        "Maximum dose (mg)": "150", "Sessions authorised": "6",
        "Valid until": (datetime.now(UTC) + timedelta(days=90)).date().isoformat()})
    assert done.action == "close", done


def schedule_soon(kapbot: Running) -> None:
    at = datetime.now(UTC) + timedelta(minutes=20 + kapbot.offset / 60)
    kapbot.driver.command("lee", "/kap", f"session KAP-0042 {at:%Y-%m-%d %H:%M}")
    kapbot.delivered()


def pair_channel(kapbot: Running, who: str) -> str:
    """The care pair's channel, where the session card is (its buttons are on the Home too)."""
    return next(name for name in kapbot.driver.sees(who).channels
                if name.startswith("#kap-pair-")).removeprefix("#")


def prepare(kapbot: Running) -> None:
    """Checklist, dose sign-off and presence, each by the right person, correctly."""
    d = kapbot.driver
    d.click("lee", "Pre-session checklist", where=pair_channel(kapbot, "lee"))
    assert d.fill_and_submit("lee", CHECKLIST).action == "close"
    d.click("rowe", "Sign off dose", where=pair_channel(kapbot, "rowe"))
    assert d.fill_and_submit("rowe", {"Dose for this session (mg)": "100"}).action == "close"
    d.click("lee", "Confirm presence", where=pair_channel(kapbot, "lee"))
    assert d.fill_and_submit("lee", {"I am in the room with the patient": True,
                                     "Dose on the dispensed tablets (mg)": "100",
                                     "Route": "Sublingual"}).action == "close"


def watch(kapbot: Running, minutes: int, first: int = 1) -> None:
    """The therapist stays in the room, answering each presence check-in (every 20 min,
    `first` the next one due) from its prompt as it comes."""
    interval = 20
    for number, _ in enumerate(range(interval, minutes + 1, interval), start=first):
        kapbot.advance(interval)
        kapbot.settled()
        kapbot.driver.click("lee", "Check in", where="dm", containing=f"check-in {number} ")
    kapbot.advance(minutes % interval)
    kapbot.settled()


def card(kapbot: Running) -> str:
    kapbot.delivered()
    channel = next(m for name, m in kapbot.driver.sees("lee").channels.items()
                   if name.startswith("#kap-pair-"))
    return next(text for text in reversed(channel) if text.startswith("KAP-0042 · session"))


def test_an_admin_sets_up_a_care_pair_with_its_own_private_channel(kapbot: Running) -> None:
    set_up_pair(kapbot)
    rowe = kapbot.driver.sees("rowe")
    [(name, messages)] = [(n, m) for n, m in rowe.channels.items() if n.startswith("#kap-pair-")]
    assert "0042" not in name
    assert messages[0].startswith("This is the private care-pair channel for *KAP-0042*")
    assert name not in kapbot.driver.sees("chen").channels


def test_the_whole_pathway_from_plan_to_acknowledged_summary(kapbot: Running) -> None:
    d = kapbot.driver
    set_up_pair(kapbot)
    post_plan(kapbot)
    schedule_soon(kapbot)
    assert "Pre-session checklist" in card(kapbot)

    d.click("lee", "Pre-session checklist", where=pair_channel(kapbot, "lee"))
    assert d.fill_and_submit("lee", CHECKLIST).action == "close"
    d.click("rowe", "Sign off dose", where=pair_channel(kapbot, "rowe"))
    assert "Pre-dose BP 128/82 mmHg" in d.sees("rowe").modal
    assert d.fill_and_submit("rowe", {"Dose for this session (mg)": "100"}).action == "close"

    d.click("lee", "Confirm presence", where=pair_channel(kapbot, "lee"))
    assert "100" not in d.sees("lee").modal  # the authorised dose is never shown
    assert d.fill_and_submit("lee", {"I am in the room with the patient": True,
                                     "Dose on the dispensed tablets (mg)": "150",
                                     "Route": "Sublingual"}).action == "close"
    d.click("lee", "Start session", where=pair_channel(kapbot, "lee"))
    assert d.sees("lee").ephemeral[-1].endswith(
        "Double check failed: the dose read off the dispensed tablets does not match the "
        "prescriber's sign-off.")

    d.click("lee", "Confirm presence", where=pair_channel(kapbot, "lee"))
    d.fill_and_submit("lee", {"I am in the room with the patient": True,
                              "Dose on the dispensed tablets (mg)": "100", "Route": "Sublingual"})
    d.click("lee", "Start session", where=pair_channel(kapbot, "lee"))
    assert "*In progress* — 100 mg" in card(kapbot)

    d.click("lee", "Check in", where=pair_channel(kapbot, "lee"))
    d.click("lee", "Record vitals", where=pair_channel(kapbot, "lee"))
    assert d.fill_and_submit("lee", {"Systolic BP (mmHg)": "132", "Diastolic BP (mmHg)": "84",
                                     "Heart rate (bpm)": "80", "SpO2 (%)": "97",
                                     "Sedation (MOAA/S 0-5)": "4",
                                     "Dissociation (0-4)": "2"}).action == "close"
    d.click("lee", "End session", where=pair_channel(kapbot, "lee"))
    early = d.fill_and_submit("lee", {"Patient is alert and oriented": True,
                                      "Vitals are back within limits": True,
                                      "Escort is present": True})
    assert early.action == "errors"
    assert "may end after 2 h" in " ".join(early.errors.values())

    d.close_modal("lee")
    watch(kapbot, minutes=125)
    d.click("lee", "End session", where=pair_channel(kapbot, "lee"),
            containing="monitored for the minimum time")
    ended = d.fill_and_submit("lee", {"Patient is alert and oriented": True,
                                      "Vitals are back within limits": True,
                                      "Escort is present": True,
                                      "Adverse events": "Nausea <!channel>",
                                      "Severity": "Moderate",
                                      "Notes for the prescriber": "Settled by +90",
                                      "Systolic BP (mmHg)": "126", "Diastolic BP (mmHg)": "80",
                                      "Heart rate (bpm)": "70", "SpO2 (%)": "98"})
    assert ended.action == "close", ended
    kapbot.delivered()
    [summary] = d.sees("rowe").dm
    assert summary.startswith("Post-session summary · KAP-0042")
    assert "(pre-discharge): BP 126/80, HR 70, SpO2 98%" in summary
    assert "Moderate adverse event:* Nausea <!channel>" in summary  # shown, pings no one
    assert "Follow-ups" in card(kapbot)
    d.click("rowe", "Acknowledge", where="dm")
    kapbot.delivered()
    assert "Acknowledged by @rowe" in d.sees("rowe").dm[0]


def test_refusals_answer_the_person_with_every_reason(kapbot: Running) -> None:
    d = kapbot.driver
    set_up_pair(kapbot)
    d.command("lee", "/kap", "plan KAP-0042")
    assert d.sees("lee").ephemeral[-1].endswith("Only KAP-0042's prescriber may post a dose plan.")
    post_plan(kapbot)
    schedule_soon(kapbot)
    d.click("rowe", "Start session", where=pair_channel(kapbot, "rowe"))
    refusal = d.sees("rowe").ephemeral[-1]
    assert "The therapist has not completed the pre-session checklist." in refusal
    assert "The prescriber has not signed off the dose for this session." in refusal


def test_a_bad_dose_plan_is_answered_on_its_fields(kapbot: Running) -> None:
    set_up_pair(kapbot)
    kapbot.driver.command("rowe", "/kap", "plan KAP-0042")
    answer = kapbot.driver.fill_and_submit("rowe", {
        "Formulation": "RDT", "Route": "Buccal", "Dose per session (mg)": "400",
        "Maximum dose (mg)": "150", "Sessions authorised": "6", "Valid until": "2020-01-01"})
    assert answer.action == "errors"
    assert answer.errors["Dose per session (mg)"].startswith(
        "Dose per session of 400 mg is outside the clinic's range of 25–300 mg.")
    assert answer.errors["Valid until"] == "Valid until (2020-01-01) is in the past."
