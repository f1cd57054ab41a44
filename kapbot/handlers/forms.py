"""Reading a submitted modal, and putting a refusal's reasons on the fields they concern."""

import json
from collections.abc import Mapping
from typing import Any


def values(view: Mapping[str, Any]) -> dict[str, Any]:
    """`{field key: typed value}` from `view.state.values` (block_id = action_id = key)."""
    out: dict[str, Any] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        element = actions.get(block_id) or next(iter(actions.values()), {})
        kind = element.get("type")
        if kind in ("static_select", "radio_buttons"):
            option = element.get("selected_option")
            out[block_id] = option["value"] if option else None
        elif kind == "checkboxes":
            out[block_id] = [o["value"] for o in element.get("selected_options") or []]
        elif kind == "datepicker":
            out[block_id] = element.get("selected_date")
        else:
            out[block_id] = element.get("value")
    return out


def metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    """Which subject the modal is about: a hint only — every service re-checks it."""
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


def errors(reasons: tuple[str, ...], labels: Mapping[str, str]) -> dict[str, str]:
    """Each reason on the field whose label it begins with; the rest on the first field.

    Slack shows at most one message per field, so several reasons for one field are joined.
    """
    by_field: dict[str, list[str]] = {}
    ordered = sorted(labels.items(), key=lambda kv: -len(kv[1]))  # "Notes for…" before "Notes"
    first = next(iter(labels))
    for reason in reasons:
        key = next((k for k, label in ordered if reason.startswith(label)), first)
        by_field.setdefault(key, []).append(reason)
    return {k: " ".join(v)[:2000] for k, v in by_field.items()}
