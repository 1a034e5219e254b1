//! Cheap exact tests that let the data term's correspondence search (`fit_data`) skip model
//! segments: bounding spheres of every segment, and for the thighs and shanks a lower bound of
//! the distance [`LimbShape::closest`] reports and a test that the surface it returns faces away
//! from the camera. The limb tests follow from how the limb query computes its point and normal
//! (radial projection in the section at the point's height, end sections beyond the ends); the
//! tests in `fit_data_tests` check them against the query.

#![allow(clippy::needless_range_loop)] // index loops over small fixed-size arrays

use nalgebra::Vector3;

use crate::model::{limb_of, side_index, Kinematics, Seg};
use crate::shape::{BodyShape, LimbShape};

type V3 = Vector3<f64>;

/// A bounding sphere (world centre, radius) of a segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sphere {
    c: V3,
    rad: f64,
}

impl Sphere {
    /// Whether the sphere's surface is farther than `d` from `x`, i.e. `|x - c| - rad > d`
    /// (without the square root).
    #[inline]
    pub(crate) fn farther_than(&self, x: &V3, d: f64) -> bool {
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
pub(crate) struct LimbBound {
    o: V3,
    /// Unit direction of the axis, origin to distal end.
    dir: V3,
    len: f64,
    /// The surface goes on past the distal end (with the distal section) by this many lengths.
    ext: f64,
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
    fn new(l: &LimbShape, lat: f64, o: V3, dir: V3, ext: f64) -> Option<LimbBound> {
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
            ext,
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
    pub(crate) fn cannot_beat(&self, x: &V3, d: f64) -> bool {
        const EPS: f64 = 1e-9;
        let v = x - self.o;
        let s = v.dot(&self.dir);
        let r2 = v.norm_squared() - s * s;
        // past the distal joint the distal section goes on: the last band's bounds hold there
        let end = self.len * (1.0 + self.ext);
        if s > EPS && s < end - EPS {
            let k = ((s / self.len * BANDS as f64) as usize).min(BANDS - 1);
            let [cmax, amax, scale] = self.band[k];
            let t = cmax + amax * (1.0 + d.max(0.0) / scale);
            r2 > t * t
        } else if s < -EPS || s > end + EPS {
            if d < 0.0 {
                return true;
            }
            let (axial, reach) = if s < 0.0 {
                (-s, self.end[0])
            } else {
                (s - end, self.end[1])
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
    pub(crate) fn surely_faces_away(&self, y: &V3, cam: &V3) -> bool {
        const EPS: f64 = 1e-6;
        let tr = -y.y / self.len;
        let tmax = 1.0 + self.ext;
        let at = |(a, b, c): (f64, f64, f64), t: f64| ((a * t + b) * t + c, 2.0 * a * t + b);
        if tr > EPS && tr < tmax - EPS && (self.ext > 0.0 || tr < 1.0 - EPS) {
            // past the distal joint: the distal section, constant along the axis
            let (ts, slope) = if tr > 1.0 { (1.0, 0.0) } else { (tr, 1.0) };
            let (cx, dcx) = at(self.coef[0], ts);
            let (cz, dcz) = at(self.coef[1], ts);
            let (a, da) = at(self.coef[2], ts);
            let (b, db) = at(self.coef[3], ts);
            let (dcx, dcz, da, db) = (dcx * slope, dcz * slope, da * slope, db * slope);
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
        } else if !(-EPS..=tmax + EPS).contains(&tr) {
            let t = if tr < 0.0 { 0.0 } else { 1.0 };
            let ys = if tr < 0.0 { 0.0 } else { -tmax * self.len };
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
pub(crate) fn quad_range(v: &[f64; 3], t0: f64, t1: f64) -> (f64, f64) {
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
pub(crate) fn limb_bounds(shape: &BodyShape, k: &Kinematics) -> [Option<LimbBound>; 9] {
    let mut out = [None; 9];
    for (si, &seg) in Seg::ALL.iter().enumerate() {
        let Some((l, ext)) = limb_of(shape, seg) else {
            continue;
        };
        let (o, r) = k.frame(seg);
        let lat = seg.side().map_or(1.0, |s| s.lateral());
        out[si] = LimbBound::new(l, lat, o, -r.column(1).into_owned(), ext);
    }
    out
}

/// A bounding sphere of every segment, order of [`Seg::ALL`].
pub(crate) fn bounds(shape: &BodyShape, k: &Kinematics) -> [Sphere; 9] {
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
            Seg::Thigh(_) | Seg::Shank(_) => {
                let (l, ext) = limb_of(shape, seg).expect("a limb");
                let rad = max3(&l.ax).max(max3(&l.az)) + max3(&l.cx).max(max3(&l.cz));
                let half = 0.5 * (1.0 + ext) * l.length;
                (o + r * V3::new(0.0, -half, 0.0), half + rad)
            }
            Seg::Patella(s) => {
                let p = &shape.patella[side_index(s)];
                (o + r * p.centre(), p.radius)
            }
            Seg::Foot(s) => {
                let f = &shape.foot[side_index(s)];
                let c = V3::new(0.5 * f.length - f.heel, -f.ankle_height, 0.0);
                let h = f.top_ends[0]
                    .max(f.top_ends[1])
                    .max(f.ankle_top())
                    .max(k.arch[side_index(s)]);
                let rad = (0.25 * f.length * f.length + h * h + f.width[1] * f.width[1]).sqrt();
                (o + r * c, rad + f.cz.abs())
            }
        };
        out[si] = Sphere { c, rad };
    }
    out
}
