"""`kapbot outbox` and `kapbot outbox retry ID`: messages that have not reached Slack yet,
and a second chance for those the delivery worker gave up on."""

from dataclasses import asdict

import click
from rich.table import Table

from kapbot.blocks.text import when
from kapbot.cli.common import (
    CliError,
    cell,
    clinic_database,
    emit,
    local_iso,
    operator_services,
)
from kapbot.config import Settings
from kapbot.store.outbox import DEAD


@click.group("outbox", invoke_without_command=True)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1),
              help="Show at most this many messages, oldest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def outbox(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Messages still pending and dead-lettered ones (see `kapbot outbox retry`)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = Settings()
    with clinic_database(settings) as db:
        services, _ = operator_services(settings, db)
        counts = services.outbox_counts()
        lines = services.outbox_messages(limit=limit)
    tz = services.policy.tz

    def table() -> Table:
        shown = "" if len(lines) == sum(counts.values()) else f", oldest {len(lines)} shown"
        t = Table(title=f"Outbox: {counts['pending']} pending, {counts[DEAD]} dead{shown} "
                        f"(times in {services.policy.timezone})",
                  caption="retry a dead message with `kapbot outbox retry ID`"
                  if counts[DEAD] else None)
        for column in ("id", "kind", "channel", "attempts", "last error", "next attempt",
                       "state"):
            t.add_column(column)
        for m in lines:
            t.add_row(cell(m.id), cell(m.kind), cell(m.channel), cell(m.attempts),
                      cell(m.last_error), cell(when(m.next_attempt_at, tz)), cell(m.state))
        return t

    emit(as_json, {**counts, "messages": [
        {**asdict(m), "next_attempt_at": local_iso(m.next_attempt_at, tz),
         "created_at": local_iso(m.created_at, tz)} for m in lines]}, table)


@outbox.command("retry")
@click.argument("message_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def outbox_retry(message_id: str, as_json: bool) -> None:
    """Hand the dead-lettered message ID back to the delivery worker, attempts reset."""
    if not message_id.isascii() or not message_id.isdigit():
        raise CliError(f"{message_id!r} is not a message id: use the number in the id column "
                       "of `kapbot outbox`")
    settings = Settings()
    with clinic_database(settings) as db:
        services, actor = operator_services(settings, db)
        outcome = services.retry_message(actor, int(message_id))
    if outcome.refused:
        raise CliError(" ".join(outcome.reasons))
    said = (f"message {outcome.id} ({outcome.data['kind']} to {outcome.data['channel']}) is "
            "pending again: the delivery worker sends it next")
    emit(as_json, {"id": outcome.id, "state": "pending", **outcome.data},
         lambda: cell(said))
