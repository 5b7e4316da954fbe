"""A copy of a world pack with int8 copies of its named graphs beside the fp32 ones (ONNX Runtime's dynamic
quantization, engine.export.graphs.to_int8; the manifest names them as `dreamwalk export --int8` does), for
a pack whose checkpoint is gone. `dreamwalk export --int8` also checks the int8 rollout against PyTorch.

    python benchmarks/int8_pack.py assets/worlds/doom.dwpack --graphs dynamics --out runs/int8pack
    dreamwalk bench runs/int8pack --device cpu --steps 1 --frames 1000 --precision fp32,int8
    dreamwalk eval runs/int8pack --precision int8 --windows-per-map 4 --horizon 64 --long 1000 --sweep ""
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.export.graphs import to_int8  # noqa: E402
from engine.export.pack import sha256  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pack", type=Path)
    parser.add_argument("--graphs", default="dynamics", help="comma-separated graph names to quantize")
    parser.add_argument("--out", type=Path, default=Path("runs/int8pack"), help="pack folder to write")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    with zipfile.ZipFile(args.pack) as archive:
        archive.extractall(args.out)
    manifest = json.loads((args.out / "manifest.json").read_text())
    for graph in args.graphs.split(","):
        quantized = to_int8(args.out / manifest["graphs"][graph]["file"], args.out / f"{graph}.int8.onnx")
        manifest["graphs"][graph]["int8"] = {"file": quantized.name, "sha256": sha256(quantized)}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"wrote {args.out} (int8 {args.graphs} beside fp32)")


if __name__ == "__main__":
    main()
