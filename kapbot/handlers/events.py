"""Events: opening the App Home tab asks for a fresh one."""

from typing import Any

from slack_bolt import Ack, App

from kapbot.services import Services


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            services.refresh_home(event["user"])

    @app.action("home.page")
    def turn_page(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        value = str((body.get("actions") or [{}])[0].get("value", "1"))
        services.refresh_home(body["user"]["id"], int(value) if value.isdigit() else 1)
