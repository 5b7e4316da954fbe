"""The bundled worlds' recipes, from nothing to the shipped pack: collect, train the autoencoder, train
the dynamics model, distill it, sharpen the decoder (two arms, blended), export, evaluate the pack as played
on held-out places (the report becomes its metrics), benchmark, ship.

    python recipes/default_world.py [--world doom|miniworld] [--run DIR] [--data DIR] [--until STAGE] [--ship]

``doom`` (the default world) plays Freedoom 2 MAP01-MAP20 and is measured on MAP21-MAP24; ``miniworld``
plays MiniWorld rooms and mazes and is measured on seeds its collection never drew (tried as a second
world and not shipped: it drifts more than the Doom world; docs/research.md).
Every stage is the engine command a person would type, and every one resumes: run the script again after
an interruption (Ctrl-C, a crash, a reboot) and it continues where it stopped; finished stages return at
once. ``--ship`` copies the pack into ``assets/worlds/``.
``--set STAGE:KEY=VALUE`` overrides a training setting (e.g. ``--set dynamics:train.max_minutes=30``).

The shipped Doom world's teacher was trained on a GPU (``recipes/gpu_world.py``, 4 minutes on an H200, the
same network as the CPU preset); the rest ran here:

    dreamwalk collect --source vizdoom --maps MAP01-MAP20 --frames 60000 --policy random --seed 7 \
        --episode-frames 1000 --out data/doom-random     # data/doom-mix: links to these and doom-train-100k
    python recipes/default_world.py --teacher runs/gpu-h200/teacher.safetensors --distill-data data/doom-mix --ship

Without ``--teacher`` the dynamics stage trains the teacher on this CPU (92 minutes for the previous world).

That GPU teacher's weights were lost with its run folder. The shipped student comes back
exactly from the pack (``dreamwalk recover assets/worlds/doom.dwpack --out runs/shipped``), and a teacher
re-trained from it on newly recorded frames is committed beside this script, fp16, to continue on any
machine (docs/research.md):

    dreamwalk recover assets/worlds/doom.dwpack --out runs/shipped
    python recipes/default_world.py --teacher recipes/doom-teacher.fp16.safetensors --distill-data DATA
The MiniWorld world ran here from nothing: ``python recipes/default_world.py --world miniworld``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("collect", "autoencoder", "dynamics", "distill", "decoder", "export", "eval", "bench", "memory")


@dataclass(frozen=True)
class Recipe:
    collections: dict[str, list[str]]    # folder under --data -> collect arguments; several are mixed by links
    data: str                             # the default --data
    autoencoder: list[str]
    dynamics: list[str]
    distill: list[str]
    decoder: list[str] | None             # None: the autoencoder's own decoder
    sharp_decoder: list[str] | None       # a second decoder with the adversarial term, blended in (dreamwalk average)
    sharp_weight: float                   # its weight in the blend
    context_sigma: float | None           # the noise dreamed frames enter the context at in play (None: trained)
    name: str
    description: str
    pack: str                             # file name in assets/worlds/
    license: str = "model weights MIT"
    # The world memory and its builder (dreamwalk pack memory): recordings with depth and poses to train the
    # depth network and fit the camera's motion on (collect arguments; None: a world without a memory).
    depth_collection: list[str] | None = None


# Anchor noise keeps long rollouts from adding up their own errors (docs/research/teacher.md).
DYNAMICS = ["--preset", "default", "--set", "diffusion.anchor_noise=0.5"]
# The teacher samples four Heun steps from sigma 1 started from its own guess at sigma 5 (prior start:
# truncated sampling alone keeps the last frame and ignores the action), guidance 1.5; one student step
# at sigma 5 learns all of it (docs/research/sampling.md, "Prior start").
DISTILL = ["--preset", "default", "--set", "teacher_steps=4", "--set", "sigma_max=1.0", "--set", "prior_sigma=5.0",
           "--set", "student_sigma=5.0"]
# The pack as played (ONNX Runtime on a CPU, int8 dynamics), on 64 windows: 16 carry ~0.3 dB of noise.
EVAL = ["--windows-per-map", "16", "--horizon", "64", "--long", "1000", "--long-prompts", "8", "--sweep", ""]
MINIWORLD_PLACES = "Maze,MazeS3,FourRooms,ThreeRooms,OneRoom,TMaze,YMaze,WallGap,Hallway"

WORLDS = {
    # What the shipped world and the MiniWorld one were trained with (docs/default-world.md, docs/research.md).
    "doom": Recipe(
        # 100,000 frames are the first 50 episodes of the 300,000-frame collection (same plan, same seeds).
        # The explore policy lets go of every control in half its stops; the
        # recordings of the shipped world predate that.
        collections={".": ["--source", "vizdoom", "--maps", "MAP01-MAP20", "--frames", "100000",
                           "--policy", "explore", "--seed", "0"]},
        data="data/doom-train-100k",
        autoencoder=["--preset", "default", "--set", "train.max_minutes=25"],
        dynamics=[*DYNAMICS, "--set", "train.max_minutes=90"],
        # Guidance 2 folded in (more control than 1.5, and more drift, which the context level below takes
        # back); played with dreamed frames entering the context at noise 0.08 instead of the trained 0.05:
        # long rollouts keep real frames' contrast instead of sharpening into saturated bands. The level was
        # chosen on training maps (benchmarks/context_noise.py); distilling at it too undid the gain
        # (docs/research/sampling.md, "Context noise at play"). The last 4 context frames of each
        # window are the student's own dreams, as in play (Self Forcing): sharper, more control at 16 frames
        # (docs/research/distillation.md); here the last 6. 5% of the windows
        # stop and hold still (the recordings never did): the view holds with no key pressed, and PSNR and
        # control at 16 frames rose (docs/research/distillation.md, "Standing still").
        distill=[*DISTILL, "--set", "guidance_scale=2.0", "--set", "self_forcing=6", "--set", "still_windows=0.05",
                 "--set", "train.steps=613", "--set", "train.max_minutes=40"],
        # The decoder alone, trained on (encoder frozen, so the dynamics model still fits): reconstruction on
        # the held-out maps 25.1 -> 30.6 dB. With the adversarial term (adversarial_weight 0.1) it is sharper
        # but lower in PSNR at every rollout horizon; 0.6 of the way from the plain decoder to that one, in
        # weight space, keeps most of both: sharpness 0.73 at 16 frames (0.66 with the 0.4 blend once dreamed
        # frames enter the context noisier) for 0.05 dB (docs/research/autoencoder.md).
        decoder=["--preset", "default", "--set", "train.max_minutes=25", "--set", "adversarial_weight=0"],
        sharp_decoder=["--preset", "default", "--set", "train.max_minutes=25"],
        sharp_weight=0.6,
        context_sigma=0.08,
        name="Doom (Freedoom 2)",
        description="Rooms dreamed from Freedoom 2 MAP01-MAP20 by a world model {trained}: soft and short-memoried",
        pack="doom.dwpack",
        # The shipped world remembers and builds (docs/research/memory.md, docs/research/builder.md): 40,000
        # frames with depth and without the weapon, a 35-minute depth network.
        depth_collection=["--source", "vizdoom", "--maps", "MAP01-MAP20", "--frames", "40000", "--depth",
                          "--hide-weapon"],
        license="BSD-3-Clause (Freedoom assets); model weights MIT"),
    # Rooms and mazes: 60,000 frames of the explore policy and 30,000 of the random one (varied actions).
    "miniworld": Recipe(
        collections={
            "explore": ["--source", "miniworld", "--maps", MINIWORLD_PLACES, "--frames", "60000", "--policy",
                        "explore", "--seed", "0", "--episode-frames", "1000"],
            "random": ["--source", "miniworld", "--maps", MINIWORLD_PLACES, "--frames", "30000", "--policy",
                       "random", "--seed", "7", "--episode-frames", "1000"]},
        data="data/mw",
        autoencoder=["--preset", "default", "--set", "train.max_minutes=20"],
        # The world measured in docs/research.md trained 20 minutes plain, then 40 with an action warp (a
        # learned shift and zoom of the anchor, since removed: no shipped world used it); this trains 60 plain.
        dynamics=[*DYNAMICS, "--set", "train.max_minutes=60"],
        distill=[*DISTILL, "--set", "train.max_minutes=20"],
        decoder=None,
        sharp_decoder=None,
        sharp_weight=0.0,
        context_sigma=None,
        name="MiniWorld rooms",
        description="MiniWorld rooms and mazes dreamed by a world model {trained}",
        pack="miniworld.dwpack",
        license="Apache-2.0 (MiniWorld assets); model weights MIT"),
}


def training_data(data: Path, recipe: Recipe) -> Path:
    """The folder training reads: the one collection, or a folder of links to each collection's shards."""
    if list(recipe.collections) == ["."]:
        return data
    mix = data / "mix"
    mix.mkdir(parents=True, exist_ok=True)
    for folder in recipe.collections:
        for shard in sorted((data / folder).glob("*.npz")):
            link = mix / shard.name
            if not link.exists():
                link.symlink_to(Path("..") / folder / shard.name)
    return mix


def dreamwalk(*arguments: str) -> None:
    run_stage(arguments[0], [sys.executable, "-m", "engine.cli", *arguments], "dreamwalk " + " ".join(arguments))


def run_stage(name: str, command: list[str], shown: str) -> None:
    print("+", shown, flush=True)
    stage = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        code = stage.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the stage too: let it save what it finished (subprocess.run would kill it).
        stage.wait()
        sys.exit(f"default_world: interrupted in the {name} stage; what it finished is saved, "
                 "run the same command again to continue")
    if code != 0:
        sys.exit(f"default_world: the {name} stage stopped (exit {code}); "
                 "run the same command again to continue")


def overrides(stage: str, pairs: list[str]) -> list[str]:
    return [arg for pair in pairs if pair.startswith(stage + ":") for arg in ("--set", pair.split(":", 1)[1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", choices=list(WORLDS), default="doom")
    parser.add_argument("--run", type=Path, help="run folder (default: runs/default-world, runs/miniworld-world)")
    parser.add_argument("--data", type=Path, help="episode folder (default: the recipe's)")
    parser.add_argument("--until", choices=STAGES, default=STAGES[-1])
    parser.add_argument("--teacher", type=Path, help="distil this dynamics model instead of the dynamics stage's "
                        "(e.g. one trained on a GPU by recipes/gpu_world.py); its autoencoder must be this run's")
    parser.add_argument("--distill-data", type=Path, help="episodes to distil on (default: the teacher's)")
    parser.add_argument("--set", action="append", default=[], metavar="STAGE:KEY=VALUE")
    parser.add_argument("--ship", action="store_true", help="copy the pack into assets/worlds/")
    args = parser.parse_args()
    recipe = WORLDS[args.world]
    run = args.run or Path("runs/default-world" if args.world == "doom" else f"runs/{args.world}-world")
    data = args.data or Path(recipe.data)
    autoencoder = run / "autoencoder" / "autoencoder.safetensors"
    plain = run / "dynamics" / "dynamics.safetensors"
    teacher = args.teacher or plain
    student = run / "student" / "student.safetensors"
    plain_decoder = run / "decoder" / "autoencoder.safetensors" if recipe.decoder else autoencoder
    sharp_decoder = run / "decoder-gan" / "autoencoder.safetensors"
    soup = run / "decoder-soup"
    decoder = (soup / f"soup-{round(recipe.sharp_weight * 100):03d}" / "autoencoder.safetensors"
               if recipe.sharp_decoder else plain_decoder)
    pack = run / recipe.pack
    stages = STAGES[: STAGES.index(args.until) + 1]

    if "collect" in stages:
        for folder, arguments in recipe.collections.items():
            dreamwalk("collect", *arguments, "--out", str(data / folder))
    train_data = training_data(data, recipe)
    if "autoencoder" in stages:
        dreamwalk("train", "autoencoder", *recipe.autoencoder, "--data", str(train_data),
                  "--out", str(autoencoder.parent), *overrides("autoencoder", args.set))
    if "dynamics" in stages and not args.teacher:
        dreamwalk("train", "dynamics", *recipe.dynamics, "--data", str(train_data), "--out", str(plain.parent),
                  "--set", f"autoencoder={autoencoder}", *overrides("dynamics", args.set))
    if "distill" in stages:
        data_override = ["--set", f"data={args.distill_data}"] if args.distill_data else []
        dreamwalk("distill", str(teacher), *recipe.distill, *data_override, "--out", str(student.parent),
                  *overrides("distill", args.set))
    if "decoder" in stages and recipe.decoder:
        dreamwalk("train", "decoder", *recipe.decoder, "--data", str(train_data), "--out", str(plain_decoder.parent),
                  "--set", f"autoencoder={autoencoder}", *overrides("decoder", args.set))
        if recipe.sharp_decoder:
            dreamwalk("train", "decoder", *recipe.sharp_decoder, "--data", str(train_data),
                      "--out", str(sharp_decoder.parent), "--set", f"autoencoder={autoencoder}",
                      *overrides("decoder", args.set))
            if not decoder.exists():
                blend = [str(plain_decoder), str(sharp_decoder), "--weights", f"{recipe.sharp_weight:g}",
                         "--out", str(soup)]
                dreamwalk("average", *blend)
    evaluation = run / "eval"
    context = ["--context-sigma", f"{recipe.context_sigma:g}"] if recipe.context_sigma is not None else []
    if "export" in stages and not pack.exists():
        trained = ("distilled on a 2-core CPU from a teacher trained on a GPU" if args.teacher
                   else "trained on a 2-core CPU")
        # A recipe with a memory ships the world with it under its name; the network alone is named apart.
        plain_name = f"{recipe.name} without a memory" if recipe.depth_collection else recipe.name
        dreamwalk("export", str(student), "--out", str(pack), "--name", plain_name,
                  "--description", recipe.description.format(trained=trained), "--license", recipe.license,
                  "--autoencoder", str(decoder), *context, "--int8")
    if "eval" in stages and not (evaluation / "eval.json").exists():
        dreamwalk("eval", "world", str(pack), *EVAL, "--embed", "--out", str(evaluation))     # the pack's metrics
    if "bench" in stages and not (run / "bench.json").exists():
        dreamwalk("bench", "run", str(pack), "--device", "cpu", "--steps", "1,2,4", "--frames", "1000",
                  "--precision", "fp32,int8", "--json", str(run / "bench.json"))
    remembering = run / f"memory-{recipe.pack}"
    if "memory" in stages and recipe.depth_collection and not remembering.exists():
        depth_data = data / "depth"
        dreamwalk("collect", *recipe.depth_collection, "--out", str(depth_data))
        dreamwalk("train", "depth", "--data", str(depth_data), "--preset", "default", "--out", str(run / "depth"),
                  "--set", "train.max_minutes=35", *overrides("depth", args.set))
        dreamwalk("pack", "memory", str(pack), "--depth", str(run / "depth" / "depth.safetensors"),
                  "--motion", str(depth_data), "--name", recipe.name, "--out", str(remembering))
    if args.ship:
        shipped = remembering if remembering.exists() else pack       # with its memory and builder where made
        shutil.copyfile(shipped, ROOT / "assets" / "worlds" / recipe.pack)
        print(f"shipped {shipped} -> assets/worlds/{recipe.pack}")


if __name__ == "__main__":
    main()
