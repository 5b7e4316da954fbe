"""The report of `dreamwalk eval revisits` (revisits.json): what a player notices, against live ViZDoom: one
record per protocol (engine.reports.protocols) and, from pictures, each picture's numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.reports.protocols import FullTurn, HalfTurnBack, HalfTurnView, Minute, SecondTurn, TurnResponse, WalkOutBack

ProtocolRecord = FullTurn | HalfTurnBack | SecondTurn | WalkOutBack | TurnResponse | Minute
RECORDS: dict[str, type[ProtocolRecord]] = {"full_turn": FullTurn, "half_turn_back": HalfTurnBack,
                                            "second_turn": SecondTurn, "walk_out_back": WalkOutBack,
                                            "turn_response": TurnResponse, "minute": Minute}
HALF_VIEWS = ("first_half", "half", "plain_synthesis_half")


@dataclass
class PictureRevisit:
    """From a picture that is not a Doom frame: the view back after a whole turn and after a walk out and back
    against the picture (PSNR; how far from the start the walk's nearest frame was), the sharpness as a share
    of the picture's on a turn's first 4 frames and on the return; half a turn away against the picture, as a
    player turning at once sees it (``first_half``), later (``half``), and the plain PatchMatch reference's;
    the builder's seconds for its surround where the world has a memory."""

    turn_back_vs_picture: float
    walk_back_vs_picture: float
    walk_back_from_start: float
    sharpness_first_4: float
    sharpness_back: float
    first_half: HalfTurnView[float] | None = None
    half: HalfTurnView[float] | None = None
    plain_synthesis_half: HalfTurnView[float] | None = None
    surround_seconds: dict[str, float] = field(default_factory=dict)    # coarse, refined, waited

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"turn_back_vs_picture": self.turn_back_vs_picture,
                                "walk_back_vs_picture": self.walk_back_vs_picture,
                                "walk_back_from_start": self.walk_back_from_start,
                                "sharpness_first_4": self.sharpness_first_4, "sharpness_back": self.sharpness_back}
        for prefix in HALF_VIEWS:
            view = getattr(self, prefix)
            data.update({f"{prefix}_{name}": value for name, value in (view.items() if view is not None else [])})
        data.update({f"surround_{name}_seconds": value for name, value in self.surround_seconds.items()})
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PictureRevisit:
        views = [HalfTurnView(*(data[f"{prefix}_{name}"] for name in
                                ("contrast", "sharpness", "colour_distance", "texture_distance")))
                 if f"{prefix}_contrast" in data else None for prefix in HALF_VIEWS]
        surround = {key[len("surround_"): -len("_seconds")]: value for key, value in data.items()
                    if key.startswith("surround_") and key.endswith("_seconds")}
        return cls(data["turn_back_vs_picture"], data["walk_back_vs_picture"], data["walk_back_from_start"],
                   data["sharpness_first_4"], data["sharpness_back"], *views, surround)

    def line(self, name: str) -> str:
        return f"{name}: " + ", ".join(f"{key} {value:.2f}" for key, value in self.to_json().items())


@dataclass
class RevisitReport:
    world: str | None                      # a world pack; None: the references alone
    maps: str
    size: list[int]                        # (width, height) everything was compared at
    view: str                              # which part of the view was compared
    protocols: dict[str, ProtocolRecord] = field(default_factory=dict)
    pictures: dict[str, PictureRevisit] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"world": self.world, "maps": self.maps, "size": self.size, "view": self.view,
                                "protocols": {name: record.to_json() for name, record in self.protocols.items()}}
        if self.pictures is not None:
            data["pictures"] = {name: picture.to_json() for name, picture in self.pictures.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RevisitReport:
        pictures = data.get("pictures")
        return cls(data["world"], data["maps"], list(data["size"]), data["view"],
                   {name: RECORDS[name].from_json(record) for name, record in data["protocols"].items()},
                   None if pictures is None else {name: PictureRevisit.from_json(picture)
                                                  for name, picture in pictures.items()})

    def lines(self) -> list[str]:
        lines = [f"revisits on {self.maps} at {self.size[0]}x{self.size[1]}, {self.view}:"]
        for name, record in self.protocols.items():
            starts = "-" if record.starts is None else record.starts
            lines.append(f"  {name} ({starts} starts): " + ", ".join(record.cells()))
        lines += [f"  {picture.line(name)}" for name, picture in (self.pictures or {}).items()]
        return lines
