"""Choosing an ONNX Runtime execution provider that really works on this machine."""

from __future__ import annotations

import contextlib
import functools
import io
import re
import sys
import warnings
from pathlib import Path

PREFERENCE = ("CUDAExecutionProvider", "DmlExecutionProvider", "CoreMLExecutionProvider", "CPUExecutionProvider")
ALIASES = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider", "gpu": "CUDAExecutionProvider",
           "directml": "DmlExecutionProvider", "dml": "DmlExecutionProvider", "coreml": "CoreMLExecutionProvider"}


def choose_provider(device: str, probe_graph: Path) -> tuple[str, str | None]:
    """The provider to use for ``device`` ("auto", "cpu", "cuda", ...) and, when it had to fall back,
    a one-line explanation. A provider counts only if a session on ``probe_graph`` really runs on it
    (onnxruntime-gpu lists CUDA even where the CUDA libraries are missing)."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    if device == "auto":
        wanted = [p for p in PREFERENCE if p in available]
    else:
        name = ALIASES.get(device.lower(), device)
        if name not in PREFERENCE:
            from engine.errors import DreamwalkError
            raise DreamwalkError(f"unknown device {device!r}; use auto, cpu, cuda, directml or coreml")
        wanted = [name, "CPUExecutionProvider"]
    cuda = "CUDAExecutionProvider"
    missing = load_cuda_libraries() if cuda in wanted and cuda in available else None
    failed = []
    for provider in wanted:
        if provider == "CPUExecutionProvider" or _works(provider, probe_graph):
            note = None
            if failed:
                why = "not installed"
                if failed[0] in available:
                    found = f"{missing} was not found" if failed[0] == cuda and missing else ""
                    why = f"installed, but {found or 'it does not work here'}"
                note = f"{failed[0]} is not usable here ({why}); running on the CPU"
            return provider, note
        failed.append(provider)
    return "CPUExecutionProvider", None


@functools.cache
def load_cuda_libraries() -> str | None:
    """Load the CUDA and cuDNN libraries that pip installed (the nvidia-* wheels of PyTorch or of
    ``onnxruntime-gpu[cuda,cudnn]``), which onnxruntime-gpu's CUDA provider finds only when they are loaded
    first (``onnxruntime.preload_dlls``, ONNX Runtime 1.21+), quietly. Returns the first library that could
    not be loaded, if any, for the fallback's one line."""
    import onnxruntime

    if not hasattr(onnxruntime, "preload_dlls"):
        return None
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            onnxruntime.preload_dlls()
        except Exception:  # a broken install is reported by the probe that follows, in one line
            return None
    failure = re.search(r"Failed to load (\S+?):", printed.getvalue())
    return Path(failure.group(1)).name if failure else None


def _works(provider: str, graph: Path) -> bool:
    import onnxruntime

    previous = onnxruntime.get_default_logger_severity() if hasattr(onnxruntime, "get_default_logger_severity") else 2
    onnxruntime.set_default_logger_severity(4)      # a missing CUDA library otherwise prints a wall of errors
    try:
        session = onnxruntime.InferenceSession(str(graph), providers=[provider, "CPUExecutionProvider"])
        return session.get_providers()[0] == provider
    except Exception:  # onnxruntime raises its own exception types per provider
        return False
    finally:
        onnxruntime.set_default_logger_severity(previous)


def warn(note: str) -> None:
    print(f"dreamwalk: {note}", file=sys.stderr)
