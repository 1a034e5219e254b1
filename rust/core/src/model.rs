//! The articulated leg model: parameter layout, forward kinematics with the conventions of
//! [`crate::angles`], and the derivatives of any point fixed on a segment.
//!
//! Parameters (`NP` = 24, angles in radians, lengths in metres):
//! - pelvis: position of the pelvis origin (midway between the hip joint centres) in the lab
//!   frame (3), orientation `Ry(yaw) Rz(tilt) Rx(obliquity)` (3);
//! - per side (left block first, 9 each): hip flexion, adduction, internal rotation; knee
//!   flexion, valgus, internal rotation; ankle dorsiflexion, inversion; arch height (m).
//!
//! Ankle axial rotation is not a degree of freedom: with the knee's axial rotation and the hip's
//! it would be a third rotation of the foot about nearly the same axis, which depth points cannot
//! separate. It is held at 0, so the foot's yaw is carried by hip and knee rotation.

#![allow(clippy::needless_range_loop)] // index loops over small fixed-size parameter arrays

use nalgebra::{Matrix3, Rotation3, Vector3};

use crate::angles::{joint_angles, joint_rotation, Joint, Side};
use crate::shape::{BodyShape, Corr, LimbShape, PATELLA_SHARE, THIGH_CONDYLES};

type V3 = Vector3<f64>;
type M3 = Matrix3<f64>;

/// Number of pose parameters.
pub const NP: usize = 24;
/// Index of the pelvis position (3 values).
pub const PELVIS_POS: usize = 0;
/// Index of the pelvis orientation angles yaw, tilt, obliquity (3 values).
pub const PELVIS_ROT: usize = 3;
/// Offsets within a side block.
pub const HIP: usize = 0;
pub const KNEE: usize = 3;
pub const ANKLE: usize = 6;
pub const ARCH: usize = 8;
/// Parameters per side.
pub const SIDE_NP: usize = 9;

/// Index 0 for the left side, 1 for the right.
#[inline]
pub fn side_index(side: Side) -> usize {
    match side {
        Side::Left => 0,
        Side::Right => 1,
    }
}

/// First parameter of a side's block.
#[inline]
pub fn side_base(side: Side) -> usize {
    6 + SIDE_NP * side_index(side)
}

/// Human-readable names of the parameters (degrees of freedom), in order.
pub fn param_names() -> [String; NP] {
    let mut v: Vec<String> = [
        "pelvis_x",
        "pelvis_y",
        "pelvis_z",
        "pelvis_yaw",
        "pelvis_tilt",
        "pelvis_obliquity",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for side in Side::BOTH {
        for n in Joint::Hip
            .angle_names()
            .iter()
            .chain(Joint::Knee.angle_names().iter())
            .chain(Joint::Ankle.angle_names()[..2].iter())
            .chain(["arch_height"].iter())
        {
            v.push(format!("{n}_{}", side.suffix()));
        }
    }
    v.try_into().expect("24 names")
}

/// A model segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg {
    Pelvis,
    Thigh(Side),
    Patella(Side),
    Shank(Side),
    Foot(Side),
}

impl Seg {
    /// All segments, pelvis first.
    pub const ALL: [Seg; 9] = [
        Seg::Pelvis,
        Seg::Thigh(Side::Left),
        Seg::Patella(Side::Left),
        Seg::Shank(Side::Left),
        Seg::Foot(Side::Left),
        Seg::Thigh(Side::Right),
        Seg::Patella(Side::Right),
        Seg::Shank(Side::Right),
        Seg::Foot(Side::Right),
    ];

    /// Index in [`Seg::ALL`].
    pub fn index(self) -> usize {
        match self {
            Seg::Pelvis => 0,
            Seg::Thigh(s) => 1 + 4 * side_index(s),
            Seg::Patella(s) => 2 + 4 * side_index(s),
            Seg::Shank(s) => 3 + 4 * side_index(s),
            Seg::Foot(s) => 4 + 4 * side_index(s),
        }
    }

    /// Number of chain links from the pelvis (0 pelvis, 1 thigh/patella, 2 shank, 3 foot).
    pub fn depth(self) -> usize {
        match self {
            Seg::Pelvis => 0,
            Seg::Thigh(_) | Seg::Patella(_) => 1,
            Seg::Shank(_) => 2,
            Seg::Foot(_) => 3,
        }
    }

    pub fn side(self) -> Option<Side> {
        match self {
            Seg::Pelvis => None,
            Seg::Thigh(s) | Seg::Patella(s) | Seg::Shank(s) | Seg::Foot(s) => Some(s),
        }
    }
}

/// Signs of the raw Cardan angles of `joint_rotation` (probed from it, so that the one
/// convention stays in `angles.rs`).
fn cardan_signs(joint: Joint) -> [f64; 3] {
    let r = joint_rotation(joint, Side::Right, [1.0, 0.0, 0.0]);
    let a = r[(1, 0)].signum();
    let r = joint_rotation(joint, Side::Right, [0.0, 1.0, 0.0]);
    let b = r[(2, 1)].signum();
    let r = joint_rotation(joint, Side::Right, [0.0, 0.0, 1.0]);
    let c = r[(0, 2)].signum();
    [a, b, c]
}

/// World angular velocity per unit of each clinical angle (rad) of a joint whose proximal
/// segment has world rotation `r_parent`.
fn joint_axes(joint: Joint, side: Side, ang: [f64; 3], r_parent: &M3) -> [V3; 3] {
    let s = cardan_signs(joint);
    let a = ang[0] * s[0];
    let rz = Rotation3::from_axis_angle(&V3::z_axis(), a);
    let rzx = rz * Rotation3::from_axis_angle(&V3::x_axis(), ang[1] * s[1]);
    let q = [
        V3::z() * s[0],
        (rz * V3::x()) * s[1],
        (rzx * V3::y()) * s[2],
    ];
    q.map(|w| {
        let w = match side {
            Side::Right => w,
            // d(M Q M) = [-M w]x (M Q M) for the mirror M = diag(1, 1, -1)
            Side::Left => -V3::new(w.x, w.y, -w.z),
        };
        r_parent * w
    })
}

/// The pelvis's rotation (lab from pelvis) for `yaw` about lab up, then `tilt` about the
/// pelvis's lateral axis (negative tilts the front down), then `obliquity` about its forward
/// axis, rad.
pub fn pelvis_rotation(yaw: f64, tilt: f64, obliquity: f64) -> M3 {
    *(Rotation3::from_axis_angle(&V3::y_axis(), yaw)
        * Rotation3::from_axis_angle(&V3::z_axis(), tilt)
        * Rotation3::from_axis_angle(&V3::x_axis(), obliquity))
    .matrix()
}

/// Forward kinematics of one pose: joint centres, segment rotations and per-parameter axes.
#[derive(Debug, Clone)]
pub struct Kinematics {
    /// Pelvis origin (lab, m).
    pub pelvis_o: V3,
    pub r_pelvis: M3,
    pub hjc: [V3; 2],
    pub kjc: [V3; 2],
    pub ajc: [V3; 2],
    pub r_thigh: [M3; 2],
    pub r_shank: [M3; 2],
    pub r_foot: [M3; 2],
    /// Patella frames: the thigh's turned by [`PATELLA_SHARE`] of the knee flexion.
    pub r_patella: [M3; 2],
    /// Arch height per side, m.
    pub arch: [f64; 2],
    /// World rotation axis of each angular parameter (zeros for translations and arch).
    pub axis: [V3; NP],
    /// Centre of rotation of each angular parameter.
    pub centre: [V3; NP],
}

fn deg(v: [f64; 3]) -> [f64; 3] {
    v.map(f64::to_degrees)
}

impl Kinematics {
    /// Clinical hip, knee and ankle angles of one leg in degrees (`angles::joint_angles` of the
    /// relative segment rotations), the hip's relative to the pelvis `r_pelvis` (lab from
    /// pelvis; the pose's own, [`Kinematics::r_pelvis`], or an anatomical one).
    pub fn leg_angles(&self, side: Side, r_pelvis: &M3) -> [[f64; 3]; 3] {
        let i = side_index(side);
        [
            joint_angles(Joint::Hip, side, &(r_pelvis.transpose() * self.r_thigh[i])),
            joint_angles(
                Joint::Knee,
                side,
                &(self.r_thigh[i].transpose() * self.r_shank[i]),
            ),
            joint_angles(
                Joint::Ankle,
                side,
                &(self.r_shank[i].transpose() * self.r_foot[i]),
            ),
        ]
    }

    /// Forward kinematics of parameters `q` for the shape `shape`.
    pub fn new(q: &[f64; NP], shape: &BodyShape) -> Kinematics {
        let pelvis_o = V3::new(q[0], q[1], q[2]);
        let (yaw, tilt, obl) = (q[3], q[4], q[5]);
        let ry = Rotation3::from_axis_angle(&V3::y_axis(), yaw);
        let ryz = ry * Rotation3::from_axis_angle(&V3::z_axis(), tilt);
        let r_pelvis = pelvis_rotation(yaw, tilt, obl);
        let mut axis = [V3::zeros(); NP];
        let mut centre = [pelvis_o; NP];
        axis[3] = V3::y();
        axis[4] = ry * V3::z();
        axis[5] = ryz * V3::x();
        let z = V3::zeros();
        let mut k = Kinematics {
            pelvis_o,
            r_pelvis,
            hjc: [z; 2],
            kjc: [z; 2],
            ajc: [z; 2],
            r_thigh: [M3::identity(); 2],
            r_shank: [M3::identity(); 2],
            r_foot: [M3::identity(); 2],
            r_patella: [M3::identity(); 2],
            arch: [0.0; 2],
            axis,
            centre,
        };
        for side in Side::BOTH {
            let i = side_index(side);
            let b = side_base(side);
            let hip = [q[b], q[b + 1], q[b + 2]];
            let knee = [q[b + 3], q[b + 4], q[b + 5]];
            let ankle = [q[b + 6], q[b + 7], 0.0];
            let hjc = pelvis_o
                + r_pelvis * V3::new(0.0, 0.0, side.lateral() * shape.pelvis.hip_half_width);
            let r_thigh = r_pelvis * joint_rotation(Joint::Hip, side, deg(hip));
            let kjc = hjc + r_thigh * V3::new(0.0, -shape.thigh[i].length, 0.0);
            let r_shank = r_thigh * joint_rotation(Joint::Knee, side, deg(knee));
            let ajc = kjc + r_shank * V3::new(0.0, -shape.shank[i].length, 0.0);
            let r_foot = r_shank * joint_rotation(Joint::Ankle, side, deg(ankle));
            let r_patella = r_thigh
                * joint_rotation(Joint::Knee, side, deg([PATELLA_SHARE * knee[0], 0.0, 0.0]));
            let ax_h = joint_axes(Joint::Hip, side, hip, &r_pelvis);
            let ax_k = joint_axes(Joint::Knee, side, knee, &r_thigh);
            let ax_a = joint_axes(Joint::Ankle, side, ankle, &r_shank);
            for j in 0..3 {
                axis[b + HIP + j] = ax_h[j];
                centre[b + HIP + j] = hjc;
                axis[b + KNEE + j] = ax_k[j];
                centre[b + KNEE + j] = kjc;
            }
            for j in 0..2 {
                axis[b + ANKLE + j] = ax_a[j];
                centre[b + ANKLE + j] = ajc;
            }
            k.hjc[i] = hjc;
            k.kjc[i] = kjc;
            k.ajc[i] = ajc;
            k.r_thigh[i] = r_thigh;
            k.r_shank[i] = r_shank;
            k.r_foot[i] = r_foot;
            k.r_patella[i] = r_patella;
            k.arch[i] = q[b + ARCH];
        }
        k.axis = axis;
        k.centre = centre;
        k
    }

    /// World origin and rotation of a segment frame.
    pub fn frame(&self, seg: Seg) -> (V3, &M3) {
        match seg {
            Seg::Pelvis => (self.pelvis_o, &self.r_pelvis),
            Seg::Thigh(s) => {
                let i = side_index(s);
                (self.hjc[i], &self.r_thigh[i])
            }
            Seg::Patella(s) => {
                let i = side_index(s);
                (self.kjc[i], &self.r_patella[i])
            }
            Seg::Shank(s) => {
                let i = side_index(s);
                (self.kjc[i], &self.r_shank[i])
            }
            Seg::Foot(s) => {
                let i = side_index(s);
                (self.ajc[i], &self.r_foot[i])
            }
        }
    }

    /// Calls `f(param, share)` for every angular parameter that moves `seg` rigidly (pelvis
    /// orientation, then the side's hip, knee and ankle angles down to the segment); `share` is
    /// the fraction of the parameter's rotation the segment follows (1, or [`PATELLA_SHARE`] of
    /// the knee flexion for the patella).
    #[inline]
    pub fn rigid_angular_params(seg: Seg, mut f: impl FnMut(usize, f64)) {
        for k in PELVIS_ROT..PELVIS_ROT + 3 {
            f(k, 1.0);
        }
        let Some(side) = seg.side() else { return };
        let b = side_base(side);
        let d = seg.depth();
        for j in 0..3 {
            f(b + HIP + j, 1.0);
        }
        if let Seg::Patella(_) = seg {
            f(b + KNEE, PATELLA_SHARE);
        }
        if d >= 2 {
            for j in 0..3 {
                f(b + KNEE + j, 1.0);
            }
        }
        if d >= 3 {
            for j in 0..2 {
                f(b + ANKLE + j, 1.0);
            }
        }
    }

    /// Derivatives of a world point `x` rigidly attached to `seg`, with respect to every
    /// parameter that moves it: calls `f(param, dx/dparam)`. The arch derivative (a shape
    /// change, not a rigid motion) is not included.
    #[inline]
    pub fn point_derivatives(&self, seg: Seg, x: &V3, mut f: impl FnMut(usize, V3)) {
        for k in 0..3 {
            f(PELVIS_POS + k, V3::ith(k, 1.0));
        }
        Self::rigid_angular_params(seg, |k, share| {
            f(k, share * self.axis[k].cross(&(x - self.centre[k])))
        });
    }
}

/// The shape of a thigh or shank and how far its surface goes on past the distal joint (in
/// lengths: the thigh's condyles); `None` for the other segments.
#[inline]
pub fn limb_of(shape: &BodyShape, seg: Seg) -> Option<(&LimbShape, f64)> {
    match seg {
        Seg::Thigh(s) => Some((&shape.thigh[side_index(s)], THIGH_CONDYLES)),
        Seg::Shank(s) => Some((&shape.shank[side_index(s)], 0.0)),
        _ => None,
    }
}

/// Closest point of a segment's surface to `y` in that segment's coordinates.
#[inline(always)] // the fit's correspondence search calls it for every point and segment
pub fn seg_closest(shape: &BodyShape, seg: Seg, y: &V3, arch: &[f64; 2]) -> Corr {
    match seg {
        Seg::Pelvis => shape.pelvis.closest(y),
        Seg::Thigh(s) => shape.thigh[side_index(s)].closest(y, s.lateral(), THIGH_CONDYLES),
        Seg::Patella(s) => shape.patella[side_index(s)].closest(y),
        Seg::Shank(s) => shape.shank[side_index(s)].closest(y, s.lateral(), 0.0),
        Seg::Foot(s) => {
            let i = side_index(s);
            shape.foot[i].closest(y, arch[i], s.lateral())
        }
    }
}

/// Neutral standing pose: pelvis origin at `pelvis` (lab, m), facing `yaw` (rad about lab Y),
/// legs straight, feet flat, arch at `arch` (m).
pub fn standing_pose(pelvis: [f64; 3], yaw: f64, arch: f64) -> [f64; NP] {
    let mut q = [0.0; NP];
    q[..3].copy_from_slice(&pelvis);
    q[3] = yaw;
    for side in Side::BOTH {
        q[side_base(side) + ARCH] = arch;
    }
    q
}

/// Height of the pelvis origin above the floor in the standing pose of a shape, m.
pub fn standing_height(shape: &BodyShape, side: Side) -> f64 {
    let i = side_index(side);
    shape.thigh[i].length + shape.shank[i].length + shape.foot[i].ankle_height
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pose() -> [f64; NP] {
        let mut q = standing_pose([0.1, 0.95, -0.05], 0.3, 0.06);
        q[4] = 0.1;
        q[5] = -0.05;
        for (i, v) in [0.4, 0.1, 0.2, 0.9, 0.05, -0.1, 0.2, 0.05]
            .iter()
            .enumerate()
        {
            q[6 + i] = *v;
            q[15 + i] = -0.5 * v;
        }
        q
    }

    #[test]
    fn forward_kinematics_agrees_with_the_angle_conventions() {
        let shape = BodyShape::from_stature(1.8);
        let q = pose();
        let k = Kinematics::new(&q, &shape);
        for side in Side::BOTH {
            let i = side_index(side);
            let b = side_base(side);
            let [hip, knee, ankle] = k.leg_angles(side, &k.r_pelvis);
            for j in 0..3 {
                assert!((hip[j] - q[b + j].to_degrees()).abs() < 1e-9);
                assert!((knee[j] - q[b + 3 + j].to_degrees()).abs() < 1e-9);
            }
            assert!((ankle[0] - q[b + 6].to_degrees()).abs() < 1e-9);
            assert!((ankle[2]).abs() < 1e-9);
            let lt = (k.kjc[i] - k.hjc[i]).norm();
            assert!((lt - shape.thigh[i].length).abs() < 1e-12);
        }
        // hips are symmetric about the pelvis origin
        assert!(((k.hjc[0] + k.hjc[1]) * 0.5 - k.pelvis_o).norm() < 1e-12);
    }

    #[test]
    fn point_derivatives_match_finite_differences() {
        let shape = BodyShape::from_stature(1.7);
        let q = pose();
        let k = Kinematics::new(&q, &shape);
        for seg in Seg::ALL {
            let (o, r) = k.frame(seg);
            let local = V3::new(0.03, -0.1, 0.02);
            let x = o + r * local;
            let mut analytic = [V3::zeros(); NP];
            k.point_derivatives(seg, &x, |p, d| analytic[p] = d);
            for p in 0..NP {
                let h = 1e-6;
                let mut qp = q;
                qp[p] += h;
                let mut qm = q;
                qm[p] -= h;
                let xp = {
                    let kk = Kinematics::new(&qp, &shape);
                    let (o, r) = kk.frame(seg);
                    o + r * local
                };
                let xm = {
                    let kk = Kinematics::new(&qm, &shape);
                    let (o, r) = kk.frame(seg);
                    o + r * local
                };
                let fd = (xp - xm) / (2.0 * h);
                assert!(
                    (fd - analytic[p]).norm() < 1e-6,
                    "{seg:?} param {p}: fd {fd:?} analytic {:?}",
                    analytic[p]
                );
            }
        }
    }
}
