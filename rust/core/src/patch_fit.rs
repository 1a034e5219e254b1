//! Planar patches of the static scene from RANSAC planes: each plane's inliers are split into
//! connected pieces on an in-plane grid, re-fitted one by one (snapped plumb or level), joined
//! again across the gaps something standing in front of them leaves, and kept when they look
//! like built structure rather than a person: horizontal tops above the floor, vertical faces
//! standing on the floor and wider than tall, or anything planar larger than 1.2 m^2.

use nalgebra::{Matrix2, SymmetricEigen, Vector2, Vector3};

use crate::background::{Patch, PatchKind};
use crate::noise::DepthNoise;
use crate::plane::{refine_plane_weighted, Plane};

/// Grid cell of the patch connectivity analysis, metres.
const CELL: f64 = 0.05;

/// Largest gap across which pieces of one plane are joined, metres (two legs side by side).
const MERGE_GAP: f64 = 0.4;

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
struct PlaneGrid {
    umin: f64,
    vmin: f64,
    cell: f64,
    nu: usize,
    nv: usize,
    /// Piece of every cell (`u32::MAX`: empty).
    label: Vec<u32>,
    pieces: usize,
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

    fn cell_of(&self, a: f64, b: f64) -> usize {
        let i = (((a - self.umin) / self.cell).max(0.0) as usize).min(self.nu - 1);
        let j = (((b - self.vmin) / self.cell).max(0.0) as usize).min(self.nv - 1);
        j * self.nu + i
    }

    /// The in-plane rectangle of a piece without its thin fringes (e.g. feet standing on a
    /// box's top edge): end rows and columns less than 30 % as full as the fullest one are cut.
    /// Returns ((u0, u1), (v0, v1)) and the trimmed piece's occupied area.
    fn trimmed(&self, id: u32) -> ((f64, f64), (f64, f64), f64) {
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

/// Tilt within which a piece is snapped to exactly vertical or horizontal, degrees: built
/// structure is plumb and level, and a small face seen from far away tilts in the noise.
const SNAP_DEG: f64 = 20.0;

/// Re-fit a plane to one piece only (RANSAC's plane may lean on other objects), snapped to
/// exactly vertical or horizontal when within `SNAP_DEG`.
fn refit_piece(plane: &Plane, pts: &[Vector3<f64>], ctx: &Context) -> Option<Plane> {
    let mut plane = *plane;
    for _ in 0..3 {
        let inl: Vec<usize> = (0..pts.len())
            .filter(|&i| plane.distance(&pts[i]).abs() < ctx.tol(&pts[i]))
            .collect();
        let w = |i: usize| 1.0 / ctx.sigma(&pts[i]).max(1e-3).powi(2);
        let fit = refine_plane_weighted(pts, &inl, w)?;
        let mut n = if fit.normal.dot(&plane.normal) < 0.0 {
            -fit.normal
        } else {
            fit.normal
        };
        if n.y.abs() > SNAP_DEG.to_radians().cos() {
            n = Vector3::y() * n.y.signum();
        } else if n.y.abs() < SNAP_DEG.to_radians().sin() {
            n = Vector3::new(n.x, 0.0, n.z).normalize();
        }
        // offset: weighted mean of the inliers along the (snapped) normal
        let (mut sw, mut sd) = (0.0, 0.0);
        for &i in &inl {
            sw += w(i);
            sd += w(i) * n.dot(&pts[i]);
        }
        plane = Plane {
            normal: n,
            offset: -sd / sw,
        };
    }
    Some(plane)
}

/// RANSAC's plane may lean across several objects: re-fit it to its largest connected piece
/// and re-collect its inliers from `pool`, twice.
pub(crate) fn focus_plane(
    plane: &Plane,
    pool: &[Vector3<f64>],
    inliers: &[usize],
    ctx: &Context,
) -> Plane {
    let mut plane = *plane;
    let mut members: Vec<Vector3<f64>> = inliers.iter().map(|&k| pool[k]).collect();
    for _ in 0..2 {
        if members.len() < 30 {
            break;
        }
        let (u, v) = patch_axes(&plane, &members);
        let origin = plane.project(&members[0]);
        let uv = plane_coords(&origin, &u, &v, &members);
        let grid = PlaneGrid::new(&uv);
        let mut sizes = vec![0usize; grid.pieces];
        let piece_of: Vec<usize> = uv
            .iter()
            .map(|&(a, b)| grid.label[grid.cell_of(a, b)] as usize)
            .collect();
        piece_of.iter().for_each(|&k| sizes[k] += 1);
        let Some(big) = (0..sizes.len()).max_by_key(|&k| sizes[k]) else {
            break;
        };
        let piece: Vec<Vector3<f64>> = (0..members.len())
            .filter(|&k| piece_of[k] == big)
            .map(|k| members[k])
            .collect();
        let Some(fit) = refit_piece(&plane, &piece, ctx) else {
            break;
        };
        plane = fit.oriented_toward(ctx.eye);
        members = pool
            .iter()
            .copied()
            .filter(|p| plane.distance(p).abs() < ctx.tol(p))
            .collect();
    }
    plane
}

/// Split a plane's inliers into connected pieces on a grid, re-fit each, and keep those that
/// look like built structure. Also says which members the pieces explain (lie on their re-fit
/// plane, or belong to pieces too small to fit).
pub(crate) fn split_patches(
    plane: &Plane,
    members: &[Vector3<f64>],
    ctx: &Context,
) -> (Vec<Patch>, Vec<bool>) {
    let (u, v) = patch_axes(plane, members);
    let origin = plane.project(&members[0]);
    let grid = PlaneGrid::new(&plane_coords(&origin, &u, &v, members));
    let uv = plane_coords(&origin, &u, &v, members);
    let mut out = Vec::new();
    let mut candidates = Vec::new();
    let mut explained = vec![true; members.len()];
    for id in 0..grid.pieces as u32 {
        let idx: Vec<usize> = (0..members.len())
            .filter(|&k| grid.label[grid.cell_of(uv[k].0, uv[k].1)] == id)
            .collect();
        let piece: Vec<Vector3<f64>> = idx.iter().map(|&k| members[k]).collect();
        if piece.len() < 30 {
            continue;
        }
        let Some(fit) = refit_piece(plane, &piece, ctx) else {
            continue;
        };
        let fit = fit.oriented_toward(ctx.eye);
        for &k in &idx {
            explained[k] = fit.distance(&members[k]).abs() < ctx.tol(&members[k]);
        }
        let on: Vec<Vector3<f64>> = piece
            .iter()
            .copied()
            .filter(|p| fit.distance(p).abs() < ctx.tol(p))
            .collect();
        if on.len() < 30 {
            continue;
        }
        let (pu, pv) = patch_axes(&fit, &on);
        let porigin = fit.project(&on[0]);
        let puv = plane_coords(&porigin, &pu, &pv, &on);
        let pgrid = PlaneGrid::new(&puv);
        // the largest sub-piece after the re-fit
        let mut sizes = vec![0usize; pgrid.pieces];
        for &(a, b) in &puv {
            sizes[pgrid.label[pgrid.cell_of(a, b)] as usize] += 1;
        }
        let Some(big) = (0..sizes.len()).max_by_key(|&k| sizes[k]) else {
            continue;
        };
        let ((ua, ub), (va, vb), occupied) = pgrid.trimmed(big as u32);
        let inside: Vec<usize> = (0..on.len())
            .filter(|&k| pgrid.label[pgrid.cell_of(puv[k].0, puv[k].1)] == big as u32)
            .filter(|&k| (ua..=ub).contains(&puv[k].0) && (va..=vb).contains(&puv[k].1))
            .collect();
        if inside.len() < 30 {
            continue;
        }
        let (mut a0, mut a1, mut b0, mut b1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &k in &inside {
            let (a, b) = puv[k];
            (a0, a1, b0, b1) = (a0.min(a), a1.max(a), b0.min(b), b1.max(b));
        }
        let patch = Patch {
            plane: fit,
            origin: porigin,
            axis_u: pu,
            axis_v: pv,
            u_range: (a0, a1),
            v_range: (b0, b1),
            kind: classify(&fit),
        };
        // sampled points over the points a full rectangle at this range and slant would give
        let centre = inside.iter().map(|&k| on[k]).sum::<Vector3<f64>>() / inside.len() as f64;
        let to_eye = ctx.eye - centre;
        let slant = fit.normal.dot(&to_eye).abs() / to_eye.norm();
        let per_m2 = ctx.density * slant / to_eye.norm_squared();
        candidates.push(Candidate {
            patch,
            occupied,
            count: inside.len() as f64,
            per_m2,
        });
    }
    merge_across_gaps(&mut candidates);
    for c in candidates {
        let area = c.patch.area().max(1e-9);
        let fill = (c.count / (area * c.per_m2).max(1.0)).min(c.occupied / area);
        if looks_built(&c.patch, c.occupied, fill, ctx) {
            let mut patch = c.patch;
            if patch.kind == PatchKind::Vertical {
                // faces stand on the floor: their foot, lost in the floor's noise, goes down to it
                let bottom = patch.origin + patch.axis_v * patch.v_range.0;
                let up = patch.axis_v.dot(&ctx.floor.normal);
                if up > 0.9 {
                    patch.v_range.0 -= ctx.floor.distance(&bottom).max(0.0) / up;
                }
            }
            out.push(patch);
        }
    }
    (out, explained)
}

/// A planar piece before the structure test.
struct Candidate {
    patch: Patch,
    /// Occupied grid area, m^2.
    occupied: f64,
    /// Sampled points on it.
    count: f64,
    /// Samples per m^2 expected at its range and slant.
    per_m2: f64,
}

/// Join pieces of one plane split by something standing in front of them (legs in front of a
/// box face, feet on a box top): same plane (normals within 5 deg, 4 cm apart), extents
/// overlapping by half the smaller one along one axis and within `MERGE_GAP` along the other.
fn merge_across_gaps(cands: &mut Vec<Candidate>) {
    let overlap = |a: (f64, f64), b: (f64, f64)| {
        let o = a.1.min(b.1) - a.0.max(b.0);
        o >= 0.5 * (a.1 - a.0).min(b.1 - b.0)
    };
    let near = |a: (f64, f64), b: (f64, f64)| b.0 - a.1 <= MERGE_GAP && a.0 - b.1 <= MERGE_GAP;
    'outer: loop {
        for i in 0..cands.len() {
            for j in i + 1..cands.len() {
                let (a, b) = (&cands[i].patch, &cands[j].patch);
                let centre_b = b.origin
                    + b.axis_u * 0.5 * (b.u_range.0 + b.u_range.1)
                    + b.axis_v * 0.5 * (b.v_range.0 + b.v_range.1);
                if a.plane.normal.dot(&b.plane.normal) < 5f64.to_radians().cos()
                    || a.plane.distance(&centre_b).abs() > 0.04
                {
                    continue;
                }
                // b's rectangle in a's coordinates
                let (mut ur, mut vr) = ((f64::MAX, f64::MIN), (f64::MAX, f64::MIN));
                for u in [b.u_range.0, b.u_range.1] {
                    for v in [b.v_range.0, b.v_range.1] {
                        let q = b.origin + b.axis_u * u + b.axis_v * v - a.origin;
                        let (x, y) = (q.dot(&a.axis_u), q.dot(&a.axis_v));
                        ur = (ur.0.min(x), ur.1.max(x));
                        vr = (vr.0.min(y), vr.1.max(y));
                    }
                }
                let joined = (overlap(a.v_range, vr) && near(a.u_range, ur))
                    || (overlap(a.u_range, ur) && near(a.v_range, vr));
                if !joined {
                    continue;
                }
                let other = cands.swap_remove(j);
                let c = &mut cands[i];
                c.patch.u_range = (c.patch.u_range.0.min(ur.0), c.patch.u_range.1.max(ur.1));
                c.patch.v_range = (c.patch.v_range.0.min(vr.0), c.patch.v_range.1.max(vr.1));
                c.per_m2 =
                    (c.per_m2 * c.count + other.per_m2 * other.count) / (c.count + other.count);
                c.occupied += other.occupied;
                c.count += other.count;
                continue 'outer;
            }
        }
        break;
    }
}

fn classify(plane: &Plane) -> PatchKind {
    let ny = plane.normal.y.abs();
    if ny < 20f64.to_radians().sin() {
        PatchKind::Vertical
    } else if ny > 20f64.to_radians().cos() {
        PatchKind::Horizontal
    } else {
        PatchKind::Slanted
    }
}

/// What the patch tests need to know of the scene.
pub(crate) struct Context<'a> {
    pub floor: &'a Plane,
    pub noise: &'a DepthNoise,
    pub eye: &'a Vector3<f64>,
    /// Samples per m^2 of a surface facing the camera 1 m away.
    pub density: f64,
    /// Noise of the learnt (median) depth relative to one frame's.
    pub gain: f64,
}

impl Context<'_> {
    /// Depth noise of the learnt depth at a lab point.
    fn sigma(&self, p: &Vector3<f64>) -> f64 {
        self.gain * self.noise.sigma((p - self.eye).norm())
    }

    /// Inlier tolerance of the patch fits at a lab point.
    pub(crate) fn tol(&self, p: &Vector3<f64>) -> f64 {
        (2.5 * self.sigma(p)).max(0.015)
    }
}

/// Whether a planar piece is built structure, not a person (see the module notes). `occupied`
/// is the area of its occupied grid cells (m^2), `fill` the share of its extent rectangle that
/// it covers with samples.
fn looks_built(p: &Patch, occupied: f64, fill: f64, ctx: &Context) -> bool {
    let (floor, noise, eye) = (ctx.floor, ctx.noise, ctx.eye);
    let (w, h) = (p.u_range.1 - p.u_range.0, p.v_range.1 - p.v_range.0);
    if occupied >= 1.2 && fill >= 0.4 {
        return true;
    }
    match p.kind {
        PatchKind::Horizontal => {
            let centre = p.origin
                + p.axis_u * (p.u_range.0 + p.u_range.1) / 2.0
                + p.axis_v * (p.v_range.0 + p.v_range.1) / 2.0;
            let range = (centre - eye).norm();
            let height = floor.distance(&centre);
            height > noise.tol(range, 3.0, 0.05)
                && w >= 0.15
                && h >= 0.15
                && occupied >= 0.03
                && fill >= 0.5
        }
        PatchKind::Vertical => {
            let bottom = p.origin + p.axis_v * p.v_range.0;
            // the foot of a face is lost with the floor points when the noise is large
            let hidden = noise.tol((bottom - eye).norm(), 3.0, 0.03);
            let on_floor = floor.distance(&bottom) < hidden + 0.08;
            on_floor && w >= 0.25 && w >= 0.6 * h && occupied >= 0.04 && fill >= 0.5
        }
        PatchKind::Slanted => false,
    }
}
