"""The `kapbot` command. Each subcommand group lives in its own module; bad input gets
one line on stderr and exit status 2 (`kapbot.cli.common.CliError`)."""

import click

from kapbot.cli import audit, db, policy, serve


@click.group()
@click.version_option(package_name="kapbot")
def main() -> None:
    """kapbot: the two-person session gate for ketamine-assisted psychotherapy, in Slack."""


main.add_command(serve.run)
main.add_command(serve.demo)
main.add_command(policy.policy)
main.add_command(db.db)
main.add_command(audit.audit_group)
