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
DEVICE_PROVIDERS = {"cuda": "CUDAExecutionProvider", "directml": "DmlExecutionProvider",
                    "coreml": "CoreMLExecutionProvider"}
DEVICE_PLATFORMS = {"directml": "win32", "coreml": "darwin"}      # sys.platform prefixes; CUDA: wherever listed
FALLBACK_LINES = {
    "CUDAExecutionProvider": "No usable NVIDIA GPU found; running on the CPU",
    "DmlExecutionProvider": "No usable DirectML graphics card found; running on the CPU",
    "CoreMLExecutionProvider": "CoreML is not usable on this Mac; running on the CPU",
}


def choose_provider(device: str, probe_graph: Path) -> tuple[str, str | None]:
    """The provider to use for ``device`` ("auto", "cpu", "cuda", ...) and, when a device asked for by name could
    not be used, the one plain line that says so. A provider counts only if a session on ``probe_graph`` really
    runs on it (onnxruntime-gpu lists CUDA even where the CUDA libraries or the GPU are missing). ``auto`` takes
    the best that works without a word: on a machine without a GPU the CPU is what it should pick."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    if device == "auto":
        wanted = [p for p in PREFERENCE if p in available]
    else:
        name = ALIASES.get(device.lower(), device)
        if name not in PREFERENCE:
            from engine.errors import DreamwalkError
            raise DreamwalkError(f"unknown device {device!r}; use {', '.join(device_choices())}")
        wanted = [name, "CPUExecutionProvider"]
    if "CUDAExecutionProvider" in wanted and "CUDAExecutionProvider" in available:
        load_cuda_libraries()
    for provider in wanted:
        if provider == "CPUExecutionProvider" or _works(provider, probe_graph):
            return provider, fallback_line(device, provider)
    return "CPUExecutionProvider", fallback_line(device, "CPUExecutionProvider")


def device_choices(available: list[str] | None = None, platform: str = sys.platform) -> list[str]:
    """The devices worth offering on this system: auto, cpu, and each accelerator that can exist here (DirectML
    only on Windows, CoreML only on macOS) and that this ONNX Runtime lists. Listed is not yet usable: CUDA is
    listed by onnxruntime-gpu on machines without a GPU; ``choose_provider`` finds out."""
    if available is None:
        import onnxruntime
        available = onnxruntime.get_available_providers()
    choices = ["auto", "cpu"]
    for device, provider in DEVICE_PROVIDERS.items():
        if provider in available and platform.startswith(DEVICE_PLATFORMS.get(device, "")):
            choices.append(device)
    return choices


def fallback_line(device: str, provider: str) -> str | None:
    """One plain line when ``device``, asked for by name, is not the ``provider`` that runs; for ``auto``, only
    where an NVIDIA GPU is there and the CPU runs all the same (someone expects the GPU); else None."""
    if device == "auto":
        if provider != "CPUExecutionProvider" or not nvidia_gpu_present():
            return None
        missing = load_cuda_libraries()
        why = f"{missing} was not found" if missing else "CUDA does not run on it"
        return f"An NVIDIA GPU is here but {why}; running on the CPU"
    wanted = ALIASES.get(device.lower(), device)
    if wanted == provider:
        return None
    return FALLBACK_LINES.get(wanted, f"{wanted} is not usable here; running on the CPU")


def nvidia_gpu_present() -> bool:
    """Whether this machine has an NVIDIA GPU with its driver (Linux: /proc/driver/nvidia; elsewhere: nvidia-smi)."""
    import shutil

    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


@functools.cache
def load_cuda_libraries() -> str | None:
    """Load the CUDA and cuDNN libraries that pip installed (the nvidia-* wheels of PyTorch or of
    ``onnxruntime-gpu[cuda,cudnn]``), which onnxruntime-gpu's CUDA provider finds only when they are loaded
    first (``onnxruntime.preload_dlls``, ONNX Runtime 1.21+), quietly. Returns the first library that could
    not be loaded, if any (for ``dreamwalk check`` and the launcher's device details)."""
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
