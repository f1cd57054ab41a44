"""The prescriber's post-session summary, as they read it in their direct messages."""

from datetime import UTC, datetime, timedelta

from kapbot.blocks.summary import summary
from kapbot.care.card import AdverseEventLine, Reading, SummaryView
from kapbot.policy import load_policy
from tests.blocks.test_session_card import buttons, texts

POLICY = load_policy()
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def view(**changes: object) -> SummaryView:
    values: dict[str, object] = dict(
        code="KAP-0042", session_id=5, outcome="completed", dose_mg=100, route="sublingual",
        started_at=START, ended_at=START + timedelta(minutes=125), therapist="UTHERAPST",
        readings=(Reading(START - timedelta(minutes=20), "pre_dose", 120, 80, 72, 98),
                  Reading(START + timedelta(minutes=40), "during", 135, 85, 80, 96, 4, 2)),
        check_ins=(START + timedelta(minutes=20), START + timedelta(minutes=40)),
        adverse_events=(), notes="")
    values.update(changes)
    return SummaryView(**values)  # type: ignore[arg-type]


def test_the_summary_carries_the_monitoring_record_and_an_acknowledge_button() -> None:
    card = summary(view(notes="Settled <!channel>"), POLICY)
    shown = texts(card)
    assert "*Completed* · 100 mg sublingual · started 2026-03-02 10:00, ended 2026-03-02 12:05 " \
           "(125 min of monitoring) · therapist <@UTHERAPST>" in shown
    assert "• 2026-03-02 10:40 (during): BP 135/85, HR 80, SpO2 96%, MOAA/S 4, dissociation 2" \
        in shown
    assert "*Check-ins:* 2 (last 2026-03-02 10:40)" in shown
    assert "Settled &lt;!channel&gt;" in shown
    assert buttons(card) == ["Acknowledge"]


def test_a_moderate_or_severe_adverse_event_is_flagged_at_the_top() -> None:
    card = summary(view(adverse_events=(AdverseEventLine("Vomiting", "severe"),
                                        AdverseEventLine("Mild nausea", "mild"))), POLICY)
    assert card["blocks"][1]["text"]["text"] == (
        ":rotating_light: *Severe adverse event:* Vomiting")
    assert card["text"].startswith("Moderate or severe adverse event.")
    assert "• mild: Mild nausea" in texts(card)


def test_an_acknowledged_summary_says_by_whom_and_has_no_button() -> None:
    card = summary(view(acknowledged_at=START + timedelta(hours=3), acknowledged_by="UPRESCRIB"),
                   POLICY)
    assert buttons(card) == []
    assert ":white_check_mark: Acknowledged by <@UPRESCRIB> 2026-03-02 13:00" in texts(card)
