//! Segment shapes of the leg model and their closest-point queries.
//!
//! Every segment is a solid in its own segment frame (X anterior, Y up the long axis, Z to the
//! body's right; the foot's X runs heel to toe). Lateral offsets are stored "positive lateral"
//! and mirrored with the side. A query returns an approximate closest surface point, its outward
//! unit normal and the signed distance `n . (y - p)` (negative inside), all in segment
//! coordinates. The fit treats `(p, n)` as a correspondence fixed on the segment while it
//! linearises (point-to-plane articulated ICP), so the Jacobians are exact for that residual.
//!
//! - Thigh and shank: tapered elliptical cross-sections along the long axis (semi-axes and
//!   centre offsets at the proximal end, mid-length and distal end, quadratic in between: the
//!   thigh's conical taper, the condylar widening, the calf bulge).
//! - Patella: a sphere on the anterior distal thigh.
//! - Foot: elliptical sections from a flat sole to the dorsum along the foot's X; the dorsal
//!   height at 50 % of foot length is the arch degree of freedom.
//! - Pelvis / lower trunk: an ellipsoid.

#![allow(clippy::needless_range_loop)] // index loops over small fixed-size parameter arrays

use nalgebra::Vector3;

type V3 = Vector3<f64>;

/// How far the thigh's surface goes on past the knee joint centre, in thigh lengths: the
/// femoral condyles reach 2-3 cm below the epicondylar axis.
pub const THIGH_CONDYLES: f64 = 0.06;

/// Share of the knee flexion by which the patella frame turns with the shank (the patella
/// flexes about half as much as the knee).
pub const PATELLA_SHARE: f64 = 0.3;

/// Thigh length (hip to knee joint centre) of the template, in statures: between de Leva's
/// (1996) 0.212 for women and 0.243 for men; the calibration and the trial refine it.
pub const THIGH_OF_STATURE: f64 = 0.232;

/// Rise of the dorsum over the ankle joint centre above the ankle height, in foot lengths.
pub const ANKLE_RISE: f64 = 0.095;

/// A thigh or shank: length and elliptical sections at t = 0 (proximal), 0.5, 1 (distal).
#[derive(Debug, Clone, PartialEq)]
pub struct LimbShape {
    /// Joint-centre to joint-centre length, m.
    pub length: f64,
    /// Anterior offset of the section centre from the axis, m.
    pub cx: [f64; 3],
    /// Lateral offset of the section centre from the axis (positive lateral), m.
    pub cz: [f64; 3],
    /// Antero-posterior semi-axis, m.
    pub ax: [f64; 3],
    /// Medio-lateral semi-axis, m.
    pub az: [f64; 3],
}

/// A foot: sole plane, a dome over it whose mid-length height is the arch.
#[derive(Debug, Clone, PartialEq)]
pub struct FootShape {
    /// Heel to toe length, m.
    pub length: f64,
    /// Distance from the ankle joint centre back to the heel, along foot X, m.
    pub heel: f64,
    /// Height of the ankle joint centre above the sole plane, m.
    pub ankle_height: f64,
    /// Foot width at the heel and at the forefoot (75 % of length), m.
    pub width: [f64; 2],
    /// Dorsal height above the sole at the heel end and at the toe end, m (the mid-length height
    /// is the arch degree of freedom; over the ankle it is [`FootShape::ankle_top`]).
    pub top_ends: [f64; 2],
    /// Lateral offset of the foot midline from the ankle joint centre (positive lateral), m.
    pub cz: f64,
}

/// Pelvis / lower trunk ellipsoid in the pelvis frame.
#[derive(Debug, Clone, PartialEq)]
pub struct PelvisShape {
    /// Half the distance between the hip joint centres, m.
    pub hip_half_width: f64,
    /// Ellipsoid centre in the pelvis frame, m.
    pub centre: [f64; 3],
    /// Ellipsoid semi-axes (AP, vertical, ML), m.
    pub semi: [f64; 3],
}

/// The patella: a sphere in the patella frame (origin at the knee joint centre, the thigh's axes
/// turned by [`PATELLA_SHARE`] of the knee flexion: the patella glides down the femoral groove
/// as the knee bends).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PatellaShape {
    /// Anterior offset from the thigh axis, m.
    pub anterior: f64,
    /// Height above the knee joint centre, m.
    pub above_knee: f64,
    /// Radius, m.
    pub radius: f64,
}

/// All segment shapes of one subject (index 0 left, 1 right).
#[derive(Debug, Clone, PartialEq)]
pub struct BodyShape {
    pub pelvis: PelvisShape,
    pub thigh: [LimbShape; 2],
    pub shank: [LimbShape; 2],
    pub patella: [PatellaShape; 2],
    pub foot: [FootShape; 2],
}

impl BodyShape {
    /// Anthropometric starting shape for a stature in metres (segment lengths after Winter
    /// 2009 / de Leva 1996 proportions). The limb sections are a template of an average adult
    /// (ANSUR II girths as fractions of stature, both sexes averaged, with the quadriceps,
    /// hamstring and calf masses: the sections fitted by least squares to the anatomical
    /// surface of such a leg), scaled with stature; the calibration scales them per subject.
    pub fn from_stature(stature: f64) -> BodyShape {
        let s = stature / 1.75;
        let m = |v: [f64; 3]| v.map(|x| x * 0.001 * s);
        let thigh = LimbShape {
            length: THIGH_OF_STATURE * stature,
            cx: m([-14.0, 0.0, -0.5]),
            cz: m([21.0, 8.5, -3.5]),
            ax: m([96.0, 93.0, 49.0]),
            az: m([115.0, 89.0, 66.5]),
        };
        let shank = LimbShape {
            length: 0.249 * stature,
            cx: m([-13.0, -18.5, 3.5]),
            cz: m([0.5, 3.0, 1.0]),
            ax: m([60.0, 57.5, 22.5]),
            az: m([64.0, 56.0, 36.5]),
        };
        let foot_length = 0.152 * stature;
        let foot = FootShape {
            length: foot_length,
            // the ankle joint centre lies 22 % of the foot length in front of the heel
            heel: 0.22 * foot_length,
            ankle_height: 0.039 * stature,
            width: [0.06 * s, 0.095 * s],
            top_ends: [0.04 * s, 0.022 * s],
            cz: 0.0,
        };
        BodyShape {
            pelvis: PelvisShape {
                hip_half_width: 0.05 * stature,
                centre: [-0.01 * s, 0.07 * s, 0.0],
                semi: [0.11 * s, 0.13 * s, 0.17 * s],
            },
            thigh: [thigh.clone(), thigh],
            shank: [shank.clone(), shank],
            patella: [PatellaShape {
                anterior: 0.045 * s,
                above_knee: 0.02 * s,
                radius: 0.025 * s,
            }; 2],
            foot: [foot.clone(), foot],
        }
    }
}

/// A correspondence on a segment surface, segment coordinates.
#[derive(Debug, Clone, Copy)]
pub struct Corr {
    /// Closest surface point (approximate), m.
    pub p: V3,
    /// Outward unit normal at `p`.
    pub n: V3,
    /// Signed distance `n . (y - p)`, m (negative inside).
    pub d: f64,
    /// Derivative of `p` with respect to the arch degree of freedom (feet only).
    pub dp_darch: V3,
}

/// Quadratic interpolation through values at t = 0, 0.5, 1; returns (value, d/dt).
#[inline]
fn quad(v: &[f64; 3], t: f64) -> (f64, f64) {
    let l0 = 2.0 * (t - 0.5) * (t - 1.0);
    let l1 = -4.0 * t * (t - 1.0);
    let l2 = 2.0 * t * (t - 0.5);
    let d0 = 4.0 * t - 3.0;
    let d1 = -8.0 * t + 4.0;
    let d2 = 4.0 * t - 1.0;
    (
        v[0] * l0 + v[1] * l1 + v[2] * l2,
        v[0] * d0 + v[1] * d1 + v[2] * d2,
    )
}

/// Closest point on an elliptical section (semi-axes `a`, `b` around the origin) to `(u, w)`,
/// by radial scaling; returns the point, the in-plane gradient of the level function at it.
#[inline]
fn ellipse_project(u: f64, w: f64, a: f64, b: f64) -> ([f64; 2], [f64; 2]) {
    let rho = ((u / a).powi(2) + (w / b).powi(2)).sqrt();
    let (pu, pw) = if rho > 1e-9 {
        (u / rho, w / rho)
    } else {
        (a, 0.0)
    };
    ([pu, pw], [pu / (a * a), pw / (b * b)])
}

fn finish(y: &V3, p: V3, g: V3, dp_darch: V3) -> Corr {
    let n = g.try_normalize(1e-12).unwrap_or_else(V3::x);
    Corr {
        p,
        n,
        d: n.dot(&(y - p)),
        dp_darch,
    }
}

impl LimbShape {
    /// Closest point of the limb surface to `y` (segment coordinates, axis from the origin down
    /// to `(0, -length, 0)`); `lat` is +1 right, -1 left. The surface goes on past the distal
    /// joint centre by `ext` lengths with the distal section (the femoral condyles reach below
    /// the knee joint centre: [`THIGH_CONDYLES`]).
    pub fn closest(&self, y: &V3, lat: f64, ext: f64) -> Corr {
        let tr = -y.y / self.length;
        let t = tr.clamp(0.0, 1.0 + ext);
        let ts = t.min(1.0);
        let beyond = if t > 1.0 { 0.0 } else { 1.0 };
        let (cx, dcx) = quad(&self.cx, ts);
        let (cz, dcz) = quad(&self.cz, ts);
        let (ax, dax) = quad(&self.ax, ts);
        let (az, daz) = quad(&self.az, ts);
        let (dcx, dcz, dax, daz) = (dcx * beyond, dcz * beyond, dax * beyond, daz * beyond);
        let (cz, dcz) = (cz * lat, dcz * lat);
        let (u, w) = (y.x - cx, y.z - cz);
        let ([pu, pw], [gu, gw]) = ellipse_project(u, w, ax, az);
        let ys = -t * self.length;
        let p = V3::new(cx + pu, ys, cz + pw);
        if tr != t {
            // beyond an end: the closest point of the end disc
            let rho = ((u / ax).powi(2) + (w / az).powi(2)).sqrt();
            let p = if rho <= 1.0 { V3::new(y.x, ys, y.z) } else { p };
            let g = y - p;
            let g = if g.norm() > 1e-9 {
                g
            } else {
                V3::new(0.0, if tr < 0.0 { 1.0 } else { -1.0 }, 0.0)
            };
            return finish(y, p, g, V3::zeros());
        }
        // d(rho)/dt on the surface, then along y (t = -y / length)
        let drho_dt = -gu * dcx - gw * dcz - gu * pu / ax * dax - gw * pw / az * daz;
        let g = V3::new(gu, -drho_dt / self.length, gw);
        finish(y, p, g, V3::zeros())
    }
}

impl FootShape {
    /// Dorsal height over the ankle joint centre, m: the anterior ankle (talus, the extensor
    /// tendons) stands above the joint centre by a little under a tenth of the foot length.
    pub fn ankle_top(&self) -> f64 {
        self.ankle_height + ANKLE_RISE * self.length
    }

    /// Dorsal height above the sole at foot coordinate `x` (m from the heel end) for an arch
    /// height `arch`; returns (height, d/dx, d/darch).
    ///
    /// Piecewise linear through the heel end (`top_ends[0]`), the ankle ([`Self::ankle_top`]
    /// over the joint centre), mid-length (`arch`) and the toe end (`top_ends[1]`).
    pub fn top(&self, x: f64, arch: f64) -> (f64, f64, f64) {
        let half = 0.5 * self.length;
        let x = x.clamp(0.0, self.length);
        // the ankle knot lies between the heel end and mid-length
        let xa = self.heel.clamp(0.05 * self.length, 0.8 * half);
        let ha = self.ankle_top();
        if x <= xa {
            let s = x / xa;
            let h = self.top_ends[0] + (ha - self.top_ends[0]) * s;
            (h, (ha - self.top_ends[0]) / xa, 0.0)
        } else if x <= half {
            let s = (x - xa) / (half - xa);
            let h = ha + (arch - ha) * s;
            (h, (arch - ha) / (half - xa), s)
        } else {
            let s = (x - half) / half;
            let h = arch + (self.top_ends[1] - arch) * s;
            (h, (self.top_ends[1] - arch) / half, 1.0 - s)
        }
    }

    /// Foot width at coordinate `x` from the heel end; returns (width, d/dx).
    fn width(&self, x: f64) -> (f64, f64) {
        let xf = 0.75 * self.length;
        let x = x.clamp(0.0, self.length);
        let slope = (self.width[1] - self.width[0]) / xf;
        if x <= xf {
            (self.width[0] + slope * x, slope)
        } else {
            (self.width[1], 0.0)
        }
    }

    /// Closest point of the foot surface to `y` (foot coordinates, origin at the ankle joint
    /// centre), for arch height `arch` (m); `lat` is +1 right, -1 left.
    pub fn closest(&self, y: &V3, arch: f64, lat: f64) -> Corr {
        let xr = y.x + self.heel;
        let x = xr.clamp(0.0, self.length);
        let sole = -self.ankle_height;
        let (h, dh, dh_da) = self.top(x, arch);
        let (wd, dw) = self.width(x);
        let (b, db) = (0.5 * wd, 0.5 * dw);
        let cz = self.cz * lat;
        let (v, w) = (y.y - sole, y.z - cz);
        let xs = x - self.heel;
        // the cross-section: an ellipse from the sole to the dorsum (centre half-way up,
        // vertical semi-axis a = h / 2, half-width b): a foot's sides are nearly upright
        let a = 0.5 * h;
        let vc = v - a;
        if xr != x {
            let p = if (vc / a).powi(2) + (w / b).powi(2) <= 1.0 {
                V3::new(xs, y.y, y.z)
            } else {
                let ([pv, pw], _) = ellipse_project(vc, w, a, b);
                V3::new(xs, sole + a + pv, cz + pw)
            };
            let g = y - p;
            let g = if g.norm() > 1e-9 {
                g
            } else {
                V3::new(xr.signum(), 0.0, 0.0)
            };
            return finish(y, p, g, V3::zeros());
        }
        if v < 0.0 && w.abs() <= b {
            // below the sole: the sole plane
            return finish(
                y,
                V3::new(xs, sole, y.z),
                V3::new(0.0, -1.0, 0.0),
                V3::zeros(),
            );
        }
        let rho = ((vc / a).powi(2) + (w / b).powi(2)).sqrt();
        if rho < 1.0 && v < (1.0 - rho) * a {
            // inside, nearer the sole than the dome
            return finish(
                y,
                V3::new(xs, sole, y.z),
                V3::new(0.0, -1.0, 0.0),
                V3::zeros(),
            );
        }
        let ([pv, pw], [gv, gw]) = ellipse_project(vc, w, a, b);
        // level function rho(v, w; a(x), b(x)) with the centre at a(x): slope along x on the
        // surface (the centre and the semi-axis both move by da = dh / 2)
        let da = 0.5 * dh;
        let drho_dx = -gv * da * (1.0 + pv / a) - gw * pw / b * db;
        let g = V3::new(drho_dx, gv, gw);
        let dp = V3::new(0.0, dh_da * 0.5 * (1.0 + pv / a), 0.0);
        finish(y, V3::new(xs, sole + a + pv, cz + pw), g, dp)
    }
}

impl PelvisShape {
    /// Closest point of the pelvis ellipsoid to `y` (pelvis coordinates), by radial scaling.
    #[inline]
    pub fn closest(&self, y: &V3) -> Corr {
        let c = V3::from(self.centre);
        let a = V3::from(self.semi);
        let r = y - c;
        let rho = r.component_div(&a).norm();
        let q = if rho > 1e-9 {
            r / rho
        } else {
            V3::new(a.x, 0.0, 0.0)
        };
        let g = q.component_div(&a.component_mul(&a));
        finish(y, c + q, g, V3::zeros())
    }
}

impl PatellaShape {
    /// Centre of the sphere in the patella frame, m.
    pub fn centre(&self) -> V3 {
        V3::new(self.anterior, self.above_knee, 0.0)
    }

    /// Closest point of the patella sphere to `y` (patella coordinates).
    #[inline]
    pub fn closest(&self, y: &V3) -> Corr {
        let c = self.centre();
        let r = y - c;
        let n = r.try_normalize(1e-12).unwrap_or_else(V3::x);
        let p = c + n * self.radius;
        finish(y, p, n, V3::zeros())
    }
}

/// Surface samples of a limb (rings of points with outward normals), segment coordinates.
pub fn limb_samples(
    shape: &LimbShape,
    lat: f64,
    ext: f64,
    rings: usize,
    per_ring: usize,
) -> Vec<(V3, V3)> {
    let mut out = Vec::with_capacity(rings * per_ring);
    for i in 0..rings {
        let t = (i as f64 + 0.5) / rings as f64;
        for k in 0..per_ring {
            let phi = std::f64::consts::TAU * k as f64 / per_ring as f64;
            let (ax, az) = (quad(&shape.ax, t).0, quad(&shape.az, t).0);
            let y = V3::new(
                quad(&shape.cx, t).0 + ax * phi.cos(),
                -t * shape.length,
                lat * quad(&shape.cz, t).0 + az * phi.sin(),
            );
            let c = shape.closest(&y, lat, ext);
            out.push((c.p, c.n));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limb_distance_is_exact_for_a_circular_section() {
        let mut s = BodyShape::from_stature(1.75).thigh[1].clone();
        s.ax = [0.06; 3];
        s.az = [0.06; 3];
        s.cx = [0.0; 3];
        s.cz = [0.0; 3];
        let c = s.closest(&V3::new(0.1, -0.2, 0.0), 1.0, 0.0);
        assert!((c.d - 0.04).abs() < 1e-12);
        let c = s.closest(&V3::new(0.0, -0.2, -0.02), 1.0, 0.0);
        assert!((c.d + 0.04).abs() < 1e-12 && c.n.z < -0.99);
    }

    #[test]
    fn foot_arch_is_the_mid_length_dorsal_height() {
        let f = BodyShape::from_stature(1.75).foot[1].clone();
        let arch = 0.055;
        let x_mid = 0.5 * f.length - f.heel;
        let on_top = V3::new(x_mid, -f.ankle_height + arch, 0.0);
        let c = f.closest(&on_top, arch, 1.0);
        assert!(c.d.abs() < 1e-12, "{c:?}");
        assert!((c.dp_darch.y - 1.0).abs() < 1e-12);
        let below = V3::new(x_mid, -f.ankle_height - 0.01, 0.0);
        assert!((f.closest(&below, arch, 1.0).d - 0.01).abs() < 1e-12);
    }
}
