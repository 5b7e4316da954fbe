"""Where the launcher finds things: the bundled prompts and worlds, and the worlds a user imported."""

from __future__ import annotations

from pathlib import Path

from app.settings import user_worlds

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ROOT / "assets" / "prompts"
BUNDLED_WORLDS = ROOT / "assets" / "worlds"

__all__ = ["BUNDLED_WORLDS", "PROMPTS", "ROOT", "user_worlds"]
