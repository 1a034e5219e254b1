//! The data term of the articulated fit: each subject point's closest camera-facing model
//! surface, its point-to-plane residual and the normal equations it contributes.
//!
//! The search tries the previous point's segment first, then the others unless their bounding
//! sphere is farther than the best surface found (this heuristic is part of what the search
//! returns). Thighs and shanks are also skipped when a lower bound of the distance their query
//! would report cannot beat the best one, or when the surface it would return certainly faces
//! away from the camera: both tests (in `fit_bounds`) are exact consequences of the limb query,
//! so they change the cost, not the matches.
//!
//! The Jacobian row of a point matched on segment `s` is linear in a 7-vector that depends only
//! on the point: with `v = x - o_s` (the point relative to the segment origin) and `n` the
//! world normal of the correspondence,
//!
//! - translation `k`: `-n_k`;
//! - angular parameter `p` (axis `a_p` through `c_p`): `a_p . (n x (x - c_p))
//!   = a_p . (n x v) + ((o_s - c_p) x a_p) . n`;
//! - arch (feet): `-n_seg . dp/darch` (segment coordinates).
//!
//! So `J = L_s w` with `w = (n x v, n, -n_seg . dp/darch)` and `L_s` a fixed matrix per segment
//! and linearisation (the Plücker coordinates of the joint axes). Each point adds `omega w w^T`
//! and `omega r w` to its segment's 7x7 moment matrix; the parameter normal matrix is
//! `L_s^T M_s L_s`, formed once per segment. This is the same normal matrix as summing every
//! point's sparse row, at a fraction of the cost.

#![allow(clippy::needless_range_loop)] // index loops over small fixed-size arrays

use nalgebra::{Matrix3, Vector3};

use crate::fit_bounds::{bounds, limb_bounds, LimbBound, Sphere};
use crate::fit_terms::{FitConfig, Linearisation};
use crate::model::{seg_closest, side_base, Kinematics, Seg, ARCH};
use crate::shape::BodyShape;

type V3 = Vector3<f64>;
type M3 = Matrix3<f64>;

/// Dimension of the per-point moment vector `w`.
const W: usize = 7;
/// Most parameters one segment depends on (3 translations, 3 pelvis, 8 leg angles, arch).
const MAX_SEG_PARAMS: usize = 15;

/// Moments of one segment's points: `sum omega w w^T` and `sum omega r w`.
#[derive(Debug, Clone, Copy)]
struct Moments {
    m: [[f64; W]; W],
    b: [f64; W],
}

impl Moments {
    const ZERO: Moments = Moments {
        m: [[0.0; W]; W],
        b: [0.0; W],
    };

    /// Add one point (upper triangle of `m` only; see [`Moments::mirror`]).
    #[inline]
    fn add(&mut self, w: &[f64; W], omega: f64, r: f64) {
        for i in 0..W {
            let wi = omega * w[i];
            self.b[i] += wi * r;
            for j in i..W {
                self.m[i][j] += wi * w[j];
            }
        }
    }

    /// Complete the lower triangle of `m`.
    fn mirror(&mut self) {
        for i in 0..W {
            for j in 0..i {
                self.m[i][j] = self.m[j][i];
            }
        }
    }
}

/// The rows of `L_s` of a segment: the parameters it depends on and, per parameter, the
/// coefficients of `w`.
fn param_map(
    seg: Seg,
    k: &Kinematics,
    o: &V3,
) -> ([usize; MAX_SEG_PARAMS], [[f64; W]; MAX_SEG_PARAMS], usize) {
    let mut idx = [0usize; MAX_SEG_PARAMS];
    let mut l = [[0.0; W]; MAX_SEG_PARAMS];
    let mut n = 0;
    for a in 0..3 {
        idx[n] = a;
        l[n][3 + a] = -1.0;
        n += 1;
    }
    Kinematics::rigid_angular_params(seg, |p, share| {
        // a segment following `share` of a joint's rotation (the patella) turns about the
        // same axis at that rate
        let a = k.axis[p] * share;
        let e = (o - k.centre[p]).cross(&a);
        idx[n] = p;
        l[n] = [a.x, a.y, a.z, e.x, e.y, e.z, 0.0];
        n += 1;
    });
    if let Seg::Foot(s) = seg {
        idx[n] = side_base(s) + ARCH;
        l[n][6] = 1.0;
        n += 1;
    }
    (idx, l, n)
}

/// Geman-McClure: cost `s^2 r^2 / (s^2 + r^2) / 2` and IRLS weight.
#[inline]
fn geman_mcclure(r: f64, s: f64) -> (f64, f64) {
    let s2 = s * s;
    let d = s2 + r * r;
    (0.5 * s2 * r * r / d, (s2 / d).powi(2))
}

/// A point's correspondence: segment (index in [`Seg::ALL`]), signed distance, world surface
/// point and normal, and the arch coefficient `-n . dp/darch` (segment coordinates, feet).
#[derive(Debug, Clone, Copy)]
struct Match {
    seg: usize,
    d: f64,
    /// Surface point and normal, segment coordinates.
    p: V3,
    n: V3,
    darch: f64,
}

/// A segment's placement: origin, rotation and its transpose, and the camera centre in segment
/// coordinates.
#[derive(Debug, Clone, Copy)]
struct Frame {
    o: V3,
    r: M3,
    rt: M3,
    cam: V3,
}

/// Placements of the segments, order of [`Seg::ALL`].
type Frames = [Frame; 9];

/// The closest camera-facing surface of `x`: segment `first` first (the previous point's,
/// neighbouring points), then the others unless their bound is farther than the best surface
/// found.
#[inline]
#[allow(clippy::too_many_arguments)]
fn closest_facing(
    shape: &BodyShape,
    k: &Kinematics,
    frames: &Frames,
    bounds: &[Sphere; 9],
    limbs: &[Option<LimbBound>; 9],
    x: &V3,
    first: usize,
) -> Option<Match> {
    let mut best: Option<Match> = None;
    for j in 0..9 {
        let si = if j == 0 {
            first
        } else if j <= first {
            j - 1
        } else {
            j
        };
        if let Some(b) = &best {
            // the sphere is a heuristic (part of the search's definition); the limb bound
            // only skips surfaces that could not replace the best one
            if bounds[si].farther_than(x, b.d)
                || limbs[si].as_ref().is_some_and(|l| l.cannot_beat(x, b.d))
            {
                continue;
            }
        }
        let f = &frames[si];
        let y = f.rt * (x - f.o);
        // a limb whose returned surface certainly faces away cannot be matched (points with no
        // facing surface at all, e.g. arms behind the body, would otherwise try every segment);
        // not for the first candidate, which usually matches
        if j > 0
            && limbs[si]
                .as_ref()
                .is_some_and(|l| l.surely_faces_away(&y, &f.cam))
        {
            continue;
        }
        let c = seg_closest(shape, Seg::ALL[si], &y, &k.arch);
        if best.as_ref().is_some_and(|b| b.d <= c.d) {
            continue;
        }
        // only the surface facing the camera
        if c.n.dot(&(f.cam - c.p)) <= 0.0 {
            continue;
        }
        let darch = if matches!(Seg::ALL[si], Seg::Foot(_)) {
            -c.n.dot(&c.dp_darch)
        } else {
            0.0
        };
        best = Some(Match {
            seg: si,
            d: c.d,
            p: c.p,
            n: c.n,
            darch,
        });
    }
    best
}

/// Match every point `pts` (lab, m) to the closest camera-facing model surface at the pose of
/// `k` and add the robust point-to-plane data term to `lin`: cost, normal matrix (one triangle,
/// completed by the caller's symmetrisation), gradient, inlier count and RMS, points per
/// segment. `cam` is the camera centre in the lab frame.
pub(crate) fn data_term(
    shape: &BodyShape,
    k: &Kinematics,
    pts: &[V3],
    cam: &V3,
    cfg: &FitConfig,
    lin: &mut Linearisation,
) {
    let frames = seg_frames(k, cam);
    let bounds = bounds(shape, k);
    let limbs = limb_bounds(shape, k);
    let wdata = if pts.is_empty() {
        0.0
    } else {
        cfg.ref_points / pts.len() as f64 / (cfg.noise * cfg.noise)
    };
    let inlier_d = 2.5 * cfg.noise;
    let (mut sq, mut nin) = (0.0, 0usize);
    let mut cost = 0.0;
    let mut acc = [Moments::ZERO; 9];
    let mut used = [false; 9];
    let mut last = 0usize;
    for x in pts {
        let Some(mt) = closest_facing(shape, k, &frames, &bounds, &limbs, x, last) else {
            continue;
        };
        let si = mt.seg;
        last = si;
        let f = &frames[si];
        let nw = f.r * mt.n;
        let v = x - f.o;
        let res = nw.dot(&(v - f.r * mt.p));
        let m = nw.cross(&v);
        let w = [m.x, m.y, m.z, nw.x, nw.y, nw.z, mt.darch];
        let (rho, omega) = geman_mcclure(res, cfg.robust_scale);
        cost += wdata * rho;
        acc[si].add(&w, wdata * omega, res);
        used[si] = true;
        if res.abs() < inlier_d {
            sq += res * res;
            nin += 1;
            lin.seg_points[si] += 1;
        }
    }
    lin.cost += cost;
    lin.inliers = nin;
    lin.rms = if nin > 0 {
        (sq / nin as f64).sqrt()
    } else {
        f64::NAN
    };
    for (si, &seg) in Seg::ALL.iter().enumerate() {
        if used[si] {
            acc[si].mirror();
            scatter(&acc[si], seg, k, &frames[si].o, lin);
        }
    }
}

fn seg_frames(k: &Kinematics, cam: &V3) -> Frames {
    Seg::ALL.map(|seg| {
        let (o, r) = k.frame(seg);
        let rt = r.transpose();
        Frame {
            o,
            r: *r,
            rt,
            cam: rt * (cam - o),
        }
    })
}

/// Add `L^T M L` and `L^T b` of one segment to the normal equations (each parameter pair once).
fn scatter(mom: &Moments, seg: Seg, k: &Kinematics, o: &V3, lin: &mut Linearisation) {
    let (idx, l, n) = param_map(seg, k, o);
    // ml[a] = M l_a
    let mut ml = [[0.0; W]; MAX_SEG_PARAMS];
    for a in 0..n {
        for i in 0..W {
            let mut s = 0.0;
            for j in 0..W {
                s += mom.m[i][j] * l[a][j];
            }
            ml[a][i] = s;
        }
    }
    for a in 0..n {
        let mut g = 0.0;
        for i in 0..W {
            g += l[a][i] * mom.b[i];
        }
        lin.g[idx[a]] += g;
        for c in a..n {
            let mut h = 0.0;
            for i in 0..W {
                h += l[a][i] * ml[c][i];
            }
            lin.h[(idx[a], idx[c])] += h;
        }
    }
}

#[cfg(test)]
#[path = "fit_data_tests.rs"]
mod tests;
