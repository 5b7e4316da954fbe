"""The runtime on a GPU, checked in one command.

    dreamwalk bench check [PACK] --device cuda --json gpu-runtime.json

Does ONNX Runtime's CUDA provider really run the pack (``device="cuda"``, after ``engine.runtime.providers``
loads the CUDA libraries pip installed), with the key/value cache bound in device memory; do its latents
agree with the CPU's over a rollout (bound and unbound); does snapshot/restore replay on the GPU; how fast
does it play (``dreamwalk bench run``'s measurement, bound and unbound, and the CPU beside it); and do host and
GPU memory stay flat over 1,000 steps. Where the CUDA provider does not run, it tries once more after
``import torch`` (PyTorch loads its own CUDA libraries) and says which worked. Everything goes to ``--out``
as it is measured, so a call cut short keeps what was done. Exit status 1 when the provider never ran.
``--device cpu`` runs the same checks on the CPU's own I/O binding, to try the check where no GPU is.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from engine.files import write_json

CHECKED_FRAMES = (1, 4, 16, 64)


def gpu_memory_mib() -> float | None:
    """GPU memory in use on the machine (the check is the only program there), from nvidia-smi."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=30).stdout
        return float(out.split()[0])
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None


def resident_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def rollout_latents(pack: str, device: str, io_binding: bool | None, prompt, actions) -> tuple[str, bool, list]:
    from engine.runtime import WorldSession

    with WorldSession.open(pack, device=device, precision="fp32", io_binding=io_binding) as world:
        world.reset(prompt)
        latents = []
        for action in actions:
            world.step(action)
            latents.append(world.snapshot().rollout.last_latent.copy())
        return world.provider, world.io_binding, latents


def largest_difference(first: list, second: list) -> dict[str, float]:
    import numpy as np

    return {str(n): float(np.abs(first[n - 1] - second[n - 1]).max()) for n in CHECKED_FRAMES if n <= len(first)}


def replays_after_restore(pack: str, device: str, prompt, actions) -> bool:
    import numpy as np

    from engine.runtime import WorldSession

    with WorldSession.open(pack, device=device, precision="fp32", io_binding=True) as world:
        world.reset(prompt)
        [world.step(action) for action in actions[:8]]
        moment = world.snapshot()
        first = [world.step(action) for action in actions[8:24]]
        world.restore(moment)
        return all(np.array_equal(a, b) for a, b in zip(first, [world.step(a) for a in actions[8:24]]))


def flat_memory(pack: str, device: str, prompt) -> dict[str, float | None]:
    from engine.runtime import WorldSession
    from engine.runtime.bench import scripted_action

    with WorldSession.open(pack, device=device, precision="fp32", io_binding=True) as world:
        world.reset(prompt)
        [world.step(scripted_action(i)) for i in range(100)]
        before = resident_mib(), gpu_memory_mib()
        [world.step(scripted_action(i)) for i in range(100, 1100)]
        after = resident_mib(), gpu_memory_mib()
    return {"host_mib_after_100": before[0], "host_mib_after_1100": after[0],
            "gpu_mib_after_100": before[1], "gpu_mib_after_1100": after[1]}


def check_device(pack_path: str | Path, out: Path, device: str = "cuda", frames: int = 300) -> int:
    """Run every check on ``device`` (cuda, or cpu to try it), writing the report to ``out`` as it goes.
    Returns 1 when the device's provider never ran, else 0."""
    import onnxruntime

    from engine.runtime.bench import bench, bench_prompt, scripted_action
    from engine.runtime.providers import ALIASES, choose_provider, load_cuda_libraries
    from engine.pack import open_pack

    report: dict = {"onnxruntime": onnxruntime.__version__, "onnxruntime_file": onnxruntime.__file__,
                    "available_providers": onnxruntime.get_available_providers(), "pack": str(pack_path)}

    def save(**found) -> None:
        report.update(found)
        write_json(out, report)
        print(json.dumps(found), flush=True)

    wanted = ALIASES.get(device, device)
    pack = open_pack(str(pack_path))
    try:
        provider, note = choose_provider(device, pack.graph_path("decoder"))
        save(cuda_libraries_missing=load_cuda_libraries(), provider_alone=provider, fallback_note=note)
        if provider != wanted:
            import torch                                 # its CUDA libraries, loaded as it imports
            provider, note = choose_provider(device, pack.graph_path("decoder"))
            save(provider_after_torch=provider, fallback_note_after_torch=note, torch=torch.__version__)
    finally:
        pack.close()
    if provider != wanted:
        return 1
    if device != "cpu":
        save(gpu=subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                                capture_output=True, text=True).stdout.strip())
    prompt, actions = bench_prompt(), [scripted_action(i) for i in range(max(CHECKED_FRAMES))]
    runs = {}
    for name, device, binding in (("cpu", "cpu", False), ("device_bound", device, True),
                                  ("device_host", device, False)):
        started = time.perf_counter()
        used, bound, runs[name] = rollout_latents(str(pack_path), device, binding, prompt, actions)
        save(**{f"rollout_{name}": {"provider": used, "io_binding": bound,
                                    "seconds": time.perf_counter() - started}})
    save(latent_max_abs_difference={
        "device_bound_vs_cpu": largest_difference(runs["device_bound"], runs["cpu"]),
        "device_host_vs_cpu": largest_difference(runs["device_host"], runs["cpu"]),
        "device_bound_vs_device_host": largest_difference(runs["device_bound"], runs["device_host"])})
    save(restore_replays=replays_after_restore(str(pack_path), device, prompt, actions))
    save(memory=flat_memory(str(pack_path), device, prompt))
    rows = bench(str(pack_path), [device], [None], frames, ("fp32",), (True, False))
    rows += bench(str(pack_path), ["cpu"], [None], frames)
    save(bench=rows)
    return 0

