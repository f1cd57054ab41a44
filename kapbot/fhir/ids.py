"""Deterministic resource ids, so the same record always exports the same Bundle.

Each resource's id is a UUIDv5 of its type and the kapbot key it comes from (a row id,
or the Slack user ID and patient code that already name people). An EHR re-importing a
later export of the same database therefore updates resources instead of duplicating
them, and references are the `urn:uuid:` form a Bundle resolves within itself.
"""

import uuid
from datetime import date, datetime
from typing import Any

NAMESPACE = uuid.UUID("5e0c7a52-2f0b-4a3f-9c8e-1d6b0f4e7a31")

Resource = dict[str, Any]


def resource_id(resource_type: str, key: object) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{resource_type}/{key}"))


def full_url(resource: Resource) -> str:
    return f"urn:uuid:{resource['id']}"


def ref(resource_type: str, key: object) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id(resource_type, key)}"}


def resource(resource_type: str, key: object, **elements: Any) -> Resource:
    """A resource with its deterministic id; elements that are None are left out."""
    body = {name.rstrip("_"): value for name, value in elements.items() if value is not None}
    return {"resourceType": resource_type, "id": resource_id(resource_type, key), **body}


def when(instant: datetime | date) -> str:
    """FHIR dateTime/instant text; kapbot's times are already UTC-aware."""
    return instant.isoformat()
