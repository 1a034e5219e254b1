//! The data term of the articulated fit: each subject point's closest camera-facing model
//! surface, its point-to-plane residual and the normal equations it contributes.
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

use crate::fit_terms::{FitConfig, Linearisation};
use crate::model::{seg_closest, side_base, side_index, Kinematics, Seg, ARCH};
use crate::shape::BodyShape;

type V3 = Vector3<f64>;
type M3 = Matrix3<f64>;

/// Dimension of the per-point moment vector `w`.
const W: usize = 7;
/// Most parameters one segment depends on (3 translations, 3 pelvis, 8 leg angles, arch).
const MAX_SEG_PARAMS: usize = 15;

/// A bounding sphere (world centre, radius) of a segment.
#[derive(Debug, Clone, Copy)]
struct Sphere {
    c: V3,
    rad: f64,
}

impl Sphere {
    /// Whether the sphere's surface is farther than `d` from `x`, i.e. `|x - c| - rad > d`
    /// (without the square root).
    #[inline]
    fn farther_than(&self, x: &V3, d: f64) -> bool {
        let reach = self.rad + d;
        reach < 0.0 || (x - self.c).norm_squared() > reach * reach
    }
}

/// A bounding sphere of every segment, order of [`Seg::ALL`].
fn bounds(shape: &BodyShape, k: &Kinematics) -> [Sphere; 9] {
    let mut out = [Sphere {
        c: V3::zeros(),
        rad: 0.0,
    }; 9];
    let max3 = |a: &[f64; 3]| a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (si, &seg) in Seg::ALL.iter().enumerate() {
        let (o, r) = k.frame(seg);
        let (c, rad) = match seg {
            Seg::Pelvis => {
                let p = &shape.pelvis;
                (o + r * V3::from(p.centre), max3(&p.semi))
            }
            Seg::Thigh(s) | Seg::Shank(s) => {
                let i = side_index(s);
                let l = if matches!(seg, Seg::Thigh(_)) {
                    &shape.thigh[i]
                } else {
                    &shape.shank[i]
                };
                let rad = max3(&l.ax).max(max3(&l.az)) + max3(&l.cx).max(max3(&l.cz));
                (
                    o + r * V3::new(0.0, -0.5 * l.length, 0.0),
                    0.5 * l.length + rad,
                )
            }
            Seg::Patella(s) => {
                let i = side_index(s);
                let p = &shape.patella[i];
                let c = V3::new(p.anterior, -shape.thigh[i].length + p.above_knee, 0.0);
                (o + r * c, p.radius)
            }
            Seg::Foot(s) => {
                let f = &shape.foot[side_index(s)];
                let c = V3::new(0.5 * f.length - f.heel, -f.ankle_height, 0.0);
                let h = f.top_ends[0].max(f.top_ends[1]).max(k.arch[side_index(s)]);
                let rad = (0.25 * f.length * f.length + h * h + f.width[1] * f.width[1]).sqrt();
                (o + r * c, rad + f.cz.abs())
            }
        };
        out[si] = Sphere { c, rad };
    }
    out
}

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

    #[inline]
    fn add(&mut self, w: &[f64; W], omega: f64, r: f64) {
        for i in 0..W {
            let wi = omega * w[i];
            self.b[i] += wi * r;
            for j in 0..W {
                self.m[i][j] += wi * w[j];
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
    Kinematics::rigid_angular_params(seg, |p| {
        let a = k.axis[p];
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
    pw: V3,
    nw: V3,
    darch: f64,
}

/// Segment origin, rotation and its transpose, order of [`Seg::ALL`].
type Frames = [(V3, M3, M3); 9];

/// The closest camera-facing surface of `x`: segment `first` first (the previous point's,
/// neighbouring points), then the others unless their bound is farther than the best surface
/// found.
#[inline]
fn closest_facing(
    shape: &BodyShape,
    k: &Kinematics,
    frames: &Frames,
    bounds: &[Sphere; 9],
    x: &V3,
    cam: &V3,
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
            if bounds[si].farther_than(x, b.d) {
                continue;
            }
        }
        let (o, r, rt) = &frames[si];
        let y = rt * (x - o);
        let c = seg_closest(shape, Seg::ALL[si], &y, &k.arch);
        if best.as_ref().is_some_and(|b| b.d <= c.d) {
            continue;
        }
        // only the surface facing the camera
        let pw = o + r * c.p;
        let nw = r * c.n;
        if nw.dot(&(cam - pw)) <= 0.0 {
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
            pw,
            nw,
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
    let frames = seg_frames(k);
    let bounds = bounds(shape, k);
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
        let Some(mt) = closest_facing(shape, k, &frames, &bounds, x, cam, last) else {
            continue;
        };
        let si = mt.seg;
        last = si;
        let res = mt.nw.dot(&(x - mt.pw));
        let m = mt.nw.cross(&(x - frames[si].0));
        let w = [m.x, m.y, m.z, mt.nw.x, mt.nw.y, mt.nw.z, mt.darch];
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
            scatter(&acc[si], seg, k, &frames[si].0, lin);
        }
    }
}

fn seg_frames(k: &Kinematics) -> Frames {
    let mut frames = [(V3::zeros(), M3::identity(), M3::identity()); 9];
    for (si, &seg) in Seg::ALL.iter().enumerate() {
        let (o, r) = k.frame(seg);
        frames[si] = (o, *r, r.transpose());
    }
    frames
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
mod tests {
    use super::*;
    use crate::fit::Hess;
    use crate::fit_terms::data_row_for_tests;
    use crate::model::{standing_pose, NP};

    #[test]
    fn moments_give_the_normal_equations_of_the_explicit_rows() {
        let shape = BodyShape::from_stature(1.75);
        let mut q = standing_pose([0.05, 0.9, -0.02], 0.2, 0.06);
        for (i, v) in [0.5, 0.1, 0.2, 1.1, 0.05, -0.1, 0.2, 0.05]
            .iter()
            .enumerate()
        {
            q[6 + i] = *v;
            q[15 + i] = -0.4 * v;
        }
        let k = Kinematics::new(&q, &shape);
        let cam = V3::new(2.0, 1.0, 0.3);
        // points around every segment's surface
        let mut pts = Vec::new();
        let mut s = 5u64;
        for seg in Seg::ALL {
            let (o, r) = k.frame(seg);
            for _ in 0..40 {
                let mut u = || {
                    s = s
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
                };
                let local = match seg {
                    Seg::Foot(_) => V3::new(0.08 + 0.1 * u(), -0.03 + 0.04 * u(), 0.05 * u()),
                    Seg::Pelvis => V3::new(0.12 * u(), 0.07 + 0.1 * u(), 0.17 * u()),
                    Seg::Patella(_) => V3::new(0.07, -0.38 + 0.02 * u(), 0.02 * u()),
                    _ => V3::new(0.08 * u(), -0.2 + 0.15 * u(), 0.08 * u()),
                };
                pts.push(o + r * local);
            }
        }
        let cfg = FitConfig::default();
        let mut lin = Linearisation::new();
        data_term(&shape, &k, &pts, &cam, &cfg, &mut lin);
        // the same matches, rows summed explicitly
        let mut h = Hess::zeros();
        let mut g = [0.0; NP];
        let mut cost = 0.0;
        let wdata = cfg.ref_points / pts.len() as f64 / (cfg.noise * cfg.noise);
        let frames = seg_frames(&k);
        let bnds = bounds(&shape, &k);
        let mut matched = 0;
        let mut last = 0;
        for x in &pts {
            let Some(mt) = closest_facing(&shape, &k, &frames, &bnds, x, &cam, last) else {
                continue;
            };
            last = mt.seg;
            let (o, r, rt) = &frames[mt.seg];
            let c = seg_closest(&shape, Seg::ALL[mt.seg], &(rt * (x - o)), &k.arch);
            assert!((o + r * c.p - mt.pw).norm() < 1e-12);
            let si = mt.seg;
            matched += 1;
            let (res, jac) = data_row_for_tests(&k, Seg::ALL[si], &c, x);
            let (rho, omega) = geman_mcclure(res, cfg.robust_scale);
            cost += wdata * rho;
            for a in 0..NP {
                g[a] += wdata * omega * jac[a] * res;
                for b in 0..NP {
                    h[(a, b)] += wdata * omega * jac[a] * jac[b];
                }
            }
        }
        assert!(matched > 300);
        let mut hm = lin.h;
        for a in 0..NP {
            for b in 0..a {
                let v = hm[(a, b)] + hm[(b, a)];
                hm[(a, b)] = v;
                hm[(b, a)] = v;
            }
        }
        let scale = h.amax();
        assert!(
            (hm - h).amax() < 1e-9 * scale,
            "{}",
            (hm - h).amax() / scale
        );
        for a in 0..NP {
            assert!((lin.g[a] - g[a]).abs() < 1e-9 * scale, "g[{a}]");
        }
        assert!((lin.cost - cost).abs() < 1e-9 * cost);
    }
}
