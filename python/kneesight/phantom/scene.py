"""The static lab scene the phantom stands in: floor, drop box and back wall (lab frame)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

BOX_FRONT_X = -0.25
"""Lab x (m) of the box's front face in the landings from a box: the landing ankle joint
centres are at x = 0, 25 cm in front of it (at 15 cm the falling feet passed up to 5 cm
through the box's top and face in the frames after leaving it)."""


@dataclass(frozen=True)
class Scene:
    """Static geometry.

    Parameters
    ----------
    box_height : float or None
        Height of the drop box in metres (None: no box).
    box_front_x : float
        Lab X of the box's front face (the box lies behind the subject, toward -X).
    box_size : (depth, width)
        Box extent along X and Z, metres.
    box_centre_z : float
        Lab Z of the box's centre.
    wall_x : float
        Lab X of the back wall (a vertical plane facing +X).
    floor_half_size : float
        Half extent of the square floor around the origin, metres.
    """

    box_height: float | None = None
    box_front_x: float = BOX_FRONT_X
    box_size: tuple[float, float] = (0.45, 0.6)
    box_centre_z: float = 0.0
    wall_x: float = -1.2
    wall_height: float = 2.6
    floor_half_size: float = 6.0

    def triangles(self) -> tuple[np.ndarray, np.ndarray]:
        """Vertices (V, 3) float32 and faces (F, 3) uint32 of the floor, box and wall."""
        verts: list[np.ndarray] = []
        faces: list[np.ndarray] = []

        def quad(p: list[list[float]]) -> None:
            base = sum(len(v) for v in verts)
            verts.append(np.asarray(p, dtype=np.float32))
            faces.append(np.array([[0, 1, 2], [0, 2, 3]], dtype=np.uint32) + base)

        s = self.floor_half_size
        quad([[-s, 0, -s], [s, 0, -s], [s, 0, s], [-s, 0, s]])
        w = self.wall_x
        quad([[w, 0, -s], [w, self.wall_height, -s], [w, self.wall_height, s], [w, 0, s]])
        if self.box_height:
            x1 = self.box_front_x
            x0 = x1 - self.box_size[0]
            z0 = self.box_centre_z - 0.5 * self.box_size[1]
            z1 = z0 + self.box_size[1]
            h = self.box_height
            quad([[x0, h, z0], [x1, h, z0], [x1, h, z1], [x0, h, z1]])  # top
            quad([[x1, 0, z0], [x1, h, z0], [x1, h, z1], [x1, 0, z1]])  # front
            quad([[x0, 0, z0], [x1, 0, z0], [x1, h, z0], [x0, h, z0]])  # left side
            quad([[x0, 0, z1], [x1, 0, z1], [x1, h, z1], [x0, h, z1]])  # right side
            quad([[x0, 0, z0], [x0, h, z0], [x0, h, z1], [x0, 0, z1]])  # back
        return np.concatenate(verts), np.concatenate(faces)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "box_height_m": self.box_height,
            "box_front_x_m": self.box_front_x,
            "box_size_m": list(self.box_size),
            "box_centre_z_m": self.box_centre_z,
            "wall_x_m": self.wall_x,
            "wall_height_m": self.wall_height,
        }
