"""Words on Slack surfaces: escaping what people typed, and naming people and times."""

from datetime import datetime
from zoneinfo import ZoneInfo

from kapbot.care.wording import local


def escape(text: str) -> str:
    """User-typed text shown literally: `<!channel>` pings no one, `<https://x|y>` is no link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(slack_user_id: str | None) -> str:
    return f"<@{slack_user_id}>" if slack_user_id else "someone"


def when(instant: datetime | None, tz: ZoneInfo) -> str:
    return local(instant, tz) if instant else ""
