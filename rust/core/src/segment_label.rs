//! The labelling pass of [`super::segment_subject`] and [`super::find_subject`]: deproject a
//! region at its stride, drop what is not the subject, and join the rest into depth-connected
//! blobs with their statistics.

use nalgebra::{Matrix3, Vector3};

use super::{Background, LabBounds, Roi};
use crate::camera::{check_scale, RayTable};
use crate::error::Result;
use crate::input_err;
use crate::labframe::LabFrame;

/// Per-blob statistics of the connected-component pass.
#[derive(Debug, Clone, Copy)]
pub(super) struct Blob {
    pub(super) count: usize,
    pub(super) min: [f32; 3],
    pub(super) max: [f32; 3],
}

impl Blob {
    /// Horizontal extent: the larger of the box's x and z sizes, metres.
    pub(super) fn across(&self) -> f32 {
        (self.max[0] - self.min[0]).max(self.max[2] - self.min[2])
    }
}

/// Working buffers of the segmentation, kept between frames.
#[derive(Debug, Clone, Default)]
pub(super) struct Scratch {
    pub(super) z: Vec<f32>,
    pub(super) lab: Vec<[f32; 3]>,
    pub(super) parent: Vec<u32>,
    /// Blob index of every root cell.
    pub(super) blob_of: Vec<u32>,
    pub(super) blobs: Vec<Blob>,
    pub(super) keep: Vec<bool>,
}

pub(super) const NONE: u32 = u32::MAX;

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
pub(super) fn label_region(
    depth: &[u16],
    depth_scale: f32,
    rays: &RayTable,
    lab: &LabFrame,
    bg: &Background,
    roi: &Roi,
    bounds: &LabBounds,
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
                if bg
                    .patches
                    .iter()
                    .any(|pa| pa.covers(&pd, tol, p.patch_margin, p.patch_behind))
                {
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
pub(super) fn box_gap(a: &Blob, b: &Blob) -> f32 {
    let mut sq = 0.0;
    for k in 0..3 {
        let d = (a.min[k] - b.max[k]).max(b.min[k] - a.max[k]).max(0.0);
        sq += d * d;
    }
    sq.sqrt()
}
