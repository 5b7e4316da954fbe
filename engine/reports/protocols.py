"""The records of the revisit protocols (engine.reports.revisits), one per protocol, each with its numbers per
player of it (``real`` ViZDoom, the ``memory`` alone, the ``builder`` alone, the ``perfect_dream`` reference,
the ``world``), means over the starts with their standard errors.

In the JSON a player's number is ``{player}_{measure}`` beside ``{player}_{measure}_stderr``, as every report
has been written; the records read and write that layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Generic, TypeVar

from engine.reports.common import Estimate

Value = TypeVar("Value", float, Estimate)


def estimate(data: dict[str, Any], key: str) -> Estimate:
    return Estimate(data[key], data.get(f"{key}_stderr"))


def estimate_json(key: str, value: Estimate) -> dict[str, float]:
    return {key: value.mean, f"{key}_stderr": value.error}


def players(data: dict[str, Any], suffix: str) -> list[str]:
    """The players a summary has numbers of, in its order: the keys ``{player}{suffix}``."""
    return [key[: -len(suffix)] for key in data if key.endswith(suffix)]


@dataclass
class HalfTurnView(Generic[Value]):
    """A view never seen (half a turn from the prompt) against what it should look like: contrast and sharpness
    ratios, colour and texture distances."""

    contrast: Value
    sharpness: Value
    colour_distance: Value
    texture_distance: Value

    def items(self) -> list[tuple[str, Value]]:
        return [(item.name, getattr(self, item.name)) for item in fields(self)]


@dataclass
class TurnBack:
    """One player's turn away and back: PSNR of the last view against the prompt and against the real last view
    (not for ViZDoom itself); on a whole turn, half a turn away against the real view there."""

    vs_prompt: Estimate
    vs_real_end: Estimate | None = None
    half: HalfTurnView[Estimate] | None = None


def turns_from_json(data: dict[str, Any]) -> dict[str, TurnBack]:
    turns = {}
    for who in players(data, "_vs_prompt"):
        half = None
        if f"{who}_half_contrast" in data:
            half = HalfTurnView(*(estimate(data, f"{who}_half_{item.name}") for item in fields(HalfTurnView)))
        turns[who] = TurnBack(estimate(data, f"{who}_vs_prompt"),
                              estimate(data, f"{who}_vs_real_end") if f"{who}_vs_real_end" in data else None, half)
    return turns


def turns_to_json(turns: dict[str, TurnBack]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for who, turn in turns.items():
        data.update(estimate_json(f"{who}_vs_prompt", turn.vs_prompt))
        if turn.vs_real_end is not None:
            data.update(estimate_json(f"{who}_vs_real_end", turn.vs_real_end))
        for name, value in turn.half.items() if turn.half is not None else []:
            data.update(estimate_json(f"{who}_half_{name}", value))
    return data


def turn_cells(turns: dict[str, TurnBack]) -> list[str]:
    cells = []
    for who, turn in turns.items():
        cells.append(f"{who}_vs_prompt {turn.vs_prompt.unsigned()}")
        if turn.vs_real_end is not None:
            cells.append(f"{who}_vs_real_end {turn.vs_real_end.unsigned()}")
        cells += [f"{who}_half_{name} {value.unsigned()}"
                  for name, value in (turn.half.items() if turn.half is not None else [])]
    return cells


@dataclass
class FullTurn:
    """A whole turn right: does the world return to the prompt, and what does it show half a turn away."""

    starts: int
    players: dict[str, TurnBack] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"starts": self.starts, **turns_to_json(self.players)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FullTurn:
        return cls(data["starts"], turns_from_json(data))

    def cells(self) -> list[str]:
        return turn_cells(self.players)


@dataclass
class HalfTurnBack:
    """Half a turn right and back left: the view back at the start against the prompt."""

    starts: int
    players: dict[str, TurnBack] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"starts": self.starts, **turns_to_json(self.players)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HalfTurnBack:
        return cls(data["starts"], turns_from_json(data))

    def cells(self) -> list[str]:
        return turn_cells(self.players)


@dataclass
class SecondTurn:
    """Two whole turns: each frame of the second against the same frame of the first (PSNR)."""

    starts: int
    second_vs_first: dict[str, Estimate] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"starts": self.starts}
        for who, value in self.second_vs_first.items():
            data.update(estimate_json(f"{who}_second_vs_first", value))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SecondTurn:
        return cls(data["starts"], {who: estimate(data, f"{who}_second_vs_first")
                                    for who in players(data, "_second_vs_first")})

    def cells(self) -> list[str]:
        return [f"{who}_second_vs_first {value.unsigned()}" for who, value in self.second_vs_first.items()]


@dataclass
class WalkBack:
    """How much nearer a player's frames are to the real views than the prompt is (dB), walking out and at the
    end of the way back."""

    out_vs_prompt: Estimate
    end_vs_prompt: Estimate


@dataclass
class WalkOutBack:
    """A walk into open floor and back (no player but ViZDoom measured against itself)."""

    starts: int
    players: dict[str, WalkBack] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"starts": self.starts}
        for who, walk in self.players.items():
            data.update({**estimate_json(f"{who}_out_vs_prompt", walk.out_vs_prompt),
                         **estimate_json(f"{who}_end_vs_prompt", walk.end_vs_prompt)})
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WalkOutBack:
        return cls(data["starts"], {who: WalkBack(estimate(data, f"{who}_out_vs_prompt"),
                                                  estimate(data, f"{who}_end_vs_prompt"))
                                    for who in players(data, "_out_vs_prompt")})

    def cells(self) -> list[str]:
        return [f"{who}_{name} {value.unsigned()}" for who, walk in self.players.items()
                for name, value in (("out_vs_prompt", walk.out_vs_prompt), ("end_vs_prompt", walk.end_vs_prompt))]


@dataclass
class Response:
    """A player's shift of the view as a share of Doom's, on a turn's first 4 frames and steady."""

    first_4: float
    steady: float


@dataclass
class TurnResponse:
    """Still, turning right, turning left, still: how the view's content shifts against Doom's."""

    real_mean_shift: list[float] = field(default_factory=list)     # Doom's shift each frame, over the starts
    players: dict[str, Response] = field(default_factory=dict)

    @property
    def starts(self) -> int | None:
        """0 when no start was played; how many otherwise is not recorded."""
        return None if self.players else 0

    def to_json(self) -> dict[str, Any]:
        if not self.players:
            return {"starts": 0}
        data: dict[str, Any] = {"real_mean_shift": self.real_mean_shift}
        for who, response in self.players.items():
            data.update({f"{who}_first_4": response.first_4, f"{who}_steady": response.steady})
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TurnResponse:
        return cls(list(data.get("real_mean_shift", [])),
                   {who: Response(data[f"{who}_first_4"], data[f"{who}_steady"])
                    for who in players(data, "_first_4")})

    def cells(self) -> list[str]:
        return [f"{who}_{name} {value:.2f}" for who, response in self.players.items()
                for name, value in (("first_4", response.first_4), ("steady", response.steady))]


@dataclass
class MinuteOfPlay:
    """One player's minute: frames gone flat; each 150-frame block's contrast and sharpness against the real
    frames of that block (not for ViZDoom itself), and their ranges."""

    flat_frames: float
    contrast_blocks: list[float] | None = None
    sharpness_blocks: list[float] | None = None
    contrast_range: list[float] | None = None
    sharpness_range: list[float] | None = None


@dataclass
class Minute:
    """A minute of the probe's varied actions from one start a map, and the process's memory after each."""

    starts: int
    players: dict[str, MinuteOfPlay] = field(default_factory=dict)
    host_mib: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"starts": self.starts}
        for who, minute in self.players.items():
            if minute.contrast_blocks is not None:
                data.update({f"{who}_contrast_blocks": minute.contrast_blocks,
                             f"{who}_sharpness_blocks": minute.sharpness_blocks,
                             f"{who}_contrast_range": minute.contrast_range,
                             f"{who}_sharpness_range": minute.sharpness_range})
        data.update({f"{who}_flat_frames": minute.flat_frames for who, minute in self.players.items()})
        if self.players:
            data["host_mib"] = self.host_mib
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Minute:
        minutes = {}
        for who in players(data, "_flat_frames"):
            blocks = f"{who}_contrast_blocks" in data
            minutes[who] = MinuteOfPlay(data[f"{who}_flat_frames"], *(
                data[f"{who}_{name}"] if blocks else None
                for name in ("contrast_blocks", "sharpness_blocks", "contrast_range", "sharpness_range")))
        return cls(data["starts"], minutes, list(data.get("host_mib", [])))

    def cells(self) -> list[str]:
        cells = [f"{who}_flat_frames {minute.flat_frames:.2f}" for who, minute in self.players.items()]
        for who, minute in self.players.items():
            if minute.contrast_range is not None and minute.sharpness_range is not None:
                cells += [f"{who}_{name} {low:.2f}-{high:.2f}" for name, (low, high) in
                          (("contrast_range", minute.contrast_range), ("sharpness_range", minute.sharpness_range))]
        return cells
