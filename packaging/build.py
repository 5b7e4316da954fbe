"""Build the desktop app: one folder with the launcher, the player, ONNX Runtime, the default world and
the bundled prompts (no torch, no simulators, no Python needed on the target machine).

    python packaging/build.py [--dist dist] [--work build/pyinstaller]

Writes ``DIST/Dreamwalk/`` (run ``DIST/Dreamwalk/dreamwalk``) and, on Linux, a desktop entry
``DIST/Dreamwalk/dreamwalk.desktop`` pointing at it. Prints the build time and size. Needs the
``package`` extra: ``pip install -e '.[package]'``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--cpu-only", action="store_true", help="leave out the CUDA provider (~285 MB smaller)")
    args = parser.parse_args(argv)
    if not any((ROOT / "assets" / "worlds").glob("*.dwpack")):
        print("build: error: no world pack in assets/worlds; the app would have nothing to play", file=sys.stderr)
        return 1
    start = time.perf_counter()
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
               "--distpath", str(args.dist), "--workpath", str(args.work), str(ROOT / "packaging" / "dreamwalk.spec")]
    env = {**os.environ, **({"DREAMWALK_CPU_ONLY": "1"} if args.cpu_only else {})}
    if subprocess.run(command, cwd=ROOT, env=env).returncode != 0:
        print("build: error: PyInstaller failed (its messages are above)", file=sys.stderr)
        return 1
    app = args.dist / "Dreamwalk"
    if sys.platform.startswith("linux"):
        entry = (ROOT / "packaging" / "dreamwalk.desktop").read_text().replace("@APP@", str(app.resolve()))
        (app / "dreamwalk.desktop").write_text(entry)
    elapsed = time.perf_counter() - start
    print(f"built {app} in {elapsed:.0f} s: {folder_size(app) / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
