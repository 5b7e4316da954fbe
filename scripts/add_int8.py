"""Add an int8 dynamics graph to an existing world pack, for a pack whose checkpoint is gone or that came
from elsewhere (`dreamwalk export --int8` does the same at export). The int8 graph is ONNX Runtime's dynamic
quantization of the pack's fp32 dynamics graph (engine.export.graphs.to_int8), checked against it over a
rollout as the export checks it against PyTorch (engine.export.export.INT8_TOLERANCE); everything else in
the pack, its manifest included, stays as it was.

    python scripts/add_int8.py assets/worlds/doom.dwpack --out runs/doom-int8.dwpack
    dreamwalk bench runs/doom-int8.dwpack --device cpu --steps 1 --frames 1000 --precision fp32,int8
    dreamwalk eval runs/doom-int8.dwpack --precision int8 --windows-per-map 4 --horizon 64 --long 1000 --sweep ""
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.actions import KEYS  # noqa: E402
from engine.errors import DreamwalkError  # noqa: E402
from engine.export.export import INT8_TOLERANCE  # noqa: E402
from engine.export.graphs import to_int8  # noqa: E402
from engine.pack import open_pack, sha256, write_pack  # noqa: E402
from engine.runtime.session import WorldSession  # noqa: E402


def rollout_latents(folder: Path, precision: str, frames: int) -> np.ndarray:
    """The latents of a rollout from a noisy grey prompt under random actions, as the export's parity check."""
    rng = np.random.default_rng(0)
    with WorldSession.open(folder, device="cpu", precision=precision) as session:
        width, height = session.frame_size
        prompt = np.clip(127.5 + 38 * rng.standard_normal((height, width, 3)), 0, 255).astype(np.uint8)
        actions = rng.uniform(-1, 1, (frames, len(KEYS))).astype(np.float32)     # keys, then turn and look
        actions[:, :-2] = actions[:, :-2] > 0
        rollout = session.new_rollout(7)
        rollout.prime(session.encode(prompt))
        return np.stack([rollout.step(action) for action in actions])


def add_int8(pack: Path, out: Path, frames: int = 24) -> float:
    opened = open_pack(pack)
    try:
        with tempfile.TemporaryDirectory(prefix="dreamwalk-int8-") as temporary:
            folder = Path(temporary) / "pack"
            shutil.copytree(opened.folder, folder)
            manifest = json.loads((folder / "manifest.json").read_text())
            dynamics = manifest["graphs"]["dynamics"]
            quantized = to_int8(folder / dynamics["file"], folder / "dynamics.int8.onnx")
            dynamics["int8"] = {"file": quantized.name, "sha256": sha256(quantized)}
            (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
            difference = float(np.abs(rollout_latents(folder, "fp32", frames)
                                      - rollout_latents(folder, "int8", frames)).max())
            if not difference <= INT8_TOLERANCE:
                raise DreamwalkError(f"the int8 dynamics graph drifts from the fp32 one by {difference:.2e} over a "
                                     f"{frames}-frame rollout (limit {INT8_TOLERANCE:g}); nothing was written")
            manifest["parity"]["int8_max_abs_latent_difference"] = difference
            (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
            out.parent.mkdir(parents=True, exist_ok=True)
            write_pack(folder, out)
    finally:
        opened.close()
    return difference


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pack", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="the new pack file (NAME.dwpack)")
    args = parser.parse_args()
    try:
        difference = add_int8(args.pack, args.out)
    except DreamwalkError as error:
        print(f"add_int8: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({args.out.stat().st_size / 2**20:.1f} MiB): int8 dynamics beside fp32, "
          f"max |latent difference| over the rollout {difference:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
