"""A copy of a world pack whose named graphs are quantized to int8 by ONNX Runtime's dynamic quantization
(weights int8, activations quantized at run time), with the manifest's checksums updated, so the copy
benches and plays like any pack. A speed lead for CPUs without AVX512 (docs/world-model.md, "A fresh
checkout with no runs"); the quantized graphs' held-out metrics are not measured by `dreamwalk eval`.

    python benchmarks/int8_pack.py assets/worlds/doom.dwpack --graphs dynamics --out runs/int8pack
    dreamwalk bench runs/int8pack --device cpu --steps 1 --frames 1000
    python scripts/prompt_rollouts.py runs/int8pack --out runs/prompt-int8
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.export.pack import sha256  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pack", type=Path)
    parser.add_argument("--graphs", default="dynamics", help="comma-separated graph names to quantize")
    parser.add_argument("--out", type=Path, default=Path("runs/int8pack"), help="pack folder to write")
    args = parser.parse_args()
    from onnxruntime.quantization import QuantType, quantize_dynamic

    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    with zipfile.ZipFile(args.pack) as archive:
        archive.extractall(args.out)
    manifest = json.loads((args.out / "manifest.json").read_text())
    for graph in args.graphs.split(","):
        source = args.out / manifest["graphs"][graph]["file"]
        quantized = source.with_suffix(".int8.onnx")
        quantize_dynamic(str(source), str(quantized), weight_type=QuantType.QInt8)
        quantized.replace(source)
        manifest["graphs"][graph]["sha256"] = sha256(source)
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"wrote {args.out} ({args.graphs} in int8)")


if __name__ == "__main__":
    main()
