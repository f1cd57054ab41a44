"""The story every FHIR test reads, and its export (see `tests.fhir.story`)."""

import pytest

from kapbot.policy import Policy
from kapbot.services import Services
from tests.clinic import Clinic
from tests.fhir.story import Json, Story, export, tell


@pytest.fixture
def story(clinic: Clinic) -> Story:
    return tell(clinic)


@pytest.fixture
def bundle(story: Story, services: Services, policy: Policy) -> Json:
    return export(services, policy)
