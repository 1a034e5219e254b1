//! The side faces of a box or platform whose front face the background has learnt.
//!
//! A camera set off to one side (yaw 20-30 deg) sees a box's side face almost edge-on: a thin
//! sliver of samples, smeared along the rays by the depth noise, that the plane search leaves
//! to the wall and the front face it touches. Unlearnt, the sliver joined the subject standing
//! on the box, and the tracked legs followed it down through the box. Here the side is looked
//! for where it must stand: perpendicular to the front face, at its edge, behind it and below
//! its top.

use nalgebra::Vector3;

use crate::background::{Patch, PatchKind};
use crate::noise::DepthNoise;
use crate::plane::Plane;

/// How far behind the front face a side face is looked for, m.
const SIDE_DEPTH: f64 = 0.8;
/// Where a side face is looked for relative to the front face's edge, inward and outward, m.
const SIDE_SEARCH: (f64, f64) = (0.08, 0.12);
/// Half-thickness of the slab of samples taken as a side face, m.
const SIDE_BAND: f64 = 0.02;
/// How far from square to the front face a side face may stand, deg, and the steps of the
/// search either way.
const SIDE_TURN: f64 = 15.0;
const SIDE_TURNS: i32 = 6;
/// A side face's samples start this close behind the front face (beyond its noise band), m.
const SIDE_FROM_EDGE: f64 = 0.15;
/// Fewest samples on a side face.
const SIDE_MIN: usize = 15;
/// Heights of a box-like front face: its top, m.
const BOX_TOP: (f64, f64) = (0.1, 1.0);

/// Whether `face` is the front of a box or platform: vertical, plumb (its `v` axis vertical),
/// standing on the floor (`y` = 0) with its top 0.1-1 m up. Returns its bottom and top heights.
fn box_front(face: &Patch) -> Option<(f64, f64)> {
    if face.kind != PatchKind::Vertical || face.axis_v.y.abs() < 0.9 {
        return None;
    }
    let y = |v: f64| (face.origin + face.axis_v * v).y;
    let (a, b) = (y(face.v_range.0), y(face.v_range.1));
    let (bottom, top) = (a.min(b), a.max(b));
    (bottom < 0.1 && (BOX_TOP.0..BOX_TOP.1).contains(&top)).then_some((bottom, top))
}

/// Samples lined up as a side face: (across, back, height) of each in the face's own axes.
struct Slab {
    samples: Vec<(f64, f64, f64)>,
    outward: Vector3<f64>,
    back: Vector3<f64>,
}

/// The densest slab `2 SIDE_BAND` thick among the samples `near` (horizontal offsets from the
/// front face's middle, and heights), `reach` (m) across from it along directions within
/// `SIDE_TURN` of `outward` (the front face's own plane may lean a little: side samples pull
/// it round).
fn densest_slab(
    near: &[(Vector3<f64>, f64)],
    outward: Vector3<f64>,
    back: Vector3<f64>,
    reach: (f64, f64),
) -> Option<Slab> {
    let mut found: Option<Slab> = None;
    // the square direction first, then further and further round: a tie keeps the squarer
    for k in (0..=2 * SIDE_TURNS).map(|i| if i % 2 == 1 { (i + 1) / 2 } else { -i / 2 }) {
        let (sa, ca) = (SIDE_TURN.to_radians() * k as f64 / SIDE_TURNS as f64).sin_cos();
        let turn = |v: Vector3<f64>| Vector3::new(ca * v.x + sa * v.z, 0.0, ca * v.z - sa * v.x);
        let (out_k, back_k) = (turn(outward), turn(back));
        let mut cand: Vec<(f64, f64, f64)> = near
            .iter()
            .map(|(d, h)| (d.dot(&out_k), d.dot(&back_k), *h))
            .filter(|c| (0.0..SIDE_DEPTH).contains(&c.1) && (reach.0..=reach.1).contains(&c.0))
            .collect();
        if cand.len() < SIDE_MIN {
            continue;
        }
        cand.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut best, mut at, mut j) = (0usize, 0usize, 0usize);
        for i in 0..cand.len() {
            while cand[i].0 - cand[j].0 > 2.0 * SIDE_BAND {
                j += 1;
            }
            if i + 1 - j > best {
                (best, at) = (i + 1 - j, j);
            }
        }
        if found.as_ref().is_none_or(|f| best > f.samples.len()) {
            found = Some(Slab {
                samples: cand[at..at + best].to_vec(),
                outward: out_k,
                back: back_k,
            });
        }
    }
    found.filter(|f| f.samples.len() >= SIDE_MIN)
}

/// The side faces of box front `face` the camera at `eye` can see, found among the samples
/// `pts` (lab frame, m; `ranges` their distances from the camera) behind the face (beyond its
/// noise band) and between the floor's noise band and the top: on each side the densest slab
/// (see [`densest_slab`]) from `SIDE_SEARCH.0` inside the face's extent to `SIDE_SEARCH.1`
/// past it. A slab is a face when it starts within `SIDE_FROM_EDGE` behind the front, reaches
/// at least 0.1 m back, and from low (below 40 % of the top) to high (above 60 %): not a leg
/// standing beside the box.
pub(crate) fn side_faces(
    face: &Patch,
    pts: &[Vector3<f64>],
    ranges: &[f64],
    floor: &Plane,
    noise: &DepthNoise,
    eye: &Vector3<f64>,
) -> Vec<Patch> {
    let Some((bottom, top)) = box_front(face) else {
        return Vec::new();
    };
    let height = top - bottom;
    let flat = |v: Vector3<f64>| Vector3::new(v.x, 0.0, v.z);
    let back = -flat(face.plane.normal).normalize();
    let half = 0.5 * (face.u_range.1 - face.u_range.0);
    let mut centre = face.origin + face.axis_u * 0.5 * (face.u_range.0 + face.u_range.1);
    centre.y = bottom;
    // the face's own samples, smeared along the rays, line up across it: only what lies
    // beyond its noise band
    let near: Vec<(Vector3<f64>, f64)> = pts
        .iter()
        .zip(ranges)
        .filter_map(|(p, &r)| {
            let h = floor.distance(p);
            let d = flat(p - centre);
            (h > noise.tol(r, 3.0, 0.03)
                && h < height - 0.02
                && face.plane.distance(p) < -noise.tol(r, 2.5, 0.02)
                && d.dot(&back) < SIDE_DEPTH)
                .then_some((d, h))
        })
        .collect();
    let mut out = Vec::new();
    for sign in [-1.0, 1.0] {
        let outward = flat(face.axis_u * sign).normalize();
        // the extent may end short of the edge: legs standing just behind the face split it
        let reach = ((half - SIDE_SEARCH.0).max(0.1), half + SIDE_SEARCH.1);
        let Some(Slab {
            samples,
            outward,
            back,
        }) = densest_slab(&near, outward, back, reach)
        else {
            continue;
        };
        let across = samples[samples.len() / 2].0;
        let mut b: Vec<f64> = samples.iter().map(|c| c.1).collect();
        b.sort_by(f64::total_cmp);
        let (b0, b1) = (b[0], b[(b.len() * 19) / 20]);
        let (h0, h1) = samples
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |m, c| {
                (m.0.min(c.2), m.1.max(c.2))
            });
        if b0 > SIDE_FROM_EDGE || b1 - b0 < 0.1 || h0 > 0.4 * height || h1 < 0.6 * height {
            continue;
        }
        let origin = centre + outward * across;
        if (eye - origin).dot(&outward) <= 0.0 {
            continue; // the camera is on the box's side of this plane: the face is hidden
        }
        let Some(plane) = Plane::through(&outward, &origin) else {
            continue;
        };
        out.push(Patch {
            plane,
            origin,
            axis_u: back,
            axis_v: Vector3::y(),
            u_range: (0.0, b1),
            v_range: (0.0, height),
            kind: PatchKind::Side,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn front() -> Patch {
        // a 0.6 m wide, 0.32 m high face at x = -0.8 facing +x, z from -0.3 to 0.3
        Patch {
            plane: Plane::through(&Vector3::x(), &Vector3::new(-0.8, 0.0, 0.0)).unwrap(),
            origin: Vector3::new(-0.8, 0.0, 0.0),
            axis_u: -Vector3::z(),
            axis_v: Vector3::y(),
            u_range: (-0.28, 0.28),
            v_range: (0.0, 0.32),
            kind: PatchKind::Vertical,
        }
    }

    fn floor() -> Plane {
        Plane::through(&Vector3::y(), &Vector3::zeros()).unwrap()
    }

    /// Samples on the side face z = 0.3 (0.45 m deep), with `jitter` across, and on the wall.
    fn scene(side: bool) -> Vec<Vector3<f64>> {
        let mut pts = Vec::new();
        for i in 0..30 {
            for k in 0..12 {
                let b = 0.015 * i as f64;
                let y = 0.02 + 0.025 * k as f64;
                let jitter = 0.006 * (((i * 7 + k * 3) % 5) as f64 - 2.0);
                if side {
                    pts.push(Vector3::new(-0.8 - b, y, 0.3 + jitter));
                }
                pts.push(Vector3::new(-1.3, y + 0.3, 0.6 + 0.02 * i as f64));
            }
        }
        pts
    }

    #[test]
    fn the_side_a_camera_off_to_one_side_sees_is_found() {
        let pts = scene(true);
        let ranges = vec![3.0; pts.len()];
        let eye = Vector3::new(2.0, 1.0, 0.7);
        let sides = side_faces(&front(), &pts, &ranges, &floor(), &DepthNoise::D435, &eye);
        assert_eq!(sides.len(), 1, "{sides:?}");
        let s = &sides[0];
        assert!(
            s.plane.normal.dot(&Vector3::z()) > 3f64.to_radians().cos(),
            "{s:?}"
        );
        assert!(
            (s.plane.distance(&Vector3::new(-1.0, 0.1, 0.3))).abs() < 0.01,
            "{s:?}"
        );
        assert!(s.u_range.1 > 0.38 && s.u_range.1 < 0.46, "{s:?}");
        assert_eq!(s.kind, PatchKind::Side);
        assert!(
            box_front(s).is_none(),
            "a side is no front of further sides"
        );
        // behind it (inside the box, below its top) is covered; a foot in front of the box
        // and a leg beside it are not
        assert!(s.covers(&Vector3::new(-1.0, 0.1, 0.1), 0.05, 0.03, 0.6));
        assert!(!s.covers(&Vector3::new(-0.5, 0.1, 0.25), 0.05, 0.03, 0.6));
        assert!(!s.covers(&Vector3::new(-1.0, 0.1, 0.45), 0.05, 0.03, 0.6));
        // the side away from the camera is not looked for
        let other = Vector3::new(2.0, 1.0, -0.7);
        let none = side_faces(&front(), &pts, &ranges, &floor(), &DepthNoise::D435, &other);
        assert!(none.is_empty(), "{none:?}");
    }

    #[test]
    fn no_side_without_samples_or_from_a_leg_beside_the_box() {
        let eye = Vector3::new(2.0, 1.0, 0.7);
        let pts = scene(false);
        let ranges = vec![3.0; pts.len()];
        assert!(side_faces(&front(), &pts, &ranges, &floor(), &DepthNoise::D435, &eye).is_empty());
        // a leg (a 0.12 m wide column) standing beside the box, 0.3 m behind its front
        let leg: Vec<Vector3<f64>> = (0..200)
            .map(|i| Vector3::new(-1.1 + 0.0006 * i as f64, 0.01 * (i % 30) as f64, 0.31))
            .collect();
        let ranges = vec![3.0; leg.len()];
        assert!(side_faces(&front(), &leg, &ranges, &floor(), &DepthNoise::D435, &eye).is_empty());
    }
}
