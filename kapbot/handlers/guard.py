"""Before any listener: requests from another workspace are ignored, re-sent ones too.

Slack re-sends a request it thinks went unanswered (`X-Slack-Retry-Num`). The first copy
is remembered in the same transaction as the effect it had, so the copy has no second
effect, while a copy of a request that failed before changing anything runs again.
"""

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

from kapbot.services import Services

log = logging.getLogger(__name__)


def _team(body: dict[str, Any]) -> str | None:
    team = body.get("team_id") or body.get("team")
    return team.get("id") if isinstance(team, dict) else team


def register(app: App, services: Services) -> None:
    @app.middleware
    def guard(request: BoltRequest, context: BoltContext, body: dict[str, Any],
              next: Callable[[], BoltResponse]) -> BoltResponse | None:
        team = _team(body)
        if team and context.team_id and team != context.team_id:
            log.warning("ignored a request from another workspace")
            return BoltResponse(status=200, body="")
        digest = hashlib.sha256(request.raw_body.encode()).hexdigest()
        retry = bool(request.headers.get("x-slack-retry-num"))
        if retry and services.already_handled(digest):
            return BoltResponse(status=200, body="")
        services.begin_request(digest, retry)
        return next()
