"""6. Memory: the resident set of `kapbot run` idle, and as actions accumulate.

A leak shows as growth that keeps going; a cache or a pool as growth that stops. So
RSS is read after every block of actions, and the target compares the middle of the
run with its end. Actions are the three measured surfaces in turn (a command, a button,
a modal submission), 8 in flight, on SQLite (the default database).
"""

import time
from itertools import chain, zip_longest

from benchmarks.context import Context
from benchmarks.live import (
    KINDS,
    SIGNING_SECRET,
    audit_count,
    drained,
    kapbot_run,
    local_slack,
    open_clinic,
    recorded,
)
from benchmarks.load import write_requests, wrk_until
from benchmarks.report import Figure, Section
from benchmarks.scratch import scratch_url
from kapbot.store.db import Database

LIMIT_MIB = 200
STEADY_MIB = 2.0
"""Growth over the second half at or under this is noise of the allocator, not a leak."""
POOL = 300
CONNECTIONS = 8


def run(ctx: Context) -> Section:
    section = Section("memory", "6. Memory of kapbot run")
    actions, block = (1_000, 250) if ctx.quick else (10_000, 1_000)
    with scratch_url("sqlite", "memory") as url, local_slack() as slack:
        patients = open_clinic(slack, url)
        with kapbot_run(slack, url, ctx.folder) as kapbot:
            drained(url)
            db = Database(url)
            try:
                time.sleep(1)
                idle = kapbot.rss_mib()
                kinds = [recorded(slack, kapbot, patients, kind, POOL) for kind in KINDS]
                bodies = [b for b in chain.from_iterable(zip_longest(*kinds)) if b is not None]
                start = audit_count(db)
                samples: list[tuple[int, float]] = [(0, idle)]
                ctx.say(f"memory: {actions:,} actions against kapbot on SQLite")
                while samples[-1][0] < actions:
                    requests = write_requests(ctx.folder / "memory.tsv", bodies, SIGNING_SECRET)
                    target = start + min(samples[-1][0] + block, actions)
                    wrk_until(kapbot.url, requests, CONNECTIONS,
                              lambda target=target: audit_count(db) >= target, 240)
                    samples.append((audit_count(db) - start, kapbot.rss_mib()))
            finally:
                db.dispose()
    half = min(samples, key=lambda s: abs(s[0] - actions / 2))
    end = samples[-1]
    growth = end[1] - half[1]
    section.add(Figure("idle", idle, "MiB", f"< {LIMIT_MIB} MiB", met=idle < LIMIT_MIB))
    section.add(Figure(f"after {end[0]:,} actions", end[1], "MiB", f"< {LIMIT_MIB} MiB",
                       met=end[1] < LIMIT_MIB))
    section.add(Figure(f"growth, action {half[0]:,} → {end[0]:,}", growth, "MiB",
                       f"≤ {STEADY_MIB} MiB (not growing)", met=growth <= STEADY_MIB))
    section.details["samples_actions_rss_mib"] = samples
    if ctx.quick:
        section.notes.append(f"quick mode: {actions:,} actions (the full run does 10,000), "
                             "so the growth is over the second half of those")
    return section
