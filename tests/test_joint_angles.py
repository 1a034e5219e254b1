import numpy as np
import pytest

from kneesight import InputError
from kneesight.joint_angles import fppa, joint_angles, joint_rotation


@pytest.mark.parametrize("side", ["l", "r"])
def test_rotation_round_trips_and_left_mirrors_right(side):
    r = joint_rotation("hip", side, (40.0, 8.0, 15.0))
    assert np.allclose(joint_angles("hip", side, r), (40.0, 8.0, 15.0))
    m = np.diag([1.0, 1.0, -1.0])
    other = "l" if side == "r" else "r"
    assert np.allclose(m @ r @ m, joint_rotation("hip", other, (40.0, 8.0, 15.0)))


def test_fppa_valgus_knee_is_positive_on_both_sides():
    for side, lat in (("r", 1.0), ("l", -1.0)):
        hip = np.array([[0.0, 0.9, 0.1 * lat]])
        ankle = np.array([[0.0, 0.1, 0.1 * lat]])
        knee = np.array([[0.0, 0.5, 0.06 * lat]])
        assert fppa(side, hip, knee, ankle)[0] > 5.0
        assert fppa(side, hip, knee * [1, 1, 2.5], ankle)[0] < -5.0


def test_bad_side_and_shape_are_named():
    with pytest.raises(InputError, match="side"):
        joint_rotation("hip", "x", (0, 0, 0))
    with pytest.raises(InputError, match="knee"):
        fppa("r", np.zeros((2, 3)), np.zeros((3, 3)), np.zeros((2, 3)))
