//! Camera intrinsics and exact depth deprojection.
//!
//! The maths follows librealsense's `rs2_deproject_pixel_to_point` (rsutil.h) operation for
//! operation in `f32`, so points agree with the SDK and with `rs.pointcloud()` to float rounding.
//! Like the SDK's point cloud, a frame is deprojected through a ray table computed once per
//! intrinsics: pixel (u, v) maps to the ray (x, y, 1) at unit depth, and a point is `ray * z`.

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
        Ok(RayTable {
            intrinsics: *intrinsics,
            rays,
        })
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

    fn check_len(&self, depth_len: usize, out_len: usize) -> Result<()> {
        let (w, h) = (self.intrinsics.width, self.intrinsics.height);
        if depth_len != w * h {
            return Err(input_err!(
                "depth has {depth_len} pixels but the intrinsics describe {w}x{h} = {}",
                w * h
            ));
        }
        if out_len != w * h {
            return Err(input_err!(
                "output holds {out_len} points, expected {}",
                w * h
            ));
        }
        Ok(())
    }

    /// Deproject a whole depth image (row-major `u16`, `depth_scale` metres per unit) into
    /// `out` (one point per pixel, metres, camera frame). Pixels with depth 0 give (0, 0, 0),
    /// as in `rs.pointcloud().calculate()`.
    pub fn deproject(&self, depth: &[u16], depth_scale: f32, out: &mut [[f32; 3]]) -> Result<()> {
        self.check_len(depth.len(), out.len())?;
        check_scale(depth_scale)?;
        for ((o, &d), r) in out.iter_mut().zip(depth).zip(&self.rays) {
            let z = depth_scale * d as f32;
            *o = [r[0] * z, r[1] * z, z];
        }
        Ok(())
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
mod tests {
    use super::*;

    fn d435() -> Intrinsics {
        Intrinsics {
            width: 848,
            height: 480,
            fx: 421.5,
            fy: 421.5,
            ppx: 424.3,
            ppy: 239.8,
            model: Distortion::BrownConrady,
            coeffs: [0.0; 5],
        }
    }

    #[test]
    fn pinhole_pixel_maps_through_principal_point() {
        let i = d435();
        let p = i.deproject_pixel([i.ppx, i.ppy], 2.0);
        assert_eq!(p, [0.0, 0.0, 2.0]);
        let q = i.deproject_pixel([i.ppx + i.fx, i.ppy], 2.0);
        assert!((q[0] - 2.0).abs() < 1e-6);
    }

    #[test]
    fn kannala_brandt_round_trips_projection() {
        let c = [0.05f32, -0.01, 0.002, -0.0005, 0.0];
        let mut i = d435();
        i.model = Distortion::KannalaBrandt4;
        i.coeffs = c;
        let (x, y) = (0.4f32, 0.25f32);
        // rs2_project_point_to_pixel for KB4
        let r = (x * x + y * y).sqrt();
        let theta = r.atan();
        let t2 = theta * theta;
        let series = 1.0 + t2 * (c[0] + t2 * (c[1] + t2 * (c[2] + t2 * c[3])));
        let rd = theta * series;
        let (u, v) = (x * rd / r * i.fx + i.ppx, y * rd / r * i.fy + i.ppy);
        let p = i.deproject_pixel([u, v], 1.0);
        assert!((p[0] - x).abs() < 1e-4 && (p[1] - y).abs() < 1e-4, "{p:?}");
    }

    #[test]
    fn ray_table_matches_per_pixel_deprojection_and_zeroes_invalid() {
        let i = d435();
        let t = RayTable::new(&i).unwrap();
        let mut depth = vec![0u16; 848 * 480];
        depth[1000] = 1500;
        depth[848 * 480 - 1] = 2000;
        let mut out = vec![[9.0f32; 3]; 848 * 480];
        t.deproject(&depth, 0.001, &mut out).unwrap();
        assert_eq!(out[0], [0.0, 0.0, 0.0]);
        let u = 1000 % 848;
        let v = 1000 / 848;
        let want = i.deproject_pixel([u as f32, v as f32], 1.5);
        for k in 0..3 {
            assert!((out[1000][k] - want[k]).abs() < 1e-6);
        }
    }

    #[test]
    fn bad_inputs_are_named() {
        let mut i = d435();
        i.fx = 0.0;
        let e = RayTable::new(&i).unwrap_err();
        assert!(e.to_string().contains("focal"), "{e}");
        let t = RayTable::new(&d435()).unwrap();
        let mut out = vec![[0.0f32; 3]; 10];
        let e = t.deproject(&[0u16; 10], 0.001, &mut out).unwrap_err();
        assert!(e.to_string().contains("848x480"), "{e}");
        assert!(check_scale(0.0).is_err());
        assert!(Distortion::from_name("fisheye9").is_err());
        assert_eq!(Distortion::from_name("ftheta").unwrap(), Distortion::FTheta);
    }
}
