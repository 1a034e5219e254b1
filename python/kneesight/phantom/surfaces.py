"""Anatomical surfaces of the phantom, built per segment in segment-local rest coordinates.

Segment frames follow :mod:`kneesight.conventions` (X anterior, Y up along the segment, Z to
the right); at rest every frame is aligned with the lab. Limbs are lofted through non-circular
cross-sections with muscle bellies and bony landmarks (vastus medialis, patella, tibial
tuberosity, gastrocnemius heads, malleoli); the foot has a plan shape (heel, arch, ball, toes)
and a dorsal profile whose height at 50 % of foot length drops, and whose midfoot widens, with
the arch degree of freedom. Shapes are built for the right side and mirrored for the left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneesight.phantom.body import Body
from kneesight.phantom.loft import Bump, loft, profile, ramanujan_semi_axes

ARCH_SPREAD = 0.8
"""Midfoot widening (medially) per unit of arch drop."""


@dataclass
class SegmentMesh:
    """One closed surface owned by a segment.

    Attributes
    ----------
    name : str
        Mesh name, e.g. ``"thigh_r"`` or ``"patella_l"``.
    segment : str
        Owning segment; ``vertices`` are in its local rest coordinates (metres).
    vertices : ndarray of float64, shape (V, 3)
    faces : ndarray of int64, shape (F, 3)
    blends : list of (str, ndarray of float64, shape (V,))
        Neighbour segments that vertices near a joint follow partly (linear blend skinning),
        with the weight of each neighbour's motion per vertex (the owner gets the rest).
    arch_delta : ndarray of float64, shape (V, 3) or None
        Vertex displacement per metre of arch drop (feet only).
    """

    name: str
    segment: str
    vertices: np.ndarray
    faces: np.ndarray
    blends: list[tuple[str, np.ndarray]] = field(default_factory=list)
    arch_delta: np.ndarray | None = None


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _sided(name: str, side: str) -> str:
    return name[:-2] + f"_{side}" if name.endswith("_r") else name


def _mirror(mesh: SegmentMesh, side: str) -> SegmentMesh:
    """Name a right-side mesh for ``side``; mirror across the sagittal plane for the left."""
    blends = [(_sided(b, side), w) for b, w in mesh.blends]
    name, seg = _sided(mesh.name, side), _sided(mesh.segment, side)
    if side == "r":
        return SegmentMesh(name, seg, mesh.vertices, mesh.faces, blends, mesh.arch_delta)
    m = np.array([1.0, 1.0, -1.0])
    delta = None if mesh.arch_delta is None else mesh.arch_delta * m
    return SegmentMesh(name, seg, mesh.vertices * m, mesh.faces[:, ::-1].copy(), blends, delta)


def _limb(
    along_y: np.ndarray, xc, zc, ax, az, t, bumps, n_around=32
) -> tuple[np.ndarray, np.ndarray]:
    v, f, _ = loft(along_y, xc, zc, ax, az, param=t, bumps=bumps, n_around=n_around)
    return v[:, [1, 0, 2]], f


def thigh(body: Body) -> list[SegmentMesh]:
    """Right thigh (origin HJC) and patella: quadriceps, vastus medialis, condyles."""
    L = body.thigh_length
    sc = body.stature / 1.75
    t = np.concatenate(
        [np.linspace(-0.13, 0.0, 4), np.linspace(0.04, 0.84, 17), np.linspace(0.87, 1.08, 9)]
    )
    cp, clt, ck = body.thigh_girth, body.lower_thigh_girth, body.knee_girth
    girth = profile(
        [
            (-0.13, 0.80 * cp),
            (-0.05, 0.97 * cp),
            (0.05, cp),
            (0.3, 0.93 * cp),
            (0.55, 0.84 * cp),
            (0.82, clt),
            (1.0, ck),
            (1.08, 0.85 * ck),
        ],
        t,
    )
    ratio = profile(
        [(-0.13, 1.25), (0.05, 1.15), (0.5, 0.97), (0.85, 1.05), (1.0, 1.18), (1.08, 1.12)], t
    )
    ax, az = ramanujan_semi_axes(girth, ratio)
    xc = profile([(-0.13, -0.02 * sc), (0.2, -0.008 * sc), (0.6, 0.0), (1.08, -0.004 * sc)], t)
    zc = profile([(-0.13, 0.03 * sc), (0.1, 0.02 * sc), (0.6, 0.004 * sc), (1.08, 0.0)], t)
    k = sc * (body.thigh_girth / (0.352 * body.stature))
    bumps = [
        Bump(-50, 0.80, 28, 0.07, 0.014 * k),  # vastus medialis (teardrop above the medial knee)
        Bump(70, 0.45, 40, 0.18, 0.008 * k),  # vastus lateralis
        Bump(0, 0.35, 28, 0.18, 0.008 * k),  # rectus femoris
        Bump(180, 0.40, 50, 0.22, 0.006 * k),  # hamstrings
        Bump(-90, 0.15, 40, 0.12, 0.006 * k),  # adductors
        Bump(180, 1.00, 35, 0.05, -0.010 * sc),  # popliteal fossa
        Bump(-100, 0.98, 30, 0.05, 0.006 * sc),  # medial femoral condyle
        Bump(100, 0.98, 30, 0.05, 0.004 * sc),  # lateral femoral condyle
    ]
    v, f = _limb(-t * L, xc, zc, ax, az, t, bumps)
    tv = np.concatenate([np.repeat(t, 32), [t[0], t[-1]]])
    w_shank = 0.5 * _smoothstep((tv - 0.9) / 0.18)
    w_pelvis = 0.5 * _smoothstep((-tv + 0.02) / 0.15)
    thigh_mesh = SegmentMesh(
        "thigh_r", "thigh_r", v, f, [("shank_r", w_shank), ("pelvis", w_pelvis)]
    )
    # Patella: a lens in front of the trochlea, moving half-way with the shank.
    i_k = int(np.argmin(np.abs(t - 0.95)))
    front = xc[i_k] + ax[i_k]
    pt = np.linspace(0.0, 1.0, 9)
    ph = 0.046 * sc
    lens = np.sin(np.pi * np.clip(pt, 0.02, 0.98)) ** 0.6
    pv, pf = _limb(
        -0.95 * L + ph * (0.5 - pt),
        front - 0.004 * sc + 0.0 * pt,
        0.003 * sc + 0.0 * pt,
        0.013 * sc * lens,
        0.022 * sc * lens,
        pt,
        [],
        n_around=16,
    )
    patella = SegmentMesh("patella_r", "thigh_r", pv, pf, [("shank_r", np.full(len(pv), 0.5))])
    return [thigh_mesh, patella]


def shank(body: Body) -> list[SegmentMesh]:
    """Right shank (origin KJC): tibial tuberosity, gastrocnemius heads, malleoli."""
    L = body.shank_length
    sc = body.stature / 1.75
    t = np.concatenate([np.linspace(-0.07, 0.84, 24), np.linspace(0.87, 1.04, 9)])
    ck, cc, ca = body.knee_girth, body.calf_girth, body.ankle_girth
    girth = profile(
        [
            (-0.07, 0.98 * ck),
            (0.0, 0.95 * ck),
            (0.08, 0.90 * ck),
            (0.3, cc),
            (0.5, 0.9 * cc),
            (0.75, 0.68 * cc),
            (0.9, 1.05 * ca),
            (1.0, 1.02 * ca),
            (1.04, 0.85 * ca),
        ],
        t,
    )
    ratio = profile(
        [(-0.07, 1.15), (0.08, 1.1), (0.3, 1.04), (0.6, 1.0), (0.9, 1.2), (1.04, 1.3)], t
    )
    ax, az = ramanujan_semi_axes(girth, ratio)
    xc = profile(
        [
            (-0.07, -0.004 * sc),
            (0.3, -0.018 * sc),
            (0.7, -0.01 * sc),
            (0.95, -0.004 * sc),
            (1.04, 0.0),
        ],
        t,
    )
    zc = profile([(-0.07, 0.0), (0.3, 0.003 * sc), (1.04, 0.002 * sc)], t)
    k = sc * (body.calf_girth / (0.222 * body.stature))
    bumps = [
        Bump(-150, 0.30, 32, 0.11, 0.014 * k),  # gastrocnemius, medial head (larger, lower)
        Bump(150, 0.25, 28, 0.09, 0.010 * k),  # gastrocnemius, lateral head
        Bump(10, 0.10, 18, 0.035, 0.008 * sc),  # tibial tuberosity
        Bump(-25, 0.5, 15, 0.25, -0.003 * sc),  # flat antero-medial tibia
        Bump(180, 0.88, 30, 0.06, -0.004 * sc),  # Achilles tendon waist
        Bump(-80, 0.985, 25, 0.025, 0.011 * sc),  # medial malleolus (higher, anterior)
        Bump(105, 1.015, 25, 0.025, 0.012 * sc),  # lateral malleolus (lower, posterior)
    ]
    v, f = _limb(-t * L, xc, zc, ax, az, t, bumps)
    tv = np.concatenate([np.repeat(t, 32), [t[0], t[-1]]])
    w_thigh = 0.5 * _smoothstep((0.06 - tv) / 0.13)
    return [SegmentMesh("shank_r", "shank_r", v, f, [("thigh_r", w_thigh)])]


def _foot_vertices(body: Body, drop: float, s: np.ndarray, n_around: int):
    lf, wf = body.foot_length, body.foot_width
    a = body.ajc_from_heel
    fs = lf / 0.258
    y_sole = -body.ankle_height
    g = np.exp(-0.5 * ((s - 0.5) / 0.15) ** 2)
    width = (
        wf
        * profile(
            [
                (0.0, 0.35),
                (0.05, 0.58),
                (0.15, 0.64),
                (0.3, 0.68),
                (0.45, 0.74),
                (0.6, 0.86),
                (0.72, 1.0),
                (0.8, 0.98),
                (0.88, 0.88),
                (0.95, 0.7),
                (1.0, 0.3),
            ],
            s,
        )
        + ARCH_SPREAD * drop * g
    )
    zc = (
        profile([(0.0, 0.003), (0.5, 0.002), (0.72, -0.006), (0.95, -0.012), (1.0, -0.012)], s) * fs
        - 0.5 * ARCH_SPREAD * drop * g
    )
    ankle_top = body.ankle_height + 0.025 * fs
    arch = body.arch_height
    height = (
        profile(
            [
                (0.0, 0.035 * fs),
                (0.05, 0.065 * fs),
                (0.14, 0.085 * fs),
                (a / lf, ankle_top),
                (0.36, 0.5 * (ankle_top + arch)),
                (0.5, arch),
                (0.62, 0.78 * arch),
                (0.72, 0.6 * arch),
                (0.82, 0.44 * arch),
                (0.9, 0.34 * arch),
                (1.0, 0.15 * arch),
            ],
            s,
        )
        - drop * g
    )
    v, f, theta = loft(
        -a + s * lf,
        zc,
        y_sole + 0.5 * height,
        0.5 * width,
        0.5 * height,
        param=s,
        n_around=n_around,
        exponent=3.0,
    )
    verts = v[:, [0, 2, 1]]  # (along x, y, z)
    # Medial longitudinal arch: lift the medial plantar surface in the midfoot.
    lift0 = 0.011 * fs * np.exp(-0.5 * ((s - 0.45) / 0.13) ** 2)
    lift = lift0 - 0.4 * drop * g
    c, sn = np.cos(theta), np.sin(theta)
    medial = _smoothstep(-c / 0.6) * np.clip(-sn, 0.0, 1.0)
    ring_lift = lift[:, None] * medial[None, :]
    verts[: s.size * n_around, 1] += ring_lift.reshape(-1)
    return verts, f


def foot(body: Body) -> list[SegmentMesh]:
    """Right foot (origin AJC, X heel to toe) with its arch degree of freedom."""
    s = np.unique(np.concatenate([np.linspace(0.0, 1.0, 26), [0.5, 0.01, 0.99]]))
    n_around = 28
    v0, f = _foot_vertices(body, 0.0, s, n_around)
    v1, _ = _foot_vertices(body, 0.001, s, n_around)
    return [SegmentMesh("foot_r", "foot_r", v0, f, arch_delta=(v1 - v0) / 0.001)]


def _blob(name: str, seg: str, y, xc, zc, ax, az, n_around=28, bumps=None) -> SegmentMesh:
    v, f, _ = loft(
        np.asarray(y),
        np.asarray(xc),
        np.asarray(zc),
        np.asarray(ax),
        np.asarray(az),
        bumps=bumps,
        n_around=n_around,
    )
    return SegmentMesh(name, seg, v[:, [1, 0, 2]], f)


def pelvis(body: Body) -> list[SegmentMesh]:
    """Pelvis and buttocks (origin midway between the hip joint centres)."""
    sc = body.stature / 1.75
    hw = 0.5 * body.hip_width
    y = np.linspace(-0.10, 0.15, 12) * sc
    u = (y / sc + 0.10) / 0.25
    az = hw * profile(
        [(0.0, 0.55), (0.2, 0.93), (0.35, 1.0), (0.6, 0.97), (0.85, 0.92), (1.0, 0.8)], u
    )
    ax = sc * profile([(0.0, 0.07), (0.25, 0.105), (0.5, 0.11), (0.8, 0.10), (1.0, 0.09)], u)
    xc = np.full_like(y, -0.025 * sc)
    bumps = [Bump(160, 0.3, 25, 0.15, 0.018 * sc), Bump(-160, 0.3, 25, 0.15, 0.018 * sc)]
    v, f, _ = loft(y, xc, np.zeros_like(y), ax, az, param=u, bumps=bumps, n_around=36)
    return [SegmentMesh("pelvis", "pelvis", v[:, [1, 0, 2]], f)]


def trunk(body: Body, lumbar_to_c7: float) -> list[SegmentMesh]:
    """Trunk from the lumbar joint to C7 (origin at the lumbar joint)."""
    sc = body.stature / 1.75
    top = lumbar_to_c7
    u = np.linspace(0.0, 1.0, 16)
    y = -0.03 * sc + u * (top + 0.03 * sc)
    sw = 0.5 * body.shoulder_width
    az = profile(
        [
            (0.0, 0.15 * sc),
            (0.2, 0.135 * sc),
            (0.55, 0.16 * sc),
            (0.82, 0.92 * sw),
            (0.92, 0.85 * sw),
            (1.0, 0.07 * sc),
        ],
        u,
    )
    ax = sc * profile([(0.0, 0.10), (0.2, 0.095), (0.55, 0.115), (0.82, 0.085), (1.0, 0.055)], u)
    xc = sc * profile([(0.0, -0.02), (0.55, 0.0), (0.9, -0.02), (1.0, -0.02)], u)
    return [_blob("trunk", "trunk", y, xc, np.zeros_like(y), ax, az, n_around=36)]


def head(body: Body) -> list[SegmentMesh]:
    """Neck and head (origin at C7)."""
    sc = body.stature / 1.75
    hl = body.head_length
    u = np.linspace(0.0, 1.0, 16)
    y = u * hl
    hc = hl - 0.115 * sc  # head centre height above C7
    e = np.clip((y - hc) / (0.118 * sc), -1.0, 1.0)
    skull = np.sqrt(np.clip(1.0 - e**2, 0.0, 1.0))
    neck = np.where(y < hc, 0.055 * sc, 0.0)
    ax = np.maximum(0.095 * sc * skull, neck * (y < hc - 0.03 * sc)) + 1e-4
    az = np.maximum(0.078 * sc * skull, neck * (y < hc - 0.03 * sc)) + 1e-4
    xc = np.where(y > hc - 0.09 * sc, 0.025 * sc, 0.01 * sc)
    return [_blob("head", "head", y, xc, np.zeros_like(y), ax, az, n_around=24)]


def arm(body: Body) -> list[SegmentMesh]:
    """Right upper arm (origin shoulder) and forearm with hand (origin elbow)."""
    sc = body.stature / 1.75
    ua, fa, hl = body.upper_arm_length, body.forearm_length, body.hand_length
    u = np.linspace(0.0, 1.0, 12)
    y = 0.05 * sc - u * (ua + 0.07 * sc)
    r = sc * profile([(0.0, 0.045), (0.15, 0.05), (0.5, 0.045), (1.0, 0.038)], u)
    upper = _blob(
        "upper_arm_r",
        "upper_arm_r",
        y,
        np.zeros_like(y),
        np.zeros_like(y),
        r,
        r * 0.95,
        n_around=20,
    )
    upper.blends = [("trunk", 0.35 * _smoothstep(upper.vertices[:, 1] / (0.05 * sc)))]
    u = np.linspace(0.0, 1.0, 16)
    y = 0.03 * sc - u * (fa + hl + 0.03 * sc)
    w = (fa + 0.03 * sc) / (fa + hl + 0.03 * sc)
    ax = sc * profile(
        [
            (0.0, 0.04),
            (0.3, 0.042),
            (w, 0.022),
            (w + 0.25 * (1 - w), 0.045),
            (0.93, 0.04),
            (1.0, 0.01),
        ],
        u,
    )
    az = sc * profile(
        [(0.0, 0.04), (0.3, 0.04), (w, 0.03), (w + 0.25 * (1 - w), 0.014), (1.0, 0.008)], u
    )
    fore = _blob(
        "forearm_r", "forearm_r", y, np.zeros_like(y), np.zeros_like(y), ax, az, n_around=20
    )
    return [upper, fore]


def body_meshes(body: Body, lumbar_to_c7: float) -> list[SegmentMesh]:
    """Every surface of the phantom (both sides), in segment-local rest coordinates."""
    right = [*thigh(body), *shank(body), *foot(body), *arm(body)]
    sided = [_mirror(m, s) for s in ("l", "r") for m in right]
    return [*pelvis(body), *trunk(body, lumbar_to_c7), *head(body), *sided]
