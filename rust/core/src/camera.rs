//! Camera intrinsics and exact depth deprojection.
//!
//! The maths follows librealsense's `rs2_deproject_pixel_to_point` (rsutil.h) operation for
//! operation in `f32`, so points are bit for bit the SDK's for every distortion model. Like the
//! SDK's point cloud, a frame is deprojected through a ray table computed once per intrinsics:
//! pixel (u, v) maps to the ray (x, y, 1) at unit depth, and a point is `ray * z`.
//!
//! `rs.pointcloud()` agrees exactly on rectified streams (D4xx depth: Brown-Conrady with zero
//! coefficients, or no distortion). On distorted streams it does not match the SDK's own
//! `rs2_deproject_pixel_to_point`: its x86 ray map ignores Brown-Conrady, F-theta and
//! Kannala-Brandt distortion and applies inverse Brown-Conrady in a single step. kneesight
//! follows `rs2_deproject_pixel_to_point`.

use crate::error::{Error, Result};
use crate::input_err;

/// Lens distortion models, in librealsense's `rs2_distortion` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Distortion {
    /// Rectified images (D4xx depth): plain pinhole.
    None,
    /// Forward Brown-Conrady; cannot be undone, deprojected as pinhole (as the SDK does).
    ModifiedBrownConrady,
    /// Inverse Brown-Conrady: deprojection undistorts iteratively.
    InverseBrownConrady,
    /// F-theta fisheye (T265), one coefficient.
    FTheta,
    /// Brown-Conrady (what D4xx depth streams report, with zero coefficients).
    BrownConrady,
    /// Kannala-Brandt 4-coefficient fisheye.
    KannalaBrandt4,
}

impl Distortion {
    /// Every model, in `rs2_distortion` order.
    pub const ALL: [Distortion; 6] = [
        Distortion::None,
        Distortion::ModifiedBrownConrady,
        Distortion::InverseBrownConrady,
        Distortion::FTheta,
        Distortion::BrownConrady,
        Distortion::KannalaBrandt4,
    ];

    /// The snake_case name used by pyrealsense2 (`rs.distortion.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Distortion::None => "none",
            Distortion::ModifiedBrownConrady => "modified_brown_conrady",
            Distortion::InverseBrownConrady => "inverse_brown_conrady",
            Distortion::FTheta => "ftheta",
            Distortion::BrownConrady => "brown_conrady",
            Distortion::KannalaBrandt4 => "kannala_brandt4",
        }
    }

    /// Parse a pyrealsense2 model name (e.g. `"brown_conrady"`).
    pub fn from_name(name: &str) -> Result<Self> {
        Distortion::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| {
                let known: Vec<_> = Distortion::ALL.iter().map(|d| d.name()).collect();
                input_err!("unknown distortion model {name:?}; expected one of {known:?}")
            })
    }
}

/// Pinhole intrinsics with a distortion model, as in `rs2_intrinsics`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Intrinsics {
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels.
    pub height: usize,
    /// Focal length along x, pixels.
    pub fx: f32,
    /// Focal length along y, pixels.
    pub fy: f32,
    /// Principal point x, pixels.
    pub ppx: f32,
    /// Principal point y, pixels.
    pub ppy: f32,
    /// Distortion model.
    pub model: Distortion,
    /// Distortion coefficients, meaning as in librealsense for each model.
    pub coeffs: [f32; 5],
}

impl Intrinsics {
    /// Check that the intrinsics describe a real camera: positive size and focal lengths, finite
    /// values, principal point inside a generous margin of the image.
    pub fn validate(&self) -> Result<()> {
        if self.width == 0 || self.height == 0 || self.width > 16384 || self.height > 16384 {
            return Err(input_err!(
                "intrinsics: image size {}x{} is not a camera image size",
                self.width,
                self.height
            ));
        }
        let vals = [self.fx, self.fy, self.ppx, self.ppy];
        if vals
            .iter()
            .chain(self.coeffs.iter())
            .any(|v| !v.is_finite())
        {
            return Err(input_err!("intrinsics: non-finite value in {self:?}"));
        }
        if self.fx <= 0.0 || self.fy <= 0.0 {
            return Err(input_err!(
                "intrinsics: focal lengths must be positive, got fx={} fy={}",
                self.fx,
                self.fy
            ));
        }
        let (w, h) = (self.width as f32, self.height as f32);
        if self.ppx < -w || self.ppx > 2.0 * w || self.ppy < -h || self.ppy > 2.0 * h {
            return Err(input_err!(
                "intrinsics: principal point ({}, {}) is far outside the {}x{} image",
                self.ppx,
                self.ppy,
                self.width,
                self.height
            ));
        }
        if self.model == Distortion::FTheta && self.coeffs[0] == 0.0 {
            return Err(input_err!(
                "intrinsics: ftheta model needs a non-zero coeffs[0]"
            ));
        }
        Ok(())
    }

    /// Deproject one pixel at `depth` (metres) to a camera-frame point, exactly as librealsense's
    /// `rs2_deproject_pixel_to_point`.
    pub fn deproject_pixel(&self, pixel: [f32; 2], depth: f32) -> [f32; 3] {
        let c = &self.coeffs;
        let mut x = (pixel[0] - self.ppx) / self.fx;
        let mut y = (pixel[1] - self.ppy) / self.fy;
        let (xo, yo) = (x, y);
        match self.model {
            Distortion::InverseBrownConrady => {
                for _ in 0..10 {
                    let r2 = x * x + y * y;
                    let icdist = 1.0 / (1.0 + ((c[4] * r2 + c[1]) * r2 + c[0]) * r2);
                    let xq = x / icdist;
                    let yq = y / icdist;
                    let dx = 2.0 * c[2] * xq * yq + c[3] * (r2 + 2.0 * xq * xq);
                    let dy = 2.0 * c[3] * xq * yq + c[2] * (r2 + 2.0 * yq * yq);
                    x = (xo - dx) * icdist;
                    y = (yo - dy) * icdist;
                }
            }
            Distortion::BrownConrady => {
                for _ in 0..10 {
                    let r2 = x * x + y * y;
                    let icdist = 1.0 / (1.0 + ((c[4] * r2 + c[1]) * r2 + c[0]) * r2);
                    let dx = 2.0 * c[2] * x * y + c[3] * (r2 + 2.0 * x * x);
                    let dy = 2.0 * c[3] * x * y + c[2] * (r2 + 2.0 * y * y);
                    x = (xo - dx) * icdist;
                    y = (yo - dy) * icdist;
                }
            }
            Distortion::KannalaBrandt4 => {
                let rd = (x * x + y * y).sqrt().max(f32::EPSILON);
                let mut theta = rd;
                let mut theta2 = rd * rd;
                for _ in 0..4 {
                    let f = theta
                        * (1.0
                            + theta2 * (c[0] + theta2 * (c[1] + theta2 * (c[2] + theta2 * c[3]))))
                        - rd;
                    if f.abs() < f32::EPSILON {
                        break;
                    }
                    let df = 1.0
                        + theta2
                            * (3.0 * c[0]
                                + theta2
                                    * (5.0 * c[1] + theta2 * (7.0 * c[2] + 9.0 * theta2 * c[3])));
                    theta -= f / df;
                    theta2 = theta * theta;
                }
                let r = theta.tan();
                x *= r / rd;
                y *= r / rd;
            }
            Distortion::FTheta => {
                let rd = (x * x + y * y).sqrt().max(f32::EPSILON);
                let r =
                    ((c[0] * rd).tan() as f64 / (2.0 * (c[0] / 2.0).tan()).atan() as f64) as f32;
                x *= r / rd;
                y *= r / rd;
            }
            Distortion::None | Distortion::ModifiedBrownConrady => {}
        }
        [depth * x, depth * y, depth]
    }
}

/// Unit-depth rays of every pixel of an image, row-major: the point of pixel `i` at depth `z`
/// is `(rays[i].0 * z, rays[i].1 * z, z)`.
#[derive(Debug, Clone)]
pub struct RayTable {
    intrinsics: Intrinsics,
    rays: Vec<[f32; 2]>,
    /// When every ray's x depends only on the column and y only on the row (rectified D4xx
    /// depth: no distortion or zero coefficients), the per-column x and per-row y, bit for bit
    /// equal to `rays`. Whole-frame deprojection then reads W + H floats instead of 2 W H.
    separable: Option<(Vec<f32>, Vec<f32>)>,
}

impl RayTable {
    /// Build the table for validated intrinsics.
    pub fn new(intrinsics: &Intrinsics) -> Result<Self> {
        intrinsics.validate()?;
        let (w, h) = (intrinsics.width, intrinsics.height);
        let mut rays = Vec::with_capacity(w * h);
        for v in 0..h {
            for u in 0..w {
                let p = intrinsics.deproject_pixel([u as f32, v as f32], 1.0);
                rays.push([p[0], p[1]]);
            }
        }
        let cols: Vec<f32> = rays[..w].iter().map(|r| r[0]).collect();
        let rows: Vec<f32> = rays.iter().step_by(w).map(|r| r[1]).collect();
        let separable = rays
            .chunks_exact(w)
            .zip(&rows)
            .all(|(row, &y)| {
                row.iter()
                    .zip(&cols)
                    .all(|(r, &x)| r[0].to_bits() == x.to_bits() && r[1].to_bits() == y.to_bits())
            })
            .then_some((cols, rows));
        Ok(RayTable {
            intrinsics: *intrinsics,
            rays,
            separable,
        })
    }

    /// Whether the rays factor into a per-column x and a per-row y (plain pinhole).
    pub fn is_separable(&self) -> bool {
        self.separable.is_some()
    }

    /// The intrinsics the table was built for.
    pub fn intrinsics(&self) -> &Intrinsics {
        &self.intrinsics
    }

    /// The unit-depth ray (x, y) of pixel index `i = v * width + u`.
    #[inline]
    pub fn ray(&self, i: usize) -> [f32; 2] {
        self.rays[i]
    }

    fn check_len(&self, depth_len: usize, out_points: usize) -> Result<()> {
        let (w, h) = (self.intrinsics.width, self.intrinsics.height);
        if depth_len != w * h {
            return Err(input_err!(
                "depth has {depth_len} pixels but the intrinsics describe {w}x{h} = {}",
                w * h
            ));
        }
        if out_points != w * h {
            return Err(input_err!(
                "output holds {out_points} points, expected {}",
                w * h
            ));
        }
        Ok(())
    }

    /// Deproject a whole depth image (row-major `u16`, `depth_scale` metres per unit) into
    /// `out` (one point per pixel, metres, camera frame). Pixels with depth 0 give (0, 0, 0),
    /// as in `rs.pointcloud().calculate()`.
    pub fn deproject(&self, depth: &[u16], depth_scale: f32, out: &mut [[f32; 3]]) -> Result<()> {
        self.deproject_flat(depth, depth_scale, out.as_flattened_mut())
    }

    /// [`RayTable::deproject`] into a flat `x0 y0 z0 x1 y1 z1 ...` buffer of `3 * W * H`
    /// floats (for example the memory of a freshly allocated `(H*W, 3)` array).
    pub fn deproject_flat(&self, depth: &[u16], depth_scale: f32, out: &mut [f32]) -> Result<()> {
        if !out.len().is_multiple_of(3) {
            return Err(input_err!(
                "output holds {} floats, not a whole number of points",
                out.len()
            ));
        }
        self.check_len(depth.len(), out.len() / 3)?;
        check_scale(depth_scale)?;
        match &self.separable {
            Some((cols, rows)) => {
                let w = self.intrinsics.width;
                let rows_out = out.chunks_exact_mut(3 * w).zip(depth.chunks_exact(w));
                for ((o, d), &y) in rows_out.zip(rows) {
                    pinhole_row(d, depth_scale, cols, y, o);
                }
            }
            None => {
                for ((o, d), r) in out.chunks_exact_mut(3).zip(depth).zip(&self.rays) {
                    let z = depth_scale * *d as f32;
                    o.copy_from_slice(&[r[0] * z, r[1] * z, z]);
                }
            }
        }
        Ok(())
    }
}

/// Points of one image row whose rays share the unit-depth `y`; `xs` are the rays' x.
#[inline]
fn pinhole_row(depth: &[u16], depth_scale: f32, xs: &[f32], y: f32, out: &mut [f32]) {
    assert!(xs.len() == depth.len() && out.len() == 3 * depth.len());
    #[cfg(target_arch = "x86_64")]
    let done = sse2::pinhole_row(depth, depth_scale, xs, y, out);
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    for (k, &d) in depth.iter().enumerate().skip(done) {
        let z = depth_scale * d as f32;
        out[3 * k..3 * k + 3].copy_from_slice(&[xs[k] * z, y * z, z]);
    }
}

/// SSE2 (part of every x86-64 CPU) version of the pinhole row: eight pixels per step, the
/// three coordinate vectors interleaved into x y z triples with unpacks and shuffles. Same
/// operations per value as the scalar loop, so the results are bit for bit identical.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    /// Store four points from coordinate vectors x, y, z as 12 interleaved floats at `p`.
    ///
    /// # Safety
    /// `p` must be valid for writing 12 floats.
    #[inline(always)]
    unsafe fn store4(p: *mut f32, x: __m128, y: __m128, z: __m128) {
        let xy_lo = _mm_unpacklo_ps(x, y); // x0 y0 x1 y1
        let xy_hi = _mm_unpackhi_ps(x, y); // x2 y2 x3 y3
        let zx_lo = _mm_unpacklo_ps(z, x); // z0 x0 z1 x1
        let yz_lo = _mm_unpacklo_ps(y, z); // y0 z0 y1 z1
        let zx_hi = _mm_unpackhi_ps(z, x); // z2 x2 z3 x3
        let yz_hi = _mm_unpackhi_ps(y, z); // y2 z2 y3 z3
        _mm_storeu_ps(p, _mm_shuffle_ps::<0b11_00_01_00>(xy_lo, zx_lo)); // x0 y0 z0 x1
        _mm_storeu_ps(p.add(4), _mm_shuffle_ps::<0b01_00_11_10>(yz_lo, xy_hi)); // y1 z1 x2 y2
        _mm_storeu_ps(p.add(8), _mm_shuffle_ps::<0b11_10_11_00>(zx_hi, yz_hi)); // z2 x3 y3 z3
    }

    /// Fill the points of the longest multiple-of-8 prefix of the row; returns its length.
    /// The caller guarantees `xs.len() == depth.len()` and `out.len() == 3 * depth.len()`.
    pub(super) fn pinhole_row(
        depth: &[u16],
        scale: f32,
        xs: &[f32],
        y: f32,
        out: &mut [f32],
    ) -> usize {
        let n = depth.len() / 8 * 8;
        // SAFETY: for every i < n in steps of 8, depth[i..i + 8], xs[i..i + 8] and
        // out[3 i..3 i + 24] lie inside the slices (lengths checked by the caller); loads and
        // stores are unaligned; SSE2 is always available on x86-64.
        unsafe {
            let (sv, yv, zero) = (_mm_set1_ps(scale), _mm_set1_ps(y), _mm_setzero_si128());
            for i in (0..n).step_by(8) {
                let d = _mm_loadu_si128(depth.as_ptr().add(i).cast());
                let z0 = _mm_mul_ps(sv, _mm_cvtepi32_ps(_mm_unpacklo_epi16(d, zero)));
                let z1 = _mm_mul_ps(sv, _mm_cvtepi32_ps(_mm_unpackhi_epi16(d, zero)));
                let x0 = _mm_mul_ps(_mm_loadu_ps(xs.as_ptr().add(i)), z0);
                let x1 = _mm_mul_ps(_mm_loadu_ps(xs.as_ptr().add(i + 4)), z1);
                let p = out.as_mut_ptr().add(3 * i);
                store4(p, x0, _mm_mul_ps(yv, z0), z0);
                store4(p.add(12), x1, _mm_mul_ps(yv, z1), z1);
            }
        }
        n
    }
}

/// Check a depth scale (metres per depth unit).
pub fn check_scale(depth_scale: f32) -> Result<()> {
    if !(depth_scale.is_finite() && depth_scale > 0.0 && depth_scale < 1.0) {
        return Err(Error::Input(format!(
            "depth_scale must be metres per unit in (0, 1), got {depth_scale}"
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "camera_tests.rs"]
mod tests;
