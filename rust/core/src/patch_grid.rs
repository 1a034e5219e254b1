//! The in-plane grid of [`super::split_patches`]: a plane's points in in-plane coordinates,
//! binned into cells and joined into 8-connected pieces.

use nalgebra::{Matrix2, SymmetricEigen, Vector2, Vector3};

use crate::plane::Plane;

/// Grid cell of the patch connectivity analysis, metres.
const CELL: f64 = 0.05;

/// In-plane axes of a patch: `v` up for vertical and slanted planes, the principal direction
/// of the points for horizontal ones.
fn patch_axes(plane: &Plane, members: &[Vector3<f64>]) -> (Vector3<f64>, Vector3<f64>) {
    let n = plane.normal;
    if n.y.abs() < 20f64.to_radians().cos() {
        let v = (Vector3::y() - n * n.y).normalize();
        (v.cross(&n), v)
    } else {
        let c = members.iter().sum::<Vector3<f64>>() / members.len() as f64;
        let mut cov = Matrix2::zeros();
        for p in members {
            let d = Vector2::new(p.x - c.x, p.z - c.z);
            cov += d * d.transpose();
        }
        let eig = SymmetricEigen::new(cov);
        let k = if eig.eigenvalues[0] > eig.eigenvalues[1] {
            0
        } else {
            1
        };
        let dir = Vector3::new(eig.eigenvectors[(0, k)], 0.0, eig.eigenvectors[(1, k)]);
        let u = (dir - n * n.dot(&dir)).normalize();
        (u, n.cross(&u))
    }
}

/// A grid of `CELL` cells over in-plane coordinates, with the 8-connected pieces of the
/// occupied cells.
pub(super) struct PlaneGrid {
    umin: f64,
    vmin: f64,
    cell: f64,
    nu: usize,
    nv: usize,
    /// Piece of every cell (`u32::MAX`: empty).
    label: Vec<u32>,
    pub(super) pieces: usize,
}

impl PlaneGrid {
    fn new(uv: &[(f64, f64)]) -> PlaneGrid {
        let (mut umin, mut umax, mut vmin, mut vmax) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(a, b) in uv {
            (umin, umax, vmin, vmax) = (umin.min(a), umax.max(a), vmin.min(b), vmax.max(b));
        }
        let cell = CELL.max((umax - umin).max(vmax - vmin) / 400.0);
        let nu = ((umax - umin) / cell) as usize + 1;
        let nv = ((vmax - vmin) / cell) as usize + 1;
        let mut g = PlaneGrid {
            umin,
            vmin,
            cell,
            nu,
            nv,
            label: vec![u32::MAX; nu * nv],
            pieces: 0,
        };
        let mut occupied = vec![false; nu * nv];
        for &(a, b) in uv {
            occupied[g.cell_of(a, b)] = true;
        }
        let mut stack = Vec::new();
        for start in 0..nu * nv {
            if !occupied[start] || g.label[start] != u32::MAX {
                continue;
            }
            let id = g.pieces as u32;
            g.pieces += 1;
            g.label[start] = id;
            stack.push(start);
            while let Some(c) = stack.pop() {
                let (ci, cj) = ((c % nu) as i64, (c / nu) as i64);
                for (di, dj) in (-1..=1i64).flat_map(|j| (-1..=1i64).map(move |i| (i, j))) {
                    let (ni, nj) = (ci + di, cj + dj);
                    if ni < 0 || nj < 0 || ni >= nu as i64 || nj >= nv as i64 {
                        continue;
                    }
                    let nc = nj as usize * nu + ni as usize;
                    if occupied[nc] && g.label[nc] == u32::MAX {
                        g.label[nc] = id;
                        stack.push(nc);
                    }
                }
            }
        }
        g
    }

    /// The piece of the cell holding in-plane point `(a, b)`.
    pub(super) fn piece_at(&self, (a, b): (f64, f64)) -> u32 {
        self.label[self.cell_of(a, b)]
    }

    /// The piece holding the most of the points `uv` (the last of equals); None without pieces.
    pub(super) fn largest_piece(&self, uv: &[(f64, f64)]) -> Option<u32> {
        let mut sizes = vec![0usize; self.pieces];
        for &p in uv {
            sizes[self.piece_at(p) as usize] += 1;
        }
        (0..sizes.len()).max_by_key(|&k| sizes[k]).map(|k| k as u32)
    }

    fn cell_of(&self, a: f64, b: f64) -> usize {
        let i = (((a - self.umin) / self.cell).max(0.0) as usize).min(self.nu - 1);
        let j = (((b - self.vmin) / self.cell).max(0.0) as usize).min(self.nv - 1);
        j * self.nu + i
    }

    /// The in-plane rectangle of a piece without its thin fringes (e.g. feet standing on a
    /// box's top edge): end rows and columns less than 30 % as full as the fullest one are cut.
    /// Returns ((u0, u1), (v0, v1)) and the trimmed piece's occupied area.
    pub(super) fn trimmed(&self, id: u32) -> ((f64, f64), (f64, f64), f64) {
        let (mut rows, mut cols) = (vec![0usize; self.nv], vec![0usize; self.nu]);
        for c in (0..self.label.len()).filter(|&c| self.label[c] == id) {
            rows[c / self.nu] += 1;
            cols[c % self.nu] += 1;
        }
        let span = |occ: &[usize]| {
            let top = occ.iter().copied().max().unwrap_or(0);
            let full = |k: &usize| occ[*k] > 0 && occ[*k] * 10 >= top * 3;
            let lo = (0..occ.len()).find(full).unwrap_or(0);
            let hi = (0..occ.len()).rev().find(full).unwrap_or(0);
            (lo, hi)
        };
        let ((i0, i1), (j0, j1)) = (span(&cols), span(&rows));
        let cells = (j0..=j1)
            .flat_map(|j| (i0..=i1).map(move |i| j * self.nu + i))
            .filter(|&c| self.label[c] == id)
            .count();
        let c = self.cell;
        (
            (self.umin + i0 as f64 * c, self.umin + (i1 + 1) as f64 * c),
            (self.vmin + j0 as f64 * c, self.vmin + (j1 + 1) as f64 * c),
            cells as f64 * c * c,
        )
    }
}

/// In-plane coordinates of points.
fn plane_coords(
    origin: &Vector3<f64>,
    u: &Vector3<f64>,
    v: &Vector3<f64>,
    pts: &[Vector3<f64>],
) -> Vec<(f64, f64)> {
    pts.iter()
        .map(|p| ((p - origin).dot(u), (p - origin).dot(v)))
        .collect()
}

/// A plane's points in in-plane coordinates and the grid of their connected pieces.
pub(super) struct OnPlane {
    /// The first point's projection onto the plane.
    pub(super) origin: Vector3<f64>,
    /// In-plane axes of [`patch_axes`].
    pub(super) u: Vector3<f64>,
    pub(super) v: Vector3<f64>,
    /// In-plane coordinates of every point, metres.
    pub(super) uv: Vec<(f64, f64)>,
    pub(super) grid: PlaneGrid,
}

/// Lay `pts` (at least one) out on `plane`: see [`OnPlane`].
pub(super) fn grid_on(plane: &Plane, pts: &[Vector3<f64>]) -> OnPlane {
    let (u, v) = patch_axes(plane, pts);
    let origin = plane.project(&pts[0]);
    let uv = plane_coords(&origin, &u, &v, pts);
    let grid = PlaneGrid::new(&uv);
    OnPlane {
        origin,
        u,
        v,
        uv,
        grid,
    }
}
