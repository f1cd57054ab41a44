"""`kapbot run` and `kapbot demo`: the bot itself, for a clinic or on a local Slack."""

from pathlib import Path

import click

from kapbot.cli.common import CliError, console
from kapbot.config import Settings
from kapbot.policy import PolicyError
from kapbot.store import migrate


@click.command()
def run() -> None:
    """Run kapbot: Socket Mode if SLACK_APP_TOKEN is set, else HTTP on KAPBOT_PORT."""
    import logging

    from kapbot.app import Kapbot

    settings = Settings()
    missing = settings.missing_for_run()
    if missing:
        raise CliError("; ".join(missing))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per poll
    try:
        bot = Kapbot(settings)
    except migrate.SchemaError as exc:
        raise CliError(str(exc)) from None
    except PolicyError as exc:
        raise CliError(str(exc)) from None
    bot.run()


@click.command()
def demo() -> None:
    """Play the whole pathway on a local Slack, on a fresh kapbot-demo.db here."""
    from kapbot.sandbox.demo import run_demo

    run_demo(console, Path.cwd())
