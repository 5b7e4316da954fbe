"""Keyboard and mouse -> schema actions. Key names are pygame's (``pygame.key.name``), so bindings can
live in a settings file; the mapping itself is a pure function, tested without a window."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_BINDINGS: dict[str, list[str]] = {
    "forward": ["w"], "backward": ["s"], "left": ["a"], "right": ["d"],
    "jump": ["space"], "crouch": ["left ctrl", "right ctrl"], "sprint": ["left shift", "right shift"],
    "use": ["e"], "turn_left": ["left"], "turn_right": ["right"], "look_up": ["up"], "look_down": ["down"],
}
MOUSE_BUTTONS = {1: "attack", 3: "attack_alt"}
ACTION_LABELS = {
    "forward": "Move forward", "backward": "Move back", "left": "Step left", "right": "Step right",
    "jump": "Jump", "crouch": "Crouch", "sprint": "Sprint", "use": "Use", "turn_left": "Turn left",
    "turn_right": "Turn right", "look_up": "Look up", "look_down": "Look down",
}
# The player's own keys (app/player.py, Player.on_key): a control bound to one would also pause, rewind, ...
RESERVED_KEYS = {"escape": "release the mouse", "p": "pause", "backspace": "rewind", "r": "restart",
                 "f1": "help", "f5": "bookmark", "f6": "keep the scene", "f9": "back to the bookmark",
                 "f10": "record a clip", "f11": "fullscreen", "f12": "screenshot"}


@dataclass
class ControlSettings:
    bindings: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_BINDINGS.items()})
    mouse_sensitivity: float = 0.15       # degrees of turn/look per pixel of mouse movement
    invert_look: bool = False
    key_turn_speed: float = 6.0           # degrees per frame while an arrow key is held
    key_look_speed: float = 2.0


def key_label(keys: list[str]) -> str:
    """Key names as people read them: ["left ctrl", "right ctrl"] -> "Ctrl", ["w"] -> "W", ["left"] -> "Left"."""
    names = list(keys)
    for side_less in ("ctrl", "shift", "alt", "meta"):
        if f"left {side_less}" in names and f"right {side_less}" in names:
            names = [side_less if n == f"left {side_less}" else n for n in names if n != f"right {side_less}"]
    return "/".join(name.title() if len(name) > 1 else name.upper() for name in names) or "-"


def binding_problem(bindings: dict[str, list[str]], action: str, keys: list[str]) -> str | None:
    """Why ``keys`` cannot control ``action`` (a key the player uses itself, or one another control has), or None."""
    for key in keys:
        if key in RESERVED_KEYS:
            return f"{key_label([key])} is the player's {RESERVED_KEYS[key]} key; choose another key"
        for other, bound in bindings.items():
            if other != action and key in bound:
                return f"{key_label([key])} already controls {ACTION_LABELS.get(other, other).lower()}"
    return None


def action_from_input(pressed: set[str], mouse_buttons: set[int], mouse_delta: tuple[float, float],
                      settings: ControlSettings) -> dict[str, bool | float]:
    """One frame's action from the keys held (pygame key names), mouse buttons held and the mouse
    movement since the last frame (pixels; y grows downwards)."""
    def held(name: str) -> bool:
        return any(key in pressed for key in settings.bindings.get(name, []))

    action: dict[str, bool | float] = {
        key: held(key) for key in ("forward", "backward", "left", "right", "jump", "crouch", "sprint", "use")
    }
    for button, key in MOUSE_BUTTONS.items():
        action[key] = button in mouse_buttons
    dx, dy = mouse_delta
    look_sign = -1.0 if settings.invert_look else 1.0
    turn = dx * settings.mouse_sensitivity + settings.key_turn_speed * (held("turn_right") - held("turn_left"))
    look = -dy * settings.mouse_sensitivity * look_sign + settings.key_look_speed * (held("look_up") - held("look_down"))
    action["turn"], action["look"] = float(turn), float(look)
    return action
