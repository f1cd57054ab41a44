"""The `kapbot` command. Each subcommand group lives in its own module; bad input gets
one line on stderr and exit status 2 (`kapbot.cli.common.CliError`)."""

import importlib
import sys
from typing import Any

import click

# Each command's module and attribute. A module is imported only when its command runs
# or `kapbot --help` lists it: `kapbot audit verify` need not load the FHIR models,
# the Slack app or the services the other commands are built on.
COMMANDS = {
    "audit": ("kapbot.cli.audit", "audit_group"),
    "db": ("kapbot.cli.db", "db"),
    "demo": ("kapbot.cli.serve", "demo"),
    "export": ("kapbot.cli.export", "export_group"),
    "outbox": ("kapbot.cli.outbox", "outbox"),
    "patients": ("kapbot.cli.patients", "patients"),
    "policy": ("kapbot.cli.policy", "policy"),
    "report": ("kapbot.cli.report", "report"),
    "roster": ("kapbot.cli.roster", "roster"),
    "run": ("kapbot.cli.serve", "run"),
}


class _Kapbot(click.Group):
    """The commands in `COMMANDS`, imported on first use; and click's own usage errors (an
    unknown option, a missing argument) in kapbot's one-line form too, rather than a usage
    block: every refusal reads the same way."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            from kapbot.cli.common import USAGE_ERROR  # heavy: only once something is wrong

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


@click.group(cls=_Kapbot)
@click.version_option(package_name="kapbot")
def main() -> None:
    """kapbot: the two-person session gate for ketamine-assisted psychotherapy, in Slack."""
