//! The stature from a standing subject's points when the head is in view.
//!
//! A high percentile of the pooled points reads low: the top of the head is a small cap that
//! holds few points (at 2.4 m, the 99.8th percentile was 3-4 cm below the vertex). Its highest
//! points, on the other hand, include flying pixels along the rays past the head's outline,
//! which rise with their range when the camera looks up at the head.
//!
//! So each frame's top is its highest point that lies on a surface: one with at least
//! [`TOP_NEIGHBOURS`] other points within [`TOP_RADIUS`] of it (seen at a grazing angle near
//! the outline, the head's own rows of points lie a few centimetres apart; flying pixels are
//! scattered in range). The stature is the median of the frames' tops above the support, plus
//! the part of the skull the camera cannot see: from below, its outline is where the view ray
//! grazes the skull, `r (1 - cos e)` under the vertex for a ray rising at `e`, with `r` the
//! skull's radius ([`SKULL_OF_STATURE`] of the stature).

use nalgebra::Vector3;

type V3 = Vector3<f64>;

/// Points within this distance (m) of a candidate top make it part of a surface.
pub const TOP_RADIUS: f64 = 0.04;
/// Fewest neighbours within [`TOP_RADIUS`] of a frame's top point.
pub const TOP_NEIGHBOURS: usize = 3;
/// Highest points of a frame searched for its top.
const TOP_CANDIDATES: usize = 300;
/// The skull's radius in statures (about 0.095 m at 1.75 m).
pub const SKULL_OF_STATURE: f64 = 0.054;

/// The highest point of one frame's subject points (lab frame, y up) that has at least
/// [`TOP_NEIGHBOURS`] others within [`TOP_RADIUS`]; `None` when no point has.
pub fn frame_top(points: &[V3]) -> Option<V3> {
    let mut top: Vec<V3> = points.to_vec();
    let k = TOP_CANDIDATES.min(top.len());
    if k == 0 {
        return None;
    }
    if k < top.len() {
        top.select_nth_unstable_by(k - 1, |a, b| b.y.total_cmp(&a.y));
        top.truncate(k);
    }
    top.sort_by(|a, b| b.y.total_cmp(&a.y));
    let r2 = TOP_RADIUS * TOP_RADIUS;
    top.iter()
        .find(|p| {
            top.iter()
                .filter(|q| (*q - *p).norm_squared() <= r2)
                .count()
                > TOP_NEIGHBOURS
        })
        .copied()
}

/// The stature (m) from the frames' tops (lab frame) over a support at height `ground`, seen
/// from the camera at `cam`: the median top plus the skull the camera cannot see over it.
pub fn stature_from_tops(tops: &[V3], ground: f64, cam: &V3) -> Option<f64> {
    if tops.is_empty() {
        return None;
    }
    let mut sorted = tops.to_vec();
    let mid = sorted.len() / 2;
    let p = *sorted
        .select_nth_unstable_by(mid, |a, b| a.y.total_cmp(&b.y))
        .1;
    let seen = p.y - ground;
    Some(seen + hidden_cap(seen, &p, cam))
}

/// Height (m) of the skull above its highest point seen from `cam` (its outline), for a
/// subject `seen` metres tall to that point, the point at `top`.
fn hidden_cap(seen: f64, top: &V3, cam: &V3) -> f64 {
    let r = SKULL_OF_STATURE * seen;
    let d = top - cam;
    let horizontal = d.x.hypot(d.z);
    if d.y <= 0.0 || horizontal <= 0.0 {
        // the camera at or above the vertex sees it
        return 0.0;
    }
    let e = d.y.atan2(horizontal);
    r * (1.0 - e.cos())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points of a sphere's camera-facing side as a camera at `cam` samples it (a ray grid
    /// with `step` rad between rays); with `flying`, every other pixel on the outline (its
    /// upper neighbour misses the sphere) is pushed back 0.1-0.5 m towards a far wall.
    fn head(centre: V3, r: f64, cam: V3, step: f64, flying: bool) -> Vec<V3> {
        let d = (centre - cam).normalize();
        let right = d.cross(&V3::y()).normalize();
        let up = right.cross(&d);
        let hit = |i: i32, j: i32| {
            let ray = (d + right * (i as f64 * step) + up * (j as f64 * step)).normalize();
            let oc = cam - centre;
            let b = oc.dot(&ray);
            let disc = b * b - (oc.norm_squared() - r * r);
            (disc >= 0.0).then(|| (ray, -b - disc.sqrt()))
        };
        let mut pts = Vec::new();
        let n = ((r / (centre - cam).norm()) / step).ceil() as i32 + 2;
        for i in -n..=n {
            for j in -n..=n {
                let Some((ray, t)) = hit(i, j) else { continue };
                let back = if flying && i % 2 == 0 && hit(i, j + 1).is_none() {
                    0.1 * (1 + (i.rem_euclid(5))) as f64
                } else {
                    0.0
                };
                pts.push(cam + ray * (t + back));
            }
        }
        pts
    }

    /// The stature read from one frame of a head (a sphere of the skull's radius with its top
    /// at `stature`) seen from `cam`, and the frame's points.
    fn read(stature: f64, cam: V3, flying: bool) -> (f64, Vec<V3>) {
        let r = SKULL_OF_STATURE * stature;
        let pts = head(V3::new(0.0, stature - r, 0.0), r, cam, 0.0046, flying);
        let top = frame_top(&pts).expect("a top");
        (stature_from_tops(&[top], 0.0, &cam).unwrap(), pts)
    }

    #[test]
    fn the_top_of_a_head_seen_from_below_is_read_within_a_centimetre() {
        // a 1.75 m subject 2.4 m from a camera 1 m up (D435, every 2nd pixel: 4.6 mrad)
        let (got, pts) = read(1.75, V3::new(2.4, 1.0, 0.0), true);
        assert!((got - 1.75).abs() < 0.01, "stature {got:.3} against 1.75");
        // the flying pixels reach higher than the head: the plain maximum reads high
        let max = pts.iter().map(|p| p.y).fold(f64::MIN, f64::max);
        assert!(max > 1.75 + 0.02, "max {max:.3}");
    }

    #[test]
    fn a_camera_above_the_head_sees_the_vertex() {
        let (got, _) = read(1.60, V3::new(2.0, 2.2, 0.5), false);
        assert!((got - 1.60).abs() < 0.01, "stature {got:.3} against 1.60");
    }

    #[test]
    fn isolated_points_make_no_top() {
        let pts: Vec<V3> = (0..10).map(|i| V3::new(i as f64, 1.0, 0.0)).collect();
        assert!(frame_top(&pts).is_none());
        assert!(frame_top(&[]).is_none());
        assert!(stature_from_tops(&[], 0.0, &V3::zeros()).is_none());
    }
}
