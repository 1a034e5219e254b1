"""The analysis warns when the camera stands too far to the athlete's side, and when the depth
mode is smaller than the tracking is validated at."""

from __future__ import annotations

import numpy as np
import pytest

from kneesight.analysis.recording import camera_placement_warning, depth_mode_warning


def _camera_at(azimuth_deg: float, distance: float = 2.0) -> list[list[float]]:
    """A camera pose in the lab, ``azimuth_deg`` from the athlete's front (+: to the right)."""
    a = np.radians(azimuth_deg)
    m = np.eye(4)
    m[:3, 3] = [distance * np.cos(a), 1.0, distance * np.sin(a)]
    return m.tolist()


@pytest.mark.parametrize("azimuth", [0.0, 20.0, -30.0, 35.0])
def test_no_warning_within_the_placement_guidance(azimuth):
    assert camera_placement_warning(_camera_at(azimuth)) is None


def test_a_camera_to_the_side_is_named_with_its_angle_and_side():
    right = camera_placement_warning(_camera_at(50.0))
    assert right is not None and "50 deg to the athlete's right" in right
    left = camera_placement_warning(_camera_at(-70.0, distance=3.0))
    assert left is not None and "70 deg to the athlete's left" in left
    behind = camera_placement_warning(_camera_at(180.0))
    assert behind is not None and "180 deg" in behind


@pytest.mark.parametrize("mode", [(848, 480), (1280, 720)])
def test_no_warning_for_the_validated_depth_modes(mode):
    assert depth_mode_warning(*mode) is None


@pytest.mark.parametrize("mode", [(640, 360), (424, 240), (848, 100)])
def test_a_smaller_depth_mode_is_named(mode):
    w = depth_mode_warning(*mode)
    assert w is not None and f"{mode[0]}x{mode[1]}" in w and "848x480" in w
