"""The bundled worlds; which world a scene or a clip was made in, and finding that world again.

Scenes and action logs keep their world's name, its digest (engine.pack.world_digest: its graphs and how it
plays them) and where its pack was. They open in that world: the pack where it was, when it is still that
world, else a pack of the same digest among the bundled worlds and the folders given (the launcher's worlds).
A world that cannot be found is one line naming it; files written before worlds were kept in them name
only the world's name, and play in the world chosen for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Iterable

from engine.errors import DreamwalkError
from engine.pack import PACK_SUFFIX, PackError, read_pack_manifest, world_digest

APP_NAME = "Dreamwalk"                # the user's data folder's name (platformdirs)
DEFAULT_WORLDS = Path(__file__).resolve().parents[2] / "assets" / "worlds"
DEFAULT_WORLD = "doom.dwpack"         # the default among the bundled worlds; the others follow by name


def data_folder() -> Path:
    """The user's Dreamwalk data (DREAMWALK_DATA, else platformdirs' user data folder)."""
    import platformdirs

    return Path(os.environ.get("DREAMWALK_DATA") or platformdirs.user_data_dir(APP_NAME))


def user_worlds() -> Path:
    """The worlds a person imported in the launcher: where a scene's or a clip's world is looked for after
    the bundled ones, by the player, the launcher and ``dreamwalk render`` alike."""
    return data_folder() / "worlds"


def bundled_worlds(folder: Path = DEFAULT_WORLDS) -> list[Path]:
    """The world packs in ``folder``, the default world first."""
    packs = sorted(folder.glob(f"*{PACK_SUFFIX}")) if folder.exists() else []
    return sorted(packs, key=lambda pack: pack.name != DEFAULT_WORLD)


@dataclass(frozen=True)
class WorldMark:
    """The world a file was made in: its manifest name, its digest and its pack's absolute path (digest and
    path empty in files written before they were kept)."""

    name: str
    digest: str = ""
    path: str = ""

    def __str__(self) -> str:
        return f"'{self.name}'" + (f" ({self.path})" if self.path else "")


def mark_of(pack: str | Path) -> WorldMark:
    """The mark of the world pack at ``pack``."""
    manifest = read_pack_manifest(pack)
    return WorldMark(str(manifest["name"]), world_digest(manifest), str(Path(pack).resolve()))


def is_absolute_path(text: str) -> bool:
    """Whether ``text`` is an absolute path on this system or another (a file made on Windows opened on Linux)."""
    return PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute()


def digest_of(pack: Path) -> str | None:
    """The digest of the world pack at ``pack``; None where there is no readable pack."""
    try:
        return world_digest(read_pack_manifest(pack))
    except (PackError, OSError):
        return None


def find_world(mark: WorldMark, folders: Iterable[Path] = ()) -> Path | None:
    """The pack of the world ``mark`` names: where it was, when that pack is still this world, else a pack of
    the same digest among the bundled worlds and ``folders``. None when there is none, and for a mark without a
    digest (a file written before worlds were kept in them)."""
    if not mark.digest:
        return None
    candidates = [Path(mark.path)] if mark.path and Path(mark.path).exists() else []
    candidates += bundled_worlds()
    for folder in folders:
        candidates += sorted(Path(folder).glob(f"*{PACK_SUFFIX}")) if Path(folder).is_dir() else []
    return next((pack for pack in candidates if digest_of(pack) == mark.digest), None)


def missing_world(what: str, mark: WorldMark, verb: str = "play",
                  places: str = "the bundled worlds") -> DreamwalkError:
    """The error for a file whose world cannot be found: it names the world, and how to use another."""
    return DreamwalkError(f"{what} was made in the world {mark}: that world's pack is not there any more, nor "
                          f"among {places}; pass --world PACK to {verb} it in another world")
