"""The key bindings table of the launcher: one row per control, the key in the second column. Double-click a row
(or select it and press Enter), then press the new key; Esc cancels. Keys are stored by pygame's names, the
names the player reads (app/controls.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from app.controls import ACTION_LABELS, DEFAULT_BINDINGS, binding_problem, key_label

NAMED_KEYS = {
    Qt.Key.Key_Space: "space", Qt.Key.Key_Left: "left", Qt.Key.Key_Right: "right", Qt.Key.Key_Up: "up",
    Qt.Key.Key_Down: "down", Qt.Key.Key_Return: "return", Qt.Key.Key_Enter: "enter", Qt.Key.Key_Tab: "tab",
    Qt.Key.Key_Insert: "insert", Qt.Key.Key_Delete: "delete", Qt.Key.Key_Home: "home", Qt.Key.Key_End: "end",
    Qt.Key.Key_PageUp: "page up", Qt.Key.Key_PageDown: "page down", Qt.Key.Key_CapsLock: "caps lock",
    Qt.Key.Key_Backspace: "backspace", **{getattr(Qt.Key, f"Key_F{n}"): f"f{n}" for n in range(1, 13)},
}
# A modifier binds both sides (either Ctrl crouches): Qt does not tell left from right on every platform.
MODIFIERS = {Qt.Key.Key_Control: "ctrl", Qt.Key.Key_Shift: "shift", Qt.Key.Key_Alt: "alt", Qt.Key.Key_Meta: "meta"}


def pygame_keys(event: QKeyEvent) -> list[str]:
    """The pygame key names of a Qt key press ([] for a key the player cannot tell apart)."""
    key = Qt.Key(event.key())
    if key in MODIFIERS:
        return [f"left {MODIFIERS[key]}", f"right {MODIFIERS[key]}"]
    if key in NAMED_KEYS:
        return [NAMED_KEYS[key]]
    text = event.text().lower()
    if len(text) == 1 and text.isprintable() and not text.isspace() and text.isascii():
        keypad = event.modifiers() & Qt.KeyboardModifier.KeypadModifier
        return [f"[{text}]" if keypad else text]
    return []


class KeyBindingsTable(QTableWidget):
    """Edits ``bindings`` (action -> pygame key names) in place; ``message`` explains a key it refuses."""

    message = Signal(str)

    def __init__(self, bindings: dict[str, list[str]]) -> None:
        super().__init__(len(ACTION_LABELS), 2)
        self.bindings = bindings
        self.capturing: str | None = None          # the action waiting for its new key
        self.setHorizontalHeaderLabels(["Control", "Key"])
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setToolTip("Double-click a control, then press its new key (Esc cancels)")
        for row, (action, label) in enumerate(ACTION_LABELS.items()):
            item = QTableWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, action)
            self.setItem(row, 0, item)
            self.setItem(row, 1, QTableWidgetItem())
        self.cellDoubleClicked.connect(lambda row, _: self.start_capture(row))
        self.refresh()

    def refresh(self) -> None:
        for row in range(self.rowCount()):
            action = self.item(row, 0).data(Qt.ItemDataRole.UserRole)
            waiting = action == self.capturing
            self.item(row, 1).setText("press a key..." if waiting else key_label(self.bindings.get(action, [])))

    def start_capture(self, row: int) -> None:
        self.capturing = self.item(row, 0).data(Qt.ItemDataRole.UserRole)
        self.selectRow(row)
        self.setFocus()
        self.refresh()

    def restore_defaults(self) -> None:
        self.bindings.clear()
        self.bindings.update({action: list(keys) for action, keys in DEFAULT_BINDINGS.items()})
        self.capturing = None
        self.refresh()
        self.message.emit("the default keys are back")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if self.capturing is None:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
                self.start_capture(self.currentRow())
            else:
                super().keyPressEvent(event)
            return
        action, self.capturing = self.capturing, None
        if event.key() != Qt.Key.Key_Escape:
            keys = pygame_keys(event)
            problem = binding_problem(self.bindings, action, keys) if keys else "the player cannot read that key"
            if problem:
                self.message.emit(problem)
            else:
                self.bindings[action] = keys
                self.message.emit(f"{ACTION_LABELS[action]}: {key_label(keys)}")
        self.refresh()

    def focusNextPrevChild(self, next_child: bool) -> bool:  # noqa: N802
        return False if self.capturing else super().focusNextPrevChild(next_child)   # Tab can be a key too

    def focusOutEvent(self, event) -> None:  # noqa: N802
        if self.capturing:
            self.capturing = None                     # clicking elsewhere cancels, as Esc does
            self.refresh()
        super().focusOutEvent(event)
