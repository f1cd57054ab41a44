"""Clinical free text, placed where FHIR has room for it.

The export is for the clinic's EHR, the record's proper home, so plan notes, the
therapist's notes for the prescriber and follow-up notes go in whole. Nothing here
logs; keep it so (kapbot never logs clinical free text).
"""

from datetime import datetime
from typing import Any

from kapbot.fhir.ids import when
from kapbot.fhir.people import practitioner_ref
from kapbot.fhir.record import PatientRecord


def annotation(record: PatientRecord, text: str | None, by: int | None,
               at: datetime | None) -> list[dict[str, Any]] | None:
    """A one-note list, or None when there is nothing to say (FHIR forbids empty strings)."""
    if not text or not text.strip():
        return None
    note: dict[str, Any] = {"text": text}
    if by is not None:
        note["authorReference"] = practitioner_ref(record, by)
    if at is not None:
        note["time"] = when(at)
    return [note]
