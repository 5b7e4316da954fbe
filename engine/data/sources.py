"""Opening a simulator by name: the factory in front of the sources (engine.data.source has their interface).

The concrete sources import their simulators only when one is opened, so importing this module is cheap.
"""

from __future__ import annotations

from typing import Any

from engine.data.miniworld_source import MiniWorldSource, short_name
from engine.data.source import Source
from engine.data.vizdoom_source import ViZDoomSource, parse_maps
from engine.errors import SourceError


SOURCE_NAMES = ("vizdoom", "miniworld")


def open_source(name: str, **options: Any) -> Source:
    """Open a simulator by name: ``vizdoom`` (``map=``, ``seed=``) or ``miniworld`` (``env=``, ``seed=``)."""
    if name == "vizdoom":
        return ViZDoomSource(**options)
    if name == "miniworld":
        return MiniWorldSource(**options)
    raise SourceError(f"unknown source {name!r}; choose one of: {', '.join(SOURCE_NAMES)}")


# Where `dreamwalk eval world` measures a world by default: maps and seeds its training data never visited.
HELD_OUT = {"vizdoom": "MAP21-MAP24", "miniworld": "Maze,FourRooms,ThreeRooms,TMaze"}


def open_place(name: str, place: str, **options: Any) -> Source:
    """``open_source`` with the map (ViZDoom) or environment (MiniWorld) named the same way for both."""
    return open_source(name, **{"env" if name == "miniworld" else "map": place}, **options)


def parse_places(name: str, text: str) -> list[str]:
    """A source's maps (``MAP01-MAP20``, ``MAP25,MAP27``) or environments (``Maze,FourRooms``), checked."""
    if name == "vizdoom":
        return parse_maps(text)
    if name == "miniworld":
        names = [part.strip() for part in text.split(",")]
        if not all(names):
            raise SourceError(f"empty item in environment list {text!r}")
        return list(dict.fromkeys(short_name(item) for item in names))
    raise SourceError(f"unknown source {name!r}; choose one of: {', '.join(SOURCE_NAMES)}")
