//! Planar patches of the static scene from RANSAC planes: each plane's inliers are split into
//! connected pieces on an in-plane grid, re-fitted one by one (snapped plumb or level), joined
//! again across the gaps something standing in front of them leaves, and kept when they look
//! like built structure rather than a person: horizontal tops above the floor, vertical faces
//! standing on the floor and wider than tall, or anything planar larger than 1.2 m^2.

use nalgebra::Vector3;

use crate::background::{Patch, PatchKind};
use crate::noise::DepthNoise;
use crate::plane::{refine_plane_weighted, Plane};

#[path = "patch_grid.rs"]
mod grid;
use grid::{grid_on, OnPlane};

/// Largest gap across which pieces of one plane are joined, metres (two legs side by side).
const MERGE_GAP: f64 = 0.4;

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
        let OnPlane { uv, grid, .. } = grid_on(&plane, &members);
        let Some(big) = grid.largest_piece(&uv) else {
            break;
        };
        let piece: Vec<Vector3<f64>> = (0..members.len())
            .filter(|&k| grid.piece_at(uv[k]) == big)
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
    let OnPlane { uv, grid, .. } = grid_on(plane, members);
    let mut out = Vec::new();
    let mut candidates = Vec::new();
    let mut explained = vec![true; members.len()];
    for id in 0..grid.pieces as u32 {
        let idx: Vec<usize> = (0..members.len())
            .filter(|&k| grid.piece_at(uv[k]) == id)
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
        let OnPlane {
            origin: porigin,
            u: pu,
            v: pv,
            uv: puv,
            grid: pgrid,
        } = grid_on(&fit, &on);
        // the largest sub-piece after the re-fit
        let Some(big) = pgrid.largest_piece(&puv) else {
            continue;
        };
        let ((ua, ub), (va, vb), occupied) = pgrid.trimmed(big);
        let inside: Vec<usize> = (0..on.len())
            .filter(|&k| pgrid.piece_at(puv[k]) == big)
            .filter(|&k| (ua..=ub).contains(&puv[k].0) && (va..=vb).contains(&puv[k].1))
            .collect();
        if inside.len() < 30 {
            continue;
        }
        let kind = classify(&fit);
        let upright = kind == PatchKind::Vertical && pv.dot(&ctx.floor.normal).abs() > 0.9;
        let mut inside = inside;
        let mut occupied = occupied;
        let mut fit = fit;
        let mut porigin = porigin;
        if upright {
            // legs standing at the front edge of a box are coplanar with its face and joined
            // to it: keep the wide base (the face) under the narrow part above
            let uv: Vec<(f64, f64)> = inside.iter().map(|&k| puv[k]).collect();
            let v_up = pv.dot(&ctx.floor.normal) > 0.0;
            if let Some(top) = base_band(&uv, v_up) {
                let n0 = inside.len() as f64;
                inside.retain(|&k| {
                    if v_up {
                        puv[k].1 <= top
                    } else {
                        puv[k].1 >= top
                    }
                });
                occupied *= inside.len() as f64 / n0;
                if inside.len() < 30 {
                    continue;
                }
                // and the face's plane from the base alone: far from the camera the legs a few
                // cm behind the face lie within the fit's tolerance and pull the plane back
                // (then the face's own points, in front of it, were not covered)
                let base: Vec<Vector3<f64>> = inside.iter().map(|&k| on[k]).collect();
                if let Some(f) = refit_piece(&fit, &base, ctx) {
                    let f = f.oriented_toward(ctx.eye);
                    porigin -= f.normal * f.distance(&porigin);
                    fit = f;
                }
            }
        }
        let (mut a0, mut a1, mut b0, mut b1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &k in &inside {
            let (a, b) = puv[k];
            (a0, a1, b0, b1) = (a0.min(a), a1.max(a), b0.min(b), b1.max(b));
        }
        if upright {
            // a face's top edge is straight: feet standing at the front edge of a box are
            // coplanar with its face and would raise the top locally (by their height)
            let uv: Vec<(f64, f64)> = inside.iter().map(|&k| puv[k]).collect();
            let v_up = pv.dot(&ctx.floor.normal) > 0.0;
            match top_edge(&uv, v_up) {
                Some(t) if v_up => b1 = t,
                Some(t) => b0 = t,
                None => {}
            }
        }
        let patch = Patch {
            plane: fit,
            origin: porigin,
            axis_u: pu,
            axis_v: pv,
            u_range: (a0, a1),
            v_range: (b0, b1),
            kind,
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

/// Height of the rows in which an upright piece's width is measured, m.
const BASE_ROW: f64 = 0.03;

/// The top of the wide base of an upright piece (in-plane points `(u, v)`, `v_up`: whether
/// `v` grows upward) when something much narrower stands on it (legs on a box face), else
/// `None`. The base is the rows from the bottom at least 0.6 times as wide as the bottom rows
/// (at least 0.25 m wide), up to the first narrower row.
fn base_band(uv: &[(f64, f64)], v_up: bool) -> Option<f64> {
    let sign = if v_up { 1.0 } else { -1.0 };
    let v0 = uv.iter().map(|p| sign * p.1).fold(f64::INFINITY, f64::min);
    let mut rows: std::collections::BTreeMap<i64, (f64, f64)> = Default::default();
    for &(u, v) in uv {
        let r = ((sign * v - v0) / BASE_ROW).floor() as i64;
        let e = rows.entry(r).or_insert((f64::INFINITY, f64::NEG_INFINITY));
        *e = (e.0.min(u), e.1.max(u));
    }
    let widths: Vec<(i64, f64)> = rows.iter().map(|(&r, &(a, b))| (r, b - a)).collect();
    let mut bottom: Vec<f64> = widths.iter().take(4).map(|w| w.1).collect();
    if bottom.len() < 4 {
        return None;
    }
    bottom.sort_by(f64::total_cmp);
    let reference = 0.5 * (bottom[1] + bottom[2]);
    if reference < 0.25 {
        return None;
    }
    let last = widths.last()?.0;
    let mut prev = widths[0].0;
    for &(r, w) in &widths {
        if w < 0.6 * reference || r > prev + 2 {
            if r <= 4 {
                return None;
            }
            return (r < last).then_some(sign * (v0 + r as f64 * BASE_ROW));
        }
        prev = r;
    }
    None
}

/// Width of the columns in which a vertical face's top edge is measured, m.
const EDGE_COLUMN: f64 = 0.04;

/// The top edge of a vertical face from its in-plane points `(u, v)` (`v_up`: whether `v`
/// grows upward): the median over columns of `EDGE_COLUMN` width of each column's highest
/// point, so that something narrow on the edge (feet, a hand) does not raise it. `None` with
/// fewer than three columns.
fn top_edge(uv: &[(f64, f64)], v_up: bool) -> Option<f64> {
    let sign = if v_up { 1.0 } else { -1.0 };
    let mut cols: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    for &(u, v) in uv {
        let c = (u / EDGE_COLUMN).floor() as i64;
        let e = cols.entry(c).or_insert(f64::NEG_INFINITY);
        *e = e.max(sign * v);
    }
    if cols.len() < 3 {
        return None;
    }
    let mut tops: Vec<f64> = cols.into_values().collect();
    let mid = tops.len() / 2;
    let m = *tops.select_nth_unstable_by(mid, f64::total_cmp).1;
    Some(sign * m)
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
        PatchKind::Slanted | PatchKind::Side => false,
    }
}
