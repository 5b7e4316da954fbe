"""``dreamwalk collect``: record a policy playing a simulator into episode shards.

The collection is a fixed plan: episode i plays map ``maps[i % len(maps)]`` for ``episode_frames``
frames with seed ``(seed, i)``, so the same command always records the same episodes. A finished
episode is one shard; running the same command again skips every finished shard and records the
rest, which is how an interrupted collection resumes.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from functools import partial
from typing import Callable

import numpy as np

from engine.actions import KEYS, Action, actions_to_array
from engine.data.shards import NO_SPACE_ERRNOS, SHARD_SUFFIX, read_meta, write_shard
from engine.data.source import Source
from engine.data.sources import SOURCE_NAMES, open_place
from engine.errors import DataError
from engine.files import write_json
from engine.policies import Policy, make_policy

PLAN_FILE = "collection.json"


@dataclass(frozen=True)
class CollectPlan:
    source: str
    maps: tuple[str, ...]
    frames: int
    policy: str
    seed: int
    episode_frames: int = 2000
    depth: bool = False          # also record each frame's depth (map units along the view axis)
    weapon: bool = True          # ViZDoom: draw the player's weapon (False: the view alone, for the memory)

    @property
    def episodes(self) -> int:
        return -(-self.frames // self.episode_frames)

    def episode(self, index: int) -> tuple[str, int, int]:
        """Map, seed and planned length of episode ``index``."""
        length = min(self.episode_frames, self.frames - index * self.episode_frames)
        episode_seed = int(np.random.SeedSequence([self.seed, index]).generate_state(1)[0] % (2 ** 31))
        return self.maps[index % len(self.maps)], episode_seed, length

    def shard_name(self, index: int) -> str:
        map_name, _, _ = self.episode(index)
        return f"{self.source}-{self.policy}-s{self.seed}-e{index:05d}-{map_name}{SHARD_SUFFIX}"

    def identity(self) -> dict:
        """What must match for a folder to continue this collection (--frames may grow)."""
        plan = asdict(self)
        plan.pop("frames")
        plan["maps"] = list(self.maps)
        # Options left as they were before they existed stay out, so older collections continue.
        for option, default in (("depth", False), ("weapon", True)):
            if plan[option] == default:
                plan.pop(option)
        return plan


def prepare_folder(out: Path, plan: CollectPlan) -> None:
    """Create the output folder, check it takes files, and record (or check) the plan it holds."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as error:
        if error.errno in NO_SPACE_ERRNOS:
            raise DataError(f"no disk space left in {out}") from error
        raise DataError(f"cannot write to {out}: {error.strerror or error}") from error
    plan_path = out / PLAN_FILE
    if plan_path.exists():
        try:
            recorded = json.loads(plan_path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise DataError(f"unreadable {plan_path}: {error}") from error
        if recorded != plan.identity():
            different = sorted(k for k in plan.identity() if recorded.get(k) != plan.identity()[k])
            raise DataError(f"{out} holds a collection with other settings ({', '.join(different)}); "
                            f"use another --out or the same settings to continue it")
        return
    try:
        write_json(plan_path, plan.identity())
    except OSError as error:
        raise DataError(f"cannot write to {out}: {error.strerror or error}") from error


def is_finished(path: Path, planned_frames: int) -> bool:
    """A shard counts as done when it is readable and was recorded for the length planned now."""
    if not path.exists():
        return False
    try:
        return read_meta(path).get("planned_frames") == planned_frames
    except DataError:
        return False      # a damaged shard is recorded again


def keep_keys(action: Action, keys: tuple[str, ...]) -> Action:
    if set(keys) >= set(KEYS):
        return action
    return Action(**{key: value for key, value in action.to_dict().items() if key in keys})


def play(source: Source, policy: Policy, first_frame: np.ndarray, frames: int,
         tick: Callable[[int], None] | None = None
         ) -> tuple[list[np.ndarray], list[Action], list[np.ndarray], list[np.ndarray | None]]:
    """Let ``policy`` play ``source`` from ``first_frame`` (what reset returned) for up to ``frames``
    frames (a level exit ends it early). Returns the frames, the actions taken from each, and the
    pose and depth (None where the source has none) at each."""
    frame = first_frame
    recorded, actions, poses, depths = [], [], [], []
    for _ in range(frames):
        pose, depth = source.pose, source.depth
        # Record only what the simulator acts on, so the data never shows a key that did nothing.
        action = keep_keys(policy.act(frame, pose, depth), source.keys)
        recorded.append(frame)
        poses.append(pose)
        depths.append(depth)
        actions.append(action)
        frame = source.step(action)
        if tick and len(recorded) % 100 == 0:
            tick(100)
        if source.done:
            break
    if tick:
        tick(len(recorded) % 100)
    return recorded, actions, poses, depths


def record_episode(plan: CollectPlan, index: int, tick: Callable[[int], None] | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict, np.ndarray | None]:
    """Play episode ``index`` of the plan; ``tick(n)`` is called as frames are recorded. Returns frames,
    raw actions, poses, meta and (with ``plan.depth``) the depth of each frame."""
    map_name, episode_seed, length = plan.episode(index)
    options = {"weapon": False} if not plan.weapon else {}
    if options and plan.source != "vizdoom":
        raise DataError(f"--hide-weapon: {plan.source} draws no weapon")
    with open_place(plan.source, map_name, seed=episode_seed, depth=plan.depth or plan.policy == "explore",
                    **options) as source:
        policy = make_policy(plan.policy, episode_seed, source.turn_range, source.look_range, source.walk_step)
        frames, actions, poses, depths = play(source, policy, source.reset(seed=episode_seed), length, tick)
        meta = {**source.meta(), "seed": episode_seed, "policy": plan.policy, "episode": index,
                "planned_frames": length, "ended": "level exit" if source.done else "length",
                "collection": plan.identity()}
        if plan.depth:
            meta["depth_units"] = "map units along the view axis"
    depth = np.stack(depths).astype(np.float32) if plan.depth else None
    return np.stack(frames), actions_to_array(actions), np.stack(poses).astype(np.float32), meta, depth


def collect(plan: CollectPlan, out: Path, progress: Callable[[int, int], None] | None = None) -> dict:
    """Record every unfinished episode of ``plan`` into ``out``. Returns counts of what happened.

    ``progress(episode, frames)`` reports frames as they are recorded (or skipped as already done).
    """
    if plan.source not in SOURCE_NAMES:
        raise DataError(f"unknown source {plan.source!r}; choose one of: {', '.join(SOURCE_NAMES)}")
    if plan.frames <= 0 or plan.episode_frames <= 1:
        raise DataError("--frames and --episode-frames must be positive")
    out = Path(out)
    prepare_folder(out, plan)
    recorded = skipped = 0
    for index in range(plan.episodes):
        path = out / plan.shard_name(index)
        planned = plan.episode(index)[2]
        if is_finished(path, planned):
            skipped += 1
            if progress:
                progress(index, planned)
            continue
        tick = partial(progress, index) if progress else None
        frames, actions, poses, meta, depth = record_episode(plan, index, tick)
        write_shard(path, frames, actions, poses, meta, depth)
        recorded += 1
    return {"recorded": recorded, "skipped": skipped, "episodes": plan.episodes}
