"""`python -m benchmarks [--quick] [--out FILE.json] [--only KEY …]`: run them, print one
table, write every figure as JSON.

Benchmarks run one after another, never together: on two cores, each would be part of
the others' load. One that fails is reported as failed and the rest still run.
"""

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from benchmarks import (
    ack_latency,
    audit_verify,
    delivery,
    gate_throughput,
    home,
    memory,
    timers,
)
from benchmarks.context import Context
from benchmarks.load import wrk_missing
from benchmarks.report import Section, machine, print_table, write_json


@dataclass(frozen=True)
class Benchmark:
    key: str
    title: str
    run: Callable[[Context], Section]
    needs_wrk: bool = False


BENCHMARKS = (
    Benchmark("ack_latency", "1. Acknowledge latency", ack_latency.run, needs_wrk=True),
    Benchmark("gate_throughput", "2. Gate throughput", gate_throughput.run),
    Benchmark("timers_at_scale", "3. Timers at scale", timers.run),
    Benchmark("delivery", "4. Delivery vs Slack's limit", delivery.run),
    Benchmark("home", "5. App Home at scale", home.run),
    Benchmark("memory", "6. Memory of kapbot run", memory.run, needs_wrk=True),
    Benchmark("audit_verify", "7. Audit verify", audit_verify.run),
)


def _one(benchmark: Benchmark, ctx: Context, console: Console) -> Section:
    missing = wrk_missing() if benchmark.needs_wrk else None
    if missing:
        return Section(benchmark.key, benchmark.title, status="skipped", notes=[missing])
    started = time.monotonic()
    try:
        section = benchmark.run(ctx)
    except Exception as exc:  # one broken benchmark must not hide the others' figures
        console.print_exception(max_frames=8)
        section = Section(benchmark.key, benchmark.title, status="failed",
                          notes=[f"{type(exc).__name__}: {exc}"[:300]])
    section.seconds = time.monotonic() - started
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="fewer, shorter measurements: under two minutes in all")
    parser.add_argument("--out", type=Path, default=Path("kapbot-benchmarks.json"),
                        help="where to write the figures (default: %(default)s)")
    parser.add_argument("--only", nargs="+", metavar="KEY",
                        choices=[b.key for b in BENCHMARKS], help="run only these")
    args = parser.parse_args(argv)
    console = Console()
    if not console.is_terminal:  # a log file or a pipe: keep the table's rows on one line
        console = Console(width=160)
    mode = "quick" if args.quick else "full"
    info = machine()
    started = time.monotonic()
    sections = []
    with tempfile.TemporaryDirectory(prefix="kapbot-bench-") as folder:
        ctx = Context(args.quick, Path(folder),
                      lambda text: console.log(text, highlight=False))
        for benchmark in BENCHMARKS:
            if args.only is None or benchmark.key in args.only:
                sections.append(_one(benchmark, ctx, console))
    info["seconds"] = round(time.monotonic() - started, 1)
    print_table(console, sections, f"{mode}, {info['seconds']:.0f} s, {info['cores']} cores")
    write_json(args.out, mode, info, sections)
    console.print(f"figures written to {args.out}")
    return 1 if any(s.status == "failed" for s in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
