//! The trunk's forward lean: the pelvis tilt prior of the fit, and the pelvis tilt the hip
//! angles are reported in.
//!
//! Depth points barely show the pelvis's tilt (it shifts hip flexion only). In a landing the
//! pelvis tilts forward with the trunk, by a fraction of the trunk's lean (lumbopelvic rhythm):
//! [`PELVIS_SHARE`]. The lean is measured on the front of the lower trunk, the band above the
//! pelvis that the leg fit leaves out: per height row the most forward points (90th
//! percentile), a line through them, its angle from vertical in the pelvis's sagittal plane.
//! What counts is the change from quiet standing (the front of a belly is not vertical). The
//! lean is used twice, with two references:
//!
//! - The fit's pelvis is an ellipsoid that also stands for the lower trunk. Its tilt prior
//!   follows the lean from the median of the frames tracked standing still in this trial
//!   ([`TrunkLean::pelvis_tilt`]; 0 before any). That reference also gathers frames the
//!   tracker reads as standing on a box, which keeps the prior near the ellipsoid's own stance
//!   there; referencing the calibration instead made the thigh-length refits fit the limbs a
//!   third worse (the ellipsoid held at the pelvis's tilt while the points show the trunk's).
//! - The anatomical pelvis, the frame the hip angles are reported in, tilts by the share of the
//!   lean from the subject calibration's static fit ([`TrunkLean::anatomical_tilt`]): many
//!   frames of quiet standing, a reference that leaning frames cannot move.

use nalgebra::Vector3;

use crate::model::Kinematics;

type V3 = Vector3<f64>;

/// Share of the trunk's forward lean taken up by pelvis tilt. In the reference drop-jump
/// motions (inverse kinematics of real landings) the pelvis tilted by about 0.4 of the lean
/// of the lower trunk's front; lumbopelvic rhythm studies give a third to a half.
pub const PELVIS_SHARE: f64 = 0.4;
/// Band above the pelvis origin measured, m.
const BAND: (f64, f64) = (0.12, 0.45);
/// Half-width of the band about the pelvis's midline (keeps the arms out), m.
const HALF_WIDTH: f64 = 0.12;
/// Height of a row, m.
const ROW: f64 = 0.03;
const ROWS: usize = 11;
/// Standing leans kept for the reference.
const STANDING: usize = 45;
/// Largest pelvis tilt the prior is moved to, and the anatomical pelvis tilted by, rad.
const MAX_TILT: f64 = 0.5;

/// The trunk's lean now, in the frames tracked standing, and in the calibration.
#[derive(Debug, Clone, Default)]
pub struct TrunkLean {
    now: Option<f64>,
    standing: Vec<f64>,
    /// The static fit's lean (the anatomical tilt's reference).
    calibrated: Option<f64>,
    rows: Vec<Vec<f64>>,
}

impl TrunkLean {
    /// With the subject calibration's standing lean (rad), if it has one.
    pub fn with_reference(calibrated: Option<f64>) -> TrunkLean {
        TrunkLean {
            calibrated: calibrated.filter(|r| r.is_finite()),
            ..TrunkLean::default()
        }
    }

    /// The lean (rad, forward positive) of the lower trunk's front in `points` (lab frame)
    /// around the pose `k`; `None` when too few rows of the band hold points.
    pub fn lean(points: &[[f32; 3]], k: &Kinematics) -> Option<f64> {
        TrunkLean::default().measure(points, k)
    }

    /// Measure the lean on the subject's `points` (lab frame) around the pose `k`; a frame
    /// tracked `standing` still also updates the fit prior's reference.
    pub fn update(&mut self, points: &[[f32; 3]], k: &Kinematics, standing: bool) {
        self.now = self.measure(points, k);
        if let (Some(l), true) = (self.now, standing) {
            if self.standing.len() == STANDING {
                self.standing.remove(0);
            }
            self.standing.push(l);
        }
    }

    fn measure(&mut self, points: &[[f32; 3]], k: &Kinematics) -> Option<f64> {
        let horizontal = |v: V3| V3::new(v.x, 0.0, v.z).try_normalize(1e-9);
        let fwd = horizontal(k.r_pelvis * V3::x())?;
        let lat = horizontal(k.r_pelvis * V3::z())?;
        self.rows.resize_with(ROWS, Vec::new);
        self.rows.iter_mut().for_each(Vec::clear);
        for p in points {
            let v = V3::new(p[0] as f64, p[1] as f64, p[2] as f64) - k.pelvis_o;
            if v.y <= BAND.0 || v.y >= BAND.1 || v.dot(&lat).abs() > HALF_WIDTH {
                continue;
            }
            let r = (((v.y - BAND.0) / ROW) as usize).min(ROWS - 1);
            self.rows[r].push(v.dot(&fwd));
        }
        // (height, front) per row with enough points
        // sums of h, front, h^2, h * front
        let mut fit = (0.0, 0.0, 0.0, 0.0);
        let mut n = 0usize;
        for (r, xs) in self.rows.iter_mut().enumerate() {
            if xs.len() < 5 {
                continue;
            }
            let i = ((xs.len() * 9) / 10).min(xs.len() - 1);
            let front = *xs.select_nth_unstable_by(i, f64::total_cmp).1;
            let h = BAND.0 + (r as f64 + 0.5) * ROW;
            fit = (fit.0 + h, fit.1 + front, fit.2 + h * h, fit.3 + h * front);
            n += 1;
        }
        if n < 5 {
            return None;
        }
        let nf = n as f64;
        let den = nf * fit.2 - fit.0 * fit.0;
        if den.abs() < 1e-12 {
            return None;
        }
        let slope = (nf * fit.3 - fit.0 * fit.1) / den;
        Some(slope.atan())
    }

    /// Centre of the pelvis tilt prior (the model's sign: negative tilts the front down), rad.
    pub fn pelvis_tilt(&self) -> f64 {
        let (Some(now), false) = (self.now, self.standing.is_empty()) else {
            return 0.0;
        };
        let mut s = self.standing.clone();
        let m = s.len() / 2;
        let reference = *s.select_nth_unstable_by(m, f64::total_cmp).1;
        (-PELVIS_SHARE * (now - reference)).clamp(-MAX_TILT, MAX_TILT)
    }

    /// Tilt of the anatomical pelvis from neutral (the model's sign: negative tilts the front
    /// down), rad: the share of the lean's change from the calibrated stance, at which the
    /// pelvis stands neutral. `None` without a calibrated reference or a lean in this frame.
    pub fn anatomical_tilt(&self) -> Option<f64> {
        let (now, reference) = (self.now?, self.calibrated?);
        Some((-PELVIS_SHARE * (now - reference)).clamp(-MAX_TILT, MAX_TILT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{standing_pose, Kinematics};
    use crate::shape::BodyShape;

    /// The front of a trunk above the pelvis, leaning forward by `lean` (rad).
    fn trunk_front(k: &Kinematics, lean: f64) -> Vec<[f32; 3]> {
        let mut out = Vec::new();
        for i in 0..40 {
            let h = 0.1 + 0.01 * i as f64;
            for j in -5..=5 {
                let z = 0.02 * j as f64;
                // the surface 12 cm in front of the axis; points behind it too
                for depth in [0.12, 0.05, 0.0] {
                    let p = k.pelvis_o + V3::new(depth + h * lean.tan(), h, z);
                    out.push([p.x as f32, p.y as f32, p.z as f32]);
                }
            }
        }
        out
    }

    #[test]
    fn leaning_forward_tilts_the_pelvis_prior_forward() {
        let shape = BodyShape::from_stature(1.75);
        let k = Kinematics::new(&standing_pose([0.0, 0.9, 0.0], 0.0, 0.06), &shape);
        let mut t = TrunkLean::default();
        // nothing known while there is no standing reference
        t.update(&trunk_front(&k, 0.3), &k, false);
        assert_eq!(t.pelvis_tilt(), 0.0);
        for _ in 0..5 {
            t.update(&trunk_front(&k, 0.05), &k, true);
        }
        assert!(t.pelvis_tilt().abs() < 1e-6);
        t.update(&trunk_front(&k, 0.45), &k, false);
        let want = -PELVIS_SHARE * 0.40;
        assert!(
            (t.pelvis_tilt() - want).abs() < 0.02,
            "{} vs {want}",
            t.pelvis_tilt()
        );
        // too few points: no lean, no prior
        t.update(&[], &k, false);
        assert_eq!(t.pelvis_tilt(), 0.0);
    }

    #[test]
    fn the_anatomical_tilt_follows_the_lean_from_the_calibrated_stance() {
        let shape = BodyShape::from_stature(1.75);
        let k = Kinematics::new(&standing_pose([0.0, 0.9, 0.0], 0.0, 0.06), &shape);
        let standing = TrunkLean::lean(&trunk_front(&k, 0.05), &k).expect("a lean");
        assert!((standing - 0.05).abs() < 0.01, "{standing}");
        let mut t = TrunkLean::with_reference(Some(standing));
        // leaning frames that the tracker took for standing (knees read straight) move the
        // fit prior's reference, not the calibrated one
        for _ in 0..10 {
            t.update(&trunk_front(&k, 0.6), &k, true);
        }
        let want = -PELVIS_SHARE * 0.55;
        let got = t.anatomical_tilt().expect("a tilt");
        assert!((got - want).abs() < 0.02, "{got} vs {want}");
        assert!(t.pelvis_tilt().abs() < 1e-6);
        // no calibrated reference, or no lean in this frame: no anatomical tilt
        let mut u = TrunkLean::with_reference(None);
        u.update(&trunk_front(&k, 0.6), &k, false);
        assert_eq!(u.anatomical_tilt(), None);
        t.update(&[], &k, false);
        assert_eq!(t.anatomical_tilt(), None);
    }
}
