"""Ray casting of the phantom and its scene into true depth images (Open3D RaycastingScene)."""

from __future__ import annotations

import numpy as np
import open3d as o3d

from kneesight.phantom.camera import CameraPlacement
from kneesight.phantom.scene import Scene


class DepthRenderer:
    """Casts one ray per pixel from the left imager; depth is the hit's camera z.

    Parameters
    ----------
    camera : CameraPlacement
    scene : Scene
    """

    def __init__(self, camera: CameraPlacement, scene: Scene) -> None:
        k = camera.intrinsics
        self.shape = (k.height, k.width)
        u, v = np.meshgrid(np.arange(k.width, dtype=np.float64), np.arange(k.height))
        # Pixel (u, v) sees the ray of rs2_deproject_pixel_to_point(u, v): ((u-ppx)/fx, ...).
        d_cam = np.stack([(u - k.ppx) / k.fx, (v - k.ppy) / k.fy, np.ones_like(u)], axis=-1)
        t = camera.lab_from_camera()
        d_lab = d_cam @ t[:3, :3].T  # camera z = 1: t_hit is the depth
        o_lab = np.broadcast_to(t[:3, 3], d_lab.shape)
        rays = np.concatenate([o_lab, d_lab], axis=-1).astype(np.float32)
        self._rays = o3d.core.Tensor(np.ascontiguousarray(rays))
        sv, sf = scene.triangles()
        self._static_v = sv
        self._static_f = sf

    def depth(
        self, vertices: np.ndarray | None = None, faces: np.ndarray | None = None
    ) -> np.ndarray:
        """True depth image in metres, shape (H, W) float32 (inf where nothing is hit).

        Parameters
        ----------
        vertices : ndarray of float32, shape (V, 3), optional
            Posed body surface in the lab frame, metres.
        faces : ndarray of uint32, shape (F, 3), optional
        """
        rs = o3d.t.geometry.RaycastingScene()
        rs.add_triangles(o3d.core.Tensor(self._static_v), o3d.core.Tensor(self._static_f))
        if vertices is not None and faces is not None:
            rs.add_triangles(
                o3d.core.Tensor(np.ascontiguousarray(vertices, dtype=np.float32)),
                o3d.core.Tensor(np.ascontiguousarray(faces, dtype=np.uint32)),
            )
        return rs.cast_rays(self._rays)["t_hit"].numpy()
