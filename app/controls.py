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


@dataclass
class ControlSettings:
    bindings: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_BINDINGS.items()})
    mouse_sensitivity: float = 0.15       # degrees of turn/look per pixel of mouse movement
    invert_look: bool = False
    key_turn_speed: float = 6.0           # degrees per frame while an arrow key is held
    key_look_speed: float = 2.0


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
