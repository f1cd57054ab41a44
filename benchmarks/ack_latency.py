"""1. Acknowledge latency: kapbot against bare Bolt, behind the same server, side by side.

kapbot answers Slack only after its listener has run (process_before_response=True), so
its ack time holds the whole clinical action: the audited transaction, the outbox rows
and any Web API call the listener makes. The floor is a Bolt app that only acks, in
Bolt's default configuration (which answers from another thread, polling for the ack
every 10 ms) and tuned (process_before_response=True). All three run under waitress with
8 threads — kapbot run's own server — and are loaded by wrk with requests signed as
Slack signs them, on one machine, in one run.
"""


from benchmarks.context import Context
from benchmarks.live import (
    KINDS,
    SIGNING_SECRET,
    bare_bolt,
    command_bodies,
    drained,
    kapbot_run,
    local_slack,
    open_clinic,
    recorded,
)
from benchmarks.load import Load, write_requests, wrk
from benchmarks.report import Figure, Section
from benchmarks.scratch import KINDS as DATABASES
from benchmarks.scratch import scratch_url

CONCURRENCY = (1, 32)
SPREAD = 32  # sessions the context figure's 32 connections click on, one each
POOL = 400  # distinct signed requests per surface, replayed in turn
FLOORS = {"default": False, "tuned": True}


def _load(ctx: Context, url: str, bodies: list[bytes], name: str, connections: int,
          seconds: float) -> Load:
    requests = write_requests(ctx.folder / f"{name}.tsv", bodies, SIGNING_SECRET)
    load = wrk(url, requests, connections, seconds)
    if load.failed:
        raise RuntimeError(f"{name} c={connections}: {load.errors} requests failed")
    return load


def _describe(load: Load) -> dict[str, float]:
    return {"p50_ms": load.p50_ms, "p95_ms": load.p95_ms, "p99_ms": load.p99_ms,
            "max_ms": load.max_ms, "per_second": load.per_second, "requests": load.requests}


def _floors(ctx: Context, seconds: float, server: str) -> dict[str, dict[int, Load]]:
    floors: dict[str, dict[int, Load]] = {}
    with local_slack() as slack:
        bodies = command_bodies(slack, "general", POOL)
        for label, tuned in FLOORS.items():
            ctx.say(f"bare Bolt {label} under {server}")
            with bare_bolt(slack, ctx.folder, tuned, server) as app:
                _load(ctx, app.url, bodies, f"warm-{label}", 8, 1)
                floors[label] = {c: _load(ctx, app.url, bodies, f"bare-{label}-{c}", c, seconds)
                                 for c in CONCURRENCY}
    return floors


def _kapbot(ctx: Context, database: str, seconds: float
            ) -> tuple[dict[str, dict[int, Load]], dict[str, Load]]:
    """Each surface on one session at both concurrencies (every request serialised on that
    patient, the issue's measure), then at c=32 across SPREAD sessions, as a clinic's clicks
    would come."""
    found: dict[str, dict[int, Load]] = {}
    spread: dict[str, Load] = {}
    with scratch_url(database, "ack") as url, local_slack() as slack:
        patients = open_clinic(slack, url, SPREAD)
        with kapbot_run(slack, url, ctx.folder) as kapbot:
            drained(url, seconds=120)
            for index, kind in enumerate(KINDS):
                ctx.say(f"kapbot on {database}: {kind}")
                bodies = recorded(slack, kapbot, patients[:1], kind, POOL)
                if index == 0:
                    _load(ctx, kapbot.url, bodies, "warm-kapbot", 8, 1)
                found[kind] = {c: _load(ctx, kapbot.url, bodies, f"{database}-{kind}-{c}", c,
                                        seconds) for c in CONCURRENCY}
                across = recorded(slack, kapbot, patients, kind, POOL)
                spread[kind] = _load(ctx, kapbot.url, across, f"{database}-{kind}-spread",
                                     SPREAD, seconds)
    return found, spread


def _judge(section: Section, database: str, kind: str, c: int, load: Load,
           floors: dict[str, dict[int, Load]]) -> None:
    default, tuned = floors["default"][c], floors["tuned"][c]
    name = f"{database} {kind} c={c}"
    p50 = load.p50_ms / default.p50_ms
    p99 = load.p99_ms / default.p99_ms
    section.add(Figure(f"{name} p50", load.p50_ms, "ms", "÷ Bolt default < 1.0", p50, p50 < 1,
                       f"p95 {load.p95_ms:.1f} ms, {load.per_second:,.0f} req/s"))
    section.add(Figure(f"{name} p99", load.p99_ms, "ms", "÷ Bolt default < 1.0", p99, p99 < 1))
    if c == 1:
        ratio = load.p50_ms / tuned.p50_ms
        section.add(Figure(f"{name} p50 vs tuned", load.p50_ms, "ms", "÷ tuned Bolt ≤ 10",
                           ratio, ratio <= 10))
    else:
        ratio = load.per_second / tuned.per_second
        section.add(Figure(f"{name} throughput", load.per_second, "req/s",
                           "÷ tuned Bolt ≥ 0.25", ratio, ratio >= 0.25))


def run(ctx: Context) -> Section:
    section = Section("ack_latency", "1. Acknowledge latency")
    seconds = ctx.pick(1, 10)
    floors = _floors(ctx, seconds, "waitress")
    for label, loads in floors.items():
        for c, load in loads.items():
            section.add(Figure(f"bare Bolt {label} c={c} p50", load.p50_ms, "ms", note=(
                f"p95 {load.p95_ms:.1f}, p99 {load.p99_ms:.1f} ms, "
                f"{load.per_second:,.0f} req/s")))
    section.details["floors_waitress"] = {label: {c: _describe(load) for c, load in loads.items()}
                                          for label, loads in floors.items()}
    if not ctx.quick:
        reference = _floors(ctx, seconds, "gunicorn")
        section.details["floors_gunicorn_gthread_1x8"] = {
            label: {c: _describe(load) for c, load in loads.items()}
            for label, loads in reference.items()}
        for label, loads in reference.items():
            section.add(Figure(f"bare Bolt {label} gunicorn c=32 throughput",
                               loads[32].per_second, "req/s",
                               note="the issue's server, for comparison with its table"))
    for database in DATABASES:
        kapbot, spread = _kapbot(ctx, database, seconds)
        section.details[f"kapbot_{database}"] = {
            kind: {c: _describe(load) for c, load in loads.items()}
            for kind, loads in kapbot.items()}
        section.details[f"kapbot_{database}_c32_across_{SPREAD}_sessions"] = {
            kind: _describe(load) for kind, load in spread.items()}
        for kind, loads in kapbot.items():
            for c, load in loads.items():
                _judge(section, database, kind, c, load, floors)
        tuned = floors["tuned"][32].per_second
        for kind, load in spread.items():
            section.add(Figure(
                f"{database} {kind} c=32 across {SPREAD} sessions", load.per_second, "req/s",
                "context (÷ tuned Bolt)", load.per_second / tuned,
                note=f"p50 {load.p50_ms:.1f}, p99 {load.p99_ms:.1f} ms"))
    section.notes.append(
        f"wrk, one thread, {seconds:.0f} s a measurement, signed requests replayed from a "
        f"pool of {POOL}; kapbot: `/kap status`, Check in, Record vitals by the therapist "
        f"of a session in progress — judged on one session, and for context at c=32 across "
        f"{SPREAD} sessions, one patient each; every server under waitress, 8 threads")
    return section


