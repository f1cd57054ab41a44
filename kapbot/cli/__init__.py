"""The `kapbot` command. Each subcommand group lives in its own module; bad input gets
one line on stderr and exit status 2 (`kapbot.cli.common.CliError`)."""

import sys
from typing import Any

import click

from kapbot.cli import audit, db, outbox, patients, policy, report, roster, serve
from kapbot.cli.common import USAGE_ERROR
from kapbot.cli.export import export_group


class _OneLineErrors(click.Group):
    """Click's own usage errors (an unknown option, a missing argument) in kapbot's one-line
    form too, rather than a usage block: every refusal reads the same way."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
            click.echo(f"kapbot: error: {exc.format_message()}{where}", err=True)
            sys.exit(USAGE_ERROR)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_OneLineErrors)
@click.version_option(package_name="kapbot")
def main() -> None:
    """kapbot: the two-person session gate for ketamine-assisted psychotherapy, in Slack."""


main.add_command(serve.run)
main.add_command(serve.demo)
main.add_command(policy.policy)
main.add_command(db.db)
main.add_command(audit.audit_group)
main.add_command(roster.roster)
main.add_command(patients.patients)
main.add_command(report.report)
main.add_command(outbox.outbox)
main.add_command(export_group)
