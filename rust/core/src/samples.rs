//! Points sampled on the model surface (segment coordinates, with outward normals), for the
//! free-space term and for rendering the model into a depth image.

#![allow(clippy::needless_range_loop)] // index loops over small fixed-size parameter arrays

use nalgebra::Vector3;

use crate::angles::Side;
use crate::model::{side_base, side_index, Seg, ARCH, NP};
use crate::shape::{limb_samples, BodyShape};

type V3 = Vector3<f64>;

/// One surface sample.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub seg: Seg,
    /// Point on the surface, segment coordinates, m.
    pub p: V3,
    /// Outward unit normal, segment coordinates.
    pub n: V3,
    /// Derivative of `p` with respect to the arch (feet only).
    pub dp_darch: V3,
}

/// Surface samples of all segments; the feet are resampled when the arch changes.
#[derive(Debug, Clone)]
pub struct SurfaceSamples {
    all: Vec<Sample>,
    /// Start of each foot's samples in `all`.
    foot_start: [usize; 2],
    per_foot: usize,
    arch: [f64; 2],
}

const FOOT_X: usize = 8;
const FOOT_PHI: usize = 7;

impl SurfaceSamples {
    pub fn new(shape: &BodyShape) -> SurfaceSamples {
        let mut all = Vec::new();
        let z = V3::zeros();
        // pelvis ellipsoid: anterior, lateral and inferior part (the lower trunk and buttocks)
        for i in 0..6 {
            for j in 0..10 {
                let th = std::f64::consts::PI * (0.25 + 0.5 * i as f64 / 5.0);
                let ph = std::f64::consts::TAU * j as f64 / 10.0;
                let d = V3::new(th.sin() * ph.cos(), th.cos(), th.sin() * ph.sin());
                let c =
                    V3::from(shape.pelvis.centre) + d.component_mul(&V3::from(shape.pelvis.semi));
                let corr = shape.pelvis.closest(&c);
                all.push(Sample {
                    seg: Seg::Pelvis,
                    p: corr.p,
                    n: corr.n,
                    dp_darch: z,
                });
            }
        }
        let mut foot_start = [0; 2];
        for side in Side::BOTH {
            let i = side_index(side);
            let lat = side.lateral();
            for (seg, shp) in [
                (Seg::Thigh(side), &shape.thigh[i]),
                (Seg::Shank(side), &shape.shank[i]),
            ] {
                for (p, n) in limb_samples(shp, lat, 0.0, 8, 10) {
                    all.push(Sample {
                        seg,
                        p,
                        n,
                        dp_darch: z,
                    });
                }
            }
            let pat = &shape.patella[i];
            let c = pat.centre();
            for k in 0..8 {
                let ph = std::f64::consts::TAU * k as f64 / 8.0;
                let n = V3::new(0.6, 0.56 * ph.cos(), 0.56 * ph.sin()).normalize();
                all.push(Sample {
                    seg: Seg::Patella(side),
                    p: c + n * pat.radius,
                    n,
                    dp_darch: z,
                });
            }
            foot_start[i] = all.len();
            for _ in 0..FOOT_X * FOOT_PHI {
                all.push(Sample {
                    seg: Seg::Foot(side),
                    p: z,
                    n: V3::y(),
                    dp_darch: z,
                });
            }
        }
        let mut s = SurfaceSamples {
            all,
            foot_start,
            per_foot: FOOT_X * FOOT_PHI,
            arch: [f64::NAN; 2],
        };
        let mut q = [0.0; NP];
        for side in Side::BOTH {
            q[side_base(side) + ARCH] = 0.06;
        }
        s.update_feet(shape, &q);
        s
    }

    /// Resample the feet's dorsal domes for the arch heights of pose `q`.
    pub fn update_feet(&mut self, shape: &BodyShape, q: &[f64; NP]) {
        for side in Side::BOTH {
            let i = side_index(side);
            let arch = q[side_base(side) + ARCH];
            if arch == self.arch[i] {
                continue;
            }
            self.arch[i] = arch;
            let f = &shape.foot[i];
            let lat = side.lateral();
            let mut k = self.foot_start[i];
            for xi in 0..FOOT_X {
                let x = f.length * (xi as f64 + 0.5) / FOOT_X as f64;
                let (h, _, _) = f.top(x, arch);
                let b = 0.5
                    * (f.width[0] + (f.width[1] - f.width[0]) * (x / (0.75 * f.length)).min(1.0));
                for pi in 0..FOOT_PHI {
                    let phi =
                        std::f64::consts::PI * (pi as f64 / (FOOT_PHI - 1) as f64 - 0.5) * 0.9;
                    let y = V3::new(
                        x - f.heel,
                        -f.ankle_height + h * phi.cos(),
                        lat * f.cz + b * phi.sin(),
                    );
                    let c = f.closest(&y, arch, lat);
                    self.all[k] = Sample {
                        seg: Seg::Foot(side),
                        p: c.p,
                        n: c.n,
                        dp_darch: c.dp_darch,
                    };
                    k += 1;
                }
            }
            debug_assert_eq!(k, self.foot_start[i] + self.per_foot);
        }
    }

    /// All samples.
    pub fn all(&self) -> &[Sample] {
        &self.all
    }
}
