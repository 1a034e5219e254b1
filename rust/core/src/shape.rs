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
//! - Foot: a half-elliptic dome on a flat sole along the foot's X; the dome's height at 50 % of
//!   foot length is the arch degree of freedom.
//! - Pelvis / lower trunk: an ellipsoid.

#![allow(clippy::needless_range_loop)] // index loops over small fixed-size parameter arrays

use nalgebra::Vector3;

type V3 = Vector3<f64>;

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
    /// is the arch degree of freedom).
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

/// The patella: a sphere fixed in the thigh frame.
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
    /// 2009 / de Leva 1996 proportions; girths of an average adult scaled with stature).
    pub fn from_stature(stature: f64) -> BodyShape {
        let s = stature / 1.75;
        let thigh = LimbShape {
            // de Leva (1996): 0.243 H in men, 0.212 H in women; the calibration refines it
            length: 0.232 * stature,
            cx: [0.0, 0.005 * s, 0.0],
            cz: [0.025 * s, 0.01 * s, 0.0],
            ax: [0.085 * s, 0.065 * s, 0.05 * s],
            az: [0.085 * s, 0.065 * s, 0.052 * s],
        };
        let shank = LimbShape {
            length: 0.249 * stature,
            cx: [-0.005 * s, -0.012 * s, 0.0],
            cz: [0.0, 0.0, 0.0],
            ax: [0.05 * s, 0.052 * s, 0.03 * s],
            az: [0.05 * s, 0.048 * s, 0.03 * s],
        };
        let foot = FootShape {
            length: 0.152 * stature,
            heel: 0.045 * s,
            ankle_height: 0.039 * stature,
            width: [0.06 * s, 0.095 * s],
            top_ends: [0.075 * s, 0.022 * s],
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
    /// to `(0, -length, 0)`); `lat` is +1 right, -1 left.
    pub fn closest(&self, y: &V3, lat: f64) -> Corr {
        let tr = -y.y / self.length;
        let t = tr.clamp(0.0, 1.0);
        let (cx, dcx) = quad(&self.cx, t);
        let (cz, dcz) = quad(&self.cz, t);
        let (ax, dax) = quad(&self.ax, t);
        let (az, daz) = quad(&self.az, t);
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
    /// Dorsal height above the sole at foot coordinate `x` (m from the heel end) for an arch
    /// height `arch`; returns (height, d/dx, d/darch).
    pub fn top(&self, x: f64, arch: f64) -> (f64, f64, f64) {
        let half = 0.5 * self.length;
        let x = x.clamp(0.0, self.length);
        if x <= half {
            let s = x / half;
            let h = self.top_ends[0] + (arch - self.top_ends[0]) * s;
            (h, (arch - self.top_ends[0]) / half, s)
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
        if xr != x {
            let p = if v >= 0.0 && (v / h).powi(2) + (w / b).powi(2) <= 1.0 {
                V3::new(xs, y.y, y.z)
            } else {
                let ([pv, pw], _) = ellipse_project(v.max(0.0), w, h, b);
                V3::new(xs, sole + pv, cz + pw)
            };
            let g = y - p;
            let g = if g.norm() > 1e-9 {
                g
            } else {
                V3::new(xr.signum(), 0.0, 0.0)
            };
            return finish(y, p, g, V3::zeros());
        }
        if v < 0.0 {
            // below the sole: the sole plane (clamped to the foot's outline)
            let p = V3::new(xs, sole, cz + w.clamp(-b, b));
            let d_out = (w.abs() - b).max(0.0);
            let g = if d_out > 0.0 {
                y - p
            } else {
                V3::new(0.0, -1.0, 0.0)
            };
            return finish(y, p, g, V3::zeros());
        }
        let rho_s = (v / h).powi(2) + (w / b).powi(2);
        if rho_s < 1.0 && v < (1.0 - rho_s.sqrt()) * h {
            // inside, nearer the sole than the dome
            return finish(
                y,
                V3::new(xs, sole, y.z),
                V3::new(0.0, -1.0, 0.0),
                V3::zeros(),
            );
        }
        let ([pv, pw], [gv, gw]) = ellipse_project(v, w, h, b);
        // level function rho(v, w; h(x), b(x)): slope along x on the surface
        let drho_dx = -gv * pv / h * dh - gw * pw / b * db;
        let g = V3::new(drho_dx, gv, gw);
        let dp = V3::new(0.0, dh_da * pv / h, 0.0);
        finish(y, V3::new(xs, sole + pv, cz + pw), g, dp)
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
    /// Closest point of the patella sphere to `y` (thigh coordinates); the thigh has length `l`.
    #[inline]
    pub fn closest(&self, y: &V3, thigh_length: f64) -> Corr {
        let c = V3::new(self.anterior, -thigh_length + self.above_knee, 0.0);
        let r = y - c;
        let n = r.try_normalize(1e-12).unwrap_or_else(V3::x);
        let p = c + n * self.radius;
        finish(y, p, n, V3::zeros())
    }
}

/// Surface samples of a limb (rings of points with outward normals), segment coordinates.
pub fn limb_samples(shape: &LimbShape, lat: f64, rings: usize, per_ring: usize) -> Vec<(V3, V3)> {
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
            let c = shape.closest(&y, lat);
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
        let c = s.closest(&V3::new(0.1, -0.2, 0.0), 1.0);
        assert!((c.d - 0.04).abs() < 1e-12);
        let c = s.closest(&V3::new(0.0, -0.2, -0.02), 1.0);
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
