"""4. Delivery against Slack's limit: a backlog over many channels, the local Slack
answering 429 to a second post in a channel within a second.

The real worker (kapbot.delivery.Delivery in its DeliveryThread, with kapbot's own
Web API client and message rendering, and the default poll interval) drains a backlog
of care-pair introductions spread evenly over the channels. The ceiling is the limit
itself — one post a second in each channel — so the figures are the share of that
ceiling reached, and the share of posts Slack refused.
"""

import time
from datetime import UTC, datetime

from slack_sdk import WebClient
from sqlmodel import func, select

from benchmarks import seed
from benchmarks.context import Context
from benchmarks.live import local_slack
from benchmarks.report import Figure, Section
from benchmarks.scratch import scratch_database
from kapbot.app import CHANNEL_SALT
from kapbot.clock import SystemClock
from kapbot.config import Settings
from kapbot.delivery import Delivery, DeliveryThread
from kapbot.outgoing import Outgoing
from kapbot.policy import load_policy
from kapbot.services import Services, notify
from kapbot.store.db import Database
from kapbot.store.models import OutboxMessage

CHANNELS = 50
PER_SECOND = 1.0  # Slack's chat.postMessage limit in one channel
POLL = Settings.model_fields["delivery_poll_seconds"].default


def _sent(db: Database) -> int:
    with db.reading() as tx:
        return int(tx.exec(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state == "sent")).one())


def _measure(ctx: Context, database: str, messages: int, section: Section) -> None:
    ceiling = CHANNELS * PER_SECOND
    with scratch_database(database, "delivery") as db, local_slack() as slack:
        ws, now = slack.workspace, datetime.now(UTC)
        channels = [ws.add_channel(f"kap-pair-{i:02d}", is_private=True,
                                   members=["UPRESCRIB", "UTHERAPST", ws.bot.id]).id
                    for i in range(CHANNELS)]
        pair = seed.care_pair(db, now)
        patients = seed.patients(db, pair, range(1, CHANNELS + 1), now, channels)
        seed.insert_rows(db, OutboxMessage, [
            {"key": f"bench:{i}", "kind": notify.PAIR_INTRO,
             "subject_id": patients[i % CHANNELS], "channel": notify.pair(patients[i % CHANNELS]),
             "method": "chat.postMessage", "state": "pending", "attempts": 0,
             "next_attempt_at": now, "created_at": now} for i in range(messages)])
        slack.limit_channel_posts(PER_SECOND)
        services = Services(db, load_policy(), SystemClock())
        client = WebClient(token=slack.token, base_url=slack.base_url, timeout=10,
                           retry_handlers=[])
        worker = DeliveryThread(Delivery(db, client, Outgoing(services, services.policy,
                                                              CHANNEL_SALT),
                                         services.clock, "bench"), poll=POLL)
        ctx.say(f"delivery on {database}: {messages:,} messages over {CHANNELS} channels")
        deadline = messages / ceiling * 3 + 30
        started = time.monotonic()
        worker.start()
        try:
            while (sent := _sent(db)) < messages and time.monotonic() - started < deadline:
                time.sleep(0.2)
        finally:
            # No join(): DeliveryThread's `_stop` event shadows threading.Thread._stop, so
            # join() raises TypeError (reported). The daemon thread ends after its round.
            worker.stop()
        elapsed = time.monotonic() - started
        posts = slack.calls("chat.postMessage")
        limited = sum(1 for call in posts if call.status == 429)
        rate = sent / elapsed
        # At exactly the limit, each channel's first post goes at once and its last one
        # (per_channel - 1) seconds later: that is the shortest possible drain.
        fastest = (messages / CHANNELS - 1) / PER_SECOND
        share_of_limit = fastest / elapsed if sent == messages else sent / elapsed / ceiling
        share = limited / len(posts) if posts else 0.0
        name = f"{database} {messages:,} msgs"
        section.add(Figure(f"{name} delivered", rate, "msg/s", "share of limit ≥ 0.90",
                           share_of_limit, share_of_limit >= 0.9 and sent == messages,
                           f"{sent:,} of {messages:,} in {elapsed:.1f} s; at the limit "
                           f"({ceiling:.0f} msg/s) {fastest:.0f} s"))
        section.add(Figure(f"{name} answered 429", share * 100, "%", "≤ 1 %", None,
                           share <= 0.01, f"{limited:,} of {len(posts):,} posts"))
        section.details[database] = {
            "messages": messages, "sent": sent, "seconds": elapsed, "per_second": rate,
            "limit_per_second": ceiling, "posts": len(posts), "answered_429": limited}


def run(ctx: Context) -> Section:
    section = Section("delivery", "4. Delivery vs Slack's limit")
    messages = int(ctx.pick(500, 10_000))
    for database in ("sqlite",) if ctx.quick else ("sqlite", "postgresql"):
        _measure(ctx, database, messages, section)
    if ctx.quick:
        section.notes.append(f"quick mode: {messages:,} messages (the full run sends 10,000) "
                             "on SQLite only")
    section.notes.append(f"{CHANNELS} channels, the local Slack refusing a second "
                         f"chat.postMessage in a channel within {1 / PER_SECOND:.0f} s with "
                         f"429 and Retry-After; worker poll {POLL} s (the default)")
    return section
