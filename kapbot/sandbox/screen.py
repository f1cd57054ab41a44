"""Everything one person can read in the workspace at a moment, as plain text."""

from dataclasses import dataclass

from kapbot.sandbox.rendering import message_text, view_text
from kapbot.sandbox.workspace import Workspace


@dataclass(frozen=True)
class Screen:
    """What a person would read if they looked everywhere the app can reach them."""

    channels: dict[str, list[str]]
    """"#name" → its messages, oldest first, for every channel the person is in."""
    dm: list[str]
    """The app's direct messages with them, oldest first."""
    ephemeral: list[str]
    """Notes only they can see: command answers, refusals, response-URL replies."""
    home: str
    """Their App Home tab ("" before the app publishes one)."""
    modal: str
    """The modal on top of their stack ("" when none is open)."""

    @property
    def everything(self) -> str:
        parts = [m for messages in self.channels.values() for m in messages]
        parts += [*self.dm, *self.ephemeral, self.home, self.modal]
        return "\n".join(part for part in parts if part)


def screen_of(ws: Workspace, who: str) -> Screen:
    with ws.lock:
        user = ws.user(who)
        channels = {
            f"#{channel.name}": [message_text(m.text, m.blocks, ws)
                                 for m in ws.messages(channel.id)]
            for channel in ws.channels.values()
            if not channel.is_im and user.id in channel.members
        }
        dm_id = ws.dm_channel(user.id)
        dm = ([message_text(m.text, m.blocks, ws) for m in ws.messages(dm_id)]
              if dm_id else [])
        ephemeral = [message_text(e.text, e.blocks, ws) for e in ws.ephemeral(user.id)]
        home = ws.home(user.id)
        modals = ws.modals(user.id)
        return Screen(channels, dm, ephemeral,
                      view_text(home.payload, ws) if home else "",
                      view_text(modals[-1].payload, ws) if modals else "")
