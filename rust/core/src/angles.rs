//! Joint angles: the one implementation of kneesight's angle conventions.
//!
//! Segment frames (all sides alike, at the neutral standing pose aligned with the lab frame):
//! X anterior, Y up along the segment's long axis (distal to proximal joint centre), Z to the
//! body's right. Pelvis origin midway between the hip joint centres; thigh origin at the hip
//! joint centre; shank at the knee joint centre; foot at the ankle joint centre, its X along the
//! foot (heel to toe) so that a flat foot under a vertical shank is 0 deg dorsiflexion.
//!
//! The relative rotation `R = R_proximal^T R_distal` is decomposed as the Cardan sequence Z-X-Y
//! (`R = Rz(a) Rx(b) Ry(c)`), which is the ISB joint coordinate system (Grood & Suntay 1983;
//! Wu et al. 2002): `a` about the proximal segment's medio-lateral axis, `c` about the distal
//! segment's long axis, `b` about the floating axis. For the left side the segment frames are
//! first mirrored across the sagittal plane (`M R M`, `M = diag(1, 1, -1)`), so the same signs
//! hold on both sides: positive = hip flexion, adduction, internal rotation; knee flexion, valgus
//! (abduction), tibial internal rotation; ankle dorsiflexion, inversion, internal rotation (toe-in).

use nalgebra::{Matrix3, Rotation3, Vector3};

/// Body side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    /// Both sides, left first (the column order).
    pub const BOTH: [Side; 2] = [Side::Left, Side::Right];

    /// Column suffix: `"l"` or `"r"`.
    pub fn suffix(self) -> &'static str {
        match self {
            Side::Left => "l",
            Side::Right => "r",
        }
    }

    /// +1 on the right, -1 on the left: the lab Z of the body's lateral direction.
    pub fn lateral(self) -> f64 {
        match self {
            Side::Left => -1.0,
            Side::Right => 1.0,
        }
    }
}

/// A joint of the leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Joint {
    Hip,
    Knee,
    Ankle,
}

impl Joint {
    /// Clinical sign of each raw Cardan angle (a about Z, b about X, c about Y) on the right side.
    fn signs(self) -> [f64; 3] {
        match self {
            // flexion moves the knee forward (+a); adduction moves it medially (+b on the right);
            // internal rotation turns the front medially (+c on the right).
            Joint::Hip => [1.0, 1.0, 1.0],
            // knee flexion swings the shank back (-a); valgus swings it laterally (-b).
            Joint::Knee => [-1.0, -1.0, 1.0],
            // dorsiflexion lifts the toes (+a); inversion turns the sole medially (+b);
            // internal rotation turns the toes in (+c).
            Joint::Ankle => [1.0, 1.0, 1.0],
        }
    }

    /// Names of the three clinical angles, in order.
    pub fn angle_names(self) -> [&'static str; 3] {
        match self {
            Joint::Hip => ["hip_flexion", "hip_adduction", "hip_internal_rotation"],
            Joint::Knee => ["knee_flexion", "knee_valgus", "knee_internal_rotation"],
            Joint::Ankle => [
                "ankle_dorsiflexion",
                "ankle_inversion",
                "ankle_internal_rotation",
            ],
        }
    }
}

fn mirror(r: &Matrix3<f64>) -> Matrix3<f64> {
    let m = Matrix3::from_diagonal(&Vector3::new(1.0, 1.0, -1.0));
    m * r * m
}

/// Rotation of the distal segment relative to the proximal one for clinical angles
/// `[a, b, c]` in degrees (e.g. hip flexion, adduction, internal rotation).
pub fn joint_rotation(joint: Joint, side: Side, angles_deg: [f64; 3]) -> Matrix3<f64> {
    let s = joint.signs();
    let [a, b, c] = [0, 1, 2].map(|k| (angles_deg[k] * s[k]).to_radians());
    let r = Rotation3::from_axis_angle(&Vector3::z_axis(), a)
        * Rotation3::from_axis_angle(&Vector3::x_axis(), b)
        * Rotation3::from_axis_angle(&Vector3::y_axis(), c);
    let r = *r.matrix();
    match side {
        Side::Right => r,
        Side::Left => mirror(&r),
    }
}

/// Clinical angles in degrees of the relative rotation `r = R_prox^T R_dist` (inverse of
/// [`joint_rotation`]). `r` should be a rotation matrix; the decomposition is well defined
/// while the floating-axis angle stays away from +-90 deg.
pub fn joint_angles(joint: Joint, side: Side, r: &Matrix3<f64>) -> [f64; 3] {
    let r = match side {
        Side::Right => *r,
        Side::Left => mirror(r),
    };
    let b = r[(2, 1)].clamp(-1.0, 1.0).asin();
    let a = (-r[(0, 1)]).atan2(r[(1, 1)]);
    let c = (-r[(2, 0)]).atan2(r[(2, 2)]);
    let s = joint.signs();
    [a, b, c]
        .iter()
        .zip(s)
        .map(|(v, s)| v.to_degrees() * s)
        .collect::<Vec<_>>()
        .try_into()
        .unwrap()
}

/// Frontal-plane projection angle in degrees from lab-frame joint centres (metres).
///
/// The hip, knee and ankle joint centres are projected on the lab frontal plane (Y-Z); the FPPA
/// is the angle between hip->knee and knee->ankle, 0 for a straight line, positive when the
/// knee lies medial to the hip-ankle line (valgus), negative when lateral (varus).
pub fn fppa(side: Side, hip: [f64; 3], knee: [f64; 3], ankle: [f64; 3]) -> f64 {
    // 2-D coordinates (z, y) in the frontal plane.
    let t = (knee[2] - hip[2], knee[1] - hip[1]);
    let s = (ankle[2] - knee[2], ankle[1] - knee[1]);
    let cross = t.0 * s.1 - t.1 * s.0;
    let dot = t.0 * s.0 + t.1 * s.1;
    // On the right, a medial knee (toward -Z) makes cross > 0; mirrored on the left.
    (side.lateral() * cross).atan2(dot).to_degrees()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOINTS: [Joint; 3] = [Joint::Hip, Joint::Knee, Joint::Ankle];

    #[test]
    fn angles_round_trip_on_both_sides() {
        let cases = [
            [10.0, 5.0, -20.0],
            [95.0, -8.0, 30.0],
            [-15.0, 12.0, 4.0],
            [0.0, 0.0, 0.0],
        ];
        for j in JOINTS {
            for side in Side::BOTH {
                for a in cases {
                    let r = joint_rotation(j, side, a);
                    assert!((r.determinant() - 1.0).abs() < 1e-12);
                    let back = joint_angles(j, side, &r);
                    for k in 0..3 {
                        assert!(
                            (back[k] - a[k]).abs() < 1e-9,
                            "{j:?} {side:?} {a:?} -> {back:?}"
                        );
                    }
                }
            }
        }
    }

    /// Where the distal segment's lower end goes (its -Y axis) in the proximal frame.
    fn distal_down(j: Joint, side: Side, a: [f64; 3]) -> Vector3<f64> {
        joint_rotation(j, side, a) * Vector3::new(0.0, -1.0, 0.0)
    }

    #[test]
    fn signs_are_anatomical_on_both_sides() {
        for side in Side::BOTH {
            let lat = side.lateral();
            // hip flexion brings the knee forward
            assert!(distal_down(Joint::Hip, side, [30.0, 0.0, 0.0]).x > 0.4);
            // hip adduction brings the knee medially
            assert!(distal_down(Joint::Hip, side, [0.0, 20.0, 0.0]).z * lat < -0.3);
            // knee flexion brings the ankle back
            assert!(distal_down(Joint::Knee, side, [30.0, 0.0, 0.0]).x < -0.4);
            // knee valgus brings the ankle laterally
            assert!(distal_down(Joint::Knee, side, [0.0, 10.0, 0.0]).z * lat > 0.1);
            // hip internal rotation turns the front of the thigh (X) medially
            let front = joint_rotation(Joint::Hip, side, [0.0, 0.0, 30.0]) * Vector3::x();
            assert!(front.z * lat < -0.4);
            // ankle dorsiflexion lifts the toes (foot X)
            let toes = joint_rotation(Joint::Ankle, side, [20.0, 0.0, 0.0]) * Vector3::x();
            assert!(toes.y > 0.3);
        }
    }

    #[test]
    fn fppa_is_positive_for_a_medial_knee_on_both_sides() {
        for side in Side::BOTH {
            let lat = side.lateral();
            let hip = [0.0, 0.9, 0.1 * lat];
            let ankle = [0.0, 0.1, 0.1 * lat];
            let medial_knee = [0.05, 0.5, 0.05 * lat];
            let lateral_knee = [0.05, 0.5, 0.15 * lat];
            let straight = [0.05, 0.5, 0.1 * lat];
            let v = fppa(side, hip, medial_knee, ankle);
            // 0.05 m over 0.4 m above and below: 2 * atan(0.125)
            assert!((v - 2.0 * 0.125f64.atan().to_degrees()).abs() < 1e-9, "{v}");
            assert!(fppa(side, hip, lateral_knee, ankle) < -10.0);
            assert!(fppa(side, hip, straight, ankle).abs() < 1e-12);
        }
    }
}
