"""Settings from the environment. Secrets live here and nowhere else; none is ever logged."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from kapbot.policy import Policy, load_policy

SLACK_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
    """Every variable kapbot reads (documented in the README)."""

    model_config = SettingsConfigDict(env_prefix="KAPBOT_", extra="ignore",
                                      populate_by_name=True)

    database_url: str = "sqlite:///kapbot.db"
    policy: Path | None = None
    admins: str = ""
    port: int = Field(default=3000, ge=1, le=65535)
    slack_api_url: str = SLACK_API_URL
    delivery_poll_seconds: float = Field(default=1.0, gt=0)
    timer_poll_seconds: float = Field(default=2.0, gt=0)
    clock_offset_file: str | None = None  # tests and rehearsals only: see FileOffsetClock
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None,
                                                   validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")

    @property
    def admin_ids(self) -> frozenset[str]:
        """`KAPBOT_ADMINS`: Slack user IDs who may manage the roster before anyone else can."""
        return frozenset(a.strip() for a in self.admins.split(",") if a.strip())

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def missing_for_run(self) -> list[str]:
        """What `kapbot run` cannot start without, each with where to find it."""
        missing = []
        if self.slack_bot_token is None:
            missing.append("SLACK_BOT_TOKEN is not set: the Bot User OAuth Token (xoxb-…) "
                           "from your app's OAuth & Permissions page")
        if not self.socket_mode and self.slack_signing_secret is None:
            missing.append("SLACK_SIGNING_SECRET is not set (needed in HTTP mode): the Signing "
                           "Secret from your app's Basic Information page — or set "
                           "SLACK_APP_TOKEN for Socket Mode")
        return missing

    def load_policy(self) -> Policy:
        return load_policy(self.policy)
