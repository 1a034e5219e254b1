//! The terms of the articulated fit: residuals and their analytic Jacobians, accumulated into
//! the normal equations (see [`crate::fit`]).

#![allow(clippy::needless_range_loop)] // index loops over small fixed-size parameter arrays

use nalgebra::{Matrix3, Vector3};

use crate::angles::Side;
use crate::fit::{Grad, Hess};
use crate::model::{
    seg_closest, side_base, side_index, Kinematics, Seg, ANKLE, ARCH, HIP, KNEE, NP, SIDE_NP,
};
use crate::samples::Sample;
use crate::shape::BodyShape;
#[cfg(test)]
use crate::shape::Corr;

type V3 = Vector3<f64>;
type M3 = Matrix3<f64>;

/// The ball of the foot (the metatarsal heads), fraction of the foot length from the heel end.
const BALL_OF_FOOT: f64 = 0.72;
/// A support no longer holds a foot up once the lowest points around the foot are more than
/// this below its top, m.
const SUPPORT_REACH: f64 = 0.03;

/// A depth image seen from the lab frame, for the free-space term.
#[derive(Debug, Clone, Copy)]
pub struct DepthView<'a> {
    /// Row-major depth, device units.
    pub depth: &'a [u16],
    pub width: usize,
    pub height: usize,
    /// Metres per depth unit.
    pub scale: f64,
    /// Pinhole intrinsics (D4xx depth is rectified).
    pub fx: f64,
    pub fy: f64,
    pub ppx: f64,
    pub ppy: f64,
    /// Camera from lab: `p_cam = cam_r * p_lab + cam_t`.
    pub cam_r: M3,
    pub cam_t: V3,
}

/// Weights and scales of the fit.
#[derive(Debug, Clone)]
pub struct FitConfig {
    /// Most points used per frame (evenly subsampled).
    pub max_points: usize,
    /// Levenberg-Marquardt iterations.
    pub iterations: usize,
    /// Iterations of a first stage with a three times wider robust scale (0: none).
    pub coarse_iterations: usize,
    /// Convergence: stop when no parameter moves more than this in a step (rad or m).
    pub min_step: f64,
    /// Depth noise scale, m: the unit of the data residuals.
    pub noise: f64,
    /// Geman-McClure scale of the point residuals, m.
    pub robust_scale: f64,
    /// Number of independent samples the data term counts as.
    pub ref_points: f64,
    /// Temporal prior standard deviations per frame around the constant-velocity prediction:
    /// flexion angles and the pelvis orientation (rad), pelvis position (m), arch (m), frontal
    /// and transverse joint angles (rad).
    pub temporal_sd: [f64; 4],
    /// Physiological prior standard deviations: knee valgus, knee axial rotation, ankle
    /// inversion (rad), arch (m).
    pub physio_sd: [f64; 4],
    /// Prior standard deviation of hip internal rotation around 0 (rad): wide (hip rotation in a
    /// landing stays within about 15 deg), it only keeps a nearly straight leg, whose axial
    /// rotation the points barely show, from drifting to the joint limit.
    pub hip_rotation_sd: f64,
    /// Prior standard deviation of the pelvis tilt about its medio-lateral axis (rad): depth
    /// barely shows it (it only shifts hip flexion; hip adduction and rotation do not depend on
    /// it), so it is held near level.
    pub pelvis_tilt_sd: f64,
    /// Prior standard deviation of the pelvic obliquity (rad): a pelvis tilted sideways with
    /// opposite hip adductions moves only the hip heights, which the data pin weakly.
    pub pelvis_obliquity_sd: f64,
    /// Free-space term: margin (m) and Huber threshold (m); weight 0 disables it.
    pub free_space: [f64; 3],
    /// Hinge scale of joint limits (rad), floor and leg collision (m).
    pub limit_sd: f64,
    pub contact_sd: f64,
    /// How far the lower foot's mid-sole may float above the support it stands on (or the
    /// lowest subject points), m.
    pub sole_margin: f64,
    /// How far the lower foot's ball may float above the support once the feet have settled
    /// on it, m.
    pub settled_margin: f64,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            max_points: 1000,
            iterations: 5,
            coarse_iterations: 0,
            min_step: 2e-3,
            noise: 0.012,
            robust_scale: 0.03,
            ref_points: 400.0,
            temporal_sd: [12f64.to_radians(), 0.04, 0.006, 3f64.to_radians()],
            physio_sd: [
                // true tibiofemoral valgus is a few degrees; near 90 deg of knee flexion this
                // prior is what separates knee valgus from femoral rotation
                3f64.to_radians(),
                12f64.to_radians(),
                15f64.to_radians(),
                0.01,
            ],
            // off by default: on phantom recordings it biased the fit (see the report)
            free_space: [0.0, 0.02, 0.03],
            hip_rotation_sd: 20f64.to_radians(),
            pelvis_tilt_sd: 3f64.to_radians(),
            pelvis_obliquity_sd: 2.5f64.to_radians(),
            limit_sd: 1f64.to_radians(),
            contact_sd: 0.005,
            sole_margin: 0.04,
            settled_margin: 0.008,
        }
    }
}

/// Prior knowledge for one frame.
#[derive(Debug, Clone)]
pub struct Prior {
    /// Constant-velocity prediction of the pose, if the previous frames were tracked.
    pub predicted: Option<[f64; NP]>,
    /// Centre of the knee valgus prior per side (the static alignment), rad.
    pub valgus: [f64; 2],
    /// Centre of the arch prior per side (the standing arch), m.
    pub arch: [f64; 2],
    /// Raised surfaces the feet may stand on (box or platform tops); the floor is `y = 0`.
    pub supports: std::sync::Arc<Vec<Support>>,
    /// Height of the lowest subject points (a low percentile, lab y, m), if known.
    pub lowest_point: Option<f64>,
    /// Per side (left first): height of the lowest points around the predicted foot (a low
    /// percentile, lab y, m), if any are seen there.
    pub feet_lowest: [Option<f64>; 2],
    /// Height of the support under the subject when the points reach down to it (someone
    /// standing or landing on it), m.
    pub stance_ground: Option<f64>,
    /// Upward speed of the pelvis over the last frames while the knees straighten, m/s (0
    /// when unknown): rising onto the toes for a take-off lifts the mid-sole off the support.
    pub rising: f64,
    /// The feet have stood on the support long enough to have settled on it (no toes-first
    /// allowance: the ball of the lower foot, on the support with the heel down or raised, is
    /// held within `settled_margin` of it).
    pub settled: bool,
    /// Per side (left first): this foot stands flat on the support (quiet standing: the
    /// static calibration, and tracked quiet standing on the floor), so the heel and toe of its
    /// sole are held within the margin of it (the sole margin, or the settled margin once
    /// settled), not only the lower foot's mid-sole or ball. The floor band removes the sole's
    /// points: a foot left free floats over the floor and its arch reads low.
    pub flat: [bool; 2],
    /// Centre of the pelvis tilt prior (rad, the model's sign: negative tilts the front down),
    /// from the trunk's lean (see `crate::trunk`); 0 when unknown.
    pub pelvis_tilt: f64,
}

impl Prior {
    /// Nothing known beyond the floor: no prediction, straight knees in the valgus prior, an
    /// arch of `arch` metres, no supports and no lowest points.
    pub fn uninformed(arch: f64) -> Prior {
        Prior {
            predicted: None,
            valgus: [0.0; 2],
            arch: [arch; 2],
            supports: Default::default(),
            lowest_point: None,
            feet_lowest: [None; 2],
            stance_ground: None,
            rising: 0.0,
            settled: false,
            flat: [false; 2],
            pelvis_tilt: 0.0,
        }
    }
}

/// A horizontal support surface (lab frame): height and horizontal extent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Support {
    pub y: f64,
    pub x: (f64, f64),
    pub z: (f64, f64),
}

/// Height of the highest support under a lab point (0: the floor).
pub fn support_height(supports: &[Support], x: f64, z: f64, y_max: f64) -> f64 {
    supports
        .iter()
        .filter(|s| s.y <= y_max && (s.x.0..=s.x.1).contains(&x) && (s.z.0..=s.z.1).contains(&z))
        .fold(0.0, |a, s| a.max(s.y))
}

/// Soft joint limits (lower, upper) of every parameter (rad; arch in m).
pub fn limits(k: usize) -> (f64, f64) {
    let d = f64::to_radians;
    match k {
        0..=3 => (f64::NEG_INFINITY, f64::INFINITY),
        4 => (d(-60.0), d(60.0)),
        5 => (d(-40.0), d(40.0)),
        _ => match (k - 6) % 9 {
            0 => (d(-35.0), d(135.0)),
            1 => (d(-40.0), d(40.0)),
            2 => (d(-50.0), d(50.0)),
            3 => (d(-10.0), d(150.0)),
            4 => (d(-20.0), d(20.0)),
            5 => (d(-35.0), d(35.0)),
            6 => (d(-60.0), d(50.0)),
            7 => (d(-35.0), d(35.0)),
            _ => (0.015, 0.11),
        },
    }
}

/// Largest step of a parameter in one iteration.
pub fn step_limit(k: usize) -> f64 {
    match k {
        0..=2 => 0.1,
        _ if k >= 6 && (k - 6) % 9 == ARCH => 0.02,
        _ => 0.25,
    }
}

/// Normal equations and statistics at one pose.
#[derive(Debug, Clone)]
pub struct Linearisation {
    pub h: Hess,
    pub g: Grad,
    pub cost: f64,
    /// Diagonal contributed by the temporal prior (removed for the uncertainty).
    pub temporal_diag: [f64; NP],
    pub inliers: usize,
    pub rms: f64,
    pub seg_points: [usize; 9],
}

impl Linearisation {
    pub fn new() -> Self {
        Linearisation {
            h: Hess::zeros(),
            g: Grad::zeros(),
            cost: 0.0,
            temporal_diag: [0.0; NP],
            inliers: 0,
            rms: 0.0,
            seg_points: [0; 9],
        }
    }

    /// Add a residual `r` with sparse Jacobian row (`idx`, `val`) and weight `w`:
    /// cost += w r^2 / 2 (the caller adds robust costs itself when `add_cost` is false).
    #[inline]
    fn add(&mut self, r: f64, idx: &[usize], val: &[f64], w: f64, add_cost: bool) {
        for a in 0..idx.len() {
            let wa = w * val[a];
            self.g[idx[a]] += wa * r;
            self.h[(idx[a], idx[a])] += wa * val[a];
            for b in a + 1..idx.len() {
                // off-diagonal pairs land once and are mirrored by `symmetrise`; a repeated
                // index is a diagonal entry that needs both orders here
                let m = if idx[a] == idx[b] { 2.0 } else { 1.0 };
                self.h[(idx[a], idx[b])] += m * wa * val[b];
            }
        }
        if add_cost {
            self.cost += 0.5 * w * r * r;
        }
    }

    fn symmetrise(&mut self) {
        for a in 0..NP {
            for b in 0..a {
                // entries were added with either order of (idx[a], idx[b])
                let v = self.h[(a, b)] + self.h[(b, a)];
                self.h[(a, b)] = v;
                self.h[(b, a)] = v;
            }
        }
    }
}

impl Default for Linearisation {
    fn default() -> Self {
        Self::new()
    }
}

/// A sparse Jacobian row: at most 32 non-zeros.
struct Row {
    idx: [usize; 32],
    val: [f64; 32],
    n: usize,
}

impl Row {
    #[inline]
    fn new() -> Row {
        Row {
            idx: [0; 32],
            val: [0.0; 32],
            n: 0,
        }
    }
    #[inline]
    fn push(&mut self, i: usize, v: f64) {
        self.idx[self.n] = i;
        self.val[self.n] = v;
        self.n += 1;
    }
}

/// Residual and Jacobian row of a data point `x` matched to `corr` on `seg`: the signed
/// distance `n_w . (x - p_w)` with `(p, n)` fixed on the segment. (The fit accumulates the same
/// rows in moment form, [`crate::fit_data`]; this explicit form is their reference.)
#[cfg(test)]
fn data_row(k: &Kinematics, seg: Seg, corr: &Corr, x: &V3, row: &mut Row) -> f64 {
    let (o, r) = k.frame(seg);
    let nw = r * corr.n;
    let pw = o + r * corr.p;
    let res = nw.dot(&(x - pw));
    row.n = 0;
    for a in 0..3 {
        row.push(a, -nw[a]);
    }
    Kinematics::rigid_angular_params(seg, |p, share| {
        row.push(p, share * k.axis[p].dot(&nw.cross(&(x - k.centre[p]))));
    });
    if let Seg::Foot(s) = seg {
        row.push(side_base(s) + ARCH, -corr.n.dot(&corr.dp_darch));
    }
    res
}

/// Residual and dense Jacobian of [`data_row`].
#[cfg(test)]
pub(crate) fn data_row_for_tests(
    k: &Kinematics,
    seg: Seg,
    corr: &Corr,
    x: &V3,
) -> (f64, [f64; NP]) {
    let mut row = Row::new();
    let res = data_row(k, seg, corr, x, &mut row);
    let mut jac = [0.0; NP];
    for j in 0..row.n {
        jac[row.idx[j]] += row.val[j];
    }
    (res, jac)
}

/// Derivative row of `dir . x` for a point `x` fixed on `seg` (with `dp_arch` its shape
/// derivative in segment coordinates, feet only).
fn point_dir_row(
    k: &Kinematics,
    seg: Seg,
    x: &V3,
    dir: &V3,
    dp_arch: &V3,
    scale: f64,
    row: &mut Row,
) {
    k.point_derivatives(seg, x, |p, d| row.push(p, scale * dir.dot(&d)));
    if let Seg::Foot(s) = seg {
        let (_, r) = k.frame(seg);
        row.push(side_base(s) + ARCH, scale * dir.dot(&(r * dp_arch)));
    }
}

/// Linearise every term at pose `q` into `lin`.
#[allow(clippy::too_many_arguments)]
pub fn linearise(
    shape: &BodyShape,
    q: &[f64; NP],
    pts: &[V3],
    samples: &[Sample],
    cam: &V3,
    depth: Option<&DepthView<'_>>,
    prior: &Prior,
    cfg: &FitConfig,
    lin: &mut Linearisation,
) {
    *lin = Linearisation::new();
    let k = Kinematics::new(q, shape);
    let mut row = Row::new();
    crate::fit_data::data_term(shape, &k, pts, cam, cfg, lin);
    // --- free space
    if let Some(dv) = depth {
        if cfg.free_space[0] > 0.0 {
            free_space(samples, &k, dv, cam, cfg, lin, &mut row);
        }
    }
    // --- priors
    priors(shape, q, &k, prior, cfg, lin, &mut row);
    lin.symmetrise();
}

/// Surface samples facing the camera may not lie in front of the measured depth.
fn free_space(
    samples: &[Sample],
    k: &Kinematics,
    dv: &DepthView<'_>,
    cam: &V3,
    cfg: &FitConfig,
    lin: &mut Linearisation,
    row: &mut Row,
) {
    let [weight, margin, huber] = cfg.free_space;
    let max_viol = 4.0 * huber;
    let w = weight / (cfg.noise * cfg.noise) * cfg.ref_points / samples.len().max(1) as f64;
    let rowz = dv.cam_r.row(2).transpose();
    for s in samples {
        let (o, r) = k.frame(s.seg);
        let pw = o + r * s.p;
        if (r * s.n).dot(&(cam - pw)) <= 0.0 {
            continue;
        }
        let pc = dv.cam_r * pw + dv.cam_t;
        if pc.z < 0.1 {
            continue;
        }
        let u = (dv.fx * pc.x / pc.z + dv.ppx).round();
        let v = (dv.fy * pc.y / pc.z + dv.ppy).round();
        if u < 0.0 || v < 0.0 || u >= dv.width as f64 || v >= dv.height as f64 {
            continue;
        }
        let d = dv.depth[v as usize * dv.width + u as usize];
        if d == 0 {
            continue;
        }
        let viol = d as f64 * dv.scale - margin - pc.z;
        // Only a model surface a little in front of a measured surface is pushed back along the
        // ray. Far in front of it (the sample projects past the silhouette onto the background)
        // the correction would be sideways, which a depth residual cannot express.
        if viol <= 0.0 || viol > max_viol {
            continue;
        }
        // r = z_meas - margin - z_model: dr/dq = -rowz . dp/dq
        row.n = 0;
        point_dir_row(k, s.seg, &pw, &rowz, &s.dp_darch, -1.0, row);
        let hw = if viol > huber { huber / viol } else { 1.0 };
        lin.cost += w * if viol > huber {
            huber * (viol - 0.5 * huber)
        } else {
            0.5 * viol * viol
        };
        lin.add(viol, &row.idx[..row.n], &row.val[..row.n], w * hw, false);
    }
}

fn priors(
    shape: &BodyShape,
    q: &[f64; NP],
    k: &Kinematics,
    prior: &Prior,
    cfg: &FitConfig,
    lin: &mut Linearisation,
    row: &mut Row,
) {
    let one = |lin: &mut Linearisation, p: usize, r: f64, sd: f64| {
        let w = 1.0 / (sd * sd);
        lin.add(r, &[p], &[1.0], w, true);
        w
    };
    // temporal prior (diagonal)
    if let Some(pred) = &prior.predicted {
        for p in 0..NP {
            let sd = match p {
                0..=2 => cfg.temporal_sd[1],
                3..=5 => cfg.temporal_sd[0],
                _ => match (p - 6) % 9 {
                    ARCH => cfg.temporal_sd[2],
                    // flexion-extension moves fast in a landing
                    0 | 3 | 6 => cfg.temporal_sd[0],
                    // frontal and transverse angles change slowly
                    _ => cfg.temporal_sd[3],
                },
            };
            lin.temporal_diag[p] = one(lin, p, q[p] - pred[p], sd);
        }
    }
    // joint limits; the arch's (metres) with 0.01 of the angles' standard deviation (0.17 mm)
    for p in 3..NP {
        let (lo, hi) = limits(p);
        let sd = cfg.limit_sd
            * if p >= 6 && (p - 6) % SIDE_NP == ARCH {
                0.01
            } else {
                1.0
            };
        if q[p] > hi {
            one(lin, p, q[p] - hi, sd);
        } else if q[p] < lo {
            one(lin, p, q[p] - lo, sd);
        }
    }
    let [sv, sr, si, sa] = cfg.physio_sd;
    one(lin, 4, q[4] - prior.pelvis_tilt, cfg.pelvis_tilt_sd);
    one(lin, 5, q[5], cfg.pelvis_obliquity_sd);
    for side in Side::BOTH {
        let (b, i) = (side_base(side), side_index(side));
        one(lin, b + HIP + 2, q[b + HIP + 2], cfg.hip_rotation_sd);
        one(lin, b + KNEE + 1, q[b + KNEE + 1] - prior.valgus[i], sv);
        one(lin, b + KNEE + 2, q[b + KNEE + 2], sr);
        one(lin, b + ANKLE + 1, q[b + ANKLE + 1], si);
        one(lin, b + ARCH, q[b + ARCH] - prior.arch[i], sa);
    }
    // feet not below the floor (lab y = 0) or the support they stand over; a support counts
    // when the foot is not far below its top (not beside a box), and not once the points
    // around the foot reach well below it (stepping off a box: a foot held on its top while
    // the leg falls past it stays caught there, frame after frame, 5-15 cm above the leg)
    let up = V3::y();
    for side in Side::BOTH {
        let i = side_index(side);
        let below = prior.feet_lowest[i].map_or(f64::INFINITY, |low| low + SUPPORT_REACH);
        let f = &shape.foot[i];
        let seg = Seg::Foot(side);
        let (o, r) = k.frame(seg);
        for (x, wz) in [(0.0, f.width[0]), (f.length, f.width[1])] {
            for zs in [-0.4, 0.4] {
                let local = V3::new(x - f.heel, -f.ankle_height, zs * wz);
                let pw = o + r * local;
                let ground = support_height(&prior.supports, pw.x, pw.z, (pw.y + 0.08).min(below));
                if pw.y < ground {
                    row.n = 0;
                    point_dir_row(k, seg, &pw, &up, &V3::zeros(), -1.0, row);
                    let w = 1.0 / (cfg.contact_sd * cfg.contact_sd);
                    lin.add(ground - pw.y, &row.idx[..row.n], &row.val[..row.n], w, true);
                }
            }
        }
    }
    // the lowest sole may not float above the lowest subject points: a straight leg slides
    // freely along its own axis, and trunk points above would otherwise lift the model
    if let Some(low) = prior.lowest_point {
        // standing (the points reach down to the support): the lower foot is on it; its
        // mid-sole, so that a foot cannot satisfy this by pointing its toes down
        let limit = match prior.stance_ground {
            Some(g) => g,
            None => low,
        };
        let sole = |side: Side, x: f64| {
            let f = &shape.foot[side_index(side)];
            let (o, r) = k.frame(Seg::Foot(side));
            o + r * V3::new(x - f.heel, -f.ankle_height, 0.0)
        };
        let mean_y = |side: Side| {
            let l = shape.foot[side_index(side)].length;
            0.5 * (sole(side, 0.0).y + sole(side, l).y)
        };
        let side = if mean_y(Side::Left) <= mean_y(Side::Right) {
            Side::Left
        } else {
            Side::Right
        };
        let settled = prior.settled && prior.stance_ground.is_some();
        let pw = if settled {
            // settled on the support, the ball of the lower foot: it bears the weight whether
            // the heel is down or raised (the middle of the sole of a heel-raised stance
            // stands 3-4 cm up)
            sole(side, BALL_OF_FOOT * shape.foot[side_index(side)].length)
        } else if prior.stance_ground.is_some() {
            // on the support, the middle of the lower sole: a foot landing toes first (20-25
            // deg of plantar flexion) still has it within a few cm of the support
            sole(side, 0.5 * shape.foot[side_index(side)].length)
        } else {
            // in the air the lowest points are the toes or the heel of the lower foot, pointed
            // as it lands: its lowest sole corner (the middle would pull the leg down)
            let l = shape.foot[side_index(side)].length;
            let (heel, toe) = (sole(side, 0.0), sole(side, l));
            if heel.y < toe.y {
                heel
            } else {
                toe
            }
        };
        // a take-off rises onto the toes: 0.1 s of the pelvis's rise lifts the mid-sole too
        let base = if settled {
            cfg.settled_margin
        } else {
            cfg.sole_margin
        };
        let margin = base + (0.1 * prior.rising).clamp(0.0, 0.08);
        let mut hold = |side: Side, pw: V3, margin: f64, lin: &mut Linearisation| {
            let excess = pw.y - limit - margin;
            if excess > 0.0 {
                row.n = 0;
                point_dir_row(k, Seg::Foot(side), &pw, &up, &V3::zeros(), 1.0, row);
                let w = 1.0 / (cfg.contact_sd * cfg.contact_sd);
                lin.add(excess, &row.idx[..row.n], &row.val[..row.n], w, true);
            }
        };
        hold(side, pw, margin, lin);
        if prior.stance_ground.is_some() {
            // a foot standing flat: heel and toe of its sole (not rising onto its toes)
            for s in Side::BOTH {
                let i = side_index(s);
                if prior.flat[i] {
                    for x in [0.0, shape.foot[i].length] {
                        hold(s, sole(s, x), base, lin);
                    }
                }
            }
        }
    }
    // leg-leg non-penetration along the thighs and shanks
    for (seg_l, seg_r, len, ts) in [
        (
            Seg::Thigh(Side::Left),
            Seg::Thigh(Side::Right),
            0usize,
            [0.5, 1.0],
        ),
        (
            Seg::Shank(Side::Left),
            Seg::Shank(Side::Right),
            1usize,
            [0.5, 1.0],
        ),
    ] {
        for t in ts {
            let lim = |i: usize| {
                let s = if len == 0 {
                    &shape.thigh[i]
                } else {
                    &shape.shank[i]
                };
                // the medio-lateral half-width of the section there
                (s.length, if t < 0.75 { s.az[1] } else { s.az[2] })
            };
            let ((ll, rl), (lr, rr)) = (lim(0), lim(1));
            let (ol, rotl) = k.frame(seg_l);
            let (or, rotr) = k.frame(seg_r);
            let xl = ol + rotl * V3::new(0.0, -t * ll, 0.0);
            let xr = or + rotr * V3::new(0.0, -t * lr, 0.0);
            let dvec = xr - xl;
            let dist = dvec.norm();
            // soft tissue gives: thighs and knees touch and press in a valgus squat (a stiffer
            // limit pushed the inner knee out and unbent it at the bottom of such a squat)
            let dmin = 0.6 * (rl + rr);
            if dist < dmin && dist > 1e-6 {
                let u = dvec / dist;
                row.n = 0;
                // r = dmin - |xr - xl|: dr = -u.dxr + u.dxl
                point_dir_row(k, seg_r, &xr, &u, &V3::zeros(), -1.0, row);
                point_dir_row(k, seg_l, &xl, &u, &V3::zeros(), 1.0, row);
                let w = 1.0 / (cfg.contact_sd * cfg.contact_sd);
                lin.add(dmin - dist, &row.idx[..row.n], &row.val[..row.n], w, true);
            }
        }
    }
}

/// Point-to-surface residuals (m) of every point at pose `q` (camera-facing surface only; a
/// point with no facing surface gets `f64::NAN`), for shape calibration.
pub fn data_residuals(shape: &BodyShape, q: &[f64; NP], pts: &[V3], cam: &V3, out: &mut Vec<f64>) {
    let mut near = Vec::with_capacity(pts.len());
    nearest_residuals(shape, q, pts, cam, &mut near);
    out.clear();
    out.extend(near.iter().map(|&(d, _)| d));
}

/// As [`data_residuals`], each with the segment whose facing surface is nearest (`None` when
/// no surface faces the camera there).
pub fn nearest_residuals(
    shape: &BodyShape,
    q: &[f64; NP],
    pts: &[V3],
    cam: &V3,
    out: &mut Vec<(f64, Option<Seg>)>,
) {
    out.clear();
    let k = Kinematics::new(q, shape);
    for x in pts {
        let mut best = (f64::NAN, None);
        for &seg in Seg::ALL.iter() {
            let (o, r) = k.frame(seg);
            let y = r.transpose() * (x - o);
            let c = seg_closest(shape, seg, &y, &k.arch);
            if !(best.0.is_nan() || c.d < best.0) {
                continue;
            }
            if (r * c.n).dot(&(cam - (o + r * c.p))) <= 0.0 {
                continue;
            }
            best = (c.d, Some(seg));
        }
        out.push(best);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::standing_pose;

    fn pose() -> [f64; NP] {
        let mut q = standing_pose([0.0, 0.9, 0.0], 0.2, 0.06);
        for (i, v) in [0.5, 0.1, 0.2, 1.1, 0.05, -0.1, 0.2, 0.05]
            .iter()
            .enumerate()
        {
            q[6 + i] = *v;
            q[15 + i] = -0.4 * v;
        }
        q
    }

    #[test]
    fn a_box_lets_go_of_a_foot_once_the_points_around_it_reach_below_it() {
        // soles 2 cm below the top of a 30 cm box they are over
        let shape = BodyShape::from_stature(1.75);
        let mut q = standing_pose([-0.2, 0.0, 0.0], 0.0, 0.06);
        let k = Kinematics::new(&q, &shape);
        let f = &shape.foot[0];
        let sole = (k.ajc[0] + k.r_foot[0] * V3::new(0.0, -f.ankle_height, 0.0)).y;
        q[1] += 0.28 - sole;
        let k = Kinematics::new(&q, &shape);
        let cfg = FitConfig::default();
        let cost = |lowest: f64, boxed: bool| {
            let supports = if boxed {
                vec![Support {
                    y: 0.3,
                    x: (-1.0, 0.5),
                    z: (-0.5, 0.5),
                }]
            } else {
                Vec::new()
            };
            let prior = Prior {
                supports: std::sync::Arc::new(supports),
                lowest_point: Some(lowest),
                feet_lowest: [Some(lowest); 2],
                ..Prior::uninformed(0.06)
            };
            let mut lin = Linearisation::new();
            priors(&shape, &q, &k, &prior, &cfg, &mut lin, &mut Row::new());
            lin.cost
        };
        // standing on it (the points around the feet at its top): held up to it
        assert!(cost(0.3, true) - cost(0.3, false) > 1.0);
        // stepping off (the toes reach 10 cm below its top, in front of it): let go
        assert!((cost(0.2, true) - cost(0.2, false)).abs() < 1e-9);
    }

    #[test]
    fn data_jacobian_matches_finite_differences() {
        let shape = BodyShape::from_stature(1.75);
        let q = pose();
        let k = Kinematics::new(&q, &shape);
        for seg in Seg::ALL {
            let (o, r) = k.frame(seg);
            // a point off the surface, matched to the segment
            let local = match seg {
                Seg::Foot(_) => V3::new(0.05, -0.02, 0.01),
                Seg::Pelvis => V3::new(0.15, 0.05, 0.02),
                _ => V3::new(0.08, -0.15, 0.02),
            };
            let x = o + r * local;
            let c = seg_closest(&shape, seg, &local, &k.arch);
            let mut row = Row::new();
            let res = data_row(&k, seg, &c, &x, &mut row);
            assert!((res - c.d).abs() < 1e-12);
            let mut jac = [0.0; NP];
            for j in 0..row.n {
                jac[row.idx[j]] += row.val[j];
            }
            // residual with the correspondence held on the segment (surface coordinates)
            let resid = |qq: &[f64; NP]| {
                let kk = Kinematics::new(qq, &shape);
                let (o, r) = kk.frame(seg);
                let mut p = c.p;
                if let Seg::Foot(s) = seg {
                    p += c.dp_darch * (kk.arch[side_index(s)] - k.arch[side_index(s)]);
                }
                (r * c.n).dot(&(x - (o + r * p)))
            };
            for p in 0..NP {
                let h = 1e-6;
                let (mut qp, mut qm) = (q, q);
                qp[p] += h;
                qm[p] -= h;
                let fd = (resid(&qp) - resid(&qm)) / (2.0 * h);
                assert!(
                    (fd - jac[p]).abs() < 1e-6,
                    "{seg:?} p{p}: fd {fd} analytic {}",
                    jac[p]
                );
            }
        }
    }
}
