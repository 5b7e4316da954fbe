#!/usr/bin/env python3
"""Set up Dreamwalk in a local virtual environment (.venv) and run it.

    python3 dev.py start    # player dependencies, then start Dreamwalk
    python3 dev.py test     # everything (engine + tests), then the whole test suite

Extra arguments after ``test`` go to pytest (``python3 dev.py test -k actions``). Installs are skipped
when pyproject.toml has not changed since the last one.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
# Installed on its own before the engine's extras, at the version pyproject.toml asks for at least.
TORCH = "torch==2.13.0"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(*command: str | Path) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, cwd=ROOT)


def ensure_environment(extras: str) -> Path:
    if sys.version_info < (3, 10):
        sys.exit(f"Dreamwalk needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    python = venv_python()
    if not python.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".dreamwalk-installed-{extras or 'player'}"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    quiet = ["-q", "--disable-pip-version-check"]
    if "engine" in extras:
        run(python, "-m", "pip", "install", *quiet, TORCH)
    target = f".[{extras}]" if extras else "."
    run(python, "-m", "pip", "install", *quiet, "-e", target)
    stamp.write_text(wanted)
    return python


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "start":
        python = ensure_environment("")
        return subprocess.call([str(python), str(ROOT / "main.py"), *sys.argv[2:]], cwd=ROOT)
    if command == "test":
        python = ensure_environment("engine,test,package")
        return subprocess.call([str(python), "-m", "pytest", *sys.argv[2:]], cwd=ROOT)
    print(__doc__.strip())
    return 2


if __name__ == "__main__":
    sys.exit(main())
