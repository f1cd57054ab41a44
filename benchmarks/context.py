"""What every benchmark is handed: the mode, a scratch folder, and a way to say what it does."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Context:
    quick: bool
    """Fewer and shorter measurements, so the whole run stays under two minutes."""
    folder: Path
    """Scratch space for logs, request files and SQLite databases; removed after the run."""
    say: Callable[[str], None]
    """Progress for the person watching; never part of the figures."""

    def pick(self, quick: float, full: float) -> float:
        return quick if self.quick else full
