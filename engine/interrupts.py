"""Ctrl-C and ``kill`` end long commands the same way: with what is finished saved."""

from __future__ import annotations

import signal
import threading
from typing import Any


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl-C and ``kill`` (SIGTERM) both raise KeyboardInterrupt, also in a command started in the
    background, where the shell leaves SIGINT ignored and Python would not install its own handler."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
