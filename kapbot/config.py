"""Settings from the environment. Secrets live here and nowhere else; none is ever logged."""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from kapbot.policy import Policy, load_policy


class Settings(BaseSettings):
    """Every `KAPBOT_*` variable kapbot reads (documented in the README)."""

    model_config = SettingsConfigDict(env_prefix="KAPBOT_", extra="ignore")

    database_url: str = "sqlite:///kapbot.db"
    policy: Path | None = None
    admins: str = ""

    @property
    def admin_ids(self) -> frozenset[str]:
        """`KAPBOT_ADMINS`: Slack user IDs who may manage the roster before anyone else can."""
        return frozenset(a.strip() for a in self.admins.split(",") if a.strip())

    def load_policy(self) -> Policy:
        return load_policy(self.policy)
