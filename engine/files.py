"""Files written whole or not at all, and a file's hash.

Every file something reads back (checkpoints, shards and their caches, packs, scenes, plans, settings, reports)
is written through ``replacing``: into a hidden file beside it, then renamed over it, so a full disk, a crash or
Ctrl-C leaves the file as it was and never half of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def replacing(path: str | Path, durable: bool = True) -> Iterator[Path]:
    """A hidden path beside ``path`` (its folder made) to write to; when the block ends it is renamed over
    ``path``, and on any error or interruption removed. ``durable``: synced to the disk first, the rename
    too, so that even a machine that stops keeps the old file or the new one (off for files in a private
    temporary folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        yield temporary
        if durable:
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable:
        _sync_folder(path.parent)


def write_bytes(path: str | Path, data: bytes) -> None:
    with replacing(path) as temporary:
        temporary.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, value: object) -> None:
    write_text(path, json.dumps(value, indent=1))


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's contents, hex, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sync_folder(folder: Path) -> None:
    """Make a rename itself durable (POSIX); where a folder cannot be opened, the rename stands unsynced."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
