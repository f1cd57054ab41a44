"""The Slack app manifest creates the whole app in one paste, and asks for no more than it uses."""

import json
import re
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).parents[1]
SCHEMA = ROOT.parent / "shared" / "schemas" / "slack-app-manifest.json"


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_the_manifest_validates_against_slacks_public_schema() -> None:
    assert SCHEMA.exists(), f"the shared manifest schema is expected at {SCHEMA}"
    jsonschema.validate(manifest(), json.loads(SCHEMA.read_text()))


def test_the_kap_command_escapes_mentions_and_socket_mode_is_the_default() -> None:
    m = manifest()
    [command] = m["features"]["slash_commands"]
    assert (command["command"], command["should_escape"]) == ("/kap", True)
    assert m["settings"]["socket_mode_enabled"] is True
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["settings"]["interactivity"]["is_enabled"] is True


# The bot scopes each Web API method needs, as kapbot uses it (private channels, DMs).
SCOPES = {"chat.postMessage": {"chat:write"}, "chat.update": {"chat:write"},
          "conversations.create": {"groups:write"}, "conversations.invite": {"groups:write"},
          "conversations.open": {"im:write"},
          "conversations.history": {"groups:history", "im:history"},
          "conversations.list": {"groups:read"},
          "views.open": set(), "views.publish": set(), "users.info": {"users:read"}}


def _code() -> str:
    return "\n".join(p.read_text() for p in (ROOT / "kapbot").rglob("*.py")
                     if "sandbox" not in p.parts)


def web_api_methods() -> set[str]:
    """Every Slack Web API method kapbot's own code calls (the emulator aside)."""
    code = _code()
    dotted = set(re.findall(r'api_call\(\s*"([a-zA-Z.]+)"', code))
    snake = {m.replace("_", ".", 1) for m in re.findall(
        r"\.((?:chat|conversations|views|users)_[a-z_]+)\(", code)}
    return dotted | {m.replace("_", "") if m.count(".") else m for m in snake}


def test_every_web_api_method_the_code_calls_is_known_here() -> None:
    assert web_api_methods() <= set(SCOPES), web_api_methods() - set(SCOPES)


def test_the_bot_asks_for_exactly_the_scopes_its_slack_calls_need() -> None:
    needed = {"commands"}.union(*(SCOPES[m] for m in web_api_methods()))
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed


def test_the_commands_events_and_interactivity_in_code_are_in_the_manifest() -> None:
    code = _code()
    m = manifest()
    commands = set(re.findall(r'app\.command\("(/[a-z]+)"\)', code))
    assert commands == {c["command"] for c in m["features"]["slash_commands"]}
    events = set(re.findall(r'app\.event\("([a-z_]+)"\)', code))
    assert events == set(m["settings"]["event_subscriptions"]["bot_events"])
    interactive = bool(re.search(r"app\.(action|view)\(", code))
    assert m["settings"]["interactivity"]["is_enabled"] is interactive
