//! The athlete's points: deproject a pixel region of a depth frame into the lab frame and drop
//! everything that is not the subject (invalid depth, flying pixels, the floor, background
//! patches, points outside a lab-space box, and blobs apart from the subject).
//!
//! [`segment_subject`] is the per-frame hot path: it touches only the region's pixels at a
//! stride and reuses the buffers of its output. [`find_subject`] finds the person in a whole
//! frame, to (re)initialise tracking.

use nalgebra::{Matrix3, Vector3};

pub use crate::background::{learn_background, Background, Cover, Patch, PatchKind, SegmentParams};
use crate::camera::{check_scale, Intrinsics, RayTable};
use crate::error::Result;
use crate::input_err;
use crate::labframe::LabFrame;

/// A pixel rectangle `[u0, u1) x [v0, v1)` sampled every `stride` pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roi {
    pub u0: usize,
    pub v0: usize,
    pub u1: usize,
    pub v1: usize,
    pub stride: usize,
}

impl Roi {
    /// The whole image at a stride.
    pub fn full(intrinsics: &Intrinsics, stride: usize) -> Roi {
        Roi {
            u0: 0,
            v0: 0,
            u1: intrinsics.width,
            v1: intrinsics.height,
            stride,
        }
    }

    fn check(&self, w: usize, h: usize) -> Result<()> {
        if self.stride == 0
            || self.u0 >= self.u1
            || self.v0 >= self.v1
            || self.u1 > w
            || self.v1 > h
        {
            return Err(input_err!(
                "roi [{}, {}) x [{}, {}) stride {} is empty, has a zero stride or leaves the \
                 {w}x{h} image",
                self.u0,
                self.u1,
                self.v0,
                self.v1,
                self.stride
            ));
        }
        Ok(())
    }
}

/// An axis-aligned box in the lab frame (metres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabBounds {
    pub min: Vector3<f64>,
    pub max: Vector3<f64>,
}

impl LabBounds {
    /// The box grown by `margin` metres on every side.
    pub fn expanded(&self, margin: f64) -> LabBounds {
        let m = Vector3::repeat(margin);
        LabBounds {
            min: self.min - m,
            max: self.max + m,
        }
    }

    /// Whether `p` lies inside.
    pub fn contains(&self, p: &Vector3<f64>) -> bool {
        (0..3).all(|k| p[k] >= self.min[k] && p[k] <= self.max[k])
    }

    fn check(&self) -> Result<()> {
        let ok = (0..3).all(|k| {
            self.min[k].is_finite() && self.max[k].is_finite() && self.min[k] < self.max[k]
        });
        if !ok {
            return Err(input_err!(
                "lab bounds must be finite with min < max, got min {:?} max {:?}",
                self.min,
                self.max
            ));
        }
        Ok(())
    }
}

/// The smallest pixel rectangle (at `stride`) containing the image of a lab box, or `None` when
/// the box is out of view. Uses the pinhole model (exact for rectified D4xx depth); with any
/// corner behind the camera the whole image is returned.
pub fn roi_from_bounds(
    bounds: &LabBounds,
    lab: &LabFrame,
    intrinsics: &Intrinsics,
    stride: usize,
) -> Option<Roi> {
    let (w, h) = (intrinsics.width as f64, intrinsics.height as f64);
    let (mut u0, mut u1, mut v0, mut v1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for c in 0..8 {
        let pick = |k: usize| {
            if c >> k & 1 == 1 {
                bounds.max[k]
            } else {
                bounds.min[k]
            }
        };
        let p = lab.to_camera(&Vector3::new(pick(0), pick(1), pick(2)));
        let in_front = p.z > 0.05;
        if !in_front {
            return Some(Roi::full(intrinsics, stride.max(1)));
        }
        let u = p.x / p.z * intrinsics.fx as f64 + intrinsics.ppx as f64;
        let v = p.y / p.z * intrinsics.fy as f64 + intrinsics.ppy as f64;
        (u0, u1, v0, v1) = (u0.min(u), u1.max(u), v0.min(v), v1.max(v));
    }
    let (u0, v0) = (u0.floor().max(0.0), v0.floor().max(0.0));
    let (u1, v1) = (u1.ceil().min(w), v1.ceil().min(h));
    if !(u0 < u1 && v0 < v1) {
        return None;
    }
    Some(Roi {
        u0: u0 as usize,
        v0: v0 as usize,
        u1: u1 as usize,
        v1: v1 as usize,
        stride: stride.max(1),
    })
}

/// Per-blob statistics of the connected-component pass.
#[derive(Debug, Clone, Copy)]
struct Blob {
    count: usize,
    min: [f32; 3],
    max: [f32; 3],
}

/// The points within `radius` of the segment from `a` to `b`, and no lower than `min_y` (lab
/// frame, metres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capsule {
    pub a: Vector3<f32>,
    pub b: Vector3<f32>,
    pub radius: f32,
    /// Lab height below which nothing is inside (`f32::NEG_INFINITY`: no cut). A foot's
    /// capsule reaches below its sole; what lies there is not the foot.
    pub min_y: f32,
}

impl Capsule {
    /// Whether `p` lies inside.
    #[inline]
    pub fn contains(&self, p: &Vector3<f32>) -> bool {
        if p.y < self.min_y {
            return false;
        }
        let ab = self.b - self.a;
        let t = ((p - self.a).dot(&ab) / ab.norm_squared().max(1e-12)).clamp(0.0, 1.0);
        (p - (self.a + ab * t)).norm_squared() <= self.radius * self.radius
    }
}

/// Working buffers of the segmentation, kept between frames.
#[derive(Debug, Clone, Default)]
struct Scratch {
    z: Vec<f32>,
    lab: Vec<[f32; 3]>,
    parent: Vec<u32>,
    /// Blob index of every root cell.
    blob_of: Vec<u32>,
    blobs: Vec<Blob>,
    keep: Vec<bool>,
}

/// The subject's points of one frame (lab frame, metres) and their pixel indices `v * W + u`.
/// Reuse one value across frames: [`segment_subject`] refills it without reallocating.
#[derive(Debug, Clone, Default)]
pub struct SubjectPoints {
    pub points: Vec<[f32; 3]>,
    pub pixels: Vec<u32>,
    /// Where the tracker predicts the shanks and feet: a point inside one is not taken for a
    /// box face (or a wall) it lies within the noise band of. A foot stepping off a box passes
    /// right by the box's front face; at 2-2.5 m the face's band is 4-6 cm deep, and it took
    /// the feet and lower shanks for several frames. The face's own points inside them join
    /// the subject.
    pub limbs: Vec<Capsule>,
    scratch: Scratch,
}

impl SubjectPoints {
    pub fn new() -> SubjectPoints {
        SubjectPoints::default()
    }
}

const NONE: u32 = u32::MAX;

fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        let gp = parent[parent[i as usize] as usize];
        parent[i as usize] = gp;
        i = gp;
    }
    i
}

/// Deproject, filter and label the region: fills `sc` (lab points, blob of every grid cell,
/// blob statistics). Returns the grid width.
#[allow(clippy::too_many_arguments)]
fn label_region(
    depth: &[u16],
    depth_scale: f32,
    rays: &RayTable,
    lab: &LabFrame,
    bg: &Background,
    roi: &Roi,
    bounds: &LabBounds,
    limbs: &[Capsule],
    sc: &mut Scratch,
) -> Result<usize> {
    let intr = rays.intrinsics();
    let (w, h) = (intr.width, intr.height);
    if depth.len() != w * h {
        return Err(input_err!(
            "depth has {} pixels but the intrinsics describe {w}x{h} = {}",
            depth.len(),
            w * h
        ));
    }
    check_scale(depth_scale)?;
    roi.check(w, h)?;
    bounds.check()?;
    let s = roi.stride;
    let gw = (roi.u1 - roi.u0).div_ceil(s);
    let gh = (roi.v1 - roi.v0).div_ceil(s);
    let n = gw * gh;
    let p = &bg.params;
    let c = bg.noise.per_m2 as f32;
    let (zmin, zmax) = (p.z_min as f32, p.z_max as f32);

    // pass 1: metric depth on the grid (0 = invalid)
    sc.z.clear();
    for gv in 0..gh {
        let row = (roi.v0 + gv * s) * w;
        let pixels = &depth[row + roi.u0..row + roi.u1];
        sc.z.extend(pixels.iter().step_by(s).map(|&d| {
            let d = d as f32 * depth_scale;
            if d >= zmin && d <= zmax {
                d
            } else {
                0.0
            }
        }));
    }

    // pass 2: lab transform, floor, bounds, flying pixels, patches, and labelling
    let rot: Matrix3<f32> = lab.rotation.cast();
    let tr: Vector3<f32> = lab.translation.cast();
    let floor_n: Vector3<f32> = bg.floor.normal.cast();
    let floor_o = bg.floor.offset as f32;
    // the floor normal in camera coordinates: depth noise moves a point along its ray, i.e.
    // by dz * (ray . normal) across the floor, little when the floor is seen at a slant
    let floor_cam: Vector3<f32> = (lab.rotation.transpose() * bg.floor.normal).cast();
    let (bmin, bmax): (Vector3<f32>, Vector3<f32>) = (bounds.min.cast(), bounds.max.cast());
    let (fly_min, fly_k) = (p.flying_min as f32, p.flying_sigmas as f32);
    let (floor_min, floor_k) = (p.floor_min as f32, p.floor_sigmas as f32);
    // buffers only grow; every cell of this frame is written before it is read
    if sc.lab.len() < n {
        sc.lab.resize(n, [0.0; 3]);
        sc.parent.resize(n, NONE);
        sc.blob_of.resize(n, NONE);
    }
    let (conn_min, conn_k) = (p.connect_min as f32, p.connect_sigmas as f32);
    let conn_max = (p.connect_max as f32).max(conn_min);
    let pitch = s as f32 / intr.fx.max(1e-3);
    let parent = &mut sc.parent;
    for gv in 0..gh {
        let v = roi.v0 + gv * s;
        for gu in 0..gw {
            let g = gv * gw + gu;
            parent[g] = NONE;
            let z = sc.z[g];
            if z == 0.0 {
                continue;
            }
            // cheapest rejections first: most of a region is floor or outside the bounds
            let sig = c * z * z;
            let r = rays.ray(v * w + roi.u0 + gu * s);
            let pc = Vector3::new(r[0] * z, r[1] * z, z);
            let pl = rot * pc + tr;
            let across = (r[0] * floor_cam.x + r[1] * floor_cam.y + floor_cam.z).abs();
            if floor_n.dot(&pl) + floor_o < (floor_k * sig * across).max(floor_min) {
                continue;
            }
            if (0..3).any(|k| pl[k] < bmin[k] || pl[k] > bmax[k]) {
                continue;
            }
            let fly = (fly_k * sig).max(fly_min);
            let far = |o: f32| o == 0.0 || (o - z).abs() > fly;
            let left = if gu > 0 { sc.z[g - 1] } else { z };
            let right = if gu + 1 < gw { sc.z[g + 1] } else { z };
            let up = if gv > 0 { sc.z[g - gw] } else { z };
            let down = if gv + 1 < gh { sc.z[g + gw] } else { z };
            if (far(left) && far(right)) || (far(up) && far(down)) {
                continue;
            }
            if !bg.patches.is_empty() {
                let pd = pl.cast::<f64>();
                let tol = bg.noise.tol(z as f64, p.patch_sigmas, p.patch_min);
                let limb = || limbs.iter().any(|c| c.contains(&pl));
                // a limb passing by a face may lie in its noise band, but never inside the box
                // behind it (below its top, beyond the noise): a limb prediction reaching into
                // the box does not take the face's points for the subject
                if bg.patches.iter().any(|pa| {
                    match pa.cover(&pd, tol, p.patch_margin, p.patch_behind) {
                        Cover::No => false,
                        Cover::Behind => true,
                        Cover::Band => !pa.kind.is_vertical() || !limb(),
                    }
                }) {
                    continue;
                }
            }
            sc.lab[g] = [pl.x, pl.y, pl.z];

            // 8-connected components over depth-continuous neighbours, in raster order against
            // the already labelled ones (left, up-left, up, up-right); every tree points to
            // smaller indices, so one forward pass flattens them afterwards
            let thr = (conn_k * sig).clamp(conn_min, conn_max) + 2.0 * pitch * z;
            let mut root = NONE;
            let mut join = |o: usize, parent: &mut Vec<u32>| {
                if parent[o] == NONE || (sc.z[o] - z).abs() >= thr {
                    return;
                }
                let r = find(parent, o as u32);
                if root == NONE {
                    root = r;
                } else if r != root {
                    let (lo, hi) = (r.min(root), r.max(root));
                    parent[hi as usize] = lo;
                    root = lo;
                }
            };
            if gu > 0 {
                join(g - 1, parent);
            }
            if gv > 0 {
                if gu > 0 {
                    join(g - gw - 1, parent);
                }
                join(g - gw, parent);
                if gu + 1 < gw {
                    join(g - gw + 1, parent);
                }
            }
            parent[g] = if root == NONE { g as u32 } else { root };
        }
    }

    // flatten and gather blobs: a root is the smallest index of its tree, so it comes first
    sc.blobs.clear();
    for g in 0..n {
        let up = parent[g];
        if up == NONE {
            continue;
        }
        let id = if up as usize == g {
            sc.blob_of[g] = sc.blobs.len() as u32;
            sc.blobs.push(Blob {
                count: 0,
                min: [f32::MAX; 3],
                max: [f32::MIN; 3],
            });
            sc.blobs.len() - 1
        } else {
            // the parent (a smaller index) already points at its final root
            let root = parent[up as usize];
            parent[g] = root;
            sc.blob_of[root as usize] as usize
        };
        let b = &mut sc.blobs[id];
        b.count += 1;
        for ((lo, hi), &q) in b.min.iter_mut().zip(b.max.iter_mut()).zip(&sc.lab[g]) {
            *lo = lo.min(q);
            *hi = hi.max(q);
        }
    }
    Ok(gw)
}

/// Gap between two boxes (0 when they overlap), metres.
fn box_gap(a: &Blob, b: &Blob) -> f32 {
    let mut sq = 0.0;
    for k in 0..3 {
        let d = (a.min[k] - b.max[k]).max(b.min[k] - a.max[k]).max(0.0);
        sq += d * d;
    }
    sq.sqrt()
}

/// The subject's points of one frame, in the lab frame, into `out` (cleared first).
///
/// Deprojects only the `roi` pixels at its stride and drops: invalid depth, flying pixels
/// (depth jumps to both neighbours along a row or a column), points less than
/// `max(floor_min, floor_sigmas * sigma(z) * |ray . floor normal|)` above the floor or below it
/// (the depth noise across a floor seen at a slant), points on or behind
/// background patches (noise-aware tolerance growing with z^2), points outside `bounds`; then
/// keeps the largest depth-connected blob and the blobs near it of at least `blob_min_frac` (5 %)
/// of its size that are no wider than `blob_max_across` (a limb cut off by a depth jump, not a
/// piece of furniture).
/// Errors: [`crate::Error::Input`] for a size mismatch, bad scale, roi or bounds.
#[allow(clippy::too_many_arguments)]
pub fn segment_subject(
    depth: &[u16],
    depth_scale: f32,
    rays: &RayTable,
    lab: &LabFrame,
    bg: &Background,
    roi: &Roi,
    bounds: &LabBounds,
    out: &mut SubjectPoints,
) -> Result<()> {
    out.points.clear();
    out.pixels.clear();
    let sc = &mut out.scratch;
    let gw = label_region(
        depth,
        depth_scale,
        rays,
        lab,
        bg,
        roi,
        bounds,
        &out.limbs,
        sc,
    )?;
    let Some((main, _)) = sc.blobs.iter().enumerate().max_by_key(|(_, b)| b.count) else {
        return Ok(());
    };
    let lead = sc.blobs[main];
    let min_count = (bg.params.blob_min_frac * lead.count as f64).ceil() as usize;
    let gap = bg.params.blob_max_gap as f32;
    let wide = bg.params.blob_max_across as f32;
    sc.keep.clear();
    sc.keep.extend(sc.blobs.iter().enumerate().map(|(i, b)| {
        let across = (b.max[0] - b.min[0]).max(b.max[2] - b.min[2]);
        i == main || (b.count >= min_count && box_gap(b, &lead) <= gap && across <= wide)
    }));
    let w = rays.intrinsics().width;
    // the buffers may be longer than this frame's grid (they only grow): only its n cells count
    let n = sc.z.len();
    for (g, &root) in sc.parent[..n].iter().enumerate() {
        if root != NONE && sc.keep[sc.blob_of[root as usize] as usize] {
            let (gu, gv) = (g % gw, g / gw);
            let pix = (roi.v0 + gv * roi.stride) * w + roi.u0 + gu * roi.stride;
            out.points.push(sc.lab[g]);
            out.pixels.push(pix as u32);
        }
    }
    Ok(())
}

/// Where is the person? The lab box (with a 0.15 m margin, from just below the floor) around
/// the largest depth-connected non-background blob of person-like size: 0.4-2.4 m tall,
/// reaching from below 0.7 m to above 0.6 m, 0.1-1.5 m across. `Ok(None)` when there is none.
/// Searches the whole frame at stride 4. Errors as [`segment_subject`].
pub fn find_subject(
    depth: &[u16],
    depth_scale: f32,
    rays: &RayTable,
    lab: &LabFrame,
    bg: &Background,
) -> Result<Option<LabBounds>> {
    let intr = rays.intrinsics();
    let stride = if intr.width * intr.height > 100_000 {
        4
    } else {
        2
    };
    let roi = Roi::full(intr, stride);
    let everywhere = LabBounds {
        min: Vector3::new(-20.0, -1.0, -20.0),
        max: Vector3::new(20.0, 3.0, 20.0),
    };
    let mut sc = Scratch::default();
    label_region(
        depth,
        depth_scale,
        rays,
        lab,
        bg,
        &roi,
        &everywhere,
        &[],
        &mut sc,
    )?;
    let person_like = |b: &Blob| {
        let tall = b.max[1] - b.min[1];
        let across = (b.max[0] - b.min[0]).max(b.max[2] - b.min[2]);
        b.count >= 30
            && (0.4..=2.4).contains(&tall)
            && b.min[1] < 0.7
            && b.max[1] > 0.6
            && (0.1..=1.5).contains(&across)
    };
    let best = sc
        .blobs
        .iter()
        .filter(|b| person_like(b))
        .max_by_key(|b| b.count);
    Ok(best.map(|b| {
        let f = |a: [f32; 3]| Vector3::new(a[0] as f64, a[1] as f64, a[2] as f64);
        let mut bounds = LabBounds {
            min: f(b.min),
            max: f(b.max),
        }
        .expanded(0.15);
        bounds.min.y = bounds.min.y.min(-0.05);
        bounds
    }))
}

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;
