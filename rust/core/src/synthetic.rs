//! Test scenes rendered into depth images by ray casting: a floor, a back wall, a 31 cm box, a
//! clutter bin and a "person" of cylinders, boxes and a sphere, seen by a pinhole camera with
//! z^2 depth noise and the stereo occlusion shadow. Test-only.

use nalgebra::{Matrix3, Vector3};

use crate::camera::{Distortion, Intrinsics, RayTable};
use crate::labframe::LabFrame;
use crate::plane::XorShift;

/// What a pixel sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Nothing,
    Floor,
    Wall,
    Box,
    Clutter,
    Person,
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    /// `y = 0` half-space floor.
    Floor,
    /// The plane `x = x0`.
    WallX(f64),
    /// Axis-aligned box.
    Cuboid(Vector3<f64>, Vector3<f64>),
    /// Vertical cylinder: centre (x, z), radius, y range.
    Cylinder(f64, f64, f64, f64, f64),
    Sphere(Vector3<f64>, f64),
}

/// Nearest positive hit distance of the ray `o + t d`.
fn hit(shape: &Shape, o: &Vector3<f64>, d: &Vector3<f64>) -> Option<f64> {
    let eps = 1e-9;
    match *shape {
        Shape::Floor => (d.y.abs() > eps).then(|| -o.y / d.y).filter(|&t| t > eps),
        Shape::WallX(x0) => (d.x.abs() > eps)
            .then(|| (x0 - o.x) / d.x)
            .filter(|&t| t > eps),
        Shape::Cuboid(lo, hi) => {
            let (mut t0, mut t1) = (f64::MIN, f64::MAX);
            for k in 0..3 {
                if d[k].abs() < eps {
                    if o[k] < lo[k] || o[k] > hi[k] {
                        return None;
                    }
                    continue;
                }
                let (a, b) = ((lo[k] - o[k]) / d[k], (hi[k] - o[k]) / d[k]);
                t0 = t0.max(a.min(b));
                t1 = t1.min(a.max(b));
            }
            (t0 <= t1 && t0 > eps).then_some(t0)
        }
        Shape::Cylinder(cx, cz, r, y0, y1) => {
            let (px, pz) = (o.x - cx, o.z - cz);
            let a = d.x * d.x + d.z * d.z;
            let b = 2.0 * (px * d.x + pz * d.z);
            let c = px * px + pz * pz - r * r;
            let disc = b * b - 4.0 * a * c;
            let mut best: Option<f64> = None;
            if a > eps && disc >= 0.0 {
                let t = (-b - disc.sqrt()) / (2.0 * a);
                let y = o.y + t * d.y;
                if t > eps && y >= y0 && y <= y1 {
                    best = Some(t);
                }
            }
            // caps
            for yc in [y0, y1] {
                if d.y.abs() > eps {
                    let t = (yc - o.y) / d.y;
                    let (x, z) = (o.x + t * d.x - cx, o.z + t * d.z - cz);
                    if t > eps && x * x + z * z <= r * r && best.is_none_or(|b| t < b) {
                        best = Some(t);
                    }
                }
            }
            best
        }
        Shape::Sphere(c, r) => {
            let p = o - c;
            let (a, b) = (d.norm_squared(), p.dot(d));
            let disc = b * b - a * (p.norm_squared() - r * r);
            (disc >= 0.0)
                .then(|| (-b - disc.sqrt()) / a)
                .filter(|&t| t > eps)
        }
    }
}

/// A scene of labelled shapes in the lab frame.
pub struct Scene {
    shapes: Vec<(Shape, Part)>,
}

impl Scene {
    /// Floor, back wall at x = -1.5, a 31 cm box (x -0.9..-0.4, z -0.3..0.3), a clutter bin
    /// at (0.2, 1.2), and a standing person of cylinders with feet at `person_x`.
    pub fn lab_trial(person_x: f64) -> Scene {
        Scene::person_at(person_x, 0.0)
    }

    /// The lab trial scene with the person's soles at height `py` (0.31: on the box).
    pub fn person_at(person_x: f64, py: f64) -> Scene {
        let v = Vector3::new;
        let px = person_x;
        let mut shapes = vec![
            (Shape::Floor, Part::Floor),
            (Shape::WallX(-1.5), Part::Wall),
            (
                Shape::Cuboid(v(-0.9, 0.0, -0.3), v(-0.4, 0.31, 0.3)),
                Part::Box,
            ),
            (Shape::Cylinder(0.2, 1.2, 0.15, 0.0, 0.5), Part::Clutter),
        ];
        let person = [
            Shape::Cylinder(px, -0.11, 0.065, 0.06, 0.88),
            Shape::Cylinder(px, 0.11, 0.065, 0.06, 0.88),
            Shape::Cuboid(v(px - 0.06, 0.0, -0.155), v(px + 0.2, 0.07, -0.065)),
            Shape::Cuboid(v(px - 0.06, 0.0, 0.065), v(px + 0.2, 0.07, 0.155)),
            Shape::Cylinder(px, 0.0, 0.17, 0.85, 1.45),
            Shape::Cylinder(px, -0.23, 0.04, 0.8, 1.42),
            Shape::Cylinder(px, 0.23, 0.04, 0.8, 1.42),
            Shape::Sphere(v(px, 1.55, 0.0), 0.11),
        ];
        let lift = |s: Shape| match s {
            Shape::Cylinder(x, z, r, y0, y1) => Shape::Cylinder(x, z, r, y0 + py, y1 + py),
            Shape::Cuboid(lo, hi) => Shape::Cuboid(lo + v(0.0, py, 0.0), hi + v(0.0, py, 0.0)),
            Shape::Sphere(c, r) => Shape::Sphere(c + v(0.0, py, 0.0), r),
            other => other,
        };
        shapes.extend(person.into_iter().map(|s| (lift(s), Part::Person)));
        Scene { shapes }
    }

    /// The empty scene (no person).
    pub fn without_person(mut self) -> Scene {
        self.shapes.retain(|s| s.1 != Part::Person);
        self
    }

    fn cast(&self, o: &Vector3<f64>, d: &Vector3<f64>) -> Option<(f64, Part)> {
        self.shapes
            .iter()
            .filter_map(|(s, part)| hit(s, o, d).map(|t| (t, *part)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }
}

/// A rendered frame.
pub struct Rendered {
    pub depth: Vec<u16>,
    pub parts: Vec<Part>,
    /// True height above the floor of what each pixel sees (NaN: nothing).
    pub height: Vec<f32>,
}

/// A camera at `eye` (lab) looking at `target`, 848x480 D435-like intrinsics.
pub struct Camera {
    pub intrinsics: Intrinsics,
    /// The true lab frame (lab_from_camera).
    pub lab: LabFrame,
}

impl Camera {
    pub fn looking_at(eye: Vector3<f64>, target: Vector3<f64>) -> Camera {
        let z = (target - eye).normalize();
        let x = z.cross(&Vector3::y()).normalize();
        let y = z.cross(&x);
        let lab_from_cam = Matrix3::from_columns(&[x, y, z]);
        Camera {
            intrinsics: Intrinsics {
                width: 848,
                height: 480,
                fx: 421.0,
                fy: 421.0,
                ppx: 424.0,
                ppy: 240.0,
                model: Distortion::BrownConrady,
                coeffs: [0.0; 5],
            },
            lab: LabFrame::new(lab_from_cam, eye).expect("rotation"),
        }
    }

    /// The usual placement: 2.2 m in front of the subject (yawed by `yaw_deg` around it),
    /// 1.0 m high, looking at hip height.
    pub fn front(yaw_deg: f64) -> Camera {
        let a = yaw_deg.to_radians();
        Camera::looking_at(
            Vector3::new(2.2 * a.cos(), 1.0, 2.2 * a.sin()),
            Vector3::new(0.0, 0.6, 0.0),
        )
    }

    /// Render a depth image (mm, u16), the part every pixel sees and its true height above the
    /// floor. `noise_per_m2` is the depth RMS at 1 m; the stereo shadow is cast for a 50 mm
    /// baseline.
    pub fn render(&self, scene: &Scene, noise_per_m2: f64, seed: u64) -> Rendered {
        let rays = RayTable::new(&self.intrinsics).expect("intrinsics");
        let (w, h) = (self.intrinsics.width, self.intrinsics.height);
        let m = self.lab.rotation;
        let eye = self.lab.translation;
        let second = eye + m * Vector3::new(0.05, 0.0, 0.0);
        let mut rng = XorShift::new(seed);
        let mut gauss = || {
            let u1 = ((rng.next_u64() >> 11) as f64 + 1.0) / 2f64.powi(53);
            let u2 = (rng.next_u64() >> 11) as f64 / 2f64.powi(53);
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        };
        let mut depth = vec![0u16; w * h];
        let mut parts = vec![Part::Nothing; w * h];
        let mut height = vec![f32::NAN; w * h];
        for i in 0..w * h {
            let r = rays.ray(i);
            let dc = Vector3::new(r[0] as f64, r[1] as f64, 1.0);
            let d = m * dc;
            let Some((t, part)) = scene.cast(&eye, &d) else {
                continue;
            };
            let p = eye + d * t; // t is the camera z, since dc.z = 1
            parts[i] = part;
            height[i] = p.y as f32;
            // stereo shadow: the second imager must see the point too
            let to = p - second;
            let len = to.norm();
            if let Some((t2, _)) = scene.cast(&second, &(to / len)) {
                if t2 < len - 0.01 {
                    continue;
                }
            }
            let z = t + noise_per_m2 * t * t * gauss();
            if z > 0.1 && z < 10.0 {
                depth[i] = (z * 1000.0).round() as u16;
            }
        }
        Rendered {
            depth,
            parts,
            height,
        }
    }
}
