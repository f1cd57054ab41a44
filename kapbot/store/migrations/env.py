"""Alembic environment: always handed a live connection by `kapbot.store.migrate`."""

from typing import Any

from alembic import context

from kapbot.store import models
from kapbot.store.types import UTCDateTime


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write kapbot's UTC column as the plain SQLAlchemy type it stores, so old migrations
    never depend on today's Python code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `kapbot db upgrade`")
    context.configure(
        connection=connection,
        target_metadata=models.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
