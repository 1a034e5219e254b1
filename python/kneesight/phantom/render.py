"""Ray casting of the phantom and its scene into true depth images (Open3D RaycastingScene)."""

from __future__ import annotations

import numpy as np
import open3d as o3d

from kneesight.phantom.camera import CameraPlacement
from kneesight.phantom.scene import Scene


class DepthRenderer:
    """Casts one ray per pixel from the left imager; depth is the hit's camera z.

    The static scene is cast once; each frame casts only the rays inside the body's
    projected bounding box against the body and keeps the nearer hit.

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
        self._rays = np.ascontiguousarray(np.concatenate([o_lab, d_lab], -1), dtype=np.float32)
        self._camera_from_lab = np.linalg.inv(t)
        self._k = k
        sv, sf = scene.triangles()
        self._static = self._cast(self._rays, sv, sf)

    @staticmethod
    def _cast(rays: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
        rs = o3d.t.geometry.RaycastingScene()
        rs.add_triangles(
            o3d.core.Tensor.from_numpy(np.ascontiguousarray(vertices, dtype=np.float32)),
            o3d.core.Tensor.from_numpy(np.ascontiguousarray(faces, dtype=np.uint32)),
        )
        shape = rays.shape[:-1]
        hit = rs.cast_rays(o3d.core.Tensor.from_numpy(np.ascontiguousarray(rays.reshape(-1, 6))))
        return hit["t_hit"].numpy().reshape(shape)

    def _pixel_box(self, vertices: np.ndarray) -> tuple[int, int, int, int] | None:
        """Pixel bounds (v0, v1, u0, u1) of the projected vertices; None if they reach
        behind the camera (then every pixel is cast)."""
        r, t = self._camera_from_lab[:3, :3], self._camera_from_lab[:3, 3]
        c = vertices.astype(np.float64) @ r.T + t
        if c[:, 2].min() <= 0.05:
            return None
        k = self._k
        u = k.fx * c[:, 0] / c[:, 2] + k.ppx
        v = k.fy * c[:, 1] / c[:, 2] + k.ppy
        h, w = self.shape
        u0, u1 = max(int(np.floor(u.min())) - 2, 0), min(int(np.ceil(u.max())) + 3, w)
        v0, v1 = max(int(np.floor(v.min())) - 2, 0), min(int(np.ceil(v.max())) + 3, h)
        return v0, v1, u0, u1

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
        out = self._static.copy()
        if vertices is None or faces is None or len(faces) == 0:
            return out
        box = self._pixel_box(vertices)
        v0, v1, u0, u1 = box if box is not None else (0, self.shape[0], 0, self.shape[1])
        if v1 <= v0 or u1 <= u0:
            return out
        hit = self._cast(self._rays[v0:v1, u0:u1], vertices, faces)
        np.minimum(out[v0:v1, u0:u1], hit, out=out[v0:v1, u0:u1])
        return out
