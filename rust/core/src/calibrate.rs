//! Subject calibration from a static standing trial: the lab frame (floor and the direction the
//! subject faces), the background, segment shapes sized from the data, the static knee
//! alignment and the standing arch height.

#![allow(clippy::needless_range_loop)] // index loops over small fixed-size parameter arrays

use nalgebra::{DMatrix, DVector, Vector3};

use crate::angles::Side;
use crate::camera::{Intrinsics, RayTable};
use crate::error::{Error, Result};
use crate::fit::{FitConfig, FitStats, Fitter, Prior};
use crate::fit_terms::{data_residuals, support_height, Support};
use crate::labframe::{estimate_floor_frames, estimate_lab_frame, LabFrame};
use crate::model::{side_base, side_index, standing_height, standing_pose, Kinematics, KNEE, NP};
use crate::segment::{
    find_subject, learn_background, segment_subject, Background, Roi, SubjectPoints,
};
use crate::shape::BodyShape;
use crate::trunk::TrunkLean;
use std::sync::Arc;

type V3 = Vector3<f64>;

/// What the static trial tells about the subject and the session.
#[derive(Debug, Clone)]
pub struct SubjectCalibration {
    /// Depth image size the calibration was made for.
    pub width: usize,
    pub height: usize,
    pub intrinsics: Intrinsics,
    pub depth_scale: f32,
    /// Camera to lab transform (floor, facing).
    pub lab: LabFrame,
    /// The static scene in the lab frame.
    pub background: Background,
    /// Segment shapes sized from the data.
    pub shape: BodyShape,
    /// Stature, m, and whether it was measured from the points (else given, or estimated from
    /// the legs when the head is out of view).
    pub stature: f64,
    pub stature_measured: bool,
    /// The fitted standing pose.
    pub static_pose: [f64; NP],
    /// Standing arch height per side (left, right), m.
    pub standing_arch: [f64; 2],
    /// Static knee valgus per side (positive valgus, negative varus), deg.
    pub static_valgus_deg: [f64; 2],
    /// Forward lean of the lower trunk's front in the static fit (the reference of the
    /// anatomical pelvis tilt, [`crate::trunk`]), rad; `None` when the trunk was not seen (or
    /// in a calibration file written before it was measured).
    pub standing_trunk_lean: Option<f64>,
    /// Inlier RMS point-to-model distance of the final static fit, m.
    pub fit_rms: f64,
    /// Frames and subject points used.
    pub frames: usize,
    pub points: usize,
}

impl SubjectCalibration {
    /// The same calibration with both thighs `factor` times as long (a length measured in a
    /// trial, see [`crate::thigh_length`]); `factor` must lie within 0.75-1.25.
    pub fn with_thigh_scale(&self, factor: f64) -> Result<SubjectCalibration> {
        if !(0.75..=1.25).contains(&factor) {
            return Err(crate::input_err!(
                "thigh length factor must lie within 0.75-1.25, got {factor}"
            ));
        }
        Ok(SubjectCalibration {
            shape: crate::thigh_length::scaled_thigh(&self.shape, factor),
            ..self.clone()
        })
    }

    /// Static knee valgus in radians (the centre of the tracker's valgus prior).
    pub fn static_valgus_rad(&self) -> [f64; 2] {
        self.static_valgus_deg.map(f64::to_radians)
    }
}

/// Static frames pooled for the calibration. The depth error is a field correlated over a
/// few pixels and drawn anew each frame: the foot's dorsum, a few hundred pixels, averages it
/// only over many frames (from 8 frames the standing arch scattered by +-6 mm between noise
/// draws and between the feet).
const GATHER_FRAMES: usize = 32;
/// Most of the pooled points the static fit uses (an even subsample): enough that the feet
/// keep a few thousand of them.
const CALIB_POINTS: usize = 40000;
/// Number of shape factors estimated from the data.
const NS: usize = 12;
const SHAPE_NAMES: [&str; NS] = [
    "thigh length",
    "shank length",
    "hip width",
    "thigh depth",
    "thigh width",
    "shank depth",
    "shank width",
    "calf",
    "foot length",
    "foot width",
    "ankle height",
    "pelvis",
];
/// Prior standard deviation of each factor around the anthropometric value.
const SHAPE_SD: [f64; NS] = [
    0.08, 0.05, 0.12, 0.2, 0.2, 0.2, 0.2, 0.2, 0.08, 0.15, 0.15, 0.25,
];

/// The shape with multiplicative factors `f` applied to `base` (both sides alike).
pub fn scaled_shape(base: &BodyShape, f: &[f64; NS]) -> BodyShape {
    let mut s = base.clone();
    s.pelvis.hip_half_width *= f[2];
    for v in s.pelvis.semi.iter_mut() {
        *v *= f[11];
    }
    for i in 0..2 {
        let t = &mut s.thigh[i];
        t.length *= f[0];
        t.ax.iter_mut().for_each(|v| *v *= f[3]);
        t.az.iter_mut().for_each(|v| *v *= f[4]);
        let sh = &mut s.shank[i];
        sh.length *= f[1];
        sh.ax.iter_mut().for_each(|v| *v *= f[5]);
        sh.az.iter_mut().for_each(|v| *v *= f[6]);
        sh.ax[1] *= f[7];
        sh.az[1] *= f[7];
        s.patella[i].above_knee *= f[0];
        let ft = &mut s.foot[i];
        ft.length *= f[8];
        ft.heel *= f[8];
        ft.width.iter_mut().for_each(|v| *v *= f[9]);
        ft.ankle_height *= f[10];
        ft.top_ends[0] *= f[10];
    }
    s
}

fn to_v3(p: &[f32; 3]) -> V3 {
    V3::new(p[0] as f64, p[1] as f64, p[2] as f64)
}

/// Calibrate a subject from frames of quiet standing (row-major `u16` depth, `depth_scale` m
/// per unit). `stature` (m) is measured from the points when not given.
///
/// Errors ([`Error::Calibration`]): no frames, no floor, no standing person, the head out of
/// view without a given stature, a fit that does not explain the points.
pub fn calibrate_subject(
    frames: &[&[u16]],
    depth_scale: f32,
    rays: &RayTable,
    stature: Option<f64>,
) -> Result<SubjectCalibration> {
    if frames.is_empty() {
        return Err(Error::Calibration(
            "subject calibration: no frames given".into(),
        ));
    }
    let intr = *rays.intrinsics();
    if let Some(s) = stature {
        if !(1.0..=2.3).contains(&s) {
            return Err(crate::input_err!(
                "stature_m must be within 1.0-2.3 m, got {s}"
            ));
        }
    }
    let floor = estimate_floor_frames(frames, depth_scale, rays)?;
    let lab0 = estimate_lab_frame(frames, depth_scale, rays)?;
    let bg0 = learn_background(frames, depth_scale, rays, &lab0)?;
    let (pts0, top_px, tops) = gather(frames, depth_scale, rays, &lab0, &bg0)?;
    let cam0 = lab0.camera_position();
    // standing on the floor, or on a box or platform (the start of a drop jump)
    let stance0 = Stance::under(&pts0, bg0.supports());
    let ground = stance0.ground;

    // stature: the top of the subject, unless the head leaves the image
    let (stature, measured) = match stature {
        Some(s) => (s, false),
        None => {
            // the top of the head (see `crate::stature`), when it is in view
            let head = (top_px >= 3)
                .then(|| crate::stature::stature_from_tops(&tops, ground, &cam0))
                .flatten();
            if let Some(top) = head {
                if !(1.0..=2.3).contains(&top) {
                    return Err(Error::Calibration(format!(
                    "subject calibration: the standing subject is {top:.2} m tall by the points; \
                     expected 1.0-2.3 m (pass stature_m if the head is cut off)"
                )));
                }
                (top, true)
            } else {
                // the head is out of view: the stature from the legs (their length fitted with
                // wide priors, then the proportions of the model)
                (stature_from_legs(&pts0, &cam0, &stance0), false)
            }
        }
    };
    let base = BodyShape::from_stature(stature);
    let leg: Vec<V3> = pts0
        .iter()
        .copied()
        .filter(|p| p.y < ground + standing_height(&base, Side::Right) + 0.15)
        .collect();
    // facing: the hips and legs are wider than deep; the feet break the front/back symmetry
    let yaw_axis = facing_candidates(&leg, stature, ground);
    let mut best: Option<([f64; NP], FitStats, f64)> = None;
    for yaw in [yaw_axis, yaw_axis + std::f64::consts::PI] {
        let (q, st) = static_fit(&base, &leg, &cam0, yaw, &stance0);
        if best.as_ref().is_none_or(|b| st.cost < b.1.cost) {
            best = Some((q, st, yaw));
        }
    }
    let (q0, _, _) = best.expect("two hypotheses");

    // the lab frame facing the way the subject faces, origin on the floor between the ankles
    let k0 = Kinematics::new(&q0, &base);
    let fwd_lab0 = k0.r_pelvis * V3::x();
    let fwd_cam = lab0.rotation.transpose() * fwd_lab0;
    let mid = (k0.ajc[0] + k0.ajc[1]) / 2.0;
    let origin_cam = lab0.to_camera(&V3::new(mid.x, 0.0, mid.z));
    let lab = LabFrame::from_floor(&floor, &fwd_cam, &origin_cam)?;
    let background = learn_background(frames, depth_scale, rays, &lab)?;
    let stance = Stance {
        supports: Arc::new(background.supports()),
        ..stance0
    };
    let remap = |p: &V3| lab.to_lab(&lab0.to_camera(p));
    let leg: Vec<V3> = leg.iter().map(remap).collect();
    let cam = lab.camera_position();
    let mut q = q0;
    let pelvis = remap(&k0.pelvis_o);
    q[..3].copy_from_slice(&[pelvis.x, pelvis.y, pelvis.z]);
    q[3] = 0.0;

    // shape factors and pose, alternately
    let mut f = [1.0; NS];
    let mut shape = base.clone();
    let mut st = refit(&shape, &leg, &cam, &mut q, &stance);
    for _ in 0..3 {
        f = fit_shape(&base, &f, &q, &leg, &cam, None);
        shape = scaled_shape(&base, &f);
        st = refit(&shape, &leg, &cam, &mut q, &stance);
    }
    let inlier_frac = st.inliers as f64 / st.used_points.max(1) as f64;
    if inlier_frac < 0.5 {
        return Err(Error::Calibration(format!(
            "subject calibration: the model explains only {:.0} % of the subject's points \
             (RMS {:.1} mm); is the subject standing still, facing about the camera?",
            100.0 * inlier_frac,
            1000.0 * st.rms
        )));
    }
    let static_valgus_deg = Side::BOTH.map(|s| q[side_base(s) + KNEE + 1].to_degrees());
    let standing_arch = Side::BOTH.map(|s| q[side_base(s) + crate::model::ARCH]);
    // the trunk above the pelvis: every pooled point, not only the legs'
    let all: Vec<[f32; 3]> = pts0
        .iter()
        .map(|p| {
            let v = remap(p);
            [v.x as f32, v.y as f32, v.z as f32]
        })
        .collect();
    let standing_trunk_lean = TrunkLean::lean(&all, &Kinematics::new(&q, &shape));
    let _ = side_index;
    Ok(SubjectCalibration {
        width: intr.width,
        height: intr.height,
        intrinsics: intr,
        depth_scale,
        lab,
        background,
        shape,
        stature,
        stature_measured: measured,
        static_pose: q,
        standing_arch,
        static_valgus_deg,
        standing_trunk_lean,
        fit_rms: st.rms,
        frames: frames.len(),
        points: leg.len(),
    })
}

/// Stature (m) from the legs when the head is out of view: a standing fit of a 1.75 m model
/// whose thigh and shank lengths are free (20 % prior), scaled by the model's leg proportions.
fn stature_from_legs(pts: &[V3], cam: &V3, stance: &Stance) -> f64 {
    let guess = 1.75;
    let base = BodyShape::from_stature(guess);
    let leg: Vec<V3> = pts
        .iter()
        .copied()
        .filter(|p| p.y < stance.ground + standing_height(&base, Side::Right) + 0.25)
        .collect();
    let yaw = facing_candidates(&leg, guess, stance.ground);
    let (mut q, _) = static_fit(&base, &leg, cam, yaw, stance);
    let mut f = [1.0; NS];
    for _ in 0..2 {
        f = fit_shape(&base, &f, &q, &leg, cam, Some(0.2));
        refit(&scaled_shape(&base, &f), &leg, cam, &mut q, stance);
    }
    let t = crate::shape::THIGH_OF_STATURE;
    let ratio = (t * f[0] + 0.249 * f[1]) / (t + 0.249);
    (guess * ratio).clamp(1.2, 2.2)
}

/// Subject points (lab) of up to [`GATHER_FRAMES`] frames spread over the trial, the topmost
/// image row the subject reaches, and each frame's top (see [`crate::stature::frame_top`]).
fn gather(
    frames: &[&[u16]],
    depth_scale: f32,
    rays: &RayTable,
    lab: &LabFrame,
    bg: &Background,
) -> Result<(Vec<V3>, usize, Vec<V3>)> {
    let intr = rays.intrinsics();
    let n = frames.len().min(GATHER_FRAMES);
    let mut out = Vec::new();
    let mut sp = SubjectPoints::new();
    let mut top_px = usize::MAX;
    let mut tops = Vec::new();
    for j in 0..n {
        let fr = frames[j * frames.len() / n];
        let Some(b) = find_subject(fr, depth_scale, rays, lab, bg)? else {
            continue;
        };
        segment_subject(
            fr,
            depth_scale,
            rays,
            lab,
            bg,
            &Roi::full(intr, 2),
            &b,
            &mut sp,
        )?;
        let start = out.len();
        out.extend(sp.points.iter().map(to_v3));
        tops.extend(crate::stature::frame_top(&out[start..]));
        if let Some(&p) = sp.pixels.iter().min() {
            top_px = top_px.min(p as usize / intr.width);
        }
    }
    if out.len() < 500 {
        return Err(Error::Calibration(format!(
            "subject calibration: no standing person found in the {} frames ({} subject points)",
            frames.len(),
            out.len()
        )));
    }
    Ok((out, top_px, tops))
}

/// Yaw (about lab Y) of the subject's anterior axis, up to 180 deg: the minor horizontal axis
/// of the points at hip and thigh height.
fn facing_candidates(pts: &[V3], stature: f64, ground: f64) -> f64 {
    let band: Vec<&V3> = pts
        .iter()
        .filter(|p| p.y - ground > 0.3 * stature && p.y - ground < 0.55 * stature)
        .collect();
    if band.len() < 20 {
        return 0.0;
    }
    let n = band.len() as f64;
    let (mx, mz) = band
        .iter()
        .fold((0.0, 0.0), |a, p| (a.0 + p.x / n, a.1 + p.z / n));
    let (mut sxx, mut szz, mut sxz) = (0.0, 0.0, 0.0);
    for p in &band {
        let (dx, dz) = (p.x - mx, p.z - mz);
        sxx += dx * dx;
        szz += dz * dz;
        sxz += dx * dz;
    }
    // angle of the major (medio-lateral) axis in the x-z plane; anterior is perpendicular
    let major = 0.5 * (2.0 * sxz).atan2(sxx - szz);
    let (ax, az) = (-major.sin(), major.cos());
    // anterior (ax, 0, az) = Ry(yaw) X = (cos yaw, 0, -sin yaw); prefer the camera side
    let yaw = (-az).atan2(ax);
    if ax < 0.0 {
        yaw + std::f64::consts::PI
    } else {
        yaw
    }
}

/// Where the subject stands in the calibration frames.
#[derive(Debug, Clone)]
struct Stance {
    /// Support surfaces of the scene (box and platform tops).
    supports: Arc<Vec<Support>>,
    /// Height of what the subject stands on: 0 on the floor, else a box or platform top, m.
    ground: f64,
    /// Height of the lowest subject points (2nd percentile), m.
    low: f64,
}

impl Stance {
    /// The support under the subject's points `pts` (lab) among `supports`. When the lowest
    /// points are within 0.2 m above a support, the subject stands on it (a box top hides
    /// the soles from the segmentation); when they are higher than that above every support
    /// and more than 0.1 m above the floor, the subject stands on something the background
    /// did not learn, with the soles at the lowest points.
    fn under(pts: &[V3], supports: Vec<Support>) -> Stance {
        let step = (pts.len() / 4000).max(1);
        let mut ys: Vec<f64> = pts.iter().step_by(step).map(|p| p.y).collect();
        let mut xs: Vec<f64> = pts.iter().step_by(step).map(|p| p.x).collect();
        let mut zs: Vec<f64> = pts.iter().step_by(step).map(|p| p.z).collect();
        if ys.is_empty() {
            return Stance {
                supports: Arc::new(supports),
                ground: 0.0,
                low: 0.0,
            };
        }
        let k = ys.len() / 50;
        let low = *ys.select_nth_unstable_by(k, f64::total_cmp).1;
        let m = xs.len() / 2;
        let cx = *xs.select_nth_unstable_by(m, f64::total_cmp).1;
        let cz = *zs.select_nth_unstable_by(m, f64::total_cmp).1;
        let support = support_height(&supports, cx, cz, low + 0.05);
        let ground = if low - support < 0.2 || low < 0.1 {
            support
        } else {
            low
        };
        Stance {
            supports: Arc::new(supports),
            ground,
            low,
        }
    }
}

fn calib_prior(arch: f64, stance: &Stance) -> Prior {
    Prior {
        predicted: None,
        valgus: [0.0; 2],
        arch: [arch; 2],
        supports: stance.supports.clone(),
        lowest_point: Some(stance.low),
        feet_lowest: [None; 2],
        stance_ground: Some(stance.ground),
        rising: 0.0,
        settled: false,
        // quiet standing: both feet flat on the support
        flat: [true; 2],
        pelvis_tilt: 0.0,
    }
}

fn calib_cfg() -> FitConfig {
    let mut c = FitConfig {
        iterations: 30,
        coarse_iterations: 20,
        max_points: CALIB_POINTS,
        ..FitConfig::default()
    };
    // the static alignment is what is measured: a weak valgus prior only
    c.physio_sd[0] = 15f64.to_radians();
    c.physio_sd[3] = 0.02;
    c.pelvis_obliquity_sd = 3f64.to_radians();
    // the standing hip rotation is measured (the feet and knees show it), not assumed
    c.hip_rotation_sd = f64::INFINITY;
    // standing still, the feet are flat on the support (no toes-first allowance): a foot
    // left floating would read as a low arch
    c.sole_margin = 0.005;
    c
}

/// Standing pose fitted at the subject's place for a facing yaw.
fn static_fit(
    shape: &BodyShape,
    pts: &[V3],
    cam: &V3,
    yaw: f64,
    stance: &Stance,
) -> ([f64; NP], FitStats) {
    let mut xs: Vec<f64> = pts.iter().map(|p| p.x).collect();
    let mut zs: Vec<f64> = pts.iter().map(|p| p.z).collect();
    let m = xs.len() / 2;
    let cx = *xs.select_nth_unstable_by(m, f64::total_cmp).1;
    let cz = *zs.select_nth_unstable_by(m, f64::total_cmp).1;
    let h = standing_height(shape, Side::Right);
    // the visible surface is in front of the body's axis: start a little behind it
    let back = V3::new(cx - cam.x, 0.0, cz - cam.z).normalize() * 0.05;
    let mut q = standing_pose([cx + back.x, stance.ground + h, cz + back.z], yaw, 0.06);
    let st = refit(shape, pts, cam, &mut q, stance);
    (q, st)
}

fn refit(shape: &BodyShape, pts: &[V3], cam: &V3, q: &mut [f64; NP], stance: &Stance) -> FitStats {
    let f32pts: Vec<[f32; 3]> = pts
        .iter()
        .map(|p| [p.x as f32, p.y as f32, p.z as f32])
        .collect();
    let mut fitter = Fitter::new(shape.clone());
    let arch = 0.5
        * (q[side_base(Side::Left) + crate::model::ARCH]
            + q[side_base(Side::Right) + crate::model::ARCH]);
    fitter.fit(
        q,
        &f32pts,
        cam,
        None,
        &calib_prior(arch.max(0.03), stance),
        &calib_cfg(),
    )
}

/// Gauss-Newton over the shape factors (finite-difference Jacobian: this runs once per
/// subject), with the pose held, IRLS weights and an anthropometric prior.
fn fit_shape(
    base: &BodyShape,
    f0: &[f64; NS],
    q: &[f64; NP],
    pts: &[V3],
    cam: &V3,
    length_sd: Option<f64>,
) -> [f64; NS] {
    let step = (pts.len() / 3000).max(1);
    let sub: Vec<V3> = pts.iter().step_by(step).copied().collect();
    let mut f = *f0;
    let scale = 0.02;
    let mut r0 = Vec::new();
    let mut r1 = Vec::new();
    for _ in 0..4 {
        let shape = scaled_shape(base, &f);
        data_residuals(&shape, q, &sub, cam, &mut r0);
        let n = r0.len();
        let mut jac = DMatrix::<f64>::zeros(n, NS);
        for j in 0..NS {
            let mut fp = f;
            fp[j] += 1e-3;
            data_residuals(&scaled_shape(base, &fp), q, &sub, cam, &mut r1);
            for i in 0..n {
                let d = (r1[i] - r0[i]) / 1e-3;
                jac[(i, j)] = if d.is_finite() { d } else { 0.0 };
            }
        }
        let mut h = DMatrix::<f64>::zeros(NS, NS);
        let mut g = DVector::<f64>::zeros(NS);
        let wn = 400.0 / n.max(1) as f64 / (0.012f64 * 0.012);
        for i in 0..n {
            let r = r0[i];
            if !r.is_finite() {
                continue;
            }
            let w = wn * (scale * scale / (scale * scale + r * r)).powi(2);
            let row = jac.row(i);
            for a in 0..NS {
                g[a] += w * row[a] * r;
                for b in 0..NS {
                    h[(a, b)] += w * row[a] * row[b];
                }
            }
        }
        for a in 0..NS {
            let sd = match (a, length_sd) {
                (0 | 1, Some(v)) => v,
                _ => SHAPE_SD[a],
            };
            let p = 1.0 / (sd * sd);
            h[(a, a)] += p * 1.0 + 1e-3 * h[(a, a)];
            g[a] += p * (f[a] - 1.0);
        }
        let Some(ch) = h.cholesky() else { break };
        let d = -ch.solve(&g);
        for a in 0..NS {
            f[a] = (f[a] + d[a].clamp(-0.1, 0.1)).clamp(0.6, 1.6);
        }
        if d.amax() < 1e-3 {
            break;
        }
    }
    let _ = SHAPE_NAMES;
    f
}
