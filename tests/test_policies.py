import numpy as np
import pytest

from engine.actions import actions_to_array
from engine.data import open_source
from engine.data.collect import play
from engine.data.stats import action_statistics, coverage_cells
from engine.errors import DataError
from engine.policies import make_policy


def run_policy(policy_name, seed, frames, map_name="MAP01"):
    with open_source("vizdoom", map=map_name, seed=seed, depth=True) as source:
        policy = make_policy(policy_name, seed, source.turn_range, source.look_range, source.walk_step)
        _, actions, poses, _ = play(source, policy, source.reset(seed=seed), frames)
    return actions_to_array(actions), np.stack(poses)


@pytest.fixture(scope="module")
def explore_run():
    return run_policy("explore", seed=1, frames=1500)


def test_policies_are_reproducible():
    for name in ("explore", "random"):
        first, _ = run_policy(name, seed=4, frames=150)
        second, _ = run_policy(name, seed=4, frames=150)
        np.testing.assert_array_equal(first, second)
        other, _ = run_policy(name, seed=5, frames=150)
        assert not np.array_equal(first, other)


def test_explore_mixes_the_controls_like_a_person(explore_run):
    raw, _ = explore_run
    stats = action_statistics(raw)
    pressed = stats["pressed"]
    assert 0.35 < pressed["forward"] < 0.8                     # walks most of the time, not all of it
    assert pressed["left"] + pressed["right"] > 0.04            # strafes
    assert pressed["backward"] > 0.005 and pressed["use"] > 0.005 and pressed["attack"] > 0.01
    turns = np.abs(raw[:, -2])
    assert (turns >= 4.0).mean() > 0.2                          # held turns of tens of degrees a second
    assert (raw[:, -2] < -2).mean() > 0.1 and (raw[:, -2] > 2).mean() > 0.1   # both ways
    assert turns.max() <= 15.0 and np.abs(raw[:, -1]).max() <= 5.0
    assert stats["looking"] > 0.01
    assert stats["forward_only"] < 0.5
    assert 0.01 < (np.abs(raw).sum(axis=1) == 0).mean() < 0.1    # stands still now and then, hands off


def test_explore_covers_more_ground_than_random(explore_run):
    _, explore_poses = explore_run
    _, random_poses = run_policy("random", seed=1, frames=1500)
    assert len(coverage_cells(explore_poses, 64.0)) > len(coverage_cells(random_poses, 64.0))


def test_explore_needs_no_pose_or_depth():
    """Driving a world model there is only the frame: the policy still plays."""
    policy = make_policy("explore", seed=0)
    actions = [policy.act(np.zeros((48, 64, 3), np.uint8)) for _ in range(300)]
    raw = actions_to_array(actions)
    assert raw[:, 0].mean() > 0.3 and np.abs(raw[:, -2]).max() > 3


def test_explore_without_hands_off_stops_plays_as_before_them():
    """The evaluation walks to its probe windows with ``hands_off=0``: the very actions of the explore
    policy before hands-off stops existed (their digest, recorded from that version), so its windows stay."""
    import hashlib

    def digest(**options):
        policy = make_policy("explore", 7, **options)
        actions = actions_to_array([policy.act(np.zeros((48, 64, 3), np.uint8)) for _ in range(3000)])
        return hashlib.sha256(actions.tobytes()).hexdigest()[:16]

    assert digest(hands_off=0.0) == "bb8faa4a8d9152c9"
    assert digest() != "bb8faa4a8d9152c9"


def test_unknown_policy():
    with pytest.raises(DataError, match="unknown policy 'greedy'"):
        make_policy("greedy")
