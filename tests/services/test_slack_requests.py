"""A Slack request is remembered with its effect, so a re-sent copy has none."""

import pytest

from kapbot.services import Services
from tests.clinic import THERAPIST, Clinic


def test_a_slack_request_is_remembered_in_the_same_commit_as_its_effect(
        services: Services, clinic: Clinic) -> None:
    commits: list[int] = []
    services.db.on_commit.append(lambda: commits.append(1))
    with services.handling("digest-of-a-click"):
        clinic.schedule()
    assert len(commits) == 1  # the session, its audit entry and the request: one commit
    assert services.already_handled("digest-of-a-click")
    with services.handling("digest-of-help"):
        services.roles_of(THERAPIST)  # reads only: remembered on its own afterwards
    assert services.already_handled("digest-of-help")
    with pytest.raises(RuntimeError), services.handling("digest-of-a-crash"):
        raise RuntimeError("the listener failed")
    assert not services.already_handled("digest-of-a-crash")  # Slack's retry may try again
