"""Persistence: tables, transactions, migrations, the audit chain, the outbox and the task queue."""
