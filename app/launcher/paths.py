"""Where the launcher finds things: the bundled prompts and worlds, and the worlds a user imported."""

from __future__ import annotations

from pathlib import Path

from app.settings import data_folder

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ROOT / "assets" / "prompts"
BUNDLED_WORLDS = ROOT / "assets" / "worlds"


def user_worlds() -> Path:
    return data_folder() / "worlds"
