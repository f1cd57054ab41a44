"""A Slack request is remembered with the effect it had, so a re-sent copy has none.

Each request here runs in a context of its own, as each of Bolt's requests runs on its
own handling of a server thread.
"""

from collections.abc import Callable
from contextvars import copy_context

from kapbot.services import Services
from kapbot.store.models import DosingSession
from tests.clinic import CODE, THERAPIST, Clinic, rows


def as_request(services: Services, digest: str, handle: Callable[[], object]) -> None:
    def run() -> None:
        services.begin_request(digest)
        handle()

    copy_context().run(run)


def test_a_request_is_remembered_in_the_same_commit_as_its_effect(
        services: Services, clinic: Clinic) -> None:
    commits: list[int] = []
    services.db.on_commit.append(lambda _noted: commits.append(1))
    as_request(services, "digest-of-a-booking", clinic.schedule)
    assert len(commits) == 1  # the session, its audit entry and the request: one commit
    assert services.already_handled("digest-of-a-booking")


def test_a_request_that_changed_nothing_is_not_remembered_so_its_copy_runs_again(
        services: Services, clinic: Clinic) -> None:
    as_request(services, "digest-of-help", lambda: services.roles_of(THERAPIST))
    assert not services.already_handled("digest-of-help")


def test_a_copy_handled_while_the_first_was_in_flight_has_no_second_effect(
        services: Services, clinic: Clinic) -> None:
    as_request(services, "digest-of-a-booking", clinic.schedule)
    copy = copy_context().run(lambda: (services.begin_request("digest-of-a-booking", True),
                                       services.schedule_session(
                                           THERAPIST, CODE, clinic.clock.now()))[1])
    assert copy.reasons == ("Slack sent this twice; it was done once.",)
    assert len(rows(services, DosingSession)) == 1
