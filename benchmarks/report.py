"""Figures, the machine they were measured on, the printed table and the JSON file.

A figure carries its own target and verdict, so the table and the JSON can never
disagree about what was met.
"""

import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Figure:
    """One measured number, and — when the issue sets one — its target and verdict."""

    name: str
    value: float | None
    unit: str
    target: str = ""
    """The target in words, e.g. "< 1.0" for a ratio; empty for a figure shown for context."""
    ratio: float | None = None
    """The number the target is judged on, when it is a ratio of two figures."""
    met: bool | None = None
    """None: no target, or not measured."""
    note: str = ""


@dataclass
class Section:
    """What one benchmark measured: its figures, raw details for the JSON, and notes."""

    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    status: str = "measured"
    """measured | skipped (a tool it needs is missing) | failed"""
    seconds: float = 0.0

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def judge(self, name: str, value: float | None, unit: str, target: str,
              met: bool | None, ratio: float | None = None, note: str = "") -> Figure:
        return self.add(Figure(name, value, unit, target, ratio, met, note))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _tool_version(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else None


def machine() -> dict[str, Any]:
    """What a reader needs to compare this run with another: cores, CPU, versions, load."""
    import slack_bolt
    import sqlalchemy

    return {
        "cores": os.cpu_count(), "cpu_model": _cpu_model(),
        "python": sys.version.split()[0], "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "slack_bolt": slack_bolt.version.__version__, "sqlalchemy": sqlalchemy.__version__,
        "wrk": _tool_version(["wrk", "--version"]),
        "postgres": _tool_version(["psql", "--version"]),
    }


def _value(figure: Figure) -> str:
    if figure.value is None:
        return "—"
    value = figure.value
    text = f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"
    return f"{text} {figure.unit}".strip()


def _verdict(figure: Figure) -> str:
    if figure.met is None:
        return ""
    return "[green]met[/]" if figure.met else "[red]missed[/]"


def print_table(console: Console, sections: list[Section], mode: str) -> None:
    table = Table(title=f"kapbot benchmarks ({mode})", show_lines=False, expand=False)
    for column in ("benchmark", "figure", "value", "target", "ratio", "met?"):
        table.add_column(column, overflow="fold")
    for section in sections:
        if section.status != "measured":
            table.add_row(section.title, f"[yellow]{section.status.replace('_', ' ')}[/]",
                          "", "", "", "")
            continue
        for index, figure in enumerate(section.figures):
            table.add_row(section.title if index == 0 else "", figure.name, _value(figure),
                          figure.target,
                          "" if figure.ratio is None else f"{figure.ratio:.2f}",
                          _verdict(figure))
        table.add_section()
    console.print(table)
    for section in sections:
        for note in section.notes:
            console.print(f"[dim]{section.title}:[/] {note}", highlight=False)


def write_json(path: Path, mode: str, info: dict[str, Any], sections: list[Section]) -> None:
    document = {"mode": mode, "machine": info,
                "benchmarks": {s.key: {**asdict(s), "figures": [asdict(f) for f in s.figures]}
                               for s in sections}}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
