//! The per-frame tracking pipeline: region of interest from the predicted pose, subject
//! segmentation, the articulated fit, joint angles, FPPA, arch height, joint centres and a
//! per-frame confidence.

#![allow(clippy::needless_range_loop)] // index loops over small fixed-size parameter arrays

use nalgebra::{Matrix3, Vector3};

use crate::angles::{fppa, Side};
use crate::calibrate::SubjectCalibration;
use crate::camera::{check_scale, RayTable};
use crate::error::Result;
use crate::fit::{DepthView, FitConfig, FitStats, Fitter, Prior};
use crate::fit_terms::{support_height, Support};
use crate::model::{
    pelvis_rotation, side_base, side_index, Kinematics, Seg, ANKLE, HIP, KNEE, NP, PELVIS_ROT,
};
use crate::noise::DepthNoise;
use crate::segment::{
    find_subject, learn_background, roi_from_bounds, segment_subject, Background, Capsule,
    LabBounds, SubjectPoints,
};
use crate::shape::BodyShape;
use crate::thigh_length::LengthSamples;
use crate::trunk::TrunkLean;
use std::sync::Arc;

type V3 = Vector3<f64>;

/// Allowance over the predicted rise onto the toes in the stance trunk cut, m.
const TOE_RISE_MARGIN: f64 = 0.03;

/// Frame interval the temporal prior's widths are set for, s (90 frames/s).
const REFERENCE_INTERVAL: f64 = 1.0 / 90.0;
/// A subject whose top stands this much (m) above the calibrated stature at the start of a
/// trial stands on something (below: noise in the top, a stature estimated from the legs when
/// the static trial cut the head off, and lower steps than a drop-jump box); above the upper
/// bound, something else (arms overhead).
const RAISED_MIN: f64 = 0.2;
const RAISED_MAX: f64 = 0.8;
/// Footprint of such a support around the subject's middle: behind, ahead, to either side, m.
const RAISED_FOOTPRINT: [f64; 3] = [0.5, 0.2, 0.4];
/// Subject points this far below its top, inside the footprint, are the box's face, m.
const RAISED_BELOW: f64 = 0.03;
/// Room around the predicted shanks and feet for the prediction's error, m.
const LIMB_MARGIN: f64 = 0.02;
/// How far below the predicted sole the limb capsules reach, m (the prediction's error).
const LIMB_BELOW_SOLE: f64 = 0.03;
/// Beyond the predicted foot's capsule, how far its lowest points are looked for, m.
const FOOT_SEARCH: f64 = 0.05;
/// Fewest points around a foot for their lowest to count.
const FOOT_MIN_POINTS: usize = 10;
/// Gravitational acceleration, m/s^2.
const GRAVITY: f64 = 9.81;
/// Fastest joint rotation carried into the prediction, rad/s (2000 deg/s: a landing's knee
/// flexes at up to about 1000 deg/s, the ankle at push-off at 500-900).
const MAX_JOINT_SPEED: f64 = 2000.0 * std::f64::consts::PI / 180.0;

/// Tracked frames at least this confident may size the thigh.
const LENGTH_CONFIDENCE: f64 = 0.6;

/// Per-side values in the order of `kneesight.conventions.side_columns`: 8 angles (deg),
/// arch height (mm), then hip, knee and ankle joint centres (lab, m).
pub const SIDE_VALUES: usize = 18;
/// Values per frame, left side first.
pub const N_VALUES: usize = 2 * SIDE_VALUES;

/// Why a frame is or is not tracked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Tracked,
    /// The frame's size or intrinsics do not match the calibration.
    BadFrame,
    /// No person found in the frame.
    NoSubject,
    /// Too few subject points for a fit.
    TooFewPoints,
    /// The fit does not explain the points well enough.
    PoorFit,
    /// A defect inside the pipeline was caught; the frame is skipped.
    InternalError,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Tracked => "tracked",
            Status::BadFrame => "bad_frame",
            Status::NoSubject => "no_subject",
            Status::TooFewPoints => "too_few_points",
            Status::PoorFit => "poor_fit",
            Status::InternalError => "internal_error",
        }
    }
}

/// The result of one frame.
#[derive(Debug, Clone)]
pub struct FrameOutput {
    pub status: Status,
    pub tracked: bool,
    /// In [0, 1].
    pub confidence: f64,
    /// Per-side values (see [`SIDE_VALUES`]); NaN where the data do not support them.
    pub values: [f64; N_VALUES],
    /// Pose parameters (NaN when not tracked).
    pub pose: [f64; NP],
    /// Standard deviation of each parameter (rad, m), NaN when not tracked.
    pub sd: [f64; NP],
    /// Segment rotations in the lab frame: the anatomical pelvis (the hip angles' parent; see
    /// [`crate::trunk`]), then per side (left first) thigh, shank, foot.
    pub frames: [Matrix3<f64>; 7],
    /// Subject points used by the fit.
    pub points: usize,
    /// Inlier RMS distance to the model, m.
    pub rms: f64,
    /// Height (lab y, m) of the lowest subject points around each foot, left first: the 5th
    /// percentile of those within `FOOT_SEARCH` of the predicted foot. Measured, not fitted:
    /// it leaves the floor the frame the toes do, where the fitted foot lags behind its
    /// temporal prior. NaN when fewer than `FOOT_MIN_POINTS` points lie there or the frame is
    /// not tracked.
    pub foot_lowest: [f64; 2],
}

impl FrameOutput {
    fn untracked(status: Status) -> FrameOutput {
        FrameOutput {
            status,
            tracked: false,
            confidence: 0.0,
            values: [f64::NAN; N_VALUES],
            pose: [f64::NAN; NP],
            sd: [f64::NAN; NP],
            frames: [Matrix3::from_element(f64::NAN); 7],
            points: 0,
            rms: f64::NAN,
            foot_lowest: [f64::NAN; 2],
        }
    }
}

/// Tuning of the tracker.
#[derive(Debug, Clone)]
pub struct TrackerConfig {
    pub fit: FitConfig,
    /// Fit configuration when (re)initialising.
    pub init_fit: FitConfig,
    /// Pixel stride of the segmentation.
    pub stride: usize,
    /// Below this confidence a frame is not tracked.
    pub min_confidence: f64,
    /// Fewest subject points for a fit.
    pub min_points: usize,
    /// Consecutive untracked frames before re-initialising from the whole frame.
    pub reinit_after: usize,
    /// Largest reported standard deviation of an angle, deg; above it the angle is NaN.
    pub max_angle_sd_deg: f64,
    /// Fraction of the last frame-to-frame change carried into the prediction of the slow
    /// (frontal, transverse, arch) degrees of freedom.
    pub slow_velocity: f64,
    /// The same for the fast ones (pelvis, flexion angles): a little below 1 keeps a drift
    /// along a poorly observed direction from feeding itself.
    pub fast_velocity: f64,
    /// Points higher than the pelvis ellipsoid's centre plus this fraction of its vertical
    /// semi-axis are left out. The ellipsoid's upper half is where the lower trunk begins, whose
    /// shape and lean it does not follow: its points pulled the pelvis (at 0.2, hip internal
    /// rotation read 2.4-3.3 deg high on the ground in phantom drop jumps, 1.5-2.3 deg at 0, and
    /// the ankles lagged a push-off by 15 mm on average, 11 mm at 0). At 0, only the lower half
    /// of the pelvis takes points.
    pub trunk_cut: f64,
    /// When the lowest subject points are within this height of the support, the subject
    /// stands on it (for the trunk cut), m.
    pub stance_reach: f64,
    /// When they come within the floor's noise band (what segmentation removes as floor) plus
    /// this, the lower foot is on the support and its sole is held there, m; it stays so while
    /// they are within `stance_reach`. Tighter than `stance_reach`: a foot a few cm above the
    /// floor just before landing is still in the air.
    pub contact_reach: f64,
    /// Standing on a support (the lowest points within `stance_reach` of it), the trunk cut is
    /// no higher than over a pelvis at a straight leg's height above the support.
    pub stance_trunk_cut: bool,
    /// A fitted pose whose lowest sole is this far above or below the lowest subject points on
    /// its side has lost the feet (legs folded up, or pushed through the box, in a local
    /// minimum): the frame is re-fitted from scratch, m.
    pub lost_feet: f64,
    /// Below this confidence a tracked fit is also tried from scratch (the better is kept).
    pub refit_below: f64,
    /// After a fresh start that did no better, frames before the next one for low confidence.
    pub refit_every: usize,
    /// After this long on the support the feet are taken to have settled on it: the ball of
    /// the lower foot stands on it (a toes-first landing has brought the foot down), s.
    pub settle_s: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            fit: FitConfig::default(),
            init_fit: FitConfig {
                iterations: 25,
                coarse_iterations: 20,
                ..FitConfig::default()
            },
            stride: 2,
            min_confidence: 0.3,
            min_points: 150,
            reinit_after: 2,
            max_angle_sd_deg: 15.0,
            slow_velocity: 0.3,
            fast_velocity: 0.8,
            trunk_cut: 0.0,
            stance_reach: 0.1,
            contact_reach: 0.01,
            stance_trunk_cut: true,
            lost_feet: 0.08,
            refit_below: 0.6,
            refit_every: 10,
            settle_s: 0.15,
        }
    }
}

/// Quiet standing on the floor: on it for at least [`QUIET_S`] (s), or in every frame since
/// tracking started (a trial begins with the subject standing), the knees straighter than
/// [`QUIET_KNEE`] (rad) and not bent past [`PUSH_KNEE`] (rad) for [`PUSH_S`] (s) (no push-off
/// under way); each foot whose surrounding points reach within [`FLAT_REACH`] (m) of the floor
/// stands flat on it.
const QUIET_S: f64 = 0.5;
const QUIET_KNEE: f64 = 15.0 * std::f64::consts::PI / 180.0;
const PUSH_KNEE: f64 = 25.0 * std::f64::consts::PI / 180.0;
const PUSH_S: f64 = 0.25;
const FLAT_REACH: f64 = 0.06;
/// The floor, not a box: a support lower than this (m).
const FLOOR_LEVEL: f64 = 0.02;

/// Tracks one subject through frames; holds the buffers and the recent poses.
#[derive(Debug, Clone)]
pub struct Tracker {
    pub cal: SubjectCalibration,
    pub cfg: TrackerConfig,
    fitter: Fitter,
    pts: SubjectPoints,
    /// Last tracked poses with their frame numbers (most recent last).
    history: Vec<(i64, [f64; NP])>,
    misses: usize,
    /// Depth noise (m) at the subject in the current frame.
    noise: f64,
    /// Height of the lowest subject points in the current frame (2nd percentile), m.
    lowest: Option<f64>,
    /// Lowest points around each predicted foot (see [`Prior::feet_lowest`]).
    feet_lowest: [Option<f64>; 2],
    /// Support height under the subject when the lowest points are within reach of it.
    stance_ground: Option<f64>,
    /// The calibration's background plus structure learnt from this trial's first frame (a
    /// box or platform that was not there in the static trial).
    bg: Background,
    scene_learnt: bool,
    /// Whether the first frame with the subject has been looked at for a raised stance.
    stance_checked: bool,
    /// The support the subject stood on at the start of the trial when no learnt structure
    /// explains it (see [`raised_support`]).
    raised: Option<Support>,
    /// Horizontal background patches (box tops) the feet may stand on.
    supports: Arc<Vec<Support>>,
    /// The most flexed tracked frames, for the thigh length.
    lengths: LengthSamples,
    /// Seconds between consecutive frame numbers (the camera's frame interval).
    frame_interval: f64,
    /// Frames to wait before trying a low-confidence frame from scratch again.
    refit_wait: usize,
    /// Consecutive frames with the lower foot on the support.
    stance_frames: usize,
    /// Every frame since the tracker started (or was reset) found the subject on the support:
    /// the subject has stood there from the start (see [`Self::quiet`]).
    stood_from_start: bool,
    /// The trunk's lean, now and standing: the pelvis tilt prior and the anatomical tilt.
    trunk: TrunkLean,
    /// Last tracked frame with a knee bent past [`PUSH_KNEE`].
    bent_frame: Option<i64>,
}

impl Tracker {
    pub fn new(cal: SubjectCalibration) -> Tracker {
        let cal_bg = cal.background.clone();
        let trunk = TrunkLean::with_reference(cal.standing_trunk_lean);
        Tracker {
            fitter: Fitter::new(cal.shape.clone()),
            cal,
            cfg: TrackerConfig::default(),
            pts: SubjectPoints::new(),
            history: Vec::new(),
            misses: 0,
            noise: 0.01,
            lowest: None,
            feet_lowest: [None; 2],
            stance_ground: None,
            supports: Arc::new(cal_bg.supports()),
            bg: cal_bg,
            scene_learnt: false,
            stance_checked: false,
            raised: None,
            lengths: LengthSamples::default(),
            frame_interval: REFERENCE_INTERVAL,
            refit_wait: 0,
            stance_frames: 0,
            stood_from_start: true,
            trunk,
            bent_frame: None,
        }
    }

    /// Set the camera's frame interval (s): above 1/90 s the temporal prior widens with the
    /// square root of the ratio (a 30 fps camera sees three times the motion between frames;
    /// widening in full proportion left the fit unstable), at most twice. Errors for a
    /// non-positive or non-finite interval.
    pub fn set_frame_interval(&mut self, seconds: f64) -> Result<()> {
        if !(seconds.is_finite() && seconds > 0.0 && seconds < 10.0) {
            return Err(crate::input_err!(
                "frame interval must be a positive number of seconds, got {seconds}"
            ));
        }
        self.frame_interval = seconds;
        Ok(())
    }

    /// Forget the motion history (the next frame re-initialises).
    pub fn reset(&mut self) {
        self.history.clear();
        self.misses = 0;
        self.bg = self.cal.background.clone();
        self.supports = Arc::new(self.bg.supports());
        self.scene_learnt = false;
        self.stance_checked = false;
        self.raised = None;
        self.lengths.clear();
        self.trunk = TrunkLean::with_reference(self.cal.standing_trunk_lean);
        self.bent_frame = None;
        self.stance_ground = None;
        self.stance_frames = 0;
        self.stood_from_start = true;
        self.refit_wait = 0;
    }

    /// The factor on the calibrated thigh length that best explains the trial's bent-knee
    /// frames so far (see [`crate::thigh_length`]), or `None` when they do not tell.
    pub fn thigh_length_factor(&self) -> Option<f64> {
        let cfg = self.scaled(&self.cfg.fit);
        self.lengths
            .thigh_factor(&self.cal.shape, &self.cal.lab.camera_position(), &cfg)
    }

    /// The factor on the calibrated shank length that best explains the trial's bent-knee
    /// frames, with the thighs `thigh_factor` times their calibrated length (see
    /// [`crate::thigh_length`]), or `None` when they do not tell. Errors for a thigh factor
    /// outside 0.75-1.25.
    pub fn shank_length_factor(&self, thigh_factor: f64) -> Result<Option<f64>> {
        let shape = self.cal.with_thigh_scale(thigh_factor)?.shape;
        let cfg = self.scaled(&self.cfg.fit);
        Ok(self
            .lengths
            .shank_factor(&shape, &self.cal.lab.camera_position(), &cfg))
    }

    /// Bent-knee frames kept for [`Self::thigh_length_factor`].
    pub fn thigh_length_frames(&self) -> usize {
        self.lengths.len()
    }

    /// Add the large planar structure of a trial frame (walls, a box or platform) to the
    /// background; the floor and noise level stay those of the calibration.
    fn learn_scene(&mut self, depth: &[u16], depth_scale: f32, rays: &RayTable) {
        self.scene_learnt = true;
        if let Ok(b) = learn_background(&[depth], depth_scale, rays, &self.cal.lab) {
            self.bg.patches.extend(b.patches);
        }
        self.supports = Arc::new(self.bg.supports());
    }

    fn prior(&self, predicted: Option<[f64; NP]>) -> Prior {
        Prior {
            predicted,
            valgus: self.cal.static_valgus_rad(),
            arch: self.cal.standing_arch,
            supports: self.supports.clone(),
            lowest_point: self.lowest,
            feet_lowest: self.feet_lowest,
            stance_ground: self.stance_ground,
            rising: self.rising(),
            settled: self.settled(),
            flat: self.standing_flat(),
            pelvis_tilt: self.trunk.pelvis_tilt(),
        }
    }

    /// Standing quietly on the floor (see [`QUIET_S`]). Seen from above (a camera 1.4 m up),
    /// a straight leg slides freely along its own axis and a foot can meet the hold on its
    /// ball by pointing its toes: quietly standing legs rose 5-17 cm on pointed toes, the
    /// holds relaxed for the rise and the trunk cut raised for the toes let them rise further,
    /// and they fell back, over and over.
    fn quiet(&self) -> bool {
        let (Some(ground), Some(&(last, q))) = (self.stance_ground, self.history.last()) else {
            return false;
        };
        let pushed = self
            .bent_frame
            .is_some_and(|b| ((last - b) as f64) * self.frame_interval <= PUSH_S);
        ground.abs() < FLOOR_LEVEL
            && (self.stood_from_start || self.stance_frames as f64 * self.frame_interval >= QUIET_S)
            && !pushed
            && Side::BOTH
                .iter()
                .all(|&s| q[side_base(s) + KNEE] < QUIET_KNEE)
    }

    /// Per side: the foot stands flat on the floor (quiet standing, the points around it
    /// reaching down to the floor): heel and toe are held on it.
    fn standing_flat(&self) -> [bool; 2] {
        if !self.quiet() {
            return [false; 2];
        }
        self.feet_lowest
            .map(|low| low.is_some_and(|l| l.abs() < FLAT_REACH))
    }

    /// Whether the lower foot has stood on the support for `settle_s` or longer.
    fn settled(&self) -> bool {
        self.stance_frames as f64 * self.frame_interval >= self.cfg.settle_s
    }

    /// Upward speed of the pelvis between the last two tracked frames while the knees
    /// straighten ([`rise_speed`]), m/s (0 if unknown, or standing quietly on the floor: see
    /// [`Self::quiet`]).
    fn rising(&self) -> f64 {
        if self.quiet() {
            return 0.0;
        }
        match self.history.as_slice() {
            [.., (f0, q0), (f1, q1)] => {
                rise_speed(q0, q1, (f1 - f0).max(1) as f64 * self.frame_interval)
            }
            _ => 0.0,
        }
    }

    /// Constant-velocity prediction for frame `frame`.
    fn predict(&self, frame: i64) -> Option<[f64; NP]> {
        let (f1, q1) = *self.history.last()?;
        if self.history.len() < 2 {
            return Some(q1);
        }
        let (f0, q0) = self.history[self.history.len() - 2];
        let gap = (f1 - f0).max(1) as f64;
        let ahead = ((frame - f1).max(1) as f64).min(5.0);
        let mut q = q1;
        for k in 0..NP {
            // the velocity of two noisy poses is noisier still: full constant velocity only for
            // the fast degrees of freedom (pelvis, flexion), damped for the slow ones
            let fast = k < 6 || matches!((k - 6) % 9, 0 | 3 | 6);
            let damp = if fast {
                self.cfg.fast_velocity
            } else {
                self.cfg.slow_velocity
            };
            let step = carried_step(k, (q1[k] - q0[k]) / gap, self.frame_interval);
            q[k] += damp * step * ahead;
        }
        if self.stance_ground.is_none() {
            // in the air (stepping off, in flight) the pelvis, near the centre of mass, falls
            // freely: full vertical velocity and gravity's pull over the frames ahead
            let dt = ahead * self.frame_interval;
            q[1] = q1[1] + (q1[1] - q0[1]) / gap * ahead - 0.5 * GRAVITY * dt * dt;
        }
        Some(q)
    }

    /// Track one depth frame (row-major `u16`, `depth_scale` m per unit) with the ray table of
    /// its intrinsics. Errors only for malformed arguments (size mismatch, bad scale); frames
    /// that cannot be tracked come back with `tracked == false` and NaN values.
    ///
    /// A defect inside the pipeline (a panic) is contained: the frame comes back untracked with
    /// status `internal_error`, the tracker resets its buffers, and tracking goes on.
    pub fn track(
        &mut self,
        depth: &[u16],
        depth_scale: f32,
        rays: &RayTable,
        frame: i64,
    ) -> Result<FrameOutput> {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.track_inner(depth, depth_scale, rays, frame)
        }));
        match r {
            Ok(out) => out,
            Err(_) => {
                // the buffers may be half-written; the motion history is still good
                self.pts = SubjectPoints::new();
                self.miss();
                Ok(FrameOutput::untracked(Status::InternalError))
            }
        }
    }

    fn track_inner(
        &mut self,
        depth: &[u16],
        depth_scale: f32,
        rays: &RayTable,
        frame: i64,
    ) -> Result<FrameOutput> {
        check_scale(depth_scale)?;
        let intr = *rays.intrinsics();
        if depth.len() != intr.width * intr.height {
            return Err(crate::input_err!(
                "frame {frame}: depth has {} pixels, the intrinsics describe {}x{}",
                depth.len(),
                intr.width,
                intr.height
            ));
        }
        if intr.width != self.cal.width || intr.height != self.cal.height {
            return Ok(FrameOutput::untracked(Status::BadFrame));
        }
        if !self.scene_learnt {
            self.learn_scene(depth, depth_scale, rays);
        }
        let lab = self.cal.lab;
        let bg = &self.bg;
        let predicted = if self.misses <= self.cfg.reinit_after {
            self.predict(frame)
        } else {
            None
        };
        self.pts.limbs.clear();
        let (q_pred, bounds) = match predicted {
            Some(q) => {
                // the predicted pose bounds the region and says where the legs will be
                let k = Kinematics::new(&q, &self.cal.shape);
                self.pts
                    .limbs
                    .extend(limb_capsules(&k, &self.cal.shape, &self.supports));
                (Some(q), self.model_bounds(&k))
            }
            None => {
                let Some(b) = find_subject(depth, depth_scale, rays, &lab, bg)? else {
                    self.miss();
                    return Ok(FrameOutput::untracked(Status::NoSubject));
                };
                (None, b)
            }
        };
        let roi = match roi_from_bounds(&bounds, &lab, &intr, self.cfg.stride) {
            Some(r) => r,
            None => {
                self.miss();
                return Ok(FrameOutput::untracked(Status::NoSubject));
            }
        };
        segment_subject(
            depth,
            depth_scale,
            rays,
            &lab,
            bg,
            &roi,
            &bounds,
            &mut self.pts,
        )?;
        if self.pts.points.len() < self.cfg.min_points {
            self.miss();
            return Ok(FrameOutput::untracked(Status::TooFewPoints));
        }
        if !self.stance_checked {
            self.stance_checked = true;
            // only with the head in view: a top cut off by the image says nothing of the stance
            let top_row = self
                .pts
                .pixels
                .iter()
                .min()
                .map_or(0, |&p| p as usize / intr.width);
            self.raised = if top_row > 2 {
                raised_support(
                    &self.pts.points,
                    self.cal.stature,
                    &self.supports,
                    &bg.noise,
                    &lab.camera_position(),
                )
            } else {
                None
            };
            if let Some(r) = self.raised {
                let mut v = (*self.supports).clone();
                v.push(r);
                self.supports = Arc::new(v);
            }
        }
        if let Some(r) = self.raised {
            // below the top of the box the subject started on, inside its footprint: its front
            // face, which the background did not learn
            let inside = |p: &[f32; 3]| {
                let (x, y, z) = (p[0] as f64, p[1] as f64, p[2] as f64);
                y < r.y - RAISED_BELOW
                    && (r.x.0..=r.x.1).contains(&x)
                    && (r.z.0..=r.z.1).contains(&z)
            };
            self.pts.points.retain(|p| !inside(p));
            if self.pts.points.len() < self.cfg.min_points {
                self.miss();
                return Ok(FrameOutput::untracked(Status::TooFewPoints));
            }
        }
        let init = q_pred.is_none();
        let q0 = match q_pred {
            Some(q) => q,
            None => self.initial_pose(&self.pts.points),
        };
        // the legs and the lower trunk: drop what is well above the pelvis
        let k0 = Kinematics::new(&q0, &self.cal.shape);
        let pl = &self.cal.shape.pelvis;
        let mut top = k0.pelvis_o.y + pl.centre[1] + self.cfg.trunk_cut * pl.semi[1];
        if self.cfg.stance_trunk_cut {
            top = top.min(self.stance_trunk_top(&q0, &k0).unwrap_or(f64::INFINITY));
        }
        // the trunk's lean before its points are dropped: the pelvis tilts with it
        let standing = Side::BOTH
            .iter()
            .all(|&s| q0[side_base(s) + KNEE] < 10f64.to_radians())
            && self.rising() < 0.05;
        self.trunk.update(&self.pts.points, &k0, standing);
        let points: &mut Vec<[f32; 3]> = &mut self.pts.points;
        points.retain(|p| (p[1] as f64) < top);
        if points.len() < self.cfg.min_points {
            self.miss();
            return Ok(FrameOutput::untracked(Status::TooFewPoints));
        }
        // depth noise at the subject's distance sets the scale of the residuals
        let cam_pos = lab.camera_position();
        let step = (points.len() / 64).max(1);
        let mut ranges: Vec<f64> = points
            .iter()
            .step_by(step)
            .map(|p| (V3::new(p[0] as f64, p[1] as f64, p[2] as f64) - cam_pos).norm())
            .collect();
        let mut ys: Vec<f64> = points.iter().step_by(step).map(|p| p[1] as f64).collect();
        let k2 = ys.len() / 50;
        let low = *ys.select_nth_unstable_by(k2, f64::total_cmp).1;
        self.lowest = Some(low);
        // the lowest points around each predicted foot: stepping off a box, the foot still on
        // it keeps it under it while the other reaches below
        let caps = limb_capsules(&k0, &self.cal.shape, &self.supports);
        self.feet_lowest = [caps[1], caps[3]].map(|c| {
            let wide = Capsule {
                radius: c.radius + FOOT_SEARCH as f32,
                min_y: f32::NEG_INFINITY,
                ..c
            };
            let mut heights: Vec<f64> = points
                .iter()
                .filter(|p| wide.contains(&nalgebra::Vector3::new(p[0], p[1], p[2])))
                .map(|p| p[1] as f64)
                .collect();
            if heights.len() < FOOT_MIN_POINTS {
                return None;
            }
            let k = heights.len() / 20;
            Some(*heights.select_nth_unstable_by(k, f64::total_cmp).1)
        });
        let mid = ranges.len() / 2;
        let range = *ranges.select_nth_unstable_by(mid, f64::total_cmp).1;
        let ground = support_height(&self.supports, q0[0], q0[2], low + 0.05);
        let sp = &bg.params;
        let band = (sp.floor_sigmas * bg.noise.sigma(range)).max(sp.floor_min);
        // hysteresis: a foot on the support stays on it while the lowest points are within
        // `stance_reach` (knees hide the feet in a deep squat), but a landing foot counts only
        // once they reach the floor's noise band
        let reach = if self.stance_ground.is_some() {
            self.cfg.stance_reach.max(band + self.cfg.contact_reach)
        } else {
            band + self.cfg.contact_reach
        };
        self.stance_ground = (low - ground < reach).then_some(ground);
        self.stood_from_start &= self.stance_ground.is_some();
        self.stance_frames = if self.stance_ground.is_some() {
            self.stance_frames + 1
        } else {
            0
        };
        // plus about 1 cm of model-versus-body shape difference
        let noise = bg.noise.sigma(range).hypot(0.01);
        self.noise = noise;
        let cam = lab.camera_position();
        let rt = lab.rotation.transpose();
        let dv = DepthView {
            depth,
            width: intr.width,
            height: intr.height,
            scale: depth_scale as f64,
            fx: intr.fx as f64,
            fy: intr.fy as f64,
            ppx: intr.ppx as f64,
            ppy: intr.ppy as f64,
            cam_r: rt,
            cam_t: -(rt * lab.translation),
        };
        let mut q = q0;
        let mut stats = if init {
            self.initial_fit(&mut q, &cam, &dv)
        } else {
            let prior = self.prior(Some(q0));
            let cfg = self.scaled(&self.cfg.fit);
            self.fitter
                .fit(&mut q, &self.pts.points, &cam, Some(&dv), &prior, &cfg)
        };
        // a wrong minimum (legs folded up above the lowest points, a leg stuck straight while
        // the points show it bent) does not recover by itself: a fresh start usually finds the
        // right one; it replaces the tracked fit when it explains clearly more of the points
        let mut out = self.output(&q, &stats);
        let lost = self.feet_lost(&q);
        self.refit_wait = self.refit_wait.saturating_sub(1);
        let poor = out.confidence < self.cfg.refit_below && self.refit_wait == 0;
        if !init && (lost || poor) {
            let mut q2 = self.initial_pose(&self.pts.points);
            let st2 = self.initial_fit(&mut q2, &cam, &dv);
            let better = st2.inliers as f64 > 1.05 * stats.inliers as f64;
            if !self.feet_lost(&q2) && (better || (lost && st2.inliers >= stats.inliers)) {
                q = q2;
                stats = st2;
                out = self.output(&q, &stats);
            } else {
                // a fresh start did no better: the data are poor (a pose the model cannot take,
                // heavy occlusion); do not pay for it again every frame
                self.refit_wait = self.cfg.refit_every;
            }
        }
        if out.tracked && out.confidence >= LENGTH_CONFIDENCE {
            let prior = self.prior(None);
            self.lengths.offer(&self.pts.points, &q, &prior);
        }
        if out.tracked {
            self.misses = 0;
            if Side::BOTH
                .iter()
                .any(|&s| q[side_base(s) + KNEE] > PUSH_KNEE)
            {
                self.bent_frame = Some(frame);
            }
            self.history.push((frame, q));
            if self.history.len() > 2 {
                self.history.remove(0);
            }
        } else {
            self.miss();
        }
        Ok(out)
    }

    /// The highest the trunk cut may be when the subject stands (lab y, m), or `None` when the
    /// lowest subject points do not reach down to the support under the pelvis.
    ///
    /// A cut that follows a pelvis predicted too high takes in more of the trunk, which pulls
    /// the pelvis higher still; the legs then bend and the feet point down to reach the floor
    /// (seen after landings, when the subject stands up). Over a support, no pelvis is higher
    /// than a straight leg's standing height.
    fn stance_trunk_top(&self, q0: &[f64; NP], k0: &Kinematics) -> Option<f64> {
        let pts = &self.pts.points;
        if pts.is_empty() {
            return None;
        }
        let step = (pts.len() / 64).max(1);
        let mut ys: Vec<f64> = pts.iter().step_by(step).map(|p| p[1] as f64).collect();
        let k = ys.len() / 50;
        let low = *ys.select_nth_unstable_by(k, f64::total_cmp).1;
        let shape = &self.cal.shape;
        let leg = Side::BOTH
            .map(|s| crate::model::standing_height(shape, s))
            .into_iter()
            .fold(0.0, f64::max);
        // the highest support under the pelvis: stepping off a box, the lowest points are the
        // foot reaching down while the subject still stands on the box
        let ground = support_height(&self.supports, q0[0], q0[2], k0.pelvis_o.y - 0.5 * leg);
        // rising onto the toes (a take-off) lifts the hips by the forefoot's length times the
        // sine of the plantar flexion, as predicted (plus a little: the prediction lags); not
        // in quiet standing (see `quiet`)
        let toes = if self.quiet() {
            0.0
        } else {
            Side::BOTH
                .map(|s| {
                    let f = &shape.foot[side_index(s)];
                    let pf = (-q0[side_base(s) + ANKLE]).clamp(0.0, 60f64.to_radians());
                    (f.length - f.heel) * pf.sin()
                })
                .into_iter()
                .fold(0.0, f64::max)
        };
        (low - ground < self.cfg.stance_reach).then(|| {
            ground
                + leg
                + toes
                + TOE_RISE_MARGIN
                + shape.pelvis.centre[1]
                + self.cfg.trunk_cut * shape.pelvis.semi[1]
        })
    }

    /// A fit configuration with residual scales set by the current depth noise.
    fn scaled(&self, c: &FitConfig) -> FitConfig {
        let mut c = c.clone();
        c.noise = self.noise;
        c.robust_scale = (2.5 * self.noise).max(0.02);
        let slower = (self.frame_interval / REFERENCE_INTERVAL)
            .clamp(1.0, 4.0)
            .sqrt();
        c.temporal_sd.iter_mut().for_each(|s| *s *= slower);
        c
    }

    fn miss(&mut self) {
        self.misses += 1;
        if self.misses > self.cfg.reinit_after {
            self.history.clear();
        }
    }

    /// Standing and half-squat hypotheses at the subject's place; keep the better fit.
    fn initial_fit(&mut self, q: &mut [f64; NP], cam: &V3, dv: &DepthView<'_>) -> FitStats {
        let prior = self.prior(None);
        let cfg = self.scaled(&self.cfg.init_fit);
        let mut best: Option<([f64; NP], FitStats)> = None;
        for squat in [0.0, 1.0] {
            let mut cand = *q;
            if squat > 0.0 {
                for side in Side::BOTH {
                    let b = side_base(side);
                    cand[b + HIP] = 45f64.to_radians();
                    cand[b + KNEE] = 80f64.to_radians();
                    cand[b + ANKLE] = 30f64.to_radians();
                }
                cand[1] -= 0.12 * crate::model::standing_height(&self.cal.shape, Side::Right);
            }
            let st = self
                .fitter
                .fit(&mut cand, &self.pts.points, cam, Some(dv), &prior, &cfg);
            if best.as_ref().is_none_or(|b| st.cost < b.1.cost) {
                best = Some((cand, st));
            }
        }
        let (qb, st) = best.expect("two hypotheses");
        *q = qb;
        st
    }

    /// Standing pose over the subject's points: the soles at the lowest points, the pelvis
    /// above the middle of the legs (a little behind the visible surface), facing the lab X.
    fn initial_pose(&self, pts: &[[f32; 3]]) -> [f64; NP] {
        let shape = &self.cal.shape;
        let h = crate::model::standing_height(shape, Side::Right);
        let step = (pts.len() / 400).max(1);
        let mut ys: Vec<f64> = pts.iter().step_by(step).map(|p| p[1] as f64).collect();
        let k = ys.len() / 50;
        let sole = *ys.select_nth_unstable_by(k, f64::total_cmp).1;
        let legs: Vec<&[f32; 3]> = pts
            .iter()
            .step_by(step)
            .filter(|p| (p[1] as f64) < sole + h)
            .collect();
        let med = |f: &dyn Fn(&[f32; 3]) -> f64| {
            let mut v: Vec<f64> = legs.iter().map(|p| f(p)).collect();
            if v.is_empty() {
                return 0.0;
            }
            let m = v.len() / 2;
            *v.select_nth_unstable_by(m, f64::total_cmp).1
        };
        let (cx, cz) = (med(&|p| p[0] as f64), med(&|p| p[2] as f64));
        // standing on a box whose top hides the feet: the soles are on the box
        let ground = support_height(&self.supports, cx, cz, sole + 0.05);
        let sole = if sole - ground < 0.2 { ground } else { sole };
        let cam = self.cal.lab.camera_position();
        let back = V3::new(cx - cam.x, 0.0, cz - cam.z)
            .try_normalize(1e-9)
            .unwrap_or_else(V3::zeros)
            * 0.05;
        let mut q = self.cal.static_pose;
        q[0] = cx + back.x;
        q[1] = sole.max(0.0) + h;
        q[2] = cz + back.z;
        q
    }

    /// Whether a foot of the model at pose `q` is far above or below the lowest subject points
    /// on its side of the pelvis (more than `lost_feet`): a leg folded up, or pushed through
    /// the box, in a wrong minimum.
    fn feet_lost(&self, q: &[f64; NP]) -> bool {
        let k = Kinematics::new(q, &self.cal.shape);
        let lateral = k.r_pelvis * V3::z();
        let pts = &self.pts.points;
        let step = (pts.len() / 400).max(1);
        let mut ys: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        for p in pts.iter().step_by(step) {
            let v = V3::new(p[0] as f64, p[1] as f64, p[2] as f64);
            // index 0 left (lab -z side of the pelvis), 1 right
            let i = usize::from((v - k.pelvis_o).dot(&lateral) > 0.0);
            ys[i].push(v.y);
        }
        (0..2).any(|i| {
            if ys[i].len() < 20 {
                return false;
            }
            let n = ys[i].len() / 50;
            let low = *ys[i].select_nth_unstable_by(n, f64::total_cmp).1;
            let f = &self.cal.shape.foot[i];
            let sole = [-f.heel, f.length - f.heel]
                .map(|x| (k.ajc[i] + k.r_foot[i] * V3::new(x, -f.ankle_height, 0.0)).y);
            // folded up above them, or sunk through the support below them (the lowest points
            // are at most the floor's noise band above the sole)
            (sole[0].min(sole[1]) - low).abs() > self.cfg.lost_feet
        })
    }

    /// A lab box around the model posed as `k`, grown for motion and segment girth.
    fn model_bounds(&self, k: &Kinematics) -> LabBounds {
        let mut min = V3::repeat(f64::INFINITY);
        let mut max = V3::repeat(f64::NEG_INFINITY);
        let mut add = |p: V3| {
            min = min.inf(&p);
            max = max.sup(&p);
        };
        add(k.pelvis_o + V3::new(0.0, self.cal.shape.pelvis.semi[1] + 0.1, 0.0));
        for i in 0..2 {
            add(k.hjc[i]);
            add(k.kjc[i]);
            add(k.ajc[i]);
            let f = &self.cal.shape.foot[i];
            add(k.ajc[i] + k.r_foot[i] * V3::new(f.length - f.heel, 0.0, 0.0));
            add(k.ajc[i] + k.r_foot[i] * V3::new(-f.heel, 0.0, 0.0));
        }
        let mut b = LabBounds { min, max }.expanded(0.3);
        b.min.y = b.min.y.min(-0.05);
        b
    }

    fn output(&self, q: &[f64; NP], st: &FitStats) -> FrameOutput {
        let shape = &self.cal.shape;
        let k = Kinematics::new(q, shape);
        let used = st.used_points.max(1) as f64;
        let inlier_frac = st.inliers as f64 / used;
        let noise = self.noise;
        let c_rms = if st.rms.is_finite() {
            (-(st.rms / (1.5 * noise) - 1.0).max(0.0)).exp()
        } else {
            0.0
        };
        // coverage of each leg by inlier points (thigh and shank), and whether the foot is seen
        let mut coverage = [0.0; 2];
        let mut foot = [0.0; 2];
        for side in Side::BOTH {
            let n = |s: Seg| st.seg_points[s.index()] as f64;
            let i = side_index(side);
            coverage[i] =
                (n(Seg::Thigh(side)) / 25.0).min(1.0) * (n(Seg::Shank(side)) / 20.0).min(1.0);
            foot[i] = (n(Seg::Foot(side)) / 5.0).min(1.0);
        }
        let legs = 0.5 * (coverage[0] + coverage[1]);
        let feet = 0.5 * (foot[0] + foot[1]);
        let confidence = (inlier_frac * c_rms * legs * (0.75 + 0.25 * feet)).clamp(0.0, 1.0);
        let tracked =
            confidence >= self.cfg.min_confidence && st.used_points >= self.cfg.min_points;
        if !tracked {
            let mut o = FrameOutput::untracked(Status::PoorFit);
            o.confidence = confidence;
            o.points = st.used_points;
            o.rms = st.rms;
            return o;
        }
        let mut values = [f64::NAN; N_VALUES];
        let max_sd = self.cfg.max_angle_sd_deg.to_radians();
        // the hip angles are reported in the anatomical pelvis: the fitted ellipsoid's yaw and
        // obliquity, tilted from neutral by the share of the trunk's lean from the calibrated
        // stance (the fitted tilt where there is none; see `crate::trunk`)
        let r_pelvis = match self.trunk.anatomical_tilt() {
            Some(t) => pelvis_rotation(q[3], t, q[5]),
            None => k.r_pelvis,
        };
        for side in Side::BOTH {
            let i = side_index(side);
            if coverage[i] < 0.25 {
                continue; // this leg is not seen well enough
            }
            let b = side_base(side);
            let v = &mut values[i * SIDE_VALUES..(i + 1) * SIDE_VALUES];
            let [hip, knee, ankle] = k.leg_angles(side, &r_pelvis);
            let ok = |p: usize| st.sd[b + p].is_finite() && st.sd[b + p] <= max_sd;
            for j in 0..3 {
                v[j] = if ok(HIP + j) { hip[j] } else { f64::NAN };
                v[3 + j] = if ok(KNEE + j) { knee[j] } else { f64::NAN };
            }
            let foot_seen = foot[i] >= 1.0;
            v[6] = if ok(ANKLE) && foot_seen {
                ankle[0]
            } else {
                f64::NAN
            };
            let a = |p: V3| [p.x, p.y, p.z];
            v[7] = fppa(side, a(k.hjc[i]), a(k.kjc[i]), a(k.ajc[i]));
            v[8] = if foot_seen {
                k.arch[i] * 1000.0
            } else {
                f64::NAN
            };
            for (j, p) in [k.hjc[i], k.kjc[i], k.ajc[i]].iter().enumerate() {
                v[9 + 3 * j..12 + 3 * j].copy_from_slice(&a(*p));
            }
        }
        FrameOutput {
            status: Status::Tracked,
            tracked,
            confidence,
            values,
            pose: *q,
            sd: st.sd,
            frames: [
                r_pelvis,
                k.r_thigh[0],
                k.r_shank[0],
                k.r_foot[0],
                k.r_thigh[1],
                k.r_shank[1],
                k.r_foot[1],
            ],
            points: st.used_points,
            rms: st.rms,
            foot_lowest: self.feet_lowest.map(|v| v.unwrap_or(f64::NAN)),
        }
    }
}

/// Upward speed of the pelvis from pose `q0` to pose `q1`, `dt` s later, m/s: 0 unless it
/// rises while the knees straighten. A rise onto the toes straightens the knees; a pelvis
/// going up on bending knees is a fit drifting along the legs (the feet erased by the
/// support's noise band, a D435 3 m away), and the rise would loosen the hold on the sole
/// that keeps it from drifting further.
fn rise_speed(q0: &[f64; NP], q1: &[f64; NP], dt: f64) -> f64 {
    let knees = |q: &[f64; NP]| {
        Side::BOTH
            .iter()
            .map(|&s| q[side_base(s) + KNEE])
            .sum::<f64>()
    };
    if knees(q1) >= knees(q0) {
        return 0.0;
    }
    ((q1[1] - q0[1]) / dt).max(0.0)
}

/// The change per frame of parameter `k` carried into the prediction, from its last change
/// `step` per frame of `interval` s: none for an angle that turned faster than
/// [`MAX_JOINT_SPEED`]. That is a fit that jumped (a foot flipped from toes down to toes up
/// as it met the floor), not motion; carried on, it drives the next frame to the joint's
/// limit.
fn carried_step(k: usize, step: f64, interval: f64) -> f64 {
    if k >= PELVIS_ROT && step.abs() > MAX_JOINT_SPEED * interval {
        0.0
    } else {
        step
    }
}

/// Capsules around the shanks and feet of a pose (see [`SubjectPoints::limbs`]): each
/// segment's widest section and [`LIMB_MARGIN`] around its axis (the foot's: its mid-height
/// line), cut at the top of a support (`supports`) under the ankle, elsewhere
/// [`LIMB_BELOW_SOLE`] below the lowest corner of the side's sole.
fn limb_capsules(k: &Kinematics, shape: &BodyShape, supports: &[Support]) -> [Capsule; 4] {
    let side = |i: usize| {
        let sh = &shape.shank[i];
        let widest = sh.ax.iter().chain(&sh.az).fold(0.0f64, |m, &v| m.max(v));
        let f = &shape.foot[i];
        let mid = -0.5 * f.ankle_height;
        let heel = k.ajc[i] + k.r_foot[i] * V3::new(-f.heel, mid, 0.0);
        let toe = k.ajc[i] + k.r_foot[i] * V3::new(f.length - f.heel, mid, 0.0);
        // a foot standing at a box's front edge: its capsule reaches below the box top, into
        // the face's noise band; the face's points taken for the foot pulled the fit down into
        // the box, and the capsule with it, a little more every frame. Over a box (the ankle
        // inside its footprint) nothing below its top is the foot, however low the prediction
        // has sunk; stepping off, the foot leaves the footprint before it goes down
        let top = support_height(supports, k.ajc[i].x, k.ajc[i].z, f64::INFINITY);
        let min_y = if top > FLOOR_LEVEL {
            top
        } else {
            let sole = [(-f.heel, f.width[0]), (f.length - f.heel, f.width[1])]
                .iter()
                .flat_map(|&(x, w)| {
                    [-0.5, 0.5]
                        .map(|s| (k.ajc[i] + k.r_foot[i] * V3::new(x, -f.ankle_height, s * w)).y)
                })
                .fold(f64::INFINITY, f64::min);
            sole - LIMB_BELOW_SOLE
        } as f32;
        [
            Capsule {
                a: k.kjc[i].cast::<f32>(),
                b: k.ajc[i].cast::<f32>(),
                radius: (widest + LIMB_MARGIN) as f32,
                min_y,
            },
            Capsule {
                a: heel.cast::<f32>(),
                b: toe.cast::<f32>(),
                radius: (0.5 * f.ankle_height.max(f.width[1]) + LIMB_MARGIN) as f32,
                min_y,
            },
        ]
    };
    let ([a, b], [c, d]) = (side(0), side(1));
    [a, b, c, d]
}

/// The support under a subject who starts the trial standing on something the background does
/// not show (a box whose front face is lost in the depth noise, about 3 m away): the top of
/// the subject's points `pts` (lab, m) stands higher than the `stature` by the box's height.
/// That height is then read where the box's face, joined to the subject's points, shows its
/// top edge ([`face_top`]): a subject crouching or leaning to drop stands lower than the
/// stature (7 cm on a phantom drop jump from real motion). Its footprint reaches
/// [`RAISED_FOOTPRINT`] around the subject's middle (from the front edge, a little ahead of
/// the feet, to well behind them); its front edge is the face's noisy slab when the face
/// shows (a foot fitted across a misplaced edge meets a step in the cost and stays caught
/// there). `None` when the subject stands on the floor or on one of the `supports` already
/// known. `noise` and `eye` (the camera centre, lab) set the face's thickness.
fn raised_support(
    pts: &[[f32; 3]],
    stature: f64,
    supports: &[Support],
    noise: &DepthNoise,
    eye: &V3,
) -> Option<Support> {
    if pts.is_empty() {
        return None;
    }
    let med = |k: usize| {
        let mut v: Vec<f64> = pts.iter().map(|p| p[k] as f64).collect();
        let m = v.len() / 2;
        *v.select_nth_unstable_by(m, f64::total_cmp).1
    };
    let mut ys: Vec<f64> = pts.iter().map(|p| p[1] as f64).collect();
    let k = ((ys.len() * 995) / 1000).min(ys.len() - 1);
    let top = *ys.select_nth_unstable_by(k, f64::total_cmp).1;
    let raise = top - stature;
    if !(RAISED_MIN..RAISED_MAX).contains(&raise) {
        return None;
    }
    let (cx, cz) = (med(0), med(2));
    if support_height(supports, cx, cz, raise + 0.1) > raise - 0.1 {
        return None;
    }
    let range = (V3::new(cx, raise, cz) - eye).norm();
    let thick = noise.tol(range, 2.0, 0.03).min(0.1);
    let f = RAISED_FOOTPRINT;
    // the face's points, spread by the noise, lie within the footprint (they are removed)
    let (raise, front) =
        face_top(pts, raise, cx, cz, thick).map_or((raise, cx + f[1]), |(top, x)| (top, x + thick));
    Some(Support {
        y: raise,
        x: (cx - f[0], front),
        z: (cz - f[2], cz + f[2]),
    })
}

/// Height bins of [`face_top`], m.
const FACE_BIN: f64 = 0.02;

/// The top edge and the lab X of a box's front face among the subject points `pts` (lab, m)
/// around (`cx`, `cz`), near the estimated top `est`: the frontmost slab of points (`thick`
/// deep) is dense over the face's width from the floor band up to its top, and thin above it
/// (only toes at the edge, or shins). `None` when no such face shows, or its top is more than
/// 0.15 m from `est`.
fn face_top(pts: &[[f32; 3]], est: f64, cx: f64, cz: f64, thick: f64) -> Option<(f64, f64)> {
    let f = RAISED_FOOTPRINT;
    let near = |p: &&[f32; 3]| {
        let (x, z) = (p[0] as f64, p[2] as f64);
        (cx - f[0]..=cx + f[1]).contains(&x) && (cz - f[2]..=cz + f[2]).contains(&z)
    };
    let mut xs: Vec<f64> = pts
        .iter()
        .filter(near)
        .filter(|p| (p[1] as f64) < est - 0.05)
        .map(|p| p[0] as f64)
        .collect();
    if xs.len() < 50 {
        return None;
    }
    // the front of the low points (X is where the subject faces, the box's front)
    let k = xs.len() * 95 / 100;
    let front = *xs.select_nth_unstable_by(k, f64::total_cmp).1;
    let hi = est + 0.2;
    let bins = (hi / FACE_BIN).ceil() as usize;
    let mut counts = vec![0usize; bins];
    let mut face_x = Vec::new();
    for p in pts.iter().filter(near) {
        let (x, y) = (p[0] as f64, p[1] as f64);
        if (x - front).abs() < thick && y > 0.0 && y < hi {
            counts[((y / FACE_BIN) as usize).min(bins - 1)] += 1;
            if y < est - 0.05 {
                face_x.push(x);
            }
        }
    }
    // the face's density: its bins above the floor band and well below the estimate
    let first = counts.iter().position(|&c| c > 0)?;
    let upto = ((est - 0.05) / FACE_BIN) as usize;
    if upto < first + 3 {
        return None;
    }
    let mut face = counts[first..upto].to_vec();
    let mid = face.len() / 2;
    let dense = *face.select_nth_unstable(mid).1 as f64;
    if dense < 5.0 {
        return None;
    }
    // the top: the first two bins in a row thinner than 0.4 of the face
    let thin = |i: usize| (counts[i] as f64) < 0.4 * dense;
    let top = (first..bins - 1).find(|&i| thin(i) && thin(i + 1))? as f64 * FACE_BIN;
    if !(est - 0.15..=est + 0.15).contains(&top) || face_x.is_empty() {
        return None;
    }
    // the face's plane: the middle of its slab (the noise spreads it both ways)
    let mid = face_x.len() / 2;
    Some((top, *face_x.select_nth_unstable_by(mid, f64::total_cmp).1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_joint_that_jumped_is_not_carried_into_the_prediction() {
        let dt = 1.0 / 90.0;
        let ankle = side_base(Side::Left) + ANKLE;
        let knee = side_base(Side::Right) + KNEE;
        // a foot flipped by 86 deg in one frame: held, not extrapolated
        assert_eq!(carried_step(ankle, 86f64.to_radians(), dt), 0.0);
        assert_eq!(carried_step(ankle, -86f64.to_radians(), dt), 0.0);
        // a landing's knee flexing at 1000 deg/s and a push-off's ankle at 900 are motion
        let k = (1000.0 * dt).to_radians();
        assert_eq!(carried_step(knee, k, dt), k);
        let a = -(900.0 * dt).to_radians();
        assert_eq!(carried_step(ankle, a, dt), a);
        // at 30 fps the same joint speed is a larger step per frame
        let k30 = (1000.0 / 30.0f64).to_radians();
        assert_eq!(carried_step(knee, k30, 1.0 / 30.0), k30);
        // the pelvis position (m per frame) is not an angle
        assert_eq!(carried_step(1, 0.5, dt), 0.5);
    }

    #[test]
    fn the_pelvis_rises_onto_the_toes_only_on_straightening_knees() {
        let dt = 1.0 / 90.0;
        let mut q0 = [0.0; NP];
        q0[1] = 0.9;
        for s in Side::BOTH {
            q0[side_base(s) + KNEE] = 30f64.to_radians();
        }
        // push-off: 1 cm up while the knees extend by 5 deg
        let mut up = q0;
        up[1] += 0.01;
        for s in Side::BOTH {
            up[side_base(s) + KNEE] -= 5f64.to_radians();
        }
        assert!((rise_speed(&q0, &up, dt) - 0.9).abs() < 1e-9);
        // the same rise on bending knees is drift, not a rise
        let mut drift = q0;
        drift[1] += 0.01;
        for s in Side::BOTH {
            drift[side_base(s) + KNEE] += 5f64.to_radians();
        }
        assert_eq!(rise_speed(&q0, &drift, dt), 0.0);
        // going down on straightening knees is no rise either
        let mut down = up;
        down[1] = 0.89;
        assert_eq!(rise_speed(&q0, &down, dt), 0.0);
    }

    #[test]
    fn limb_capsules_stop_at_the_top_of_the_box_the_feet_stand_on() {
        use crate::model::{standing_height, standing_pose};
        let shape = BodyShape::from_stature(1.75);
        let top = 0.31;
        let boxed = [Support {
            y: top,
            x: (-1.2, -0.6),
            z: (-0.3, 0.3),
        }];
        let h = standing_height(&shape, Side::Left);
        // standing on the box, and sunk 5 cm into it (a fit pulled down by the face's points):
        // nothing below the top is a limb
        for sink in [0.0, 0.05] {
            let q = standing_pose([-0.8, top + h - sink, 0.0], 0.0, 0.03);
            let caps = limb_capsules(&Kinematics::new(&q, &shape), &shape, &boxed);
            let face = Vector3::new(-0.62f32, (top - 0.02) as f32, 0.09);
            assert!(caps
                .iter()
                .all(|c| c.min_y == top as f32 && !c.contains(&face)));
            let above = Vector3::new(-0.7f32, (top + 0.03) as f32, 0.09);
            assert!(
                caps.iter().any(|c| c.contains(&above)),
                "sink {sink}: {caps:?}"
            );
        }
        // stepping off in front of the box, 12 cm down: the capsules reach 3 cm below the sole
        let q = standing_pose([-0.45, top + h - 0.12, 0.0], 0.0, 0.03);
        let caps = limb_capsules(&Kinematics::new(&q, &shape), &shape, &boxed);
        let sole = top - 0.12;
        for c in caps {
            assert!(
                (c.min_y as f64 - (sole - LIMB_BELOW_SOLE)).abs() < 0.01,
                "{c:?}"
            );
        }
        let foot = Vector3::new(-0.4f32, (sole + 0.01) as f32, 0.09);
        assert!(caps.iter().any(|c| c.contains(&foot)));
    }

    /// A column of points from `y0` to `y0 + height` at (x, z).
    fn column(x: f32, z: f32, y0: f32, height: f32) -> Vec<[f32; 3]> {
        (0..=200)
            .map(|i| [x, y0 + height * i as f32 / 200.0, z])
            .collect()
    }

    /// [`raised_support`] seen by a D435 3 m in front, 1 m up.
    fn raised(pts: &[[f32; 3]], stature: f64, supports: &[Support]) -> Option<Support> {
        let eye = V3::new(2.0, 1.0, 0.0);
        raised_support(pts, stature, supports, &DepthNoise::D435, &eye)
    }

    /// A box face at x from `y0` up to `top`, `width` wide, with depth noise along x.
    fn face(x: f32, width: f32, y0: f32, top: f32, noise: f32) -> Vec<[f32; 3]> {
        let mut out = Vec::new();
        let mut k = 0u32;
        let (mut y, step) = (y0, 0.01f32);
        while y < top {
            let mut z = -0.5 * width;
            while z <= 0.5 * width {
                // a deterministic spread over +-noise
                k = k.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let u = (k >> 16) as f32 / 65_536.0 - 0.5;
                out.push([x + 2.0 * noise * u, y, z]);
                z += step;
            }
            y += step;
        }
        out
    }

    #[test]
    fn a_crouched_start_on_an_unseen_box_reads_the_box_from_its_face() {
        // 1.75 m tall, crouched 8 cm lower to drop, on a 0.4 m box whose 0.6 m wide face
        // (its foot lost in the floor band) is joined to the subject's points
        let top = 0.4f32;
        let mut pts = column(-1.0, 0.0, top, 1.75 - 0.08);
        pts.extend(column(-1.0, 0.15, top, 1.75 - 0.08));
        pts.extend(face(-0.8, 0.6, 0.1, top, 0.04));
        // toes at the front edge, in the face's slab just above its top
        for z in [-0.12f32, 0.12] {
            pts.extend(
                face(-0.82, 0.09, top, top + 0.06, 0.04)
                    .iter()
                    .map(|p| [p[0], p[1], p[2] + z]),
            );
        }
        let s = raised(&pts, 1.75, &[]).expect("a raised stance");
        assert!((s.y - top as f64).abs() < 0.03, "{s:?}");
        // the footprint ends just in front of the face (its noisy slab)
        assert!((-0.8..-0.65).contains(&s.x.1) && s.x.0 < -1.2, "{s:?}");
        // without the face, the stature alone: 8 cm low
        let alone = column(-1.0, 0.0, top, 1.75 - 0.08);
        let s = raised(&alone, 1.75, &[]).expect("a raised stance");
        assert!((s.y - (top as f64 - 0.08)).abs() < 0.02, "{s:?}");
    }

    #[test]
    fn a_subject_starting_on_an_unseen_box_gets_a_support_under_the_feet() {
        // 1.75 m tall, standing 0.4 m up at (-1, 0.1); the box's face below joined the subject
        let mut pts = column(-1.0, 0.1, 0.4, 1.75);
        pts.extend(column(-0.9, 0.1, 0.02, 0.35).into_iter().step_by(3));
        let s = raised(&pts, 1.75, &[]).expect("a raised stance");
        assert!((s.y - 0.4).abs() < 0.03, "{s:?}");
        assert!(s.x.0 < -1.3 && (-0.85..-0.75).contains(&s.x.1), "{s:?}");
        assert!(s.z.0 < -0.2 && s.z.1 > 0.4, "{s:?}");
        // on the floor, or on a box the background knows: nothing to add
        assert!(raised(&column(-1.0, 0.1, 0.0, 1.75), 1.75, &[]).is_none());
        let known = Support {
            y: 0.4,
            x: (-1.6, -0.9),
            z: (-0.3, 0.3),
        };
        assert!(raised(&pts, 1.75, &[known]).is_none());
        // arms overhead are no box
        assert!(raised(&column(-1.0, 0.1, 0.0, 2.7), 1.75, &[]).is_none());
        assert!(raised(&[], 1.75, &[]).is_none());
    }
}
