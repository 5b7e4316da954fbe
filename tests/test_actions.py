import math

import numpy as np
import pytest

from engine.actions import (ACTION_DIM, KEYS, Action, ActionError, actions_from_array, actions_to_array,
                            encode, encode_action)


def test_missing_keys_mean_not_pressed():
    action = Action.from_dict({"forward": True, "turn": 4})
    assert action.forward and not action.backward and action.turn == 4.0 and action.look == 0.0
    assert Action.coerce({}) == Action()


@pytest.mark.parametrize("bad, message", [
    ({"jmp": True}, "unknown action key 'jmp'"),
    ({"forward": 1}, "'forward' must be true or false"),
    ({"turn": "left"}, "'turn' must be a number"),
    ({"turn": True}, "'turn' must be a number"),
    ({"look": math.nan}, "'look' must be finite"),
    ({"turn": math.inf}, "'turn' must be finite"),
])
def test_bad_actions_fail_with_a_clear_message(bad, message):
    with pytest.raises(ActionError, match=message):
        Action.from_dict(bad)


def test_non_dict_is_rejected():
    with pytest.raises(ActionError, match="must be a dict or Action"):
        Action.coerce(["forward"])


def test_numpy_values_are_accepted():
    action = Action.from_dict({"attack": np.bool_(True), "turn": np.float32(2.5)})
    assert action.attack is True and action.turn == 2.5


def test_clipped_limits_turn_and_look_to_a_range():
    action = Action(turn=40.0, look=-9.0).clipped(15.0, 5.0)
    assert (action.turn, action.look) == (15.0, -5.0)


def test_raw_array_round_trip_is_lossless():
    actions = [{"forward": True, "turn": 7.25}, {"use": True, "look": -1.5, "sprint": True}, {}]
    raw = actions_to_array(actions)
    assert raw.shape == (3, ACTION_DIM) and raw.dtype == np.float32
    back = actions_from_array(raw)
    assert back[0]["forward"] and back[0]["turn"] == 7.25 and back[1]["look"] == -1.5 and back[1]["sprint"]
    assert back[2] == Action().to_dict() and list(back[0]) == list(KEYS)


def test_encoding_scales_turn_and_look_into_unit_range():
    encoded = encode_action({"forward": True, "turn": 7.5, "look": -10.0}, turn_range=15.0, look_range=5.0)
    assert encoded.shape == (ACTION_DIM,)
    assert encoded[KEYS.index("forward")] == 1.0 and encoded[KEYS.index("backward")] == 0.0
    assert encoded[KEYS.index("turn")] == pytest.approx(0.5)
    assert encoded[KEYS.index("look")] == -1.0                      # clipped to the trained range
    batch = encode(actions_to_array([{"turn": -15.0}, {"turn": 3.0}]))
    np.testing.assert_allclose(batch[:, KEYS.index("turn")], [-1.0, 0.2])
