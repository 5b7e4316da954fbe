"""Settings that persist between runs, as JSON in the user's config folder (platformdirs)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from app.controls import DEFAULT_BINDINGS, ControlSettings
from engine.files import write_json
from engine.runtime.worlds import APP_NAME, data_folder, user_worlds

__all__ = ["APP_NAME", "Settings", "config_folder", "data_folder", "load_settings", "readable_folder", "save_settings",
           "settings_path", "user_worlds"]


def config_folder() -> Path:
    import platformdirs
    return Path(os.environ.get("DREAMWALK_CONFIG") or platformdirs.user_config_dir(APP_NAME))


def readable_folder(folder: Path) -> str:
    """A folder as people read it: ~/Videos/Dreamwalk rather than /home/ada/Videos/Dreamwalk."""
    folder = Path(folder).resolve()
    try:
        return str(Path("~") / folder.relative_to(Path.home()))
    except (ValueError, RuntimeError):
        return str(folder)


@dataclass
class Settings:
    device: str = "auto"                  # auto | cpu | cuda | directml | coreml (those this system can have)
    guidance_scale: float = 0.0           # 0 = the world's own setting
    mouse_sensitivity: float = 0.15
    invert_look: bool = False
    window_scale: int = 8
    smooth: bool = False                  # smooth scaling of the window instead of sharp pixels
    display_size: str = "auto"            # worlds with a memory: "auto" (the largest this computer keeps up with)
                                          # or WIDTHxHEIGHT, one of the player's DISPLAY_SIZES
    dream_idle: bool = False              # dream while no control is touched (default: the view holds)
    bindings: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_BINDINGS.items()})
    recordings_folder: str = ""
    recent_images: list[str] = field(default_factory=list)
    image_folder: str = ""                # where the last picture was opened from ("": the user's Pictures)

    def controls(self) -> ControlSettings:
        return ControlSettings(bindings=self.bindings, mouse_sensitivity=self.mouse_sensitivity,
                               invert_look=self.invert_look)

    def recordings(self) -> Path:
        if self.recordings_folder:
            return Path(self.recordings_folder)
        import platformdirs
        return Path(platformdirs.user_videos_dir()) / APP_NAME

    def remember_image(self, path: str, keep: int = 12) -> None:
        self.recent_images = [path] + [p for p in self.recent_images if p != path][: keep - 1]


def settings_path() -> Path:
    return config_folder() / "settings.json"


def load_settings(path: Path | None = None) -> tuple[Settings, str | None]:
    """The saved settings, or the defaults with a one-line reason when the file is unreadable."""
    path = path or settings_path()
    if not path.exists():
        return Settings(), None
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(Settings)}
        settings = Settings(**{k: v for k, v in values.items() if k in known})
        settings.bindings = {**DEFAULT_BINDINGS, **settings.bindings}
        return settings, None
    except (OSError, ValueError, TypeError) as error:
        return Settings(), f"settings in {path} could not be read ({error}); using defaults"


def save_settings(settings: Settings, path: Path | None = None) -> None:
    write_json(path or settings_path(), asdict(settings))
