"""Text over the player's frame: wrapped status lines and the F1 help laid out to fit the window. Pure layout
over pygame fonts (``font_of(size)``); the player draws what these return."""

from __future__ import annotations

from typing import Any, Callable

from app.controls import ControlSettings, key_label

HUD_FONT_SIZE = 22            # the status line's font in a window BASE_HEIGHT pixels high; larger in larger ones
HELP_FONT_SIZES = (22, 20, 18, 16, 14)   # the largest that fits (larger in larger windows); below 14 hard to read
BASE_HEIGHT = 480             # window pixels high at which the text is drawn at its own size
LARGEST_SCALE = 2.5           # the text grows with the window up to this many times its own size
DEVICE_WORDS = {"CPUExecutionProvider": "the CPU", "CUDAExecutionProvider": "the GPU (CUDA)",
                "TensorrtExecutionProvider": "the GPU (TensorRT)", "DmlExecutionProvider": "the graphics card",
                "CoreMLExecutionProvider": "the Mac's Neural Engine (CoreML)"}
HELP_COLUMNS = 3              # at most, side by side
MARGIN = 8                    # pixels between the window's edge and the text
KEY_GAP, COLUMN_GAP = 8, 18   # pixels after a key's name, between help columns
WHITE, KEY_YELLOW, BLACK = (255, 255, 255), (255, 220, 90), (0, 0, 0)
HELP_SHADE = (0, 0, 0, 170)   # behind the help, so it reads over any frame

Page = list[tuple[str, Any, tuple[int, int]]]      # (text, rendered text, top-left in the window)


def text_scale(window_size: tuple[int, int]) -> float:
    """How much larger than its own size the text is drawn in a window of ``window_size``."""
    return min(max(1.0, window_size[1] / BASE_HEIGHT), LARGEST_SCALE)


def hud_font_size(window_size: tuple[int, int]) -> int:
    return round(HUD_FONT_SIZE * text_scale(window_size))


def status_line(fps: float, step_ms: float | None, provider: str, recording_seconds: float | None = None,
                state: str = "") -> str:
    """The status line in plain words: how fast frames come (nothing before the first is dreamed), what dreams
    them, a clip being recorded and what the world is doing (paused, holding still, rewinding)."""
    parts = [f"{fps:.0f} frames/s, {step_ms:.0f} ms each" if step_ms is not None and fps > 0 else "starting"]
    parts.append(f"dreamed on {DEVICE_WORDS.get(provider, provider.replace('ExecutionProvider', ''))}")
    if recording_seconds is not None:
        parts.append(f"recording {recording_seconds:.1f} s")
    if state:
        parts.append(state)
    return "  ·  ".join(parts)


def help_entries(controls: ControlSettings) -> list[tuple[str, str]]:
    """(keys, what they do) for the F1 help, with the movement keys as bound in the launcher; F1's line last."""
    keys = {action: key_label(bound) for action, bound in controls.bindings.items()}
    move = [keys.get(action, "-") for action in ("forward", "left", "backward", "right")]
    return [
        ("".join(move) if all(len(k) == 1 for k in move) else " ".join(move), "move"),
        (f"Mouse, {keys.get('turn_left', '-')}/{keys.get('turn_right', '-')}", "turn"),
        (f"Mouse, {keys.get('look_up', '-')}/{keys.get('look_down', '-')}", "look up/down"),
        ("Click / Esc", "capture / free the mouse"),
        ("Clicks", "attack"), (keys.get("jump", "-"), "jump"), (keys.get("crouch", "-"), "crouch"),
        (keys.get("sprint", "-"), "sprint"), (keys.get("use", "-"), "use"),
        ("P", "pause"), ("Backspace", "hold to rewind"), ("F5", "set a bookmark"), ("F9", "back to the bookmark"),
        ("R", "restart"), ("F10", "record a clip"), ("F12", "screenshot"), ("F6", "keep the scene"),
        ("F11", "fullscreen"),
        ("F1", "close the help"),
    ]


def lay_out_help(entries: list[tuple[str, str]], font_of: Callable[[int], Any], window_size: tuple[int, int],
                 top: int) -> list[Page]:
    """The help as pages below ``top``: one page in the largest font and fewest columns that fit the window; a
    window too small for that gets pages in the smallest font (F1 turns them), each key above what it does
    where a line is too wide."""
    import pygame

    area = pygame.Rect(MARGIN, top, window_size[0] - 2 * MARGIN, window_size[1] - top - MARGIN)
    scale = text_scale(window_size)
    for size in sorted({round(size * scale) for size in HELP_FONT_SIZES} | set(HELP_FONT_SIZES), reverse=True):
        for columns in range(1, HELP_COLUMNS + 1):
            page = help_page(entries, font_of(size), columns, top)
            if area.contains(page_box(page)):
                return [page]
    font, entries = font_of(HELP_FONT_SIZES[-1]), entries[:-1]        # F1's line ends every page
    stacked = page_box(help_page(entries, font, 1, top)).right > area.right
    per_page = max(1, (area.height // font.get_linesize() - 1) // (2 if stacked else 1))
    chunks = [entries[start:start + per_page] for start in range(0, len(entries), per_page)]
    pages = []
    for number, chunk in enumerate(chunks, 1):
        turn = "close the help" if number == len(chunks) else "next page"
        pages.append(help_page(chunk + [("F1", f"{turn} ({number}/{len(chunks)})")], font, 1, top, stacked))
    return pages


def help_page(entries: list[tuple[str, str]], font: Any, columns: int, top: int, stacked: bool = False) -> Page:
    """``entries`` as columns of keys and what they do (``stacked``: what a key does on the line below it)."""
    line = font.get_linesize()
    rows = -(-len(entries) // columns)
    page, x = [], MARGIN
    for start in range(0, len(entries), rows):
        column = entries[start:start + rows]
        keys = [font.render(key, True, KEY_YELLOW) for key, _ in column]
        actions = [font.render(action, True, WHITE) for _, action in column]
        action_x = x + KEY_GAP if stacked else x + max(surface.get_width() for surface in keys) + KEY_GAP
        for row, ((key, action), key_surface, action_surface) in enumerate(zip(column, keys, actions)):
            y = top + row * line * (2 if stacked else 1)
            page += [(key, key_surface, (x, y)), (action, action_surface, (action_x, y + line * stacked))]
        x = max(action_x + surface.get_width() for surface in actions) + COLUMN_GAP
    return page


def page_box(page: Page) -> Any:
    """The pygame.Rect around a help page's text."""
    rects = [surface.get_rect(topleft=position) for _, surface, position in page]
    return rects[0].unionall(rects[1:])


def wrap_text(font: Any, text: str, width: int) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels, broken at spaces; a word wider than that alone (a long
    path) is cut where it must be."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if font.size(candidate)[0] <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while len(word) > 1 and font.size(word)[0] > width:
            cut = len(word) - 1
            while cut > 1 and font.size(word[:cut])[0] > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    return lines + [line]
