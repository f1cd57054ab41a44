"""`/kap help` as each member of the clinic reads it, and how a refusal is worded."""

from typing import Any

from kapbot.blocks.help import help_text, refusal
from kapbot.sandbox.block_kit import MESSAGE_BLOCKS_MAX, block_problems
from kapbot.sandbox.rendering import message_text

EVERYONE = ["/kap help"]
ADMIN = ["/kap roster", "/kap roster add @user prescriber|therapist|admin",
         "/kap roster remove @user ROLE", "/kap patient add CODE @prescriber @therapist"]
PRESCRIBER = ["/kap plan CODE"]
PAIR = ["/kap session CODE YYYY-MM-DD HH:MM", "/kap status CODE"]
ALL = EVERYONE + ADMIN + PRESCRIBER + PAIR


class Names:
    def name_of_user(self, user_id: str) -> str | None:
        return {"UTHERAPST": "sam"}.get(user_id)

    def name_of_channel(self, channel_id: str) -> str | None:
        return None


def seen(message: dict[str, Any]) -> str:
    assert set(message) == {"text", "blocks"}  # ack(**…) and respond(**…) take these
    assert block_problems(message["blocks"], limit=MESSAGE_BLOCKS_MAX) == []
    return message_text(message["text"], message["blocks"], Names())


def commands(message: dict[str, Any]) -> list[str]:
    shown = seen(message)
    return [usage for usage in ALL if f"`{usage}`" in shown]


def test_someone_with_no_role_sees_only_help_and_how_to_get_one() -> None:
    message = help_text(frozenset(), False)
    assert commands(message) == EVERYONE
    assert "an administrator can add you with `/kap roster add`" in seen(message)


def test_a_prescriber_sees_plan_session_and_status() -> None:
    assert commands(help_text(frozenset({"prescriber"}), False)) == EVERYONE + PRESCRIBER + PAIR


def test_a_therapist_sees_session_and_status_but_not_plan() -> None:
    assert commands(help_text(frozenset({"therapist"}), False)) == EVERYONE + PAIR


def test_an_administrator_manages_the_roster_and_patients_and_sees_status() -> None:
    assert commands(help_text(frozenset({"admin"}), True)) == (
        EVERYONE + ADMIN + ["/kap status CODE"])


def test_a_bootstrap_administrator_off_the_roster_is_an_administrator() -> None:
    assert commands(help_text(frozenset(), True)) == EVERYONE + ADMIN + ["/kap status CODE"]


def test_someone_holding_every_role_sees_the_whole_grammar_in_order() -> None:
    message = help_text(frozenset({"prescriber", "therapist", "admin"}), True)
    assert commands(message) == ALL
    shown = seen(message)
    assert [shown.index(f"`{usage}`") for usage in ALL] == sorted(
        shown.index(f"`{usage}`") for usage in ALL)
    assert message["text"].startswith("kapbot commands: /kap help, /kap roster")


def test_a_refusal_lists_every_reason_in_plain_words() -> None:
    reasons = ["Pre-session checklist not completed",
               "Only the prescriber of KAP-0042 can sign off the dose"]
    message = refusal(reasons)
    shown = seen(message)
    assert "• Pre-session checklist not completed\n" in shown
    assert shown.endswith("• Only the prescriber of KAP-0042 can sign off the dose")
    assert message["text"] == ("Not done:\n• Pre-session checklist not completed\n"
                               "• Only the prescriber of KAP-0042 can sign off the dose")


def test_a_reason_quoting_what_someone_typed_pings_no_one_but_kapbots_mentions_stay() -> None:
    message = refusal(["Time must be written YYYY-MM-DD HH:MM, not '<!channel> <https://x|y>'.",
                       "<@UTHERAPST> is not an active prescriber on the roster."])
    shown = seen(message)
    assert "not '<!channel> <https://x|y>'." in shown  # literally, not @channel or a link
    assert "• @sam is not an active prescriber on the roster." in shown
    assert "<!channel>" not in message["text"]
    assert "<@UTHERAPST>" in message["blocks"][0]["text"]["text"]


def test_a_long_list_of_reasons_is_split_to_fit_slacks_limits() -> None:
    reasons = [f"Reason {i}: " + "x" * 200 for i in range(40)]
    message = refusal(reasons)
    shown = seen(message)
    assert len(message["blocks"]) > 1
    assert all(f"• Reason {i}: " in shown for i in range(40))
