//! Depth images of the tracker's own model, for unit tests of the fit (a necessary check that
//! the fit inverts its own model; validation against a body that is not built from the model's
//! primitives is the phantom's job).

#![allow(clippy::needless_range_loop)] // index loops over small fixed-size parameter arrays

use nalgebra::{Matrix3, Vector3};

use crate::angles::Side;
use crate::model::{side_index, Kinematics, Seg, NP};
use crate::shape::BodyShape;

type V3 = Vector3<f64>;

/// Deterministic pseudo-random numbers in [-1, 1) for tests (a 64-bit LCG on `state`).
pub fn uniform(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

/// A pinhole camera placed in the lab frame.
#[derive(Debug, Clone, Copy)]
pub struct SynthCamera {
    pub width: usize,
    pub height: usize,
    pub fx: f64,
    pub fy: f64,
    pub ppx: f64,
    pub ppy: f64,
    /// Camera from lab rotation (rows: camera x right, y down, z forward in lab coordinates).
    pub cam_r: Matrix3<f64>,
    /// Camera from lab translation: `p_cam = cam_r p_lab + cam_t`.
    pub cam_t: V3,
}

impl SynthCamera {
    /// A D435-like 848x480 camera at `eye` (lab) looking at `target`.
    pub fn looking_at(eye: V3, target: V3) -> SynthCamera {
        let f = (target - eye).normalize();
        let right = f.cross(&V3::y()).normalize();
        let down = f.cross(&right);
        let cam_r = Matrix3::from_rows(&[right.transpose(), down.transpose(), f.transpose()]);
        SynthCamera {
            width: 848,
            height: 480,
            fx: 421.0,
            fy: 421.0,
            ppx: 424.0,
            ppy: 240.0,
            cam_r,
            cam_t: -(cam_r * eye),
        }
    }

    /// Camera centre in the lab frame.
    pub fn position(&self) -> V3 {
        -(self.cam_r.transpose() * self.cam_t)
    }

    /// Lab-frame point of pixel index `i` at depth `z`.
    pub fn deproject(&self, i: usize, z: f64) -> V3 {
        let (u, v) = ((i % self.width) as f64, (i / self.width) as f64);
        let pc = V3::new(
            (u - self.ppx) / self.fx * z,
            (v - self.ppy) / self.fy * z,
            z,
        );
        self.cam_r.transpose() * (pc - self.cam_t)
    }
}

/// Render the model at pose `q` into a depth image (mm units) by z-buffered splatting of dense
/// surface samples; the floor `y = 0` is rendered too when `floor` is set.
pub fn render(shape: &BodyShape, q: &[f64; NP], cam: &SynthCamera, floor: bool) -> Vec<u16> {
    let mut z = vec![f64::INFINITY; cam.width * cam.height];
    let k = Kinematics::new(q, shape);
    let mut splat = |pw: V3| {
        let pc = cam.cam_r * pw + cam.cam_t;
        if pc.z < 0.2 {
            return;
        }
        let u = cam.fx * pc.x / pc.z + cam.ppx;
        let v = cam.fy * pc.y / pc.z + cam.ppy;
        for du in [-0.5, 0.5] {
            for dv in [-0.5, 0.5] {
                let (uu, vv) = ((u + du).round(), (v + dv).round());
                if uu >= 0.0 && vv >= 0.0 && uu < cam.width as f64 && vv < cam.height as f64 {
                    let i = vv as usize * cam.width + uu as usize;
                    // depth of the ray through the pixel is close to pc.z at this density
                    z[i] = z[i].min(pc.z);
                }
            }
        }
    };
    let step = 0.004;
    for seg in Seg::ALL {
        let (o, r) = k.frame(seg);
        for p in dense_surface(shape, seg, &k.arch, step) {
            splat(o + r * p);
        }
    }
    if floor {
        for i in 0..cam.width * cam.height {
            // intersect the pixel ray with y = 0
            let a = cam.deproject(i, 1.0);
            let c = cam.position();
            let dir = a - c;
            if dir.y < -1e-6 {
                let t = -c.y / dir.y;
                let zf = t; // depth scales linearly along the ray with z = 1 at a
                if zf < z[i] && zf < 8.0 {
                    z[i] = zf;
                }
            }
        }
    }
    z.iter()
        .map(|&v| {
            if v.is_finite() {
                (v * 1000.0).round() as u16
            } else {
                0
            }
        })
        .collect()
}

/// Dense points on a segment's surface (segment coordinates).
fn dense_surface(shape: &BodyShape, seg: Seg, arch: &[f64; 2], step: f64) -> Vec<V3> {
    let mut out = Vec::new();
    let tau = std::f64::consts::TAU;
    let ring = |centre: V3, a: f64, b: f64, axis: usize, out: &mut Vec<V3>| {
        let n = ((tau * a.max(b)) / step).ceil() as usize;
        for j in 0..n {
            let ph = tau * j as f64 / n as f64;
            let mut p = centre;
            match axis {
                1 => {
                    p.x += a * ph.cos();
                    p.z += b * ph.sin();
                }
                _ => {
                    p.y += a * ph.cos();
                    p.z += b * ph.sin();
                }
            }
            out.push(p);
        }
    };
    match seg {
        Seg::Pelvis => {
            let pl = &shape.pelvis;
            let n = (pl.semi[1] * 4.0 / step) as usize;
            for i in 0..=n {
                let th = std::f64::consts::PI * i as f64 / n as f64;
                let c = V3::new(
                    pl.centre[0],
                    pl.centre[1] + pl.semi[1] * th.cos(),
                    pl.centre[2],
                );
                ring(c, pl.semi[0] * th.sin(), pl.semi[2] * th.sin(), 1, &mut out);
            }
        }
        Seg::Thigh(s) | Seg::Shank(s) => {
            let (l, ext) = crate::model::limb_of(shape, seg).expect("a limb");
            let n = (l.length * (1.0 + ext) / step) as usize;
            for k in 0..=n {
                let t_along = (1.0 + ext) * k as f64 / n as f64;
                let y = V3::new(0.0, -t_along * l.length, 0.0);
                // past the distal joint the distal section goes on
                let t = t_along.min(1.0);
                let q = |v: &[f64; 3]| {
                    let l0 = 2.0 * (t - 0.5) * (t - 1.0);
                    let l1 = -4.0 * t * (t - 1.0);
                    let l2 = 2.0 * t * (t - 0.5);
                    v[0] * l0 + v[1] * l1 + v[2] * l2
                };
                let cen = V3::new(q(&l.cx), y.y, s.lateral() * q(&l.cz));
                ring(cen, q(&l.ax), q(&l.az), 1, &mut out);
            }
        }
        Seg::Patella(s) => {
            let i = side_index(s);
            let p = &shape.patella[i];
            let c = p.centre();
            let n = 24;
            for a in 0..n {
                for b in 0..n {
                    let th = std::f64::consts::PI * a as f64 / (n - 1) as f64;
                    let ph = tau * b as f64 / n as f64;
                    out.push(
                        c + p.radius * V3::new(th.sin() * ph.cos(), th.cos(), th.sin() * ph.sin()),
                    );
                }
            }
        }
        Seg::Foot(s) => {
            let i = side_index(s);
            let f = &shape.foot[i];
            let n = (f.length / step) as usize;
            for k in 0..=n {
                let x = f.length * k as f64 / n as f64;
                let (h, _, _) = f.top(x, arch[i]);
                let b = 0.5
                    * (f.width[0] + (f.width[1] - f.width[0]) * (x / (0.75 * f.length)).min(1.0));
                let c = V3::new(x - f.heel, -f.ankle_height + 0.5 * h, s.lateral() * f.cz);
                ring(c, 0.5 * h, b, 0, &mut out);
            }
        }
    }
    let _ = Side::BOTH;
    out
}
