"""The floor: a Bolt app whose `/kap` handler only acks, served as kapbot is served.

It is what any Slack app pays before doing anything: signature verification, Bolt's
middleware and routing, the WSGI adapter and the HTTP server. Configured from the
environment so waitress (`python -m benchmarks.bare_bolt`, threads=8 exactly as
`kapbot run` serves) and gunicorn (`gunicorn 'benchmarks.bare_bolt:from_env()'`, the
issue's reference server) load the same app:

    BENCH_SLACK_API_URL            the local Slack that answers auth.test
    BENCH_PROCESS_BEFORE_RESPONSE  "1" for the tuned app, "0" for Bolt's default
    SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, BENCH_PORT
"""

import os
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def bare_app(slack_api_url: str, token: str, signing_secret: str,
             process_before_response: bool) -> App:
    """A single-workspace Bolt app with one listener that acks and does nothing else."""
    app = App(client=WebClient(token=token, base_url=slack_api_url), signing_secret=signing_secret,
              process_before_response=process_before_response)

    @app.command("/kap")
    def kap(ack: Ack) -> None:
        ack()

    return app


def from_env() -> Wsgi:
    app = bare_app(os.environ["BENCH_SLACK_API_URL"], os.environ["SLACK_BOT_TOKEN"],
                   os.environ["SLACK_SIGNING_SECRET"],
                   os.environ.get("BENCH_PROCESS_BEFORE_RESPONSE") == "1")
    return SlackRequestHandler(app)


if __name__ == "__main__":
    from waitress import serve

    serve(from_env(), host="127.0.0.1", port=int(os.environ["BENCH_PORT"]), threads=8,
          ident="bare-bolt")
