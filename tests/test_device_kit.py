"""scripts/device_kit.py: a wheel too big for one device call, split into parts and put back together."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KIT = [sys.executable, str(ROOT / "scripts" / "device_kit.py")]


def kit(*arguments):
    return subprocess.run([*KIT, *arguments], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_a_wheel_travels_in_parts_and_unpacks_only_when_whole(tmp_path):
    wheel = tmp_path / "demo-1.0-cp312-cp312-linux_x86_64.whl"
    provider = np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes()   # incompressible
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo/__init__.py", "VERSION = '1.0'\n")
        archive.writestr("demo/capi/libdemo_providers_cuda.so", provider)
        archive.writestr("demo/capi/libdemo_providers_tensorrt.so", b"left out")
        archive.writestr("demo/__pycache__/__init__.cpython-312.pyc", b"left out")
        archive.writestr("demo-1.0.dist-info/METADATA", "Name: demo\n")
    parts, site = tmp_path / "parts", tmp_path / "site"
    built = kit("build", str(wheel), "--out", str(parts), "--part-mib", "0.1")
    assert built.returncode == 0, built.stderr
    manifest = json.loads((parts / "kit.json").read_text())
    assert len(manifest["parts"]) == 3 and all(p["bytes"] <= 0.1 * 2 ** 20 for p in manifest["parts"])

    (parts / "part-02").rename(tmp_path / "part-02")                    # not carried yet
    missing = kit("install", "--kit", str(parts), "--target", str(site))
    assert missing.returncode == 1 and "missing part-02, damaged none" in missing.stderr
    assert not site.exists()
    damaged = bytearray((tmp_path / "part-02").read_bytes())
    damaged[5] ^= 1
    (parts / "part-02").write_bytes(bytes(damaged))
    broken = kit("install", "--kit", str(parts), "--target", str(site))
    assert broken.returncode == 1 and "missing none, damaged part-02" in broken.stderr

    (tmp_path / "part-02").replace(parts / "part-02")
    installed = kit("install", "--kit", str(parts), "--target", str(site))
    assert installed.returncode == 0, installed.stderr
    assert (site / "demo" / "capi" / "libdemo_providers_cuda.so").read_bytes() == provider
    assert (site / "demo" / "__init__.py").read_text() == "VERSION = '1.0'\n"
    assert not list(site.rglob("*tensorrt*")) and not list(site.rglob("__pycache__"))
    again = kit("install", "--kit", str(parts), "--target", str(site))
    assert again.returncode == 0 and "already in" in again.stdout

    resplit = kit("build", str(wheel), "--out", str(parts), "--part-mib", "0.2")     # the kept archive, cut again
    assert resplit.returncode == 0, resplit.stderr
    again = json.loads((parts / "kit.json").read_text())
    assert again["archive_sha256"] == manifest["archive_sha256"] and len(again["parts"]) == 2
    assert sorted(p.name for p in parts.glob("part-*")) == ["part-01", "part-02"]


def test_size_counts_what_a_device_call_sends():
    result = kit("size", "--carry", "tests/test_device_kit.py")
    first = result.stdout.splitlines()[0]
    files = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT).stdout.split()
    tracked = sum((ROOT / f).stat().st_size for f in files if (ROOT / f).is_file()) / 2 ** 20
    assert float(first.split()[0]) >= tracked - 0.1                    # tracked files at least
    assert result.returncode == (0 if float(first.split()[0]) <= 64 else 1)
