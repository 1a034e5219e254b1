//! Robust articulated ICP: Levenberg-Marquardt over the leg model's pose with analytic
//! Jacobians.
//!
//! Terms of the cost (each a sum of squared, scaled residuals):
//! - data: point-to-plane distance from each subject point to the closest camera-facing model
//!   surface, Geman-McClure robust kernel (IRLS), weighted so that the data count as
//!   `ref_points` independent samples whatever the subsampling (depth noise is spatially
//!   correlated, so the raw point count would overstate the evidence);
//! - free space: model surface samples facing the camera may not lie in front of the measured
//!   depth along their pixel's ray (Huber-weighted hinge);
//! - priors: a constant-velocity temporal prior, joint limits (hinges), a physiological prior on
//!   knee valgus and knee axial rotation, a weak arch prior, feet not below the floor, and
//!   leg-leg non-penetration (knees, shanks, ankles).
//!
//! The terms live in [`crate::fit_terms`] (the data term's correspondence search and its
//! accumulation into the normal equations in `fit_data`); this module holds the solver.

#![allow(clippy::needless_range_loop)] // index loops over small fixed-size parameter arrays

use nalgebra::{SMatrix, SVector, Vector3};

use crate::fit_terms::{linearise, Linearisation};
use crate::model::NP;
use crate::samples::SurfaceSamples;
use crate::shape::BodyShape;

pub use crate::fit_terms::{DepthView, FitConfig, Prior};

type V3 = Vector3<f64>;
/// Normal matrix of the pose parameters.
pub type Hess = SMatrix<f64, NP, NP>;
/// Gradient of the pose parameters.
pub type Grad = SVector<f64, NP>;

/// Outcome of one fit.
#[derive(Debug, Clone)]
pub struct FitStats {
    /// Final cost (sum of scaled squared residuals / 2).
    pub cost: f64,
    /// Subject points used (after subsampling).
    pub used_points: usize,
    /// Points within the inlier distance of the model surface.
    pub inliers: usize,
    /// RMS point-to-surface distance of the inliers, m.
    pub rms: f64,
    /// Inlier points per model segment (order of [`crate::model::Seg::ALL`]).
    pub seg_points: [usize; 9],
    /// Standard deviation of each parameter from the data, joint limits and physiological
    /// priors (not the temporal prior), in parameter units (rad, m).
    pub sd: [f64; NP],
    /// Accepted Levenberg-Marquardt steps.
    pub iterations: usize,
}

/// Reusable fitting state: the subject's shape and buffers (no allocation per frame once warm).
#[derive(Debug, Clone)]
pub struct Fitter {
    pub shape: BodyShape,
    pts: Vec<V3>,
    samples: SurfaceSamples,
}

impl Fitter {
    pub fn new(shape: BodyShape) -> Fitter {
        Fitter {
            samples: SurfaceSamples::new(&shape),
            shape,
            pts: Vec::new(),
        }
    }

    /// Fit the pose `q` (starting value in, result out) to subject `points` (lab frame, m).
    ///
    /// `cam_pos` is the camera centre in the lab frame (for the camera-facing test); `depth`, if
    /// given, enables the free-space term.
    pub fn fit(
        &mut self,
        q: &mut [f64; NP],
        points: &[[f32; 3]],
        cam_pos: &V3,
        depth: Option<&DepthView<'_>>,
        prior: &Prior,
        cfg: &FitConfig,
    ) -> FitStats {
        // deterministic, evenly spread subsample
        self.pts.clear();
        let n = points.len();
        if n > 0 {
            let m = cfg.max_points.max(1).min(n);
            let step = n as f64 / m as f64;
            for i in 0..m {
                let p = points[((i as f64 + 0.5) * step) as usize];
                self.pts
                    .push(V3::new(p[0] as f64, p[1] as f64, p[2] as f64));
            }
        }
        let mut lin = Linearisation::new();
        let mut cur = *q;
        let mut best = Linearisation::new();
        let mut accepted = 0;
        // coarse to fine: a wide robust scale first (large motions, poor start), then the
        // configured one; each stage is its own Levenberg-Marquardt run
        let stages: &[(f64, usize)] = if cfg.coarse_iterations > 0 {
            &[(3.0, cfg.coarse_iterations), (1.0, cfg.iterations)]
        } else {
            &[(1.0, cfg.iterations)]
        };
        for &(widen, iters) in stages {
            let mut c = cfg.clone();
            c.robust_scale *= widen;
            self.lin(&cur, cam_pos, depth, prior, &c, &mut best);
            let mut lambda = 1e-3;
            for _ in 0..iters {
                let Some(delta) = solve(&best.h, &best.g, lambda) else {
                    lambda *= 10.0;
                    continue;
                };
                let mut cand = cur;
                for k in 0..NP {
                    cand[k] += delta[k];
                }
                self.lin(&cand, cam_pos, depth, prior, &c, &mut lin);
                if lin.cost <= best.cost {
                    let gain = best.cost - lin.cost;
                    cur = cand;
                    std::mem::swap(&mut best, &mut lin);
                    accepted += 1;
                    lambda = (lambda / 3.0).max(1e-7);
                    // converged: the step is below 0.1 deg (2e-3 rad) and 2 mm
                    if gain < 1e-7 * best.cost.max(1e-12) || delta.amax() < cfg.min_step {
                        break;
                    }
                } else {
                    lambda *= 5.0;
                    if lambda > 1e5 {
                        break;
                    }
                }
            }
        }
        *q = cur;
        // uncertainty without the temporal prior
        let mut h = best.h;
        for k in 0..NP {
            h[(k, k)] -= best.temporal_diag[k];
            h[(k, k)] += 1e-9;
        }
        let scale = (best.rms / cfg.noise).max(1.0);
        let mut sd = [f64::NAN; NP];
        if let Some(inv) = h.try_inverse() {
            for (k, s) in sd.iter_mut().enumerate() {
                let v = inv[(k, k)];
                if v.is_finite() && v >= 0.0 {
                    *s = v.sqrt() * scale;
                }
            }
        }
        FitStats {
            cost: best.cost,
            used_points: self.pts.len(),
            inliers: best.inliers,
            rms: best.rms,
            seg_points: best.seg_points,
            sd,
            iterations: accepted,
        }
    }
}

impl Fitter {
    fn lin(
        &mut self,
        q: &[f64; NP],
        cam_pos: &V3,
        depth: Option<&DepthView<'_>>,
        prior: &Prior,
        cfg: &FitConfig,
        lin: &mut Linearisation,
    ) {
        // the surface samples serve only the free-space term
        if depth.is_some() && cfg.free_space[0] > 0.0 {
            self.samples.update_feet(&self.shape, q);
        }
        let samples = self.samples.all();
        linearise(
            &self.shape,
            q,
            &self.pts,
            samples,
            cam_pos,
            depth,
            prior,
            cfg,
            lin,
        );
    }
}

/// Solve the damped normal equations; bounded step.
fn solve(h: &Hess, g: &Grad, lambda: f64) -> Option<Grad> {
    let mut a = *h;
    for k in 0..NP {
        a[(k, k)] += lambda * h[(k, k)] + 1e-9;
    }
    let chol = a.cholesky()?;
    let mut d = -chol.solve(g);
    if d.iter().any(|v| !v.is_finite()) {
        return None;
    }
    // no step larger than 0.25 rad (or 0.1 m / 2 cm of arch)
    let mut s: f64 = 1.0;
    for k in 0..NP {
        let lim = crate::fit_terms::step_limit(k);
        if d[k].abs() * s > lim {
            s = lim / d[k].abs();
        }
    }
    d *= s;
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{side_base, standing_pose, HIP, KNEE};
    use crate::synth::{render, uniform as lcg, SynthCamera};

    fn cloud(
        shape: &BodyShape,
        q: &[f64; NP],
        cam: &SynthCamera,
        noise: f64,
    ) -> (Vec<[f32; 3]>, Vec<u16>) {
        let depth = render(shape, q, cam, false);
        let mut s = 7u64;
        let mut pts = Vec::new();
        for (i, &d) in depth.iter().enumerate() {
            if d > 0 && i % 3 == 0 {
                let z = d as f64 / 1000.0 + noise * lcg(&mut s) * 1.7;
                let p = cam.deproject(i, z);
                pts.push([p.x as f32, p.y as f32, p.z as f32]);
            }
        }
        // 3 % outliers scattered around the subject
        for _ in 0..pts.len() / 33 {
            let p = [
                0.5 * lcg(&mut s),
                0.5 + 0.5 * lcg(&mut s),
                0.4 * lcg(&mut s),
            ];
            pts.push(p.map(|v| v as f32));
        }
        (pts, depth)
    }

    #[test]
    fn fit_recovers_a_pose_from_its_own_model_with_noise_and_outliers() {
        let shape = BodyShape::from_stature(1.75);
        let mut truth = standing_pose([0.0, 0.78, 0.0], 0.15, 0.06);
        let b = side_base(crate::Side::Right);
        let l = side_base(crate::Side::Left);
        for (base, f) in [(b, 1.0), (l, 0.8)] {
            truth[base + HIP] = f * 0.6;
            truth[base + HIP + 1] = f * 0.08;
            truth[base + HIP + 2] = f * 0.15;
            truth[base + KNEE] = f * 1.0;
            truth[base + KNEE + 1] = 0.04;
            truth[base + 6] = 0.3;
        }
        // put the lowest sole point 1 cm above the floor
        let k = crate::model::Kinematics::new(&truth, &shape);
        let low = (0..2)
            .map(|i| k.ajc[i].y - shape.foot[i].ankle_height)
            .fold(f64::INFINITY, f64::min);
        truth[1] += 0.01 - low;
        let cam = SynthCamera::looking_at(V3::new(2.0, 1.0, 0.4), V3::new(0.0, 0.5, 0.0));
        let (pts, depth) = cloud(&shape, &truth, &cam, 0.005);
        let dv = DepthView {
            depth: &depth,
            width: cam.width,
            height: cam.height,
            scale: 0.001,
            fx: cam.fx,
            fy: cam.fy,
            ppx: cam.ppx,
            ppy: cam.ppy,
            cam_r: cam.cam_r,
            cam_t: cam.cam_t,
        };
        let mut fitter = Fitter::new(shape.clone());
        let prior = Prior::uninformed(0.06);
        let cfg = FitConfig {
            iterations: 30,
            coarse_iterations: 20,
            max_points: 4000,
            ..FitConfig::default()
        };
        let names = crate::model::param_names();
        // start up to 6 deg and 3 cm away in every parameter at once, from several starts: a
        // local method may land in a wrong minimum now and then (the feet seen from above are
        // the weak part), but not often
        let mut failures = Vec::new();
        for seed in 1..=8u64 {
            let mut q = truth;
            let mut s = seed;
            for k in 0..NP {
                q[k] += if k < 3 { 0.03 } else { 0.1 } * lcg(&mut s);
            }
            q[b + 8] = 0.06;
            q[l + 8] = 0.06;
            let st = fitter.fit(&mut q, &pts, &cam.position(), Some(&dv), &prior, &cfg);
            let mut bad = Vec::new();
            for k in 3..NP {
                let err = (q[k] - truth[k]).to_degrees();
                // arch in mm-units x 0.0175: 3 mm; the axial rotations are the least observable
                let tol = if names[k].contains("arch") {
                    0.003f64.to_degrees()
                } else if names[k].contains("internal_rotation") {
                    5.0
                } else {
                    3.0
                };
                // ... or within 2.5 of the standard deviations the fit reports (ankle
                // inversion of a foot seen from above is barely observable: the fit says so)
                if err.abs() >= tol.max(2.5 * st.sd[k].to_degrees()) {
                    bad.push(format!("{} err {err:.1}", names[k]));
                }
            }
            for k in 0..3 {
                if (q[k] - truth[k]).abs() >= 0.01 {
                    bad.push(names[k].clone());
                }
            }
            if !(st.rms < 0.01 && st.inliers as f64 > 0.9 * st.used_points as f64) {
                bad.push(format!("rms {:.4} inliers {}", st.rms, st.inliers));
            }
            if !bad.is_empty() {
                failures.push((seed, bad));
            }
        }
        assert!(
            failures.len() <= 2,
            "{} of 8 starts failed: {failures:?}",
            failures.len()
        );
    }
}
