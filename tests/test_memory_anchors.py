"""Memory anchors: the world memory's view of each recorded frame, a dynamics model trained to dream from it,
and a pack of that model playing from its memory."""

import numpy as np
import pytest

from conftest import run_dreamwalk


def test_the_memory_view_of_a_frame_is_nearer_to_it_than_the_frame_before(memory_recordings):
    """On real ViZDoom frames lifted by their true depth, the memory drawn at the next frame's pose (the frame
    before where it holds nothing) is nearer the frame than the frame before is; lifted only 8 frames late
    it covers less; shaken poses cost some of it."""
    from engine.data.episodes import read_episodes
    from engine.images import area_resize
    from engine.evaluation.metrics import psnr
    from engine.training.memory_anchors import memory_views

    data, _ = memory_recordings
    episode = next(read_episodes(data))
    frames, depth, poses = episode.frames, episode.depth.astype(np.float32), episode.poses
    small = lambda x: area_resize(x, (64, 48))                       # noqa: E731 (the networks' size)
    moved = np.flatnonzero(np.abs(np.diff(poses, axis=0)).sum(axis=1) > 0) + 1      # frames after a move
    assert len(moved) > 20
    previous = np.median(psnr(small(frames[moved - 1]), small(frames[moved])))
    views, covered = memory_views(frames, depth, poses, 1, (0.0, 0.0), np.random.default_rng(0))
    late, late_covered = memory_views(frames, depth, poses, 8, (0.0, 0.0), np.random.default_rng(0))
    shaken, _ = memory_views(frames, depth, poses, 1, (4.0, 2.0), np.random.default_rng(0))
    exact = np.median(psnr(small(views[moved]), small(frames[moved])))
    assert exact > previous + 1.0
    assert np.median(covered[moved]) > 0.8 and np.median(late_covered[moved]) < np.median(covered[moved])
    assert np.median(psnr(small(shaken[moved]), small(frames[moved]))) < exact
    assert np.array_equal(views[0], frames[0])


def test_a_world_trained_on_memory_anchors_dreams_from_its_memory(memory_recordings, autoencoder_run, tmp_path):
    """dynamics --set memory_anchors=DEPTH caches each frame's memory view as latents and trains on them; its
    pack says so, refuses to play without a memory, and with one dreams each frame from the memory's view."""
    from engine.errors import DreamwalkError
    from engine.export.export import ExportConfig, export_world
    from engine.pack import open_pack
    from engine.runtime import WorldSession
    from engine.training.dynamics import DynamicsTrainConfig, latent_episodes

    data, depth = memory_recordings
    autoencoder = autoencoder_run / "autoencoder.safetensors"
    result = run_dreamwalk("train", "dynamics", "--preset", "tiny", "--data", data, "--out", tmp_path / "dyn",
                           "--set", f"autoencoder={autoencoder}", "--set", f"memory_anchors={depth}", "--quiet")
    assert result.returncode == 0, result.stderr
    config = DynamicsTrainConfig(data=str(data), autoencoder=str(autoencoder), memory_anchors=str(depth))
    config.train.out = str(tmp_path / "dyn")
    (latents, actions, anchors), = latent_episodes(config)               # cached by the run: read back
    assert anchors.shape == latents.shape and anchors.dtype == np.float16
    assert np.array_equal(anchors[0], latents[0])                       # the first frame's view: itself
    assert not np.allclose(anchors[1:], latents[:-1], atol=1e-2)       # the others: not the frame before
    pack = tmp_path / "anchored.dwpack"
    export_world(ExportConfig(str(tmp_path / "dyn" / "dynamics.safetensors"), str(pack), name="tiny", license="CC0"))
    opened = open_pack(pack)
    assert opened.manifest["anchor"] == "memory"
    opened.close()
    with pytest.raises(DreamwalkError, match="pack memory"):
        WorldSession.open(pack, device="cpu")
    with_memory = tmp_path / "anchored-memory.dwpack"
    # Without the builder: its surround would cover the whole view, and the frame shown would be the anchor.
    result = run_dreamwalk("pack", "memory", pack, "--depth", depth, "--motion", data, "--out", with_memory,
                           "--no-builder")
    assert result.returncode == 0, result.stderr
    with WorldSession.open(with_memory, device="cpu", seed=3) as world:
        world.reset(np.asarray(read_first_frame(data)))
        views = []
        guess = world.memory.guess
        world.memory.guess = lambda: views.append(guess()) or views[-1]
        for _ in range(3):
            world.step({"turn": 9.0})
        assert len(views) == 3
        # The last frame entered the context dreamed from the memory's view at its pose.
        assert np.allclose(world._rollout.pending.anchor, world.encode(views[-1]))
        assert not np.allclose(world._rollout.pending.anchor, world._rollout.last_latent)


def read_first_frame(data):
    from engine.data.episodes import read_episodes

    return next(read_episodes(data)).frames[0]
