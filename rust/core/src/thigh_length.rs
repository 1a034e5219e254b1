//! The thigh length from a trial's bent-knee frames.
//!
//! In quiet standing a straight leg hardly shows where the knee joint centre lies along it, so
//! the calibration leaves the thigh near its anthropometric length (0.232 of stature, between
//! de Leva's 0.212 for women and 0.243 for men: a 3 cm spread). With the knee bent (a landing,
//! a squat) thigh and shank point different ways and the knee's place along the leg is seen.
//!
//! The tracker keeps the most flexed frames it tracked ([`LengthSamples`]); each candidate
//! thigh length refits those frames from their tracked poses, and the length whose refits
//! leave the lowest robust point-to-surface misfit of the limbs wins (parabolic refinement
//! between grid points). A minimum at the end of the grid, or too few bent-knee frames, gives
//! no answer.
//!
//! The points nearest the pelvis do not vote. The pelvis is an ellipsoid, and the lower trunk
//! it stands for is not one: it stands 1-2 cm proud of the phantoms' abdomen above the hips, and
//! a flexed hip folds the groin. Their misfit fell steadily with a longer thigh (the pelvis
//! rising to them), and measured the thigh 1.5 cm long on average, up to 3 cm. Without them, on
//! 20 phantom trials, the thigh comes out 0.4 cm long on average (RMS 1.1 cm); women's thighs
//! still read up to 2.7 cm long.

use nalgebra::Vector3;

use crate::fit::Fitter;
use crate::fit_terms::{nearest_residuals, FitConfig, Prior};
use crate::model::{side_base, Seg, KNEE, NP};
use crate::shape::BodyShape;
use crate::Side;

type V3 = Vector3<f64>;

/// Frames count when either knee is flexed at least this much, deg.
pub const MIN_FLEXION_DEG: f64 = 40.0;
/// Most frames kept (the most flexed ones).
pub const MAX_SAMPLES: usize = 24;
/// Fewest frames for an estimate.
pub const MIN_SAMPLES: usize = 8;
/// Candidate thigh lengths, as factors of the calibrated one.
const GRID: (f64, f64, usize) = (0.76, 0.02, 25);
/// Points per frame used in the refits.
const POINTS: usize = 700;
/// Levenberg-Marquardt iterations per refit.
const ITERATIONS: usize = 10;

/// One tracked bent-knee frame: its subject points, the tracked pose and the frame's prior
/// (supports, lowest points; no temporal prediction).
#[derive(Debug, Clone)]
pub struct LengthSample {
    pub points: Vec<[f32; 3]>,
    pub pose: [f64; NP],
    pub flexion: f64,
    pub prior: Prior,
}

/// The most flexed tracked frames of a trial, at most [`MAX_SAMPLES`].
#[derive(Debug, Clone, Default)]
pub struct LengthSamples {
    samples: Vec<LengthSample>,
}

impl LengthSamples {
    /// Knee flexion (the larger side) of a pose, deg.
    pub fn flexion(q: &[f64; NP]) -> f64 {
        Side::BOTH
            .map(|s| q[side_base(s) + KNEE])
            .into_iter()
            .fold(f64::NEG_INFINITY, f64::max)
            .to_degrees()
    }

    /// Offer a tracked frame; kept when its knees are bent enough and it is among the most
    /// flexed so far.
    pub fn offer(&mut self, points: &[[f32; 3]], pose: &[f64; NP], prior: &Prior) {
        let flexion = Self::flexion(pose);
        if flexion < MIN_FLEXION_DEG || points.is_empty() {
            return;
        }
        let sample = || LengthSample {
            points: points.to_vec(),
            pose: *pose,
            flexion,
            prior: Prior {
                predicted: None,
                ..prior.clone()
            },
        };
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(sample());
            return;
        }
        let (i, least) = self
            .samples
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.flexion.total_cmp(&b.1.flexion))
            .map(|(i, s)| (i, s.flexion))
            .expect("full");
        if flexion > least {
            self.samples[i] = sample();
        }
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    pub fn clear(&mut self) {
        self.samples.clear();
    }

    /// The factor on the thigh length of `shape` that best explains the kept frames, or `None`
    /// (too few frames, or the best length at the end of the searched range 0.76-1.24).
    pub fn thigh_factor(&self, shape: &BodyShape, cam: &V3, base: &FitConfig) -> Option<f64> {
        self.length_factor(shape, cam, base, scaled_thigh)
    }

    /// The factor on the shank length of `shape` that best explains the kept frames, as
    /// [`Self::thigh_factor`] (give `shape` the thigh measured first: with the knee bent the
    /// knee's place fixes the thigh, and the shank then reaches from it to the foot on the
    /// floor).
    pub fn shank_factor(&self, shape: &BodyShape, cam: &V3, base: &FitConfig) -> Option<f64> {
        self.length_factor(shape, cam, base, scaled_shank)
    }

    fn length_factor(
        &self,
        shape: &BodyShape,
        cam: &V3,
        base: &FitConfig,
        scaled: fn(&BodyShape, f64) -> BodyShape,
    ) -> Option<f64> {
        if self.samples.len() < MIN_SAMPLES {
            return None;
        }
        let cfg = FitConfig {
            max_points: POINTS,
            iterations: ITERATIONS,
            coarse_iterations: 0,
            min_step: 1e-4,
            ..base.clone()
        };
        let (start, step, n) = GRID;
        // the criterion: robust point-to-surface misfit of the limbs only (the priors do not
        // depend on the length the way the data do; the pelvis's points see module docs), each
        // frame's points weighing alike over all of them
        let scale = cfg.robust_scale;
        let mut res = Vec::new();
        let mut pts: Vec<V3> = Vec::new();
        let costs: Vec<f64> = (0..n)
            .map(|k| {
                let s = scaled(shape, start + step * k as f64);
                let mut fitter = Fitter::new(s.clone());
                let mut total = 0.0;
                for smp in &self.samples {
                    let mut q = smp.pose;
                    fitter.fit(&mut q, &smp.points, cam, None, &smp.prior, &cfg);
                    let stride = (smp.points.len() / POINTS).max(1);
                    pts.clear();
                    pts.extend(
                        smp.points
                            .iter()
                            .step_by(stride)
                            .map(|p| V3::new(p[0] as f64, p[1] as f64, p[2] as f64)),
                    );
                    nearest_residuals(&s, &q, &pts, cam, &mut res);
                    let (sum, cnt) =
                        res.iter()
                            .fold((0.0, 0usize), |(a, c), &(r, seg)| match seg {
                                Some(Seg::Pelvis) => (a, c + 1),
                                Some(_) => (a + r * r / (r * r + scale * scale), c + 1),
                                None => (a + 1.0, c + 1),
                            });
                    total += sum / cnt.max(1) as f64;
                }
                total
            })
            .collect();
        let (best, _) = costs.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1))?;
        if best == 0 || best == n - 1 || !costs.iter().all(|c| c.is_finite()) {
            return None;
        }
        // parabola through the best grid point and its neighbours
        let (a, b, c) = (costs[best - 1], costs[best], costs[best + 1]);
        let den = a - 2.0 * b + c;
        let off = if den > 0.0 {
            (0.5 * (a - c) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        Some(start + step * (best as f64 + off))
    }
}

/// `shape` with both thighs `factor` times as long (the patella keeps its place relative to
/// the knee in proportion).
pub fn scaled_thigh(shape: &BodyShape, factor: f64) -> BodyShape {
    let mut s = shape.clone();
    for i in 0..2 {
        s.thigh[i].length *= factor;
        s.patella[i].above_knee *= factor;
    }
    s
}

/// `shape` with both shanks `factor` times as long.
pub fn scaled_shank(shape: &BodyShape, factor: f64) -> BodyShape {
    let mut s = shape.clone();
    for i in 0..2 {
        s.shank[i].length *= factor;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit_terms::FitConfig;
    use crate::model::{standing_pose, Kinematics, HIP};
    use crate::synth::{render, SynthCamera};

    /// Points of the model itself, rendered from a camera in front.
    fn cloud(shape: &BodyShape, q: &[f64; NP], cam: &SynthCamera) -> Vec<[f32; 3]> {
        let depth = render(shape, q, cam, false);
        depth
            .iter()
            .enumerate()
            .filter(|(_, &d)| d > 0)
            .map(|(i, &d)| {
                let p = cam.deproject(i, d as f64 * 0.001);
                [p.x as f32, p.y as f32, p.z as f32]
            })
            .collect()
    }

    /// The factor estimated from bent-knee renders of a model whose thighs are `truth` times
    /// as long as the calibration's.
    fn estimate(truth: f64) -> Option<f64> {
        let shape = BodyShape::from_stature(1.75);
        let (samples, cam) = bent_knee_samples(&scaled_thigh(&shape, truth));
        samples.thigh_factor(&shape, &cam, &FitConfig::default())
    }

    /// Bent-knee renders (45-81 deg of knee flexion, feet on the floor) of `truth_shape` from
    /// a camera in front, and the camera's position.
    fn bent_knee_samples(truth_shape: &BodyShape) -> (LengthSamples, V3) {
        let cam = SynthCamera::looking_at(V3::new(2.2, 1.0, 0.2), V3::new(0.0, 0.5, 0.0));
        let mut samples = LengthSamples::default();
        for k in 0..MIN_SAMPLES + 2 {
            let flex = (45.0 + 4.0 * k as f64).to_radians();
            let mut q = standing_pose([0.0, 0.0, 0.0], 0.0, 0.06);
            for side in Side::BOTH {
                let b = side_base(side);
                q[b + HIP] = 0.8 * flex;
                q[b + KNEE] = flex;
                q[b + 6] = 0.35 * flex;
            }
            // the lowest sole corner on the floor
            let kin = Kinematics::new(&q, truth_shape);
            let f = &truth_shape.foot[0];
            let low = [-f.heel, f.length - f.heel]
                .map(|x| (kin.ajc[0] + kin.r_foot[0] * V3::new(x, -f.ankle_height, 0.0)).y);
            q[1] = -low[0].min(low[1]);
            let pts = cloud(truth_shape, &q, &cam);
            let prior = Prior::uninformed(0.06);
            samples.offer(&pts, &q, &prior);
        }
        assert_eq!(samples.len(), MIN_SAMPLES + 2);
        (samples, cam.position())
    }

    #[test]
    fn bent_knee_frames_measure_the_thigh() {
        // thighs 8 % shorter and 8 % longer than calibrated: the estimates follow the truth
        // (the point-splat render of the test model biases both by about +3 %)
        let short = estimate(0.92).expect("an estimate");
        let long = estimate(1.08).expect("an estimate");
        assert!(
            (short - 0.92).abs() < 0.05,
            "short thigh: factor {short:.3}"
        );
        assert!((long - 1.08).abs() < 0.05, "long thigh: factor {long:.3}");
        assert!(
            ((long - short) - 0.16).abs() < 0.03,
            "difference {:.3}",
            long - short
        );
    }

    #[test]
    fn bent_knee_frames_measure_the_shank() {
        // shanks 8 % shorter and longer than calibrated, the thighs as calibrated: the
        // estimates move toward the truth, but only about 60 % of the way (the fit makes up
        // part of a shank's length at the foot); measured 0.94 and 1.04
        let shape = BodyShape::from_stature(1.75);
        let factor = |truth: f64| {
            let (samples, cam) = bent_knee_samples(&scaled_shank(&shape, truth));
            samples
                .shank_factor(&shape, &cam, &FitConfig::default())
                .expect("an estimate")
        };
        let (short, long) = (factor(0.92), factor(1.08));
        assert!(
            (0.91..0.97).contains(&short),
            "short shank: factor {short:.3}"
        );
        assert!((1.02..1.09).contains(&long), "long shank: factor {long:.3}");
        assert!(long - short > 0.08, "difference {:.3}", long - short);
    }

    #[test]
    fn straight_legs_give_no_estimate() {
        let mut samples = LengthSamples::default();
        let q = standing_pose([0.0, 0.9, 0.0], 0.0, 0.06);
        let prior = Prior::uninformed(0.06);
        for _ in 0..MAX_SAMPLES {
            samples.offer(&[[0.0, 0.5, 0.0]], &q, &prior);
        }
        assert!(samples.is_empty());
        let shape = BodyShape::from_stature(1.75);
        let none = samples.thigh_factor(&shape, &V3::new(2.0, 1.0, 0.0), &FitConfig::default());
        assert!(none.is_none());
    }
}
