"""Get what a check on a lent GPU machine needs onto it, within the 64 MiB one call may carry.

    python scripts/device_kit.py size [--carry PATH ...]
    python scripts/device_kit.py build WHEEL [--out .devkit/ort] [--part-mib 44]
    python3 scripts/device_kit.py install [--kit .devkit/ort] [--target .devkit/site]      # on the machine

The device tool sends the working tree (tracked and untracked-not-ignored files, plus the paths a call
carries) with every call, 64 MiB at most. ``size`` says what would travel and the largest files in it: the
default pack and the teacher's weights alone are 53 MiB, so a lease that does not need them moves them out
of the checkout first (``git checkout`` brings them back). ``build`` turns a wheel too big for one call
(onnxruntime-gpu 1.31.1 for Python 3.12: 256 MB, its CUDA provider 284 MB unpacked) into an xz archive of
its files, less the TensorRT provider, split into parts of ``--part-mib`` with ``kit.json`` (each part's
size and SHA-256). Each call carries one part by its own path (``.devkit/ort/part-01`` ...), so the parts
already on the machine stay (ignored outputs are kept between the calls of one lease); ``install`` there
checks every part against kit.json, joins them and unpacks the files into ``--target`` for PYTHONPATH,
once (a second call finds the stamp and does nothing), and links the machine's pip CUDA libraries beside
them, where onnxruntime-gpu looks.

The GPU runtime check in one lease (each call within the 30 s a warm machine waits for the next):
  1. here: ``build WHEEL --part-mib 60`` (the cp312 wheel from ``pip download``, see the device README);
     ``mkdir -p /tmp/aside && mv docs scripts/doom-teacher.fp16.safetensors assets/worlds/doom.dwpack
     /tmp/aside/``, then ``size`` (about 3 MiB travel);
  2. calls 1-3 carry ``.devkit/ort/kit.json`` and ``.devkit/ort/part-0N``, command ``nvidia-smi -L``;
  3. ``mv /tmp/aside/doom.dwpack assets/worlds/``; call 4 carries the last part and runs
     ``python3 scripts/device_kit.py install && PYTHONPATH=.devkit/site python3 scripts/gpu_runtime_check.py
     --out $OUT/gpu-runtime.json``;
  4. here: ``mv /tmp/aside/docs . && mv /tmp/aside/doom-teacher.fp16.safetensors scripts/``; ``git status``
     clean.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIB = 2 ** 20
LIMIT_MIB = 64
LEFT_OUT = ("providers_tensorrt", "__pycache__/")          # not needed for the CUDA provider


def travelling_files(carry: list[str]) -> dict[str, int]:
    """Bytes of each file that would travel: tracked and untracked-not-ignored files, and carried paths."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    paths = [ROOT / name for name in listed if name]
    for name in carry:
        path = ROOT / name
        paths += [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    return {str(p.relative_to(ROOT)): p.stat().st_size for p in paths if p.is_file()}


def size(carry: list[str]) -> int:
    files = travelling_files(carry)
    total = sum(files.values()) / MIB
    print(f"{total:.1f} MiB would travel ({len(files)} files; a call takes {LIMIT_MIB} MiB)")
    for name, count in sorted(files.items(), key=lambda item: -item[1])[:5]:
        print(f"  {count / MIB:6.1f} MiB  {name}")
    return 0 if total <= LIMIT_MIB else 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(wheel: Path, out: Path, part_mib: float) -> int:
    """The wheel's files (less LEFT_OUT) as one xz-compressed tar, split into parts. The archive is kept
    beside the kit folder (minutes of compression), so splitting it again for another size is quick."""
    archive_path = out.parent / f"{wheel.stem}.tar.xz"
    if archive_path.is_file() and archive_path.stat().st_mtime >= wheel.stat().st_mtime:
        data = archive_path.read_bytes()
    else:
        data = compress(wheel)
        out.parent.mkdir(parents=True, exist_ok=True)
        archive_path.write_bytes(data)
    step = int(part_mib * MIB)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*"):
        old.unlink()
    parts = []
    for index, start in enumerate(range(0, len(data), step), 1):
        chunk = data[start:start + step]
        (out / f"part-{index:02d}").write_bytes(chunk)
        parts.append({"name": f"part-{index:02d}", "bytes": len(chunk), "sha256": sha256(chunk)})
    (out / "kit.json").write_text(json.dumps({"wheel": wheel.name, "archive_sha256": sha256(data),
                                              "parts": parts}, indent=1))
    print(f"{wheel.name}: {len(data) / MIB:.1f} MiB in {len(parts)} parts of at most {part_mib} MiB in {out}")
    for part in parts:
        print(f"  carry {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}/{part['name']} "
              f"({part['bytes'] / MIB:.1f} MiB)")
    return 0


def compress(wheel: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(wheel) as archive, lzma.open(buffer, "wb", preset=9 | lzma.PRESET_EXTREME) as packed:
        with tarfile.open(fileobj=packed, mode="w") as tar:
            for member in archive.infolist():
                if member.is_dir() or any(part in member.filename for part in LEFT_OUT):
                    continue
                data = archive.read(member)
                info = tarfile.TarInfo(member.filename)
                info.size, info.mode = len(data), 0o755 if member.filename.endswith(".so") else 0o644
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def install(kit: Path, target: Path) -> int:
    manifest_path = kit / "kit.json"
    if not manifest_path.is_file():
        print(f"device_kit: no kit.json in {kit}; carry it with the first part", file=sys.stderr)
        return 1
    manifest = json.loads(manifest_path.read_text())
    stamp = target / ".installed"
    if stamp.is_file() and stamp.read_text() == manifest["archive_sha256"]:
        print(f"device_kit: {manifest['wheel']} already in {target}")
        return 0
    found = {p["name"]: (kit / p["name"]).read_bytes() for p in manifest["parts"] if (kit / p["name"]).is_file()}
    missing = [p["name"] for p in manifest["parts"] if p["name"] not in found]
    broken = [p["name"] for p in manifest["parts"] if p["name"] in found and sha256(found[p["name"]]) != p["sha256"]]
    if missing or broken:
        print(f"device_kit: {manifest['wheel']} is not complete here: missing {', '.join(missing) or 'none'}, "
              f"damaged {', '.join(broken) or 'none'}", file=sys.stderr)
        return 1
    data = b"".join(found[p["name"]] for p in manifest["parts"])
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(lzma.decompress(data)), mode="r") as tar:
        tar.extractall(target, filter="data")
    stamp.write_text(manifest["archive_sha256"])
    print(f"device_kit: {manifest['wheel']} unpacked into {target}")
    link_nvidia(target)
    return 0


def link_nvidia(target: Path) -> None:
    """onnxruntime-gpu looks for pip's CUDA libraries beside itself (site-packages/nvidia); where this
    Python has them (PyTorch's nvidia-* wheels), link them there, as if installed into one environment."""
    import importlib.util

    spec = importlib.util.find_spec("nvidia")
    found = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    if found and not (target / "nvidia").exists():
        (target / "nvidia").symlink_to(found[0], target_is_directory=True)
        print(f"device_kit: {target / 'nvidia'} -> {found[0]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    sizing = verbs.add_parser("size", help="what a device call would send")
    sizing.add_argument("--carry", action="append", default=[])
    building = verbs.add_parser("build", help="split a wheel into parts that travel one per call")
    building.add_argument("wheel", type=Path)
    building.add_argument("--out", type=Path, default=ROOT / ".devkit" / "ort")
    building.add_argument("--part-mib", type=float, default=44.0)
    installing = verbs.add_parser("install", help="on the machine: check, join and unpack the parts")
    installing.add_argument("--kit", type=Path, default=ROOT / ".devkit" / "ort")
    installing.add_argument("--target", type=Path, default=ROOT / ".devkit" / "site")
    args = parser.parse_args()
    if args.verb == "size":
        return size(args.carry)
    if args.verb == "build":
        return build(args.wheel, args.out, args.part_mib)
    return install(args.kit, args.target)


if __name__ == "__main__":
    sys.exit(main())
