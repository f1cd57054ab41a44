"""The Slack app manifest creates the whole app in one paste, and asks for no more than it uses."""

import json
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


def test_the_bot_asks_only_for_the_scopes_its_slack_calls_need() -> None:
    assert sorted(manifest()["oauth_config"]["scopes"]["bot"]) == [
        "chat:write", "commands", "groups:history", "groups:write", "im:history", "im:write",
        "users:read"]
