"""The FHIR R4 export: a patient's record, read in one transaction, as one Bundle.

`record` reads the rows; one small module per kind of resource maps them (pure
functions of the record and the policy); `bundle` assembles and validates.
"""

from kapbot.fhir.bundle import InvalidBundleError, build, patient_bundle_json
from kapbot.fhir.record import PatientRecord, load, patient_codes

__all__ = ["InvalidBundleError", "PatientRecord", "build", "load", "patient_bundle_json",
           "patient_codes"]
