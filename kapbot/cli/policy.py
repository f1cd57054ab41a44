"""`kapbot policy check|show`: the clinic's protocol file, validated before it is trusted."""

from pathlib import Path

import click
from rich.table import Table

from kapbot.cli.common import CliError, emit
from kapbot.config import Settings
from kapbot.policy import Policy, PolicyError, load_policy


@click.group()
def policy() -> None:
    """Check and show the clinic's policy file."""


def _policy_table(p: Policy, source: str) -> Table:
    table = Table(title=f"Policy in force ({source})", show_lines=False)
    table.add_column("setting")
    table.add_column("value")
    for key, value in p.model_dump(mode="json").items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                table.add_row(f"{key}.{sub}", str(inner))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                name = item.get("id") or item.get("kind")
                rest = ", ".join(f"{k}={v}" for k, v in item.items() if k not in ("id", "kind"))
                table.add_row(f"{key}.{name}", rest)
        else:
            table.add_row(key, str(value))
    return table


def _load(path: Path | None) -> Policy:
    try:
        return load_policy(path)
    except PolicyError as exc:
        raise CliError(str(exc)) from None


@policy.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def policy_check(file: Path) -> None:
    """Validate FILE as a policy; exit 2 naming each bad key."""
    p = _load(file)
    click.echo(f"{file}: valid policy ({len(p.checklist)} checklist items, doses "
               f"{p.dose.min_mg}–{p.dose.max_mg} mg, routes {', '.join(p.medication.routes)}, "
               f"timezone {p.timezone})")


@policy.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def policy_show(as_json: bool) -> None:
    """Print the policy in force (KAPBOT_POLICY, or the packaged default)."""
    settings = Settings()
    p = _load(settings.policy)
    source = str(settings.policy) if settings.policy else "packaged default"
    emit(as_json, {"source": source, "policy": p.model_dump(mode="json")},
          lambda: _policy_table(p, source))
