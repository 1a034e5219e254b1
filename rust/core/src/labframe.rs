//! The lab frame: origin on the floor, Y up (the floor normal), X anterior (the direction the
//! subject faces, toward the camera by default), Z to the subject's right (`Z = X x Y`).
//!
//! It is found once per session from the floor plane seen by the camera ([`estimate_floor`])
//! and the subject's position ([`estimate_lab_frame`]), and held fixed through a trial.

use nalgebra::{Matrix3, Vector3};

use crate::camera::{check_scale, RayTable};
use crate::error::{Error, Result};
use crate::input_err;
use crate::noise::DepthNoise;
use crate::plane::{ransac_plane_by, refine_plane_weighted, Plane};
use crate::segment::{find_subject, learn_background, Background};

/// A rigid transform from the camera frame to the lab frame: `p_lab = rotation * p_cam +
/// translation` (metres). The rows of `rotation` are the lab X, Y, Z axes in camera
/// coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabFrame {
    /// Rotation from camera to lab coordinates (orthonormal, determinant +1).
    pub rotation: Matrix3<f64>,
    /// The camera-frame origin in lab coordinates, i.e. the camera position (metres).
    pub translation: Vector3<f64>,
}

impl LabFrame {
    /// A lab frame from a rotation and translation, checked: finite, orthonormal, right-handed.
    pub fn new(rotation: Matrix3<f64>, translation: Vector3<f64>) -> Result<LabFrame> {
        let finite = rotation
            .iter()
            .chain(translation.iter())
            .all(|v| v.is_finite());
        let ortho = (rotation * rotation.transpose() - Matrix3::identity()).amax() < 1e-6;
        if !finite || !ortho || rotation.determinant() < 0.0 {
            return Err(Error::Calibration(format!(
                "lab frame: rotation must be a finite proper rotation (orthonormal, det +1) and \
                 the translation finite; got rotation {rotation:?}, translation {translation:?}"
            )));
        }
        Ok(LabFrame {
            rotation,
            translation,
        })
    }

    /// A camera-frame point in lab coordinates.
    #[inline]
    pub fn to_lab(&self, p_cam: &Vector3<f64>) -> Vector3<f64> {
        self.rotation * p_cam + self.translation
    }

    /// A lab-frame point in camera coordinates.
    #[inline]
    pub fn to_camera(&self, p_lab: &Vector3<f64>) -> Vector3<f64> {
        self.rotation.transpose() * (p_lab - self.translation)
    }

    /// The camera's optical centre in lab coordinates (its Y is the camera height).
    pub fn camera_position(&self) -> Vector3<f64> {
        self.translation
    }

    /// A camera-frame plane expressed in lab coordinates.
    pub fn plane_to_lab(&self, plane: &Plane) -> Plane {
        let normal = self.rotation * plane.normal;
        Plane {
            normal,
            offset: plane.offset - normal.dot(&self.translation),
        }
    }

    /// The lab frame of a floor plane (camera frame; its normal is turned to point toward the
    /// camera, i.e. up), the direction the subject faces `forward_cam` (camera frame; only its
    /// horizontal part is used) and a point `origin_cam` whose projection onto the floor becomes
    /// the origin.
    ///
    /// Errors ([`Error::Calibration`]): an invalid plane, the camera within 5 cm of the floor
    /// plane, a forward direction within ~6 deg of vertical, non-finite input.
    pub fn from_floor(
        floor: &Plane,
        forward_cam: &Vector3<f64>,
        origin_cam: &Vector3<f64>,
    ) -> Result<LabFrame> {
        if !floor.is_valid() {
            return Err(Error::Calibration(format!(
                "lab frame: the floor plane is invalid (normal must be finite and unit): {floor:?}"
            )));
        }
        let floor = floor.oriented_toward(&Vector3::zeros());
        if floor.offset < 0.05 {
            return Err(Error::Calibration(format!(
                "lab frame: the camera is {:.3} m from the floor plane; a floor must lie below \
                 the camera",
                floor.offset
            )));
        }
        if !forward_cam
            .iter()
            .chain(origin_cam.iter())
            .all(|v| v.is_finite())
        {
            return Err(Error::Calibration(format!(
                "lab frame: non-finite forward {forward_cam:?} or origin {origin_cam:?}"
            )));
        }
        let y = floor.normal;
        let horizontal = forward_cam - y * y.dot(forward_cam);
        if horizontal.norm() < 0.1 * forward_cam.norm() || horizontal.norm() < 1e-9 {
            return Err(Error::Calibration(format!(
                "lab frame: the forward direction {forward_cam:?} is (nearly) vertical; it must \
                 have a horizontal part to define X"
            )));
        }
        let x = horizontal.normalize();
        let z = x.cross(&y);
        let rotation = Matrix3::from_rows(&[x.transpose(), y.transpose(), z.transpose()]);
        let origin = floor.project(origin_cam);
        LabFrame::new(rotation, -(rotation * origin))
    }
}

/// Depth samples of one or more frames of a static scene on a pixel grid (`stride`), each the
/// per-pixel median over the frames that have depth there, deprojected to the camera frame.
/// Returns the points and their pixel indices; depths outside `[z_min, z_max]` are dropped.
pub(crate) fn median_samples(
    frames: &[&[u16]],
    depth_scale: f32,
    rays: &RayTable,
    stride: usize,
    z_range: (f64, f64),
) -> Result<(Vec<Vector3<f64>>, Vec<usize>)> {
    check_scale(depth_scale)?;
    let intr = rays.intrinsics();
    let (w, h) = (intr.width, intr.height);
    if frames.is_empty() {
        return Err(input_err!("no depth frames given"));
    }
    for (k, f) in frames.iter().enumerate() {
        if f.len() != w * h {
            return Err(input_err!(
                "depth frame {k} has {} pixels but the intrinsics describe {w}x{h} = {}",
                f.len(),
                w * h
            ));
        }
    }
    let stride = stride.max(1);
    let mut pts = Vec::new();
    let mut pix = Vec::new();
    let mut vals: Vec<u16> = Vec::with_capacity(frames.len());
    for v in (stride / 2..h).step_by(stride) {
        for u in (stride / 2..w).step_by(stride) {
            let i = v * w + u;
            vals.clear();
            vals.extend(frames.iter().map(|f| f[i]).filter(|&d| d > 0));
            if vals.is_empty() {
                continue;
            }
            let mid = vals.len() / 2;
            let d = *vals.select_nth_unstable(mid).1;
            let z = d as f64 * depth_scale as f64;
            if z < z_range.0 || z > z_range.1 {
                continue;
            }
            let r = rays.ray(i);
            pts.push(Vector3::new(r[0] as f64 * z, r[1] as f64 * z, z));
            pix.push(i);
        }
    }
    Ok((pts, pix))
}

/// A grid stride giving about `target` samples of a `w x h` image.
pub(crate) fn stride_for(w: usize, h: usize, target: usize) -> usize {
    (((w * h) as f64 / target as f64).sqrt().ceil() as usize).max(1)
}

/// Farthest points used to refine a plane, metres.
pub(crate) const REFIT_MAX_RANGE: f64 = 4.5;

/// Re-fit a plane to the points within `k` noise sigmas, weighting by the inverse noise
/// variance (the noise grows with z^2), a few times.
/// `ranges[i]` is the camera distance of `points[i]`. Only points nearer than
/// [`REFIT_MAX_RANGE`] take part, within at most 5 cm of the plane: far away, a z^2 tolerance
/// would take in the foot of walls and tilt the plane.
pub(crate) fn refit_plane(
    points: &[Vector3<f64>],
    ranges: &[f64],
    plane: Plane,
    noise: &DepthNoise,
    k: f64,
) -> (Plane, Vec<usize>) {
    let mut plane = plane;
    let mut inliers = Vec::new();
    for _ in 0..4 {
        inliers = (0..points.len())
            .filter(|&i| {
                ranges[i] < REFIT_MAX_RANGE
                    && plane.distance(&points[i]).abs() < noise.tol(ranges[i], k, 0.01).min(0.05)
            })
            .collect();
        let weight = |i: usize| 1.0 / noise.sigma(ranges[i]).max(1e-3).powi(2);
        match refine_plane_weighted(points, &inliers, weight) {
            Some(p) if p.normal.dot(&plane.normal) >= 0.0 => plane = p,
            Some(p) => plane = p.flipped(),
            None => break,
        }
    }
    (plane, inliers)
}

/// The floor plane in the camera frame from one depth frame. See [`estimate_floor_frames`].
pub fn estimate_floor(depth: &[u16], depth_scale: f32, rays: &RayTable) -> Result<Plane> {
    estimate_floor_frames(&[depth], depth_scale, rays)
}

/// The floor plane in the camera frame (normal pointing up, toward the camera) from frames of a
/// static scene (per-pixel median over frames).
///
/// Sequential RANSAC (noise-aware tolerance growing with z^2) finds the large planes; the floor
/// is the lowest of the well-supported ones whose normal lies within 45 deg of the camera's up
/// (-y) and which lies 0.15-4 m below the camera; it is then refined by weighted least squares.
/// Errors: [`Error::Calibration`] saying why when no floor is visible, [`Error::Input`] for
/// mismatched sizes or a bad depth scale.
pub fn estimate_floor_frames(
    frames: &[&[u16]],
    depth_scale: f32,
    rays: &RayTable,
) -> Result<Plane> {
    let intr = rays.intrinsics();
    let stride = stride_for(intr.width, intr.height, 20_000);
    let (pts, _) = median_samples(frames, depth_scale, rays, stride, (0.15, 6.0))?;
    let noise = DepthNoise::D435;
    if pts.len() < 300 {
        return Err(Error::Calibration(format!(
            "no floor visible: only {} sampled pixels have depth between 0.15 and 6 m",
            pts.len()
        )));
    }
    let tol = |i: usize| noise.tol(pts[i].z, 2.5, 0.015);
    let mut remaining: Vec<usize> = (0..pts.len()).collect();
    let mut found: Vec<(Plane, usize)> = Vec::new();
    let up_cam = Vector3::new(0.0, -1.0, 0.0);
    for round in 0..6 {
        if remaining.len() < 200 {
            break;
        }
        let sub: Vec<Vector3<f64>> = remaining.iter().map(|&i| pts[i]).collect();
        let sub_tol = |k: usize| tol(remaining[k]);
        let Some((plane, inl)) = ransac_plane_by(&sub, sub_tol, |_| 1.0, 400, 17 + round) else {
            break;
        };
        if inl.len() < 150 {
            break;
        }
        found.push((plane.oriented_toward(&Vector3::zeros()), inl.len()));
        let mut is_in = vec![false; sub.len()];
        inl.iter().for_each(|&k| is_in[k] = true);
        remaining = remaining
            .iter()
            .zip(&is_in)
            .filter(|(_, &b)| !b)
            .map(|(&i, _)| i)
            .collect();
    }
    let candidates: Vec<&(Plane, usize)> = found
        .iter()
        .filter(|(p, _)| p.normal.dot(&up_cam) > 45f64.to_radians().cos())
        .filter(|(p, _)| (0.15..=4.0).contains(&p.offset))
        .collect();
    let Some(support) = candidates.iter().map(|c| c.1).max() else {
        let seen: Vec<String> = found
            .iter()
            .map(|(p, n)| {
                let tilt = p.normal.dot(&up_cam).clamp(-1.0, 1.0).acos().to_degrees();
                format!(
                    "{n} points, {tilt:.0} deg from camera-up, {:.2} m away",
                    p.offset
                )
            })
            .collect();
        return Err(Error::Calibration(format!(
            "no floor visible: none of the {} planes found faces up (within 45 deg of the \
             camera's -y) 0.15-4 m below the camera [{}]",
            found.len(),
            seen.join("; ")
        )));
    };
    let best = candidates
        .iter()
        .filter(|c| c.1 * 4 >= support)
        .max_by(|a, b| a.0.offset.total_cmp(&b.0.offset))
        .map(|c| c.0)
        .ok_or_else(|| Error::Calibration("no floor visible".into()))?;
    let ranges: Vec<f64> = pts.iter().map(|p| p.norm()).collect();
    let (floor, inliers) = refit_plane(&pts, &ranges, best, &noise, 2.5);
    if inliers.len() < 100 || !floor.is_valid() {
        return Err(Error::Calibration(format!(
            "no floor visible: the floor candidate kept only {} points on refinement",
            inliers.len()
        )));
    }
    Ok(floor.oriented_toward(&Vector3::zeros()))
}

/// The lab frame of a session from frames of a static scene (a standing trial or the first
/// frames of a trial): the floor from [`estimate_floor_frames`], the origin on the floor below
/// the subject found by [`find_subject`] (or, with no subject in view, below the point 2 m in
/// front of the camera), X horizontal from the subject toward the camera.
pub fn estimate_lab_frame(
    frames: &[&[u16]],
    depth_scale: f32,
    rays: &RayTable,
) -> Result<LabFrame> {
    let floor = estimate_floor_frames(frames, depth_scale, rays)?;
    let ahead = floor.project(&Vector3::new(0.0, 0.0, 2.0));
    let provisional = LabFrame::from_floor(&floor, &-ahead, &ahead)?;
    // the static structure (a box the subject stands on) must not widen the subject's blob
    let bg = learn_background(frames, depth_scale, rays, &provisional)
        .unwrap_or_else(|_| Background::floor_only());
    let last = frames[frames.len() - 1];
    let origin = match find_subject(last, depth_scale, rays, &provisional, &bg)? {
        Some(b) => {
            let c = (b.min + b.max) / 2.0;
            provisional.to_camera(&Vector3::new(c.x, 0.0, c.z))
        }
        None => ahead,
    };
    LabFrame::from_floor(&floor, &-origin, &origin)
}

#[cfg(test)]
#[path = "labframe_tests.rs"]
mod tests;
