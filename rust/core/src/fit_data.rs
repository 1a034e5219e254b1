//! The data term of the articulated fit: each subject point's closest camera-facing model
//! surface, its point-to-plane residual and the normal equations it contributes.
//!
//! The search tries the previous point's segment first, then the others unless their bounding
//! sphere is farther than the best surface found (this heuristic is part of what the search
//! returns). Thighs and shanks are also skipped when a lower bound of the distance their query
//! would report cannot beat the best one, or when the surface it would return certainly faces
//! away from the camera: both tests are exact consequences of [`LimbShape::closest`], so they
//! change the cost, not the matches (checked against the query in the tests below).
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
use crate::shape::{BodyShape, LimbShape};

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

/// A lower bound of the signed distance that [`LimbShape::closest`] reports for a world point,
/// in the limb's world placement.
///
/// Between the ends the limb query projects radially in the section at the point's height, and
/// its distance is `(rho - 1) / |g|` (`rho` the section's level function, `g` the normal before
/// normalisation): with the section centre within `cmax` of the axis, semi-axes in
/// `[amin, amax]` and `|g| <= sqrt(1 + (S / L)^2) / amin` (`S` bounding the taper slopes), all
/// over a band of `t` around the point's height, a point `r` from the axis has
/// `rho - 1 >= (r - cmax) / amax - 1`. Beyond an end the distance is Euclidean to a point of the
/// end section, which lies within `|c| + max(a, b)` of the axis end.
#[derive(Debug, Clone, Copy)]
struct LimbBound {
    o: V3,
    /// Unit direction of the axis, origin to distal end.
    dir: V3,
    len: f64,
    /// Reach of the proximal and distal end sections from the axis.
    end: [f64; 2],
    /// Per band of `t`: `cmax`, `amax` and `amin / sqrt(1 + (S / L)^2)`.
    band: [[f64; 3]; BANDS],
    /// The section quadratics `cx`, `cz` (mirrored to the side), `ax`, `az` as `(A, B, C)`.
    coef: [(f64, f64, f64); 4],
}

/// Bands of the limb bound along the limb.
const BANDS: usize = 4;

impl LimbBound {
    fn new(l: &LimbShape, lat: f64, o: V3, dir: V3) -> Option<LimbBound> {
        if l.length <= 0.0 {
            return None;
        }
        let abs_max = |v: &[f64; 3], t0: f64, t1: f64| {
            let (lo, hi) = quad_range(v, t0, t1);
            lo.abs().max(hi.abs())
        };
        let mut band = [[0.0; 3]; BANDS];
        for (k, b) in band.iter_mut().enumerate() {
            // slightly widened: the query rounds its own `t`
            let t0 = (k as f64 / BANDS as f64 - 1e-6).max(0.0);
            let t1 = ((k + 1) as f64 / BANDS as f64 + 1e-6).min(1.0);
            let (a0, a1) = quad_range(&l.ax, t0, t1);
            let (b0, b1) = quad_range(&l.az, t0, t1);
            let amin = a0.min(b0);
            if amin <= 0.0 {
                return None;
            }
            let s = [&l.cx, &l.cz, &l.ax, &l.az]
                .iter()
                .map(|v| quad_slope(v, t0).abs().max(quad_slope(v, t1).abs()))
                .sum::<f64>();
            *b = [
                abs_max(&l.cx, t0, t1).hypot(abs_max(&l.cz, t0, t1)) * (1.0 + 1e-12),
                a1.max(b1) * (1.0 + 1e-12),
                amin / (1.0 + (s / l.length).powi(2)).sqrt() * (1.0 - 1e-12),
            ];
        }
        let reach = |t: f64| {
            let c = abs_max(&l.cx, t, t).hypot(abs_max(&l.cz, t, t));
            (c + abs_max(&l.ax, t, t).max(abs_max(&l.az, t, t))) * (1.0 + 1e-12)
        };
        Some(LimbBound {
            o,
            dir,
            len: l.length,
            end: [reach(0.0), reach(1.0)],
            band,
            coef: [
                quad_coeffs(&l.cx),
                quad_coeffs(&l.cz.map(|v| v * lat)),
                quad_coeffs(&l.ax),
                quad_coeffs(&l.az),
            ],
        })
    }

    /// Whether the limb's reported distance for `x` is certainly larger than `d`.
    #[inline]
    fn cannot_beat(&self, x: &V3, d: f64) -> bool {
        const EPS: f64 = 1e-9;
        let v = x - self.o;
        let s = v.dot(&self.dir);
        let r2 = v.norm_squared() - s * s;
        if s > EPS && s < self.len - EPS {
            let k = ((s / self.len * BANDS as f64) as usize).min(BANDS - 1);
            let [cmax, amax, scale] = self.band[k];
            let t = cmax + amax * (1.0 + d.max(0.0) / scale);
            r2 > t * t
        } else if s < -EPS || s > self.len + EPS {
            if d < 0.0 {
                return true;
            }
            let (axial, reach) = if s < 0.0 {
                (-s, self.end[0])
            } else {
                (s - self.len, self.end[1])
            };
            let radial = (r2.max(0.0).sqrt() - reach).max(0.0);
            axial * axial + radial * radial > d * d
        } else {
            false
        }
    }
}

impl LimbBound {
    /// Whether the surface point that [`LimbShape::closest`] returns for `y` certainly faces
    /// away from `cam` (both in segment coordinates), so that the point cannot be matched to
    /// this limb. `false` when in doubt.
    ///
    /// Between the ends, with `g` the unnormalised normal, `(u, w)` the point and `(cu, cw)` the
    /// camera relative to the section centre, `g . (cam - p)` is
    /// `(u cu / a^2 + w cw / b^2) / rho + g_y (cam_y - y_y) - 1`, where
    /// `|g_y| <= (|cx'| + |cz'| + |a'| + |b'|) / (min(a, b) L)`. Beyond an end the normal is
    /// `y - p` with `p` on the end section, computed as the query does.
    #[inline]
    fn surely_faces_away(&self, y: &V3, cam: &V3) -> bool {
        const EPS: f64 = 1e-6;
        let tr = -y.y / self.len;
        let at = |(a, b, c): (f64, f64, f64), t: f64| ((a * t + b) * t + c, 2.0 * a * t + b);
        if tr > EPS && tr < 1.0 - EPS {
            let (cx, dcx) = at(self.coef[0], tr);
            let (cz, dcz) = at(self.coef[1], tr);
            let (a, da) = at(self.coef[2], tr);
            let (b, db) = at(self.coef[3], tr);
            if a <= 0.0 || b <= 0.0 {
                return false;
            }
            let (u, w) = (y.x - cx, y.z - cz);
            let (a2, b2) = (a * a, b * b);
            // rho a b = sqrt(r2); (u cu / a^2 + w cw / b^2) / rho = n / (a b sqrt(r2))
            let r2 = u * u * b2 + w * w * a2;
            let rab = r2.sqrt();
            if rab < 1e-6 * a * b {
                return false;
            }
            let n = u * (cam.x - cx) * b2 + w * (cam.z - cz) * a2;
            let gy = (dcx.abs() + dcz.abs() + da.abs() + db.abs()) / (a.min(b) * self.len);
            let k = 1.0 - gy * (cam.y - y.y).abs() - EPS;
            n <= k * a * b * rab
        } else if !(-EPS..=1.0 + EPS).contains(&tr) {
            let t = if tr < 0.0 { 0.0 } else { 1.0 };
            let ys = -t * self.len;
            let (cx, _) = at(self.coef[0], t);
            let (cz, _) = at(self.coef[1], t);
            let (a, _) = at(self.coef[2], t);
            let (b, _) = at(self.coef[3], t);
            let (u, w) = (y.x - cx, y.z - cz);
            let rho = ((u / a).powi(2) + (w / b).powi(2)).sqrt();
            let h = y.y - ys;
            let f = if rho < 1.0 - EPS {
                // the end disc itself: the normal is along the axis
                h * (cam.y - ys)
            } else if rho > 1.0 + EPS {
                let s = 1.0 - 1.0 / rho;
                let p = V3::new(cx + u / rho, ys, cz + w / rho);
                V3::new(s * u, h, s * w).dot(&(cam - p))
            } else {
                return false;
            };
            f < -EPS * (1.0 + (cam - y).norm())
        } else {
            false
        }
    }
}

/// Value of the quadratic through `v` at t = 0, 0.5, 1 (the interpolation of the limb
/// sections) as `(A, B, C)` of `A t^2 + B t + C`.
#[inline]
fn quad_coeffs(v: &[f64; 3]) -> (f64, f64, f64) {
    (
        2.0 * v[0] - 4.0 * v[1] + 2.0 * v[2],
        -3.0 * v[0] + 4.0 * v[1] - v[2],
        v[0],
    )
}

/// Slope of the section quadratic at `t`.
fn quad_slope(v: &[f64; 3], t: f64) -> f64 {
    let (a, b, _) = quad_coeffs(v);
    2.0 * a * t + b
}

/// Smallest and largest value on `[t0, t1]` of the section quadratic through `v`.
fn quad_range(v: &[f64; 3], t0: f64, t1: f64) -> (f64, f64) {
    let (a, b, c) = quad_coeffs(v);
    let q = |t: f64| (a * t + b) * t + c;
    let (q0, q1) = (q(t0), q(t1));
    let (mut lo, mut hi) = (q0.min(q1), q0.max(q1));
    if a != 0.0 {
        let t = -b / (2.0 * a);
        if t > t0 && t < t1 {
            lo = lo.min(q(t));
            hi = hi.max(q(t));
        }
    }
    // rounding of the evaluation against the query's Lagrange form
    let pad = 1e-12 * (v[0].abs() + v[1].abs() + v[2].abs());
    (lo - pad, hi + pad)
}

/// Distance bounds of the thighs and shanks (order of [`Seg::ALL`], `None` elsewhere).
fn limb_bounds(shape: &BodyShape, k: &Kinematics) -> [Option<LimbBound>; 9] {
    let mut out = [None; 9];
    for (si, &seg) in Seg::ALL.iter().enumerate() {
        let l = match seg {
            Seg::Thigh(s) => &shape.thigh[side_index(s)],
            Seg::Shank(s) => &shape.shank[side_index(s)],
            _ => continue,
        };
        let (o, r) = k.frame(seg);
        let lat = seg.side().map_or(1.0, |s| s.lateral());
        out[si] = LimbBound::new(l, lat, o, -r.column(1).into_owned());
    }
    out
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
mod tests {
    use super::*;
    use crate::angles::Side;
    use crate::fit::Hess;
    use crate::fit_terms::data_row_for_tests;
    use crate::model::{standing_pose, NP};

    #[test]
    fn quad_range_finds_the_interior_extremum() {
        let v = [0.0, 0.8, 0.5];
        let q = |t: f64| {
            let l0 = 2.0 * (t - 0.5) * (t - 1.0);
            let l1 = -4.0 * t * (t - 1.0);
            let l2 = 2.0 * t * (t - 0.5);
            v[0] * l0 + v[1] * l1 + v[2] * l2
        };
        let brute = (0..=1000).map(|i| q(i as f64 / 1000.0));
        let (lo, hi) = quad_range(&v, 0.0, 1.0);
        assert!(hi >= brute.clone().fold(f64::MIN, f64::max) - 1e-12 && hi > 0.8);
        assert!(lo <= brute.fold(f64::MAX, f64::min) + 1e-12);
        let (lo, hi) = quad_range(&[0.05, 0.05, 0.05], 0.25, 0.5);
        assert!((lo - 0.05).abs() < 1e-12 && (hi - 0.05).abs() < 1e-12);
        // a sub-interval away from the vertex: its end values
        let (lo, hi) = quad_range(&v, 0.75, 1.0);
        assert!((lo - 0.5).abs() < 1e-9 && (hi - q(0.75)).abs() < 1e-9);
    }

    #[test]
    fn limb_bounds_never_exceed_the_reported_distance() {
        let mut shape = BodyShape::from_stature(1.75);
        // a strongly tapered, offset limb as well as the default ones
        shape.shank[0].ax = [0.07, 0.03, 0.02];
        shape.shank[0].cz = [0.03, -0.01, 0.02];
        let mut q = standing_pose([0.0, 0.9, 0.0], 0.3, 0.06);
        q[6] = 0.6;
        q[9] = 1.0;
        q[15] = -0.2;
        q[18] = 0.4;
        let k = Kinematics::new(&q, &shape);
        let limbs = limb_bounds(&shape, &k);
        let mut s = 11u64;
        let mut pruned = 0;
        for _ in 0..20000 {
            let mut u = || {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
            };
            // anywhere around the legs, or near one limb (beyond its ends too)
            let pick = ((u() + 1.0) * 2.5) as usize;
            let x = match pick {
                0 | 1 => V3::new(0.5 * u(), 0.5 + 0.5 * u(), 0.4 * u()),
                _ => {
                    let seg = [
                        Seg::Thigh(Side::Left),
                        Seg::Shank(Side::Left),
                        Seg::Shank(Side::Right),
                    ][(pick - 2).min(2)];
                    let (o, r) = k.frame(seg);
                    o + r * V3::new(0.12 * u(), -0.2 + 0.3 * u(), 0.12 * u())
                }
            };
            for (si, &seg) in Seg::ALL.iter().enumerate() {
                let Some(l) = &limbs[si] else { continue };
                let (o, r) = k.frame(seg);
                let c = seg_closest(&shape, seg, &(r.transpose() * (x - o)), &k.arch);
                assert!(
                    !l.cannot_beat(&x, c.d + 1e-12),
                    "{seg:?}: bound above the reported distance {} at {x:?}",
                    c.d
                );
                pruned += l.cannot_beat(&x, 0.02) as usize;
            }
        }
        // and it does prune
        assert!(pruned > 20000, "{pruned}");
    }

    #[test]
    fn limbs_said_to_face_away_do_face_away() {
        let mut shape = BodyShape::from_stature(1.75);
        shape.shank[0].ax = [0.07, 0.03, 0.02];
        shape.shank[0].cz = [0.03, -0.01, 0.02];
        shape.thigh[1].cx = [0.02, -0.01, 0.015];
        let mut q = standing_pose([0.0, 0.9, 0.0], 0.3, 0.06);
        q[6] = 0.6;
        q[9] = 1.0;
        q[15] = -0.2;
        q[18] = 0.4;
        let k = Kinematics::new(&q, &shape);
        let limbs = limb_bounds(&shape, &k);
        let mut s = 17u64;
        let (mut away, mut checked) = (0, 0);
        for i in 0..40000 {
            let mut u = || {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
            };
            // cameras all around, points near the legs and beyond the limb ends
            let cam = V3::new(2.5 * u(), 1.0 + 0.8 * u(), 2.5 * u());
            let x = if i % 2 == 0 {
                V3::new(0.5 * u(), 0.5 + 0.6 * u(), 0.5 * u())
            } else {
                // close to a limb's surface, on either side of it
                let seg = [Seg::Thigh(Side::Right), Seg::Shank(Side::Left)][i % 4 / 2];
                let (o, r) = k.frame(seg);
                o + r * V3::new(0.09 * u(), -0.2 + 0.28 * u(), 0.09 * u())
            };
            for (si, &seg) in Seg::ALL.iter().enumerate() {
                let Some(l) = &limbs[si] else { continue };
                let (o, r) = k.frame(seg);
                let rt = r.transpose();
                let (y, cs) = (rt * (x - o), rt * (cam - o));
                checked += 1;
                if l.surely_faces_away(&y, &cs) {
                    away += 1;
                    let c = seg_closest(&shape, seg, &y, &k.arch);
                    assert!(
                        c.n.dot(&(cs - c.p)) <= 0.0,
                        "{seg:?}: said to face away but faces the camera, y {y:?} cam {cs:?}"
                    );
                }
            }
        }
        assert!(away > checked / 5, "{away} of {checked}");
    }

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
        let frames = seg_frames(&k, &cam);
        let bnds = bounds(&shape, &k);
        let limbs = limb_bounds(&shape, &k);
        let mut matched = 0;
        let mut last = 0;
        for x in &pts {
            let Some(mt) = closest_facing(&shape, &k, &frames, &bnds, &limbs, x, last) else {
                continue;
            };
            last = mt.seg;
            let f = &frames[mt.seg];
            let c = seg_closest(&shape, Seg::ALL[mt.seg], &(f.rt * (x - f.o)), &k.arch);
            assert!((c.p - mt.p).norm() < 1e-12 && (f.r * c.n).dot(&(cam - f.o - f.r * c.p)) > 0.0);
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
