"""Forward kinematics of the phantom and linear-blend skinning of its surfaces.

Leg segment rotations use the project's one angle convention
(:func:`kneesight.joint_angles.joint_rotation`)::

    R_thigh = R_pelvis @ joint_rotation("hip", side, (flexion, adduction, internal_rotation))
    KJC     = HJC + R_thigh @ (0, -L_thigh, 0)
    R_shank = R_thigh @ joint_rotation("knee", side, (flexion, valgus, internal_rotation))
    AJC     = KJC + R_shank @ (0, -L_shank, 0)
    R_foot  = R_shank @ joint_rotation("ankle", side, (dorsiflexion, inversion, internal_rot))

The trunk, head and arms (not measured, present so the depth images look like a person) use
plain rotations about their own axes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneesight.joint_angles import joint_rotation
from kneesight.phantom.body import Body
from kneesight.phantom.surfaces import SegmentMesh, body_meshes

SEGMENTS: tuple[str, ...] = (
    "pelvis", "trunk", "head",
    "upper_arm_l", "forearm_l", "upper_arm_r", "forearm_r",
    "thigh_l", "shank_l", "foot_l", "thigh_r", "shank_r", "foot_r",
)  # fmt: skip
"""Segment names, parents before children."""

_INDEX = {s: i for i, s in enumerate(SEGMENTS)}


def rot(axis: str, deg: np.ndarray) -> np.ndarray:
    """Rotations about a lab axis, shape (N, 3, 3), for angles ``deg`` of shape (N,)."""
    a = np.radians(np.asarray(deg, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    if axis == "x":
        m = [[o, z, z], [z, c, -s], [z, s, c]]
    elif axis == "y":
        m = [[c, z, s], [z, o, z], [-s, z, c]]
    else:
        m = [[c, -s, z], [s, c, z], [z, z, o]]
    return np.moveaxis(np.array(m), (0, 1), (-2, -1))


def zxy(deg: np.ndarray) -> np.ndarray:
    """``Rz(a) Rx(b) Ry(c)`` for rows ``(a, b, c)`` in degrees; shape (N, 3) -> (N, 3, 3)."""
    deg = np.atleast_2d(deg)
    return rot("z", deg[:, 0]) @ rot("x", deg[:, 1]) @ rot("y", deg[:, 2])


class Skeleton:
    """Rest geometry of a :class:`Body`: segment origins and parents (all frames lab-aligned).

    Parameters
    ----------
    body : Body
    """

    def __init__(self, body: Body) -> None:
        self.body = body
        sc = body.stature / 1.75
        self.lumbar = np.array([-0.02 * sc, 0.10 * sc, 0.0])
        self.lumbar_to_c7 = body.trunk_length - self.lumbar[1]
        sh = 0.5 * body.shoulder_width - 0.045 * sc
        hw = 0.5 * body.hjc_separation
        self.offsets: dict[str, tuple[str | None, np.ndarray]] = {
            "pelvis": (None, np.array([0.0, body.hip_height, 0.0])),
            "trunk": ("pelvis", self.lumbar),
            "head": ("trunk", np.array([0.0, self.lumbar_to_c7, 0.0])),
        }
        for side, lat in (("l", -1.0), ("r", 1.0)):
            self.offsets[f"upper_arm_{side}"] = (
                "trunk",
                np.array([-0.01 * sc, self.lumbar_to_c7 - 0.05 * sc, lat * sh]),
            )
            self.offsets[f"forearm_{side}"] = (
                f"upper_arm_{side}",
                np.array([0.0, -body.upper_arm_length, 0.0]),
            )
            self.offsets[f"thigh_{side}"] = ("pelvis", np.array([0.0, 0.0, lat * hw]))
            self.offsets[f"shank_{side}"] = (f"thigh_{side}", np.array([0, -body.thigh_length, 0]))
            self.offsets[f"foot_{side}"] = (f"shank_{side}", np.array([0, -body.shank_length, 0]))
        self.rest = np.zeros((len(SEGMENTS), 3))
        for i, s in enumerate(SEGMENTS):
            parent, off = self.offsets[s]
            self.rest[i] = off if parent is None else self.rest[_INDEX[parent]] + off


@dataclass
class Pose:
    """Segment poses over a trial.

    Attributes
    ----------
    rotation : ndarray of float64, shape (N, S, 3, 3)
        Segment axes in the lab frame (columns X, Y, Z), S = len(SEGMENTS).
    origin : ndarray of float64, shape (N, S, 3)
        Segment origins in the lab frame, metres (joint centres for the leg segments).
    """

    rotation: np.ndarray
    origin: np.ndarray

    def joint_centre(self, joint: str, side: str) -> np.ndarray:
        """Hip, knee or ankle joint centre, shape (N, 3), lab metres."""
        seg = {"hjc": "thigh", "kjc": "shank", "ajc": "foot"}[joint]
        return self.origin[:, _INDEX[f"{seg}_{side}"]]

    def segment(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Rotation (N, 3, 3) and origin (N, 3) of one segment."""
        i = _INDEX[name]
        return self.rotation[:, i], self.origin[:, i]


def _joint(joint: str, side: str, angles: np.ndarray) -> np.ndarray:
    return np.stack([joint_rotation(joint, side, (a, b, c)) for a, b, c in angles])


def forward_kinematics(
    skeleton: Skeleton,
    pelvis_rotation: np.ndarray,
    pelvis_origin: np.ndarray,
    angles: dict[str, np.ndarray],
) -> Pose:
    """Pose every segment from the pelvis pose and joint angles.

    Parameters
    ----------
    skeleton : Skeleton
    pelvis_rotation : ndarray, shape (N, 3, 3)
        Pelvis axes in the lab.
    pelvis_origin : ndarray, shape (N, 3)
        Midpoint of the hip joint centres in the lab, metres.
    angles : dict of str -> ndarray, shape (N, 3), degrees
        ``hip_<s>``, ``knee_<s>``, ``ankle_<s>`` (clinical angles, see module docstring),
        ``trunk`` (flexion, lateral bend, rotation), ``arm_<s>`` (shoulder flexion,
        abduction, elbow flexion).
    """
    n = pelvis_rotation.shape[0]
    rel: dict[str, np.ndarray] = {}
    tr = angles["trunk"]
    rel["trunk"] = zxy(np.stack([-tr[:, 0], tr[:, 1], tr[:, 2]], -1))
    rel["head"] = rot("z", 0.5 * tr[:, 0])
    for side, lat in (("l", -1.0), ("r", 1.0)):
        arm = angles[f"arm_{side}"]
        rel[f"upper_arm_{side}"] = rot("z", arm[:, 0]) @ rot("x", -lat * arm[:, 1])
        rel[f"forearm_{side}"] = rot("z", arm[:, 2])
        rel[f"thigh_{side}"] = _joint("hip", side, angles[f"hip_{side}"])
        rel[f"shank_{side}"] = _joint("knee", side, angles[f"knee_{side}"])
        rel[f"foot_{side}"] = _joint("ankle", side, angles[f"ankle_{side}"])
    R = np.zeros((n, len(SEGMENTS), 3, 3))
    o = np.zeros((n, len(SEGMENTS), 3))
    for i, s in enumerate(SEGMENTS):
        parent, off = skeleton.offsets[s]
        if parent is None:
            R[:, i] = pelvis_rotation
            o[:, i] = pelvis_origin
            continue
        p = _INDEX[parent]
        R[:, i] = R[:, p] @ rel[s]
        o[:, i] = o[:, p] + R[:, p] @ off
    return Pose(R, o)


class Skin:
    """All surfaces of a body, concatenated for fast per-frame posing.

    Parameters
    ----------
    skeleton : Skeleton
    meshes : list of SegmentMesh, optional
        Defaults to :func:`kneesight.phantom.surfaces.body_meshes`.
    """

    def __init__(self, skeleton: Skeleton, meshes: list[SegmentMesh] | None = None) -> None:
        meshes = meshes if meshes is not None else body_meshes(skeleton.body, skeleton.lumbar_to_c7)
        self.meshes = meshes
        verts, faces, owner, delta, arch_side = [], [], [], [], []
        bidx, bw = [], []
        base = 0
        for m in meshes:
            nv = len(m.vertices)
            verts.append(m.vertices)
            faces.append(m.faces + base)
            owner.append(np.full(nv, _INDEX[m.segment]))
            delta.append(m.arch_delta if m.arch_delta is not None else np.zeros((nv, 3)))
            arch_side.append(np.full(nv, 1 if m.segment.endswith("_r") else 0))
            ib = np.full((nv, 2), _INDEX[m.segment])
            wb = np.zeros((nv, 2))
            for k, (seg, w) in enumerate(m.blends[:2]):
                ib[:, k] = _INDEX[seg]
                wb[:, k] = w
            bidx.append(ib)
            bw.append(wb)
            base += nv
        self.vertices = np.concatenate(verts)
        self.faces = np.concatenate(faces).astype(np.uint32)
        self.owner = np.concatenate(owner)
        self.arch_delta = np.concatenate(delta)
        self.arch_side = np.concatenate(arch_side)
        self.blend_index = np.concatenate(bidx)
        self.blend_weight = np.concatenate(bw)
        rest = skeleton.rest
        self.blend_offset = rest[self.owner][:, None, :] - rest[self.blend_index]
        self.foot_vertices = {
            s: np.flatnonzero(self.owner == _INDEX[f"foot_{s}"]) for s in ("l", "r")
        }

    def posed(self, pose: Pose, frame: int, arch_drop_m: tuple[float, float]) -> np.ndarray:
        """Vertices of every surface at one frame, shape (V, 3), float32, lab metres.

        Parameters
        ----------
        pose : Pose
        frame : int
            Index into the pose arrays.
        arch_drop_m : (left, right)
            Arch drop in metres per foot.
        """
        R, o = pose.rotation[frame], pose.origin[frame]
        drop = np.asarray(arch_drop_m, dtype=np.float64)[self.arch_side]
        v = self.vertices + self.arch_delta * drop[:, None]
        out = np.einsum("nij,nj->ni", R[self.owner], v) + o[self.owner]
        wsum = self.blend_weight.sum(1)
        out *= (1.0 - wsum)[:, None]
        for k in range(2):
            w = self.blend_weight[:, k]
            sel = np.flatnonzero(w > 0)
            if sel.size == 0:
                continue
            b = self.blend_index[sel, k]
            vb = v[sel] + self.blend_offset[sel, k]
            out[sel] += w[sel, None] * (np.einsum("nij,nj->ni", R[b], vb) + o[b])
        return out.astype(np.float32)

    def sole_pitch(self, pose: Pose, side: str) -> np.ndarray:
        """How far a foot points its toes up, per frame, shape (N,), degrees.

        The slope from the lowest point of the heel (the rearmost 3 cm of the foot) to the
        lowest point of the forefoot (the front 5 cm), along the foot: 0 when both stand on a
        level floor, positive when the toes are the higher.
        """
        idx = self.foot_vertices[side]
        R, o = pose.segment(f"foot_{side}")
        v = self.vertices[idx]
        y = np.einsum("nj,kj->nk", R[:, 1, :], v) + o[:, 1:2]
        x = v[:, 0]
        heel, toe = x < x.min() + 0.03, x > x.max() - 0.05
        run = float(x[toe].mean() - x[heel].mean())
        rise = y[:, toe].min(axis=1) - y[:, heel].min(axis=1)
        return np.degrees(np.arctan2(rise, run))

    def lowest_foot_point(self, pose: Pose, side: str) -> np.ndarray:
        """Height of the lowest point of a foot per frame, shape (N,), lab metres."""
        idx = self.foot_vertices[side]
        R, o = pose.segment(f"foot_{side}")
        v = self.vertices[idx]
        y = np.einsum("nj,kj->nk", R[:, 1, :], v) + o[:, 1:2]
        return y.min(axis=1)
