//! The static scene of a session, learnt once: the floor plus large planar patches (walls, the
//! box or platform top and faces) with their rectangular extents, and the depth noise level.
//!
//! Patches are found by sequential RANSAC on the per-pixel median of a few frames, split into
//! connected pieces, and accepted only when they look like built structure rather than a
//! person: horizontal tops above the floor, vertical faces standing on the floor and wider
//! than tall, or anything planar larger than 1.2 m^2. The side faces of a box, seen edge-on
//! from a camera set off to one side, are then looked for at its front face's edges
//! ([`crate::box_sides`]).

use nalgebra::Vector3;

use crate::box_sides::side_faces;
use crate::camera::RayTable;
use crate::error::{Error, Result};
use crate::fit_terms::Support;
use crate::labframe::{median_samples, refit_plane, stride_for, LabFrame};
use crate::noise::DepthNoise;
use crate::patch_fit::{focus_plane, split_patches, Context};
use crate::plane::{ransac_plane_by, Plane};

/// What a background patch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// Vertical (within 20 deg): walls, box or platform faces.
    Vertical,
    /// Horizontal (within 20 deg) above the floor: box or platform tops, tables.
    Horizontal,
    /// Anything else large and planar (ramps, slanted boards).
    Slanted,
    /// A box's side face, found from its front face (see [`crate::box_sides`]): vertical, but
    /// not a support of its own (the front is).
    Side,
}

impl PatchKind {
    /// Vertical: a wall, a box's front or side face.
    pub fn is_vertical(self) -> bool {
        matches!(self, PatchKind::Vertical | PatchKind::Side)
    }
}

/// Where a point lies relative to a background patch (see [`Patch::cover`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// Neither on nor behind the patch.
    No,
    /// Within the depth noise of its plane.
    Band,
    /// Behind it, beyond the noise: hidden by it (inside a box).
    Behind,
}

/// A bounded planar patch of the static scene, in the lab frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// The plane, normal toward the camera.
    pub plane: Plane,
    /// A point on the plane: the origin of the in-plane coordinates.
    pub origin: Vector3<f64>,
    /// In-plane unit axes (for vertical patches `v` is up).
    pub axis_u: Vector3<f64>,
    pub axis_v: Vector3<f64>,
    /// Extent along `axis_u` and `axis_v`, metres from `origin` (min, max).
    pub u_range: (f64, f64),
    pub v_range: (f64, f64),
    pub kind: PatchKind,
}

impl Patch {
    /// Whether a lab point lies on the patch or behind it (the side away from the camera, up to
    /// `behind` metres), within `tol` of its plane and `margin` of its extent.
    #[inline]
    pub fn covers(&self, p: &Vector3<f64>, tol: f64, margin: f64, behind: f64) -> bool {
        self.cover(p, tol, margin, behind) != Cover::No
    }

    /// Where a lab point lies relative to the patch: in its noise band (within `tol` of the
    /// plane), behind it (up to `behind` metres, the side away from the camera), both within
    /// `margin` of its extent, or neither. Behind a vertical face only what is below its top
    /// edge counts: above it stand the feet of someone on the box.
    #[inline]
    pub fn cover(&self, p: &Vector3<f64>, tol: f64, margin: f64, behind: f64) -> Cover {
        let d = self.plane.distance(p);
        if d > tol || d < -behind {
            return Cover::No;
        }
        let q = p - self.origin;
        let (a, b) = (q.dot(&self.axis_u), q.dot(&self.axis_v));
        let (mut lo, mut hi) = (self.v_range.0 - margin, self.v_range.1 + margin);
        if d < -tol && self.kind.is_vertical() {
            // behind a face only what is below its top edge is hidden by it: above it stand
            // the feet of someone on the box
            if self.axis_v.y > 0.9 {
                hi = self.v_range.1;
            } else if self.axis_v.y < -0.9 {
                lo = self.v_range.0;
            }
        }
        // behind it, only within its extent: beside a box (its edges trimmed from the data)
        // may stand a leg
        let m = if d < -tol { 0.0 } else { margin };
        let inside = a >= self.u_range.0 - m && a <= self.u_range.1 + m && b >= lo && b <= hi;
        match (inside, d < -tol) {
            (false, _) => Cover::No,
            (true, false) => Cover::Band,
            (true, true) => Cover::Behind,
        }
    }

    /// Area of the extent rectangle, m^2.
    pub fn area(&self) -> f64 {
        (self.u_range.1 - self.u_range.0) * (self.v_range.1 - self.v_range.0)
    }
}

/// Tolerances of the segmentation. Distances in metres; `*_sigmas` multiply the depth noise
/// `sigma(z)`, and each tolerance is the larger of its minimum and its sigma multiple.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentParams {
    /// Points less than this high above the floor are floor.
    pub floor_min: f64,
    pub floor_sigmas: f64,
    /// Points this close to a background patch (or behind it) are background.
    pub patch_min: f64,
    pub patch_sigmas: f64,
    /// Extra margin around a patch's extent, and how far behind it points are hidden.
    pub patch_margin: f64,
    pub patch_behind: f64,
    /// A depth jump to both neighbours larger than this marks a flying pixel.
    pub flying_min: f64,
    pub flying_sigmas: f64,
    /// Neighbouring pixels closer in depth than this (plus two pixel pitches) are connected.
    pub connect_min: f64,
    pub connect_sigmas: f64,
    /// ... and never more than this, however noisy (a foot 15 cm before a box face at 3 m
    /// must not join it).
    pub connect_max: f64,
    /// Blobs besides the largest are kept when at least this fraction of its size, within
    /// `blob_max_gap` of its bounding box and no wider than `blob_max_across` horizontally.
    pub blob_min_frac: f64,
    pub blob_max_gap: f64,
    pub blob_max_across: f64,
    /// Valid depth range.
    pub z_min: f64,
    pub z_max: f64,
}

impl Default for SegmentParams {
    fn default() -> Self {
        SegmentParams {
            floor_min: 0.015,
            floor_sigmas: 2.5,
            patch_min: 0.02,
            patch_sigmas: 2.5,
            patch_margin: 0.03,
            patch_behind: 0.6,
            flying_min: 0.03,
            flying_sigmas: 4.0,
            connect_min: 0.05,
            connect_sigmas: 4.0,
            connect_max: 0.1,
            blob_min_frac: 0.05,
            blob_max_gap: 0.25,
            blob_max_across: 0.5,
            z_min: 0.2,
            z_max: 8.0,
        }
    }
}

/// The static scene of a session in the lab frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Background {
    /// The floor (lab frame, normal up; `y = 0` for a lab frame made from this floor).
    pub floor: Plane,
    /// Walls, box faces and tops and other large planar structure.
    pub patches: Vec<Patch>,
    /// Depth noise, estimated from the floor's residuals when the floor is well seen.
    pub noise: DepthNoise,
    pub params: SegmentParams,
}

impl Background {
    /// Only the lab floor `y = 0`, D435 noise, default tolerances: what is known before
    /// anything is learnt.
    pub fn floor_only() -> Background {
        Background {
            floor: Plane {
                normal: Vector3::y(),
                offset: 0.0,
            },
            patches: Vec::new(),
            noise: DepthNoise::D435,
            params: SegmentParams::default(),
        }
    }

    /// Support surfaces: horizontal patches (box tops), and the tops of box-like vertical
    /// faces (standing on the floor, 0.1-1 m high), extruded 0.6 m behind the face: from a
    /// camera at hip height the top of a box the subject stands on is barely visible. A box's
    /// side faces ([`PatchKind::Side`]) add none: its front stands for it.
    pub fn supports(&self) -> Vec<Support> {
        let mut out: Vec<(Support, &Patch)> = Vec::new();
        for p in &self.patches {
            let mut x = (f64::INFINITY, f64::NEG_INFINITY);
            let mut z = x;
            let mut y = (f64::INFINITY, f64::NEG_INFINITY);
            let behind = if p.kind == PatchKind::Vertical {
                -p.plane.normal * 0.6
            } else {
                Vector3::zeros()
            };
            for u in [p.u_range.0, p.u_range.1] {
                for v in [p.v_range.0, p.v_range.1] {
                    for d in [Vector3::zeros(), behind] {
                        let c = p.origin + p.axis_u * u + p.axis_v * v + d;
                        x = (x.0.min(c.x), x.1.max(c.x));
                        z = (z.0.min(c.z), z.1.max(c.z));
                        y = (y.0.min(c.y), y.1.max(c.y));
                    }
                }
            }
            let top = match p.kind {
                PatchKind::Horizontal if p.plane.normal.y.abs() > 0.9 => 0.5 * (y.0 + y.1),
                PatchKind::Vertical if y.0 < 0.1 && (0.1..1.0).contains(&y.1) => y.1,
                _ => continue,
            };
            out.push((Support { y: top, x, z }, p));
        }
        // a face learnt twice (from the median of the calibration frames and from one trial
        // frame, whose noise and flying pixels stretch its extent by centimetres): the same
        // plane, overlapping, is the same box: its lower top is the better bounded one
        let same_face = |a: &Patch, b: &Patch| {
            a.kind == PatchKind::Vertical
                && b.kind == PatchKind::Vertical
                && a.plane.normal.dot(&b.plane.normal) > 10f64.to_radians().cos()
                && (a.plane.offset - b.plane.offset).abs() < 0.05
        };
        let tops: Vec<f64> = out
            .iter()
            .map(|(s, p)| {
                out.iter()
                    .filter(|(o, q)| {
                        same_face(p, q)
                            && o.x.0 <= s.x.1
                            && s.x.0 <= o.x.1
                            && o.z.0 <= s.z.1
                            && s.z.0 <= o.z.1
                    })
                    .fold(s.y, |m, (o, _)| m.min(o.y))
            })
            .collect();
        out.iter()
            .zip(tops)
            .map(|((s, _), y)| Support { y, ..*s })
            .collect()
    }
}

/// Learn the static scene from depth frames (a few frames of the session: the empty scene or a
/// standing trial; the per-pixel median suppresses what moves) in the lab frame `lab`.
///
/// Errors: [`Error::Input`] for mismatched sizes or a bad scale, [`Error::Calibration`] when
/// the frames hold too little depth or no floor where the lab frame puts it.
pub fn learn_background(
    frames: &[&[u16]],
    depth_scale: f32,
    rays: &RayTable,
    lab: &LabFrame,
) -> Result<Background> {
    let intr = rays.intrinsics();
    let stride = stride_for(intr.width, intr.height, 110_000);
    let params = SegmentParams::default();
    let (cam, pix) = median_samples(
        frames,
        depth_scale,
        rays,
        stride,
        (params.z_min, params.z_max),
    )?;
    if cam.len() < 300 {
        return Err(Error::Calibration(format!(
            "background: only {} sampled pixels have depth",
            cam.len()
        )));
    }
    let pts: Vec<Vector3<f64>> = cam.iter().map(|p| lab.to_lab(p)).collect();
    let ranges: Vec<f64> = cam.iter().map(|p| p.norm()).collect();
    let eye = lab.camera_position();

    // the floor in lab coordinates, and the noise level from its residuals
    let mut noise = DepthNoise::D435;
    let mut floor = Plane {
        normal: Vector3::y(),
        offset: 0.0,
    };
    for _ in 0..2 {
        let (refit, inliers) = refit_plane(&pts, &ranges, floor, &noise, 2.5);
        if inliers.len() < 200 || refit.normal.y < 0.98 {
            return Err(Error::Calibration(format!(
                "background: the frames show no floor where the lab frame puts it \
                 ({} floor points, normal {:?})",
                inliers.len(),
                refit.normal
            )));
        }
        floor = refit;
        // single-frame residuals (the median over frames is less noisy than one frame),
        // along the floor normal: depth noise scaled by the ray's slant to the floor
        let first = frames[0];
        let mut scaled: Vec<f64> = inliers
            .iter()
            .filter_map(|&i| {
                let z = first[pix[i]] as f64 * depth_scale as f64;
                let r = rays.ray(pix[i]);
                let p = lab.to_lab(&Vector3::new(r[0] as f64 * z, r[1] as f64 * z, z));
                let slant = floor.normal.dot(&(p - eye)).abs() / (p - eye).norm();
                // a depth error dz moves the point by dz * range / z along the ray
                let along = slant * (p - eye).norm() / z.max(1e-6);
                (z > 0.0 && slant > 0.1).then(|| floor.distance(&p).abs() / (z * z * along))
            })
            .collect();
        if scaled.len() >= 100 {
            let mid = scaled.len() / 2;
            let mad = *scaled.select_nth_unstable_by(mid, f64::total_cmp).1;
            noise.per_m2 = (1.4826 * mad).clamp(DepthNoise::MIN_PER_M2, DepthNoise::MAX_PER_M2);
        }
    }

    // the per-pixel median of n frames is less noisy than one frame
    let median_gain = (1.25 / (frames.len() as f64).sqrt()).min(1.0);
    // sequential RANSAC on what is above the floor
    // what the floor's noise can reach is left out: structure is searched for above it
    let mut pool: Vec<usize> = (0..pts.len())
        .filter(|&i| floor.distance(&pts[i]) > noise.tol(ranges[i], 3.0, 0.03))
        .collect();
    // samples per m^2 of a surface facing the camera at 1 m
    let density = (intr.fx as f64 * intr.fy as f64) / (stride * stride) as f64;
    let mut patches = Vec::new();
    for round in 0..10u64 {
        if pool.len() < 150 {
            break;
        }
        let sub: Vec<Vector3<f64>> = pool.iter().map(|&i| pts[i]).collect();
        let tol = |k: usize| noise.tol(ranges[pool[k]], 2.5 * median_gain, 0.015);
        let weight = |k: usize| 1.0 / noise.sigma(ranges[pool[k]]).max(1e-3).powi(2);
        let Some((plane, inl)) = ransac_plane_by(&sub, tol, weight, 400, 101 + round) else {
            break;
        };
        if inl.len() < 40 {
            break;
        }
        let ctx = Context {
            floor: &floor,
            noise: &noise,
            eye: &eye,
            density,
            gain: median_gain,
        };
        let plane = focus_plane(&plane.oriented_toward(&eye), &sub, &inl, &ctx);
        let focused: Vec<usize> = (0..sub.len())
            .filter(|&k| plane.distance(&sub[k]).abs() < ctx.tol(&sub[k]))
            .collect();
        if focused.len() < 40 {
            // nothing coherent there: drop RANSAC's inliers and look for the next plane
            let mut is_in = vec![false; sub.len()];
            inl.iter().for_each(|&k| is_in[k] = true);
            pool = without(&pool, &is_in);
            continue;
        }
        let inl = focused;
        let members: Vec<Vector3<f64>> = inl.iter().map(|&k| sub[k]).collect();
        let (found, explained) = split_patches(&plane, &members, &ctx);
        patches.extend(found);
        // points the re-fitted pieces do not explain go back to the pool (RANSAC's plane may
        // have cut through other structure), unless nothing is explained
        let any = explained.iter().any(|&e| e);
        let mut is_in = vec![false; sub.len()];
        for (m, &k) in inl.iter().enumerate() {
            is_in[k] = explained[m] || !any;
        }
        pool = without(&pool, &is_in);
    }
    // the side faces of the boxes, seen edge-on from a camera off to one side
    let sides: Vec<Patch> = patches
        .iter()
        .flat_map(|f| side_faces(f, &pts, &ranges, &floor, &noise, &eye))
        .collect();
    patches.extend(sides);
    Ok(Background {
        floor,
        patches,
        noise,
        params,
    })
}

/// The entries of `pool` whose flag in `taken` (one per entry) is false, in order.
fn without(pool: &[usize], taken: &[bool]) -> Vec<usize> {
    pool.iter()
        .zip(taken)
        .filter(|(_, &t)| !t)
        .map(|(&i, _)| i)
        .collect()
}
