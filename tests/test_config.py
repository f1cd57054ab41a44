"""Settings come from the environment, with safe defaults."""

from pathlib import Path

import pytest

from kapbot.config import Settings


def test_defaults_are_an_sqlite_file_here_and_the_packaged_policy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAPBOT_DATABASE_URL", "KAPBOT_POLICY", "KAPBOT_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite:///kapbot.db"
    assert settings.policy is None
    assert settings.admin_ids == frozenset()
    assert settings.load_policy().dose.max_mg == 300


def test_admins_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAPBOT_ADMINS", " U012AB3CD, U045EF6GH ,,")
    assert Settings().admin_ids == frozenset({"U012AB3CD", "U045EF6GH"})


def test_the_policy_path_comes_from_kapbot_policy(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "kapbot" / "default_policy.toml").read_text()
    path = tmp_path / "clinic.toml"
    path.write_text(text.replace('timezone = "UTC"', 'timezone = "Europe/London"'))
    monkeypatch.setenv("KAPBOT_POLICY", str(path))
    assert Settings().load_policy().timezone == "Europe/London"
