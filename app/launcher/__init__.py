"""The launcher (PySide6): pick a prompt image and a world, adjust settings, press Play.

Long work never runs on the Qt thread: the player is a separate process (QProcess) whose output and
errors stream into the launcher; decoding a prompt picture (seconds for a 50-megapixel PNG), checking a scene,
computing the world's reading of the picture (its depth and a moving preview), verifying an imported world pack
and probing the compute devices run in worker threads (workers.py).

The window (window.py) is made of panels, one module each: gallery (the prompt pictures), reading (the world's
reading of the picture and its controls), world (the worlds and importing them), settings (options and keys)
and player (the player process and its recordings).
"""

from app.launcher.gallery import IMAGE_SUFFIXES, prompt_captions
from app.launcher.paths import BUNDLED_WORLDS, PROMPTS, ROOT, user_worlds
from app.launcher.player import RECORDING_SUFFIXES, SAVED_PREFIX
from app.launcher.reading import NO_DEPTH, READING_CONTROLS
from app.launcher.settings import describe_devices
from app.launcher.tiles import TILE, fit, to_pixmap
from app.launcher.window import Launcher, main
from app.launcher.workers import DeviceProbe, PromptLoader, ReadingWorker, SceneCheck, ThumbnailMaker, WorldImporter
from app.launcher.world import metrics_summary

__all__ = ["BUNDLED_WORLDS", "DeviceProbe", "IMAGE_SUFFIXES", "Launcher", "NO_DEPTH", "PROMPTS", "PromptLoader",
           "READING_CONTROLS", "RECORDING_SUFFIXES", "ROOT", "ReadingWorker", "SAVED_PREFIX", "SceneCheck", "TILE",
           "ThumbnailMaker", "WorldImporter", "describe_devices", "fit", "main", "metrics_summary", "prompt_captions",
           "to_pixmap", "user_worlds"]
