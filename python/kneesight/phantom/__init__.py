"""The phantom: synthetic athletes performing landings, rendered into RealSense recordings.

A parametric body (de Leva 1996 proportions) with anatomical surfaces that are not the
tracker's primitives is posed with kneesight's joint-angle conventions, placed on the floor of
a lab with a drop box and a back wall, ray cast from a D415/D435/D455 camera and given D4xx
depth noise. Every trial comes with exact ground truth (joint angles, FPPA, arch height, joint
centres, events) beside the recording.

Example
-------
>>> from kneesight.phantom import Body, CameraPlacement, ValgusProfile, motions, render_trial
>>> trial = render_trial(Body(1.70, "female"),
...                      motions.drop_vertical_jump(valgus=ValgusProfile.high()),
...                      CameraPlacement("d435", distance=2.0, height=1.0, yaw=20),
...                      "dvj.db3")  # doctest: +SKIP
"""

from kneesight.phantom import motions
from kneesight.phantom.body import Body
from kneesight.phantom.camera import CameraPlacement, camera_profile
from kneesight.phantom.motion import Motion
from kneesight.phantom.noise import NoiseModel
from kneesight.phantom.scene import Scene
from kneesight.phantom.trial import PhantomTrial, Simulation, render_trial, simulate, truth_paths
from kneesight.phantom.truth import read_truth_csv
from kneesight.phantom.valgus import ValgusProfile

__all__ = [
    "Body",
    "CameraPlacement",
    "Motion",
    "NoiseModel",
    "PhantomTrial",
    "Scene",
    "Simulation",
    "ValgusProfile",
    "camera_profile",
    "motions",
    "read_truth_csv",
    "render_trial",
    "simulate",
    "truth_paths",
]
